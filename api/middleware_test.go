package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tributarydata/tributary/bus/worker"
)

func TestAuth(t *testing.T) {
	const token = "s3cret-token"
	good := header{"Authorization": "Bearer " + token}
	createBody := `{"name": "a", "config": {"connector.class": "mysql"}}`

	t.Run("no token configured", func(t *testing.T) {
		h, _ := testServer(t, Options{})
		expect(t, do(t, h, "POST", "/connectors", createBody, nil), http.StatusCreated, nil)
		expectEmpty(t, do(t, h, "DELETE", "/connectors/a", nil, nil), http.StatusNoContent)
	})

	t.Run("writes need the token", func(t *testing.T) {
		h, f := testServer(t, Options{Token: token})
		for _, hdr := range []header{nil, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic " + token},
			{"Authorization": token}, {"Authorization": "Bearer " + token + "x"}, {"Authorization": "Bearer"}} {
			w := do(t, h, "POST", "/connectors", createBody, hdr)
			expectError(t, w, http.StatusUnauthorized, "token")
			if w.Header().Get("WWW-Authenticate") == "" {
				t.Fatal("401 without WWW-Authenticate")
			}
		}
		if f.lastCall("CreateConnector") != nil {
			t.Fatal("controller reached without a valid token")
		}
		expect(t, do(t, h, "POST", "/connectors", createBody, good), http.StatusCreated, nil)
		expect(t, do(t, h, "POST", "/connectors", createBody, header{"Authorization": "bearer " + token}), http.StatusConflict, nil)
		for _, req := range []struct{ method, path string }{
			{"PUT", "/connectors/a/config"}, {"PUT", "/connectors/a/pause"}, {"PATCH", "/connectors/a/offsets"},
			{"DELETE", "/connectors/a/offsets"}, {"DELETE", "/connectors/a"}, {"POST", "/connectors/a/restart"},
			{"PUT", "/connector-plugins/mysql/config/validate"},
		} {
			expectError(t, do(t, h, req.method, req.path, `{}`, nil), http.StatusUnauthorized)
		}
		// Reads stay open.
		var names []string
		expect(t, do(t, h, "GET", "/connectors", nil, nil), http.StatusOK, &names)
		if len(names) != 1 {
			t.Fatalf("names = %v", names)
		}
		expectEmpty(t, do(t, h, "DELETE", "/connectors/a", nil, good), http.StatusNoContent)
	})

	t.Run("protected reads", func(t *testing.T) {
		h, _ := testServer(t, Options{Token: token, ProtectReads: true})
		for _, p := range []string{"/", "/connectors", "/connector-plugins", "/api/v1/workers", "/openapi.yaml"} {
			expectError(t, do(t, h, "GET", p, nil, nil), http.StatusUnauthorized)
			if w := do(t, h, "GET", p, nil, good); w.Code != http.StatusOK {
				t.Fatalf("GET %s with token: %d", p, w.Code)
			}
		}
		expect(t, do(t, h, "GET", "/health", nil, nil), http.StatusOK, nil)
	})
}

func TestUnknownRouteAndMethod(t *testing.T) {
	h, _ := testServer(t, Options{})
	expectError(t, do(t, h, "GET", "/nope", nil, nil), http.StatusNotFound, "no route for GET /nope")
	expectError(t, do(t, h, "GET", "/connectors/a/b/c/d", nil, nil), http.StatusNotFound)

	w := do(t, h, "PATCH", "/connectors", nil, nil)
	expectError(t, w, http.StatusMethodNotAllowed, "PATCH", "GET", "POST")
	if allow := w.Header().Get("Allow"); !strings.Contains(allow, "GET") || !strings.Contains(allow, "POST") {
		t.Fatalf("Allow = %q", allow)
	}
	expectError(t, do(t, h, "POST", "/connectors/a/status", nil, nil), http.StatusMethodNotAllowed)
	expectError(t, do(t, h, "GET", "/connectors/a/pause", nil, nil), http.StatusMethodNotAllowed)
}

