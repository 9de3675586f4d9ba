package api

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzCreateConnectorBody posts arbitrary bytes to POST /connectors: the
// answer is 201 or a JSON error below 500, never a 500 or a panic.
func FuzzCreateConnectorBody(f *testing.F) {
	for _, seed := range []string{
		``, `{}`, `null`, `[]`, `"x"`, `{"name":"a"}`, `{"name":"a","config":{}}`,
		`{"name":"a","config":{"connector.class":"mysql","tasks.max":1}}`,
		`{"name":"a","config":{"connector.class":"mysql","x":{"y":1}}}`,
		`{"name":"a/b","config":{"connector.class":"mysql"}}`,
		`{"name":"\u0000","config":{"connector.class":"mysql"}}`,
		`{"name":"a","config":{"name":"b"}}`, `{"name":1e999}`, `{"name":"a","config":{"x":1e999}}`,
		`{"name":"\ud800","config":{"connector.class":"mysql"}}`, "{\"name\":\"\xff\",\"config\":{}}",
		`{"name":"a","config":{"connector.class":"mysql"}} trailing`, `{"name":"a",`, strings.Repeat("[", 10000),
	} {
		f.Add([]byte(seed))
	}
	s := NewServer(newFake(), Options{Logger: slog.New(slog.DiscardHandler), MaxBodyBytes: 64 << 10})
	h := s.Handler()
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest("POST", "/connectors", strings.NewReader(string(body)))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("status %d for %q: %s", w.Code, body, w.Body.String())
		}
		if w.Code == http.StatusCreated {
			return
		}
		var e errorBody
		if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.ErrorCode != w.Code || e.Message == "" {
			t.Fatalf("status %d with a body that is no error entity: %q (%v)", w.Code, w.Body.String(), err)
		}
	})
}
