package api

import (
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/tributarydata/tributary/bus/worker"
)

func TestServerInfo(t *testing.T) {
	h, _ := testServer(t, Options{})
	var info worker.ServerInfo
	expect(t, do(t, h, "GET", "/", nil, nil), http.StatusOK, &info)
	if info != (worker.ServerInfo{Version: "0.1.0", Commit: "abc123", KafkaClusterID: "cluster-1"}) {
		t.Fatalf("info = %+v", info)
	}
}

func TestHealth(t *testing.T) {
	h, f := testServer(t, Options{Token: "t", ProtectReads: true})
	tests := []struct {
		ready  error
		status int
		want   string
		msg    string
	}{
		{nil, http.StatusOK, "healthy", "ready"},
		{startingError{}, http.StatusServiceUnavailable, "starting", "joining"},
		{errors.New("lost the Kafka connection"), http.StatusServiceUnavailable, "unhealthy", "lost the Kafka"},
	}
	for _, tt := range tests {
		f.mu.Lock()
		f.ready = tt.ready
		f.mu.Unlock()
		var body healthBody
		// No token: health stays open even with ProtectReads.
		expect(t, do(t, h, "GET", "/health", nil, nil), tt.status, &body)
		if body.Status != tt.want || !strings.Contains(body.Message, tt.msg) {
			t.Fatalf("health = %+v, want status %q", body, tt.want)
		}
	}
}

func TestWorkers(t *testing.T) {
	h, f := testServer(t, Options{})
	var ws []worker.WorkerInfo
	expect(t, do(t, h, "GET", "/api/v1/workers", nil, nil), http.StatusOK, &ws)
	if !reflect.DeepEqual(ws, f.workers) {
		t.Fatalf("workers = %+v", ws)
	}
	f.workers = []worker.WorkerInfo{{ID: "w2"}}
	w := do(t, h, "GET", "/api/v1/workers", nil, nil)
	expect(t, w, http.StatusOK, nil)
	if !strings.Contains(w.Body.String(), `"tasks":[]`) {
		t.Fatalf("nil tasks not sent as []: %s", w.Body.String())
	}
	f.fail["Workers"] = errors.New("membership unavailable")
	expectError(t, do(t, h, "GET", "/api/v1/workers", nil, nil), http.StatusInternalServerError, "membership unavailable")
}

func TestOpenAPIServed(t *testing.T) {
	h, _ := testServer(t, Options{})
	w := do(t, h, "GET", "/openapi.yaml", nil, nil)
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/yaml") {
		t.Fatalf("status %d, Content-Type %q", w.Code, w.Header().Get("Content-Type"))
	}
	if w.Body.String() != string(OpenAPISpec()) || !strings.HasPrefix(w.Body.String(), "openapi: 3.0") {
		t.Fatal("served spec differs from the embedded one")
	}
}

func TestMetricsAndUIOptional(t *testing.T) {
	h, _ := testServer(t, Options{})
	expectError(t, do(t, h, "GET", "/metrics", nil, nil), http.StatusNotFound)
	expectError(t, do(t, h, "GET", "/ui/", nil, nil), http.StatusNotFound)

	metrics := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		_, _ = w.Write([]byte("tributary_up 1\n"))
	})
	var uiPath string
	ui := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		uiPath = r.URL.Path
		_, _ = w.Write([]byte("<html>dashboard</html>"))
	})
	h, _ = testServer(t, Options{Metrics: metrics, UI: ui, Token: "t"})
	w := do(t, h, "GET", "/metrics", nil, nil)
	if w.Code != http.StatusOK || w.Body.String() != "tributary_up 1\n" {
		t.Fatalf("metrics: %d %q", w.Code, w.Body.String())
	}
	w = do(t, h, "GET", "/ui/assets/app.js", nil, nil)
	if w.Code != http.StatusOK || uiPath != "/assets/app.js" {
		t.Fatalf("ui: %d, handler saw %q", w.Code, uiPath)
	}
	w = do(t, h, "GET", "/ui/", nil, nil)
	if w.Code != http.StatusOK || uiPath != "/" {
		t.Fatalf("ui index: %d, handler saw %q", w.Code, uiPath)
	}
	w = do(t, h, "GET", "/ui", nil, nil)
	if w.Code != http.StatusMovedPermanently || w.Header().Get("Location") != "/ui/" {
		t.Fatalf("/ui: %d Location %q", w.Code, w.Header().Get("Location"))
	}
}

// While the worker starts, calls that need its state answer 503; health,
// the OpenAPI document and metrics still answer.
func TestCallsWaitUntilReady(t *testing.T) {
	h, f := testServer(t, Options{})
	f.mu.Lock()
	f.ready = startingError{}
	f.mu.Unlock()
	var e struct {
		Code    int    `json:"error_code"`
		Message string `json:"message"`
	}
	expect(t, do(t, h, "GET", "/connectors", nil, nil), http.StatusServiceUnavailable, &e)
	if e.Code != http.StatusServiceUnavailable || !strings.Contains(e.Message, "not ready") {
		t.Fatalf("error = %+v", e)
	}
	expect(t, do(t, h, "GET", "/openapi.yaml", nil, nil), http.StatusOK, nil)
	expect(t, do(t, h, "GET", "/health", nil, nil), http.StatusServiceUnavailable, nil)
	f.mu.Lock()
	f.ready = nil
	f.mu.Unlock()
	expect(t, do(t, h, "GET", "/connectors", nil, nil), http.StatusOK, nil)
}