func TestBodyLimit(t *testing.T) {
	h, f := testServer(t, Options{MaxBodyBytes: 64})
	big := fmt.Sprintf(`{"name": "a", "config": {"connector.class": "mysql", "x": %q}}`, strings.Repeat("y", 100))
	expectError(t, do(t, h, "POST", "/connectors", big, nil), http.StatusRequestEntityTooLarge, "64 bytes")

	// A body without a declared length is cut at the limit while read.
	req := httptest.NewRequest("POST", "/connectors", strings.NewReader(big))
	req.ContentLength = -1
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	expectError(t, w, http.StatusRequestEntityTooLarge, "64 bytes")
	if f.lastCall("CreateConnector") != nil {
		t.Fatal("controller reached with an oversized body")
	}
	expect(t, do(t, h, "POST", "/connectors", `{"name":"a","config":{"connector.class":"mysql"}}`, nil), http.StatusCreated, nil)
}

func TestDefaultBodyLimitIsOneMiB(t *testing.T) {
	h, _ := testServer(t, Options{})
	body := `{"name": "a", "config": {"x": "` + strings.Repeat("y", DefaultMaxBodyBytes) + `"}}`
	expectError(t, do(t, h, "POST", "/connectors", body, nil), http.StatusRequestEntityTooLarge, "1048576")
}

func TestErrorMapping(t *testing.T) {
	tests := []struct {
		err      error
		status   int
		contains string
	}{
		{worker.ErrNotFound, 404, `connector "a" not found`},
		{fmt.Errorf("connector a has no such thing: %w", worker.ErrNotFound), 404, "no such thing"},
		{worker.ErrConflict, 409, "rebalancing"},
		{fmt.Errorf("rebalance in progress: %w", worker.ErrConflict), 409, "rebalance in progress"},
		{&worker.ConfigError{Connector: "a", Fields: map[string][]string{"topics": {"required"}, "tasks.max": {"must be > 0"}}},
			400, "tasks.max: must be > 0; topics: required"},
		{fmt.Errorf("wrapped: %w", &worker.ConfigError{Fields: map[string][]string{"x": {"bad"}}}), 400, "x: bad"},
		{&worker.BadRequestError{Msg: "connector is not stopped"}, 400, "connector is not stopped"},
		{context.DeadlineExceeded, 500, "timed out"},
		{errors.New("disk on fire"), 500, "disk on fire"},
	}
	for _, tt := range tests {
		t.Run(tt.err.Error(), func(t *testing.T) {
			h, f := testServer(t, Options{})
			f.fail["ConnectorInfo"] = tt.err
			expectError(t, do(t, h, "GET", "/connectors/a", nil, nil), tt.status, tt.contains)
		})
	}
}

func TestPanicAnswers500(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	h, f := testServer(t, Options{Logger: logger})
	f.panics["Connectors"] = true
	expectError(t, do(t, h, "GET", "/connectors", nil, nil), http.StatusInternalServerError, "internal server error")
	if !strings.Contains(logs.String(), "fake: Connectors panics") || !strings.Contains(logs.String(), `"status":500`) {
		t.Fatalf("panic not logged: %s", logs.String())
	}
	// The server keeps serving.
	f.panics["Connectors"] = false
	expect(t, do(t, h, "GET", "/connectors", nil, nil), http.StatusOK, nil)
}

func TestAccessLog(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	h, _ := testServer(t, Options{Logger: logger})
	do(t, h, "GET", "/connectors/zz", nil, nil)
	line := logs.String()
	for _, want := range []string{`"msg":"http request"`, `"method":"GET"`, `"path":"/connectors/zz"`, `"status":404`, `"duration":`} {
		if !strings.Contains(line, want) {
			t.Fatalf("access log %s lacks %s", line, want)
		}
	}
	logs.Reset()
	do(t, h, "GET", "/health", nil, nil)
	if logs.Len() != 0 {
		t.Fatalf("health probe logged at info: %s", logs.String())
	}
}

func TestRequestTimeoutReachesController(t *testing.T) {
	blocking := &deadlineController{fakeController: newFake()}
	h := NewServer(blocking, Options{RequestTimeout: time.Millisecond, Logger: slog.New(slog.DiscardHandler)}).Handler()
	expectError(t, do(t, h, "GET", "/connectors/a", nil, nil), http.StatusInternalServerError, "timed out")
}

// deadlineController waits for the request's context to end.
type deadlineController struct{ *fakeController }

func (d *deadlineController) ConnectorInfo(ctx context.Context, name string) (worker.ConnectorInfo, error) {
	<-ctx.Done()
	return worker.ConnectorInfo{}, ctx.Err()
}
