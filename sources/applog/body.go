package applog

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
)

// readBody reads the body, never holding more than max.body.bytes of it,
// compressed or not.
func (s *Source) readBody(w http.ResponseWriter, r *http.Request) ([]byte, int, error) {
	limit := int64(s.cfg.MaxBodyBytes)
	if r.ContentLength > limit {
		return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("body over max.body.bytes=%d", limit)
	}
	return decodeBody(http.MaxBytesReader(w, r.Body, limit), r.Header.Get("Content-Encoding"), limit, r.ContentLength)
}

// decodeBody reads a body sent with encoding (gunzipping it), refusing one
// over limit bytes once decompressed. hint is the length sent, -1 when
// unknown. On error, status is the HTTP status to answer with.
func decodeBody(body io.Reader, encoding string, limit, hint int64) (_ []byte, status int, _ error) {
	tooLarge := fmt.Errorf("body over max.body.bytes=%d", limit)
	switch enc := strings.ToLower(strings.TrimSpace(encoding)); enc {
	case "", "identity":
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(body)
		if err != nil {
			return nil, bodyStatus(err), bodyError(err, tooLarge)
		}
		defer zr.Close()
		body, hint = zr, 4*hint
	default:
		return nil, http.StatusUnsupportedMediaType, fmt.Errorf("Content-Encoding %q is not supported: use gzip or none", enc)
	}
	var buf bytes.Buffer
	if hint > 0 {
		buf.Grow(int(min(hint, limit) + bytes.MinRead))
	}
	// One byte over the limit tells a body of exactly the limit from a
	// larger one, which a gzip bomb would be.
	if _, err := buf.ReadFrom(io.LimitReader(body, limit+1)); err != nil {
		return nil, bodyStatus(err), bodyError(err, tooLarge)
	}
	if int64(buf.Len()) > limit {
		return nil, http.StatusRequestEntityTooLarge, fmt.Errorf("decompressed %w", tooLarge)
	}
	return buf.Bytes(), 0, nil
}

func bodyStatus(err error) int {
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusBadRequest
}

func bodyError(err, tooLarge error) error {
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return tooLarge
	}
	if errors.Is(err, gzip.ErrHeader) || errors.Is(err, gzip.ErrChecksum) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("malformed gzip body: %w", err)
	}
	return fmt.Errorf("read body: %w", err)
}

// isNDJSON reports whether the client said the body is newline-delimited.
func isNDJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	switch mt {
	case "application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines", "application/jsonlines":
		return true
	}
	return false
}
