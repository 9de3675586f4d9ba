package api

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// testServer builds a Server over a fresh fake; logs go to the test log.
func testServer(t testing.TB, opts Options) (http.Handler, *fakeController) {
	t.Helper()
	f := newFake()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return NewServer(f, opts).Handler(), f
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

type header map[string]string

// do sends one request; body may be nil, a string or a value to marshal.
func do(t testing.TB, h http.Handler, method, path string, body any, hdr header) *httptest.ResponseRecorder {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(data)
	}
	req := httptest.NewRequest(method, path, r)
	if r != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// expect checks the status and, when into is not nil, decodes the JSON body.
func expect(t testing.TB, w *httptest.ResponseRecorder, status int, into any) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status = %d, want %d; body: %s", w.Code, status, w.Body.String())
	}
	if into == nil {
		return
	}
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type = %q, want JSON", ct)
	}
	dec := json.NewDecoder(bytes.NewReader(w.Body.Bytes()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(into); err != nil {
		t.Fatalf("decode %T: %v", into, err)
	}
}

// expectError checks an error answer: status, error_code equal to it, and a
// message containing each of contains.
func expectError(t testing.TB, w *httptest.ResponseRecorder, status int, contains ...string) errorBody {
	t.Helper()
	var e errorBody
	expect(t, w, status, &e)
	if e.ErrorCode != status {
		t.Fatalf("error_code = %d, want %d", e.ErrorCode, status)
	}
	if e.Message == "" {
		t.Fatal("error message is empty")
	}
	for _, s := range contains {
		if !strings.Contains(e.Message, s) {
			t.Fatalf("message %q does not contain %q", e.Message, s)
		}
	}
	return e
}

func expectEmpty(t testing.TB, w *httptest.ResponseRecorder, status int) {
	t.Helper()
	if w.Code != status {
		t.Fatalf("status = %d, want %d; body: %s", w.Code, status, w.Body.String())
	}
	if w.Body.Len() != 0 {
		t.Fatalf("body = %q, want none", w.Body.String())
	}
}
