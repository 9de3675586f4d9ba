package backup

import (
	"bufio"
	"crypto/md5"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeS3 is an in-process S3 service with what minio-go's BucketExists,
// PutObject (single PUT, plain or aws-chunked streaming body), ListObjectsV2
// (prefix, delimiter, pagination), GetObject/StatObject and RemoveObject
// need. Path-style only; signatures are not checked.
type fakeS3 struct {
	mu       sync.Mutex
	buckets  map[string]map[string]fakeObject
	pageSize int // keys per ListObjectsV2 page, so tests exercise continuation tokens
	puts     int
	pages    int // ListObjectsV2 answers that were truncated
	failPuts int // the next failPuts PUTs fail with failCode
	failCode int
	srv      *httptest.Server
}

type fakeObject struct {
	data    []byte
	modTime time.Time
}

func newFakeS3(t *testing.T, buckets ...string) *fakeS3 {
	t.Helper()
	f := &fakeS3{buckets: map[string]map[string]fakeObject{}, pageSize: 1000}
	for _, b := range buckets {
		f.buckets[b] = map[string]fakeObject{}
	}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// fail makes the next n PUTs answer status.
func (f *fakeS3) fail(n, status int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failPuts, f.failCode = n, status
}

// endpoint is host:port, as s3.endpoint takes it.
func (f *fakeS3) endpoint() string { return strings.TrimPrefix(f.srv.URL, "http://") }

// keys lists the objects of a bucket, sorted.
func (f *fakeS3) keys(bucket string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for k := range f.buckets[bucket] {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func (f *fakeS3) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	objs, ok := f.buckets[bucket]
	if !ok {
		s3Error(w, http.StatusNotFound, "NoSuchBucket", r.Method)
		return
	}
	q := r.URL.Query()
	switch {
	case key == "" && r.Method == http.MethodHead:
		w.WriteHeader(http.StatusOK)
	case key == "" && r.Method == http.MethodGet && q.Has("location"):
		writeXML(w, struct {
			XMLName xml.Name `xml:"LocationConstraint"`
			Region  string   `xml:",chardata"`
		}{Region: "us-east-1"})
	case key == "" && r.Method == http.MethodGet && q.Get("list-type") == "2":
		f.list(w, objs, q.Get("prefix"), q.Get("delimiter"), q.Get("continuation-token"), q.Get("start-after"))
	case key != "" && r.Method == http.MethodPut:
		if q.Has("uploadId") || q.Has("partNumber") {
			s3Error(w, http.StatusNotImplemented, "NotImplemented", r.Method)
			return
		}
		if f.failPuts > 0 {
			f.failPuts--
			code := map[int]string{http.StatusServiceUnavailable: "SlowDown", http.StatusForbidden: "AccessDenied"}[f.failCode]
			s3Error(w, f.failCode, code, r.Method)
			return
		}
		data, err := readBody(r)
		if err != nil {
			s3Error(w, http.StatusBadRequest, "IncompleteBody", r.Method)
			return
		}
		objs[key] = fakeObject{data: data, modTime: time.Now().UTC()}
		f.puts++
		w.Header().Set("ETag", etag(data))
		w.WriteHeader(http.StatusOK)
	case key != "" && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		o, ok := objs[key]
		if !ok {
			s3Error(w, http.StatusNotFound, "NoSuchKey", r.Method)
			return
		}
		w.Header().Set("ETag", etag(o.data))
		w.Header().Set("Last-Modified", o.modTime.Format(http.TimeFormat))
		w.Header().Set("Content-Type", "application/octet-stream")
		data := o.data
		if rng := r.Header.Get("Range"); rng != "" && r.Method == http.MethodGet {
			var from, to int
			if _, err := fmt.Sscanf(rng, "bytes=%d-%d", &from, &to); err != nil || from > to || to >= len(data) {
				s3Error(w, http.StatusRequestedRangeNotSatisfiable, "InvalidRange", r.Method)
				return
			}
			w.Header().Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", from, to, len(data)))
			data = data[from : to+1]
			w.Header().Set("Content-Length", strconv.Itoa(len(data)))
			w.WriteHeader(http.StatusPartialContent)
			w.Write(data)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(data)))
		w.WriteHeader(http.StatusOK)
		if r.Method == http.MethodGet {
			w.Write(data)
		}
	case key != "" && r.Method == http.MethodDelete:
		delete(objs, key)
		w.WriteHeader(http.StatusNoContent)
	default:
		s3Error(w, http.StatusNotImplemented, "NotImplemented", r.Method)
	}
}

func (f *fakeS3) list(w http.ResponseWriter, objs map[string]fakeObject, prefix, delim, token, startAfter string) {
	type content struct {
		Key          string
		LastModified string
		ETag         string
		Size         int
		StorageClass string
	}
	type commonPrefix struct{ Prefix string }
	type result struct {
		XMLName               xml.Name `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListBucketResult"`
		Name                  string
		Prefix                string
		Delimiter             string `xml:",omitempty"`
		MaxKeys               int
		KeyCount              int
		IsTruncated           bool
		ContinuationToken     string `xml:",omitempty"`
		NextContinuationToken string `xml:",omitempty"`
		Contents              []content
		CommonPrefixes        []commonPrefix
	}
	var keys []string
	for k := range objs {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	after := max(token, startAfter)
	res := result{Name: "bucket", Prefix: prefix, Delimiter: delim, MaxKeys: f.pageSize, ContinuationToken: token}
	seen := map[string]bool{}
	for _, k := range keys {
		if k <= after {
			continue
		}
		if res.KeyCount == f.pageSize {
			res.IsTruncated = true
			break
		}
		if delim != "" {
			if i := strings.Index(k[len(prefix):], delim); i >= 0 {
				cp := k[:len(prefix)+i+len(delim)]
				if !seen[cp] {
					seen[cp] = true
					res.CommonPrefixes = append(res.CommonPrefixes, commonPrefix{cp})
					res.KeyCount++
					// Past every key under the common prefix.
					res.NextContinuationToken = cp + "\U0010FFFF"
				}
				continue
			}
		}
		o := objs[k]
		res.Contents = append(res.Contents, content{Key: k, LastModified: o.modTime.Format("2006-01-02T15:04:05.000Z"),
			ETag: etag(o.data), Size: len(o.data), StorageClass: "STANDARD"})
		res.KeyCount++
		res.NextContinuationToken = k
	}
	if res.IsTruncated {
		f.pages++
	} else {
		res.NextContinuationToken = ""
	}
	writeXML(w, res)
}

// readBody reads a PUT body, decoding aws-chunked framing ("<hex size>;
// chunk-signature=…\r\n<data>\r\n" … "0;…\r\n", maybe trailers, "\r\n"),
// which minio-go uses for streaming signatures over plain HTTP.
func readBody(r *http.Request) ([]byte, error) {
	chunked := strings.Contains(r.Header.Get("Content-Encoding"), "aws-chunked") ||
		strings.HasPrefix(r.Header.Get("X-Amz-Content-Sha256"), "STREAMING-")
	if !chunked {
		return io.ReadAll(r.Body)
	}
	br := bufio.NewReader(r.Body)
	var out []byte
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return nil, err
		}
		sizeHex, _, _ := strings.Cut(strings.TrimRight(line, "\r\n"), ";")
		n, err := strconv.ParseInt(sizeHex, 16, 64)
		if err != nil || n < 0 {
			return nil, errors.New("bad chunk size")
		}
		if n == 0 {
			break
		}
		chunk := make([]byte, n)
		if _, err := io.ReadFull(br, chunk); err != nil {
			return nil, err
		}
		out = append(out, chunk...)
		if crlf, err := br.ReadString('\n'); err != nil || crlf != "\r\n" {
			return nil, errors.New("chunk not followed by CRLF")
		}
	}
	if want := r.Header.Get("X-Amz-Decoded-Content-Length"); want != "" && want != strconv.Itoa(len(out)) {
		return nil, fmt.Errorf("decoded %d bytes, header says %s", len(out), want)
	}
	return out, nil
}

func etag(data []byte) string {
	sum := md5.Sum(data)
	return `"` + hex.EncodeToString(sum[:]) + `"`
}

func writeXML(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, xml.Header)
	xml.NewEncoder(w).Encode(v)
}

func s3Error(w http.ResponseWriter, status int, code, method string) {
	if method == http.MethodHead {
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, "%s<Error><Code>%s</Code><Message>%s</Message></Error>", xml.Header, code, code)
}
