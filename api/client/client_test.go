package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tributarydata/tributary/api/client"
	"github.com/tributarydata/tributary/api/client/clienttest"
	"github.com/tributarydata/tributary/bus/record"
	"github.com/tributarydata/tributary/bus/worker"
)

func newClient(t *testing.T, url string, opts ...client.Option) *client.Client {
	t.Helper()
	c, err := client.New(url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func wantAPIError(t *testing.T, err error, status int, msgPart string) *client.APIError {
	t.Helper()
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("error = %v (%T), want *client.APIError", err, err)
	}
	if apiErr.Status != status || apiErr.Code != status {
		t.Fatalf("APIError status/code = %d/%d, want %d: %v", apiErr.Status, apiErr.Code, status, apiErr)
	}
	if !strings.Contains(apiErr.Message, msgPart) {
		t.Fatalf("APIError message = %q, want it to contain %q", apiErr.Message, msgPart)
	}
	return apiErr
}

func TestConnectorLifecycle(t *testing.T) {
	srv := clienttest.New(t)
	c := newClient(t, srv.URL)
	ctx := context.Background()

	info, err := c.CreateConnector(ctx, "rds-sink", clienttest.SinkConfig())
	if err != nil {
		t.Fatal(err)
	}
	if info.Name != "rds-sink" || info.Type != "sink" || len(info.Tasks) != 2 || info.Tasks[1] != (worker.TaskID{Connector: "rds-sink", Task: 1}) {
		t.Fatalf("created info = %+v", info)
	}
	_, err = c.CreateConnector(ctx, "rds-sink", clienttest.SinkConfig())
	wantAPIError(t, err, http.StatusConflict, "already exists")
	if !client.IsConflict(err) {
		t.Fatal("IsConflict = false for a 409")
	}

	// PUT config: 201 for a new connector, 200 for an existing one.
	_, created, err := c.PutConnectorConfig(ctx, "mysql-cdc", clienttest.SourceConfig())
	if err != nil || !created {
		t.Fatalf("PUT new: created=%v err=%v", created, err)
	}
	cfg := clienttest.SourceConfig()
	cfg["topic.prefix"] = "edu2"
	info, created, err = c.PutConnectorConfig(ctx, "mysql-cdc", cfg)
	if err != nil || created {
		t.Fatalf("PUT existing: created=%v err=%v", created, err)
	}
	if info.Config["topic.prefix"] != "edu2" {
		t.Fatalf("PUT answer config = %v", info.Config)
	}

	names, err := c.ListConnectors(ctx)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(names)
	if !reflect.DeepEqual(names, []string{"mysql-cdc", "rds-sink"}) {
		t.Fatalf("ListConnectors = %v", names)
	}

	exp, err := c.ListConnectorsExpanded(ctx, client.ExpandStatus, client.ExpandInfo)
	if err != nil {
		t.Fatal(err)
	}
	if len(exp) != 2 || exp["rds-sink"].Status == nil || exp["rds-sink"].Info == nil {
		t.Fatalf("expanded = %+v", exp)
	}
	if got := exp["rds-sink"].Status.Tasks; len(got) != 2 || got[0].State.State != worker.StateRunning {
		t.Fatalf("expanded status tasks = %+v", got)
	}
	if !strings.Contains(srv.Requests()[len(srv.Requests())-1], "expand=status&expand=info") {
		t.Fatalf("expand not sent as repeated parameters: %v", srv.Requests())
	}
	exp, err = c.ListConnectorsExpanded(ctx, client.ExpandStatus)
	if err != nil || exp["mysql-cdc"].Info != nil || exp["mysql-cdc"].Status == nil {
		t.Fatalf("status-only expansion = %+v, %v", exp, err)
	}

	got, err := c.ConnectorConfig(ctx, "mysql-cdc")
	if err != nil {
		t.Fatal(err)
	}
	if got["database.password"] != clienttest.Hidden || got["name"] != "mysql-cdc" || got["database.hostname"] != "mysql" {
		t.Fatalf("config = %v", got)
	}
	if info, err = c.Connector(ctx, "mysql-cdc"); err != nil || info.Type != "source" {
		t.Fatalf("Connector = %+v, %v", info, err)
	}

	if err := c.DeleteConnector(ctx, "mysql-cdc"); err != nil {
		t.Fatal(err)
	}
	_, err = c.ConnectorConfig(ctx, "mysql-cdc")
	wantAPIError(t, err, http.StatusNotFound, "mysql-cdc not found")
	if !client.IsNotFound(err) {
		t.Fatal("IsNotFound = false for a 404")
	}
	wantAPIError(t, c.DeleteConnector(ctx, "mysql-cdc"), http.StatusNotFound, "not found")
}

func TestInvalidConfigIsAPIError(t *testing.T) {
	srv := clienttest.New(t)
	c := newClient(t, srv.URL)
	cfg := clienttest.SinkConfig()
	delete(cfg, "connection.url")
	_, _, err := c.PutConnectorConfig(context.Background(), "bad", cfg)
	wantAPIError(t, err, http.StatusBadRequest, `connection.url: Missing required configuration "connection.url"`)
}

func TestStatesAndRestarts(t *testing.T) {
	srv := clienttest.New(t)
	c := newClient(t, srv.URL)
	ctx := context.Background()
	if _, err := c.CreateConnector(ctx, "s", clienttest.SinkConfig()); err != nil {
		t.Fatal(err)
	}

	check := func(want string, tasks int) {
		t.Helper()
		st, err := c.ConnectorStatus(ctx, "s")
		if err != nil {
			t.Fatal(err)
		}
		if st.Name != "s" || st.Type != "sink" || st.Connector.State != want || len(st.Tasks) != tasks {
			t.Fatalf("status = %+v, want %s with %d tasks", st, want, tasks)
		}
	}
	check(worker.StateRunning, 2)
	if err := c.PauseConnector(ctx, "s"); err != nil {
		t.Fatal(err)
	}
	check(worker.StatePaused, 2)
	if err := c.StopConnector(ctx, "s"); err != nil {
		t.Fatal(err)
	}
	check(worker.StateStopped, 0)
	if err := c.ResumeConnector(ctx, "s"); err != nil {
		t.Fatal(err)
	}
	check(worker.StateRunning, 2)

	srv.SetTaskState("s", 1, worker.StateFailed, "java.lang.Boom\n\tat here")
	ts, err := c.TaskStatus(ctx, "s", 1)
	if err != nil {
		t.Fatal(err)
	}
	if ts.ID != 1 || ts.State.State != worker.StateFailed || !strings.HasPrefix(ts.Trace, "java.lang.Boom") || ts.WorkerID == "" {
		t.Fatalf("task status = %+v", ts)
	}
	_, err = c.TaskStatus(ctx, "s", 7)
	wantAPIError(t, err, http.StatusNotFound, "not found")

	// A plain restart answers 204: no status.
	st, err := c.RestartConnector(ctx, "s", client.RestartOptions{})
	if err != nil || st != nil {
		t.Fatalf("plain restart = %+v, %v", st, err)
	}
	st, err = c.RestartConnector(ctx, "s", client.RestartOptions{IncludeTasks: true, OnlyFailed: true})
	if err != nil || st == nil {
		t.Fatalf("restart failed tasks = %+v, %v", st, err)
	}
	if st.Tasks[0].State.State != worker.StateRunning || st.Tasks[1].State.State != worker.StateRestarting {
		t.Fatalf("restart answer = %+v", st)
	}
	if last := srv.Requests()[len(srv.Requests())-1]; last != "POST /connectors/s/restart?includeTasks=true&onlyFailed=true" {
		t.Fatalf("restart request = %q", last)
	}

	srv.SetTaskState("s", 0, worker.StateFailed, "x")
	if err := c.RestartTask(ctx, "s", 0); err != nil {
		t.Fatal(err)
	}
	if ts, _ := c.TaskStatus(ctx, "s", 0); ts.State.State != worker.StateRunning {
		t.Fatalf("after task restart: %+v", ts)
	}

	tasks, err := c.ConnectorTasks(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) != 2 || tasks[1].ID != (worker.TaskID{Connector: "s", Task: 1}) || tasks[1].Config["topics"] != "dwd.student_signal" {
		t.Fatalf("tasks = %+v", tasks)
	}
}

func TestOffsets(t *testing.T) {
	srv := clienttest.New(t)
	c := newClient(t, srv.URL)
	ctx := context.Background()
	if _, err := c.CreateConnector(ctx, "cdc", clienttest.SourceConfig()); err != nil {
		t.Fatal(err)
	}
	// 2^53+1 does not survive a float64: the client must keep the digits.
	srv.SetOffsets("cdc", []record.Position{{
		Partition: map[string]any{"server": "mysql-1"},
		Offset:    map[string]any{"file": "binlog.000042", "pos": json.Number("9007199254740993")},
	}})
	off, err := c.Offsets(ctx, "cdc")
	if err != nil {
		t.Fatal(err)
	}
	if len(off.Offsets) != 1 || off.Offsets[0].Offset["pos"] != json.Number("9007199254740993") {
		t.Fatalf("offsets = %#v", off)
	}

	alter := worker.Offsets{Offsets: []record.Position{{Partition: map[string]any{"server": "mysql-1"}, Offset: map[string]any{"file": "binlog.000050", "pos": 4}}}}
	_, err = c.AlterOffsets(ctx, "cdc", alter)
	wantAPIError(t, err, http.StatusBadRequest, "STOPPED state")
	if err := c.StopConnector(ctx, "cdc"); err != nil {
		t.Fatal(err)
	}
	msg, err := c.AlterOffsets(ctx, "cdc", alter)
	if err != nil || !strings.Contains(msg, "altered successfully") {
		t.Fatalf("alter = %q, %v", msg, err)
	}
	if off, _ = c.Offsets(ctx, "cdc"); off.Offsets[0].Offset["file"] != "binlog.000050" {
		t.Fatalf("after alter: %#v", off)
	}
	msg, err = c.ResetOffsets(ctx, "cdc")
	if err != nil || !strings.Contains(msg, "reset successfully") {
		t.Fatalf("reset = %q, %v", msg, err)
	}
	if off, _ = c.Offsets(ctx, "cdc"); len(off.Offsets) != 0 {
		t.Fatalf("after reset: %#v", off)
	}
	if _, err := c.AlterOffsets(ctx, "cdc", worker.Offsets{}); err == nil {
		t.Fatal("AlterOffsets without offsets: no error")
	}
}

func TestPluginsAndValidation(t *testing.T) {
	srv := clienttest.New(t)
	c := newClient(t, srv.URL)
	ctx := context.Background()

	plugins, err := c.Plugins(ctx)
	if err != nil || len(plugins) != 2 || plugins[1] != (worker.PluginInfo{Class: "io.tributary.sinks.rds.RDSSink", Type: "sink", Version: "0.1.0"}) {
		t.Fatalf("plugins = %+v, %v", plugins, err)
	}
	keys, err := c.PluginConfig(ctx, "RDSSink")
	if err != nil {
		t.Fatal(err)
	}
	var mode *client.ConfigKeyInfo
	for i := range keys {
		if keys[i].Name == "insert.mode" {
			mode = &keys[i]
		}
	}
	if mode == nil || mode.DefaultValue == nil || *mode.DefaultValue != "upsert" || mode.Order == 0 {
		t.Fatalf("plugin config = %+v", keys)
	}
	_, err = c.PluginConfig(ctx, "NoSuchPlugin")
	wantAPIError(t, err, http.StatusNotFound, "Unknown plugin")

	// Valid: "connector.class" is filled in by the client, the caller's map untouched.
	cfg := clienttest.SinkConfig()
	delete(cfg, "connector.class")
	cfg["name"] = "x"
	res, err := c.ValidateConfig(ctx, "io.tributary.sinks.rds.RDSSink", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Valid() || res.Name != "io.tributary.sinks.rds.RDSSink" || len(res.Configs) == 0 {
		t.Fatalf("valid config: %+v", res)
	}
	if _, ok := cfg["connector.class"]; ok {
		t.Fatal("ValidateConfig modified the caller's config")
	}

	// Invalid: per-field errors; secrets come back hidden.
	res, err = c.ValidateConfig(ctx, "MySQLSource", map[string]string{"database.password": "pw", "database.port": "abc"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Valid() || res.ErrorCount != 5 {
		t.Fatalf("invalid config: error_count = %d, valid = %v", res.ErrorCount, res.Valid())
	}
	byKey := map[string][]string{}
	for _, fe := range res.FieldErrors() {
		byKey[fe.Key] = append(byKey[fe.Key], fe.Message)
	}
	for _, k := range []string{"name", "database.hostname", "database.user", "topic.prefix", "database.port"} {
		if len(byKey[k]) != 1 {
			t.Errorf("errors of %s = %v", k, byKey[k])
		}
	}
	for _, ci := range res.Configs {
		if ci.Value.Name == "database.password" && (ci.Value.Value == nil || *ci.Value.Value != clienttest.Hidden) {
			t.Errorf("password echoed as %v", ci.Value.Value)
		}
	}

	_, err = c.ValidateConfig(ctx, "MySQLSource", map[string]string{"connector.class": "RDSSink"})
	wantAPIError(t, err, http.StatusBadRequest, "does not match")
}

func TestServerInfoWorkersHealth(t *testing.T) {
	srv := clienttest.New(t)
	c := newClient(t, srv.URL)
	ctx := context.Background()
	si, err := c.ServerInfo(ctx)
	if err != nil || si.Version != "0.1.0-test" || si.KafkaClusterID != "test-cluster" {
		t.Fatalf("server info = %+v, %v", si, err)
	}
	if _, err := c.CreateConnector(ctx, "s", clienttest.SinkConfig()); err != nil {
		t.Fatal(err)
	}
	ws, err := c.Workers(ctx)
	if err != nil || len(ws) != 2 || len(ws[0].Tasks) != 1 || ws[1].LastHeartbeat == 0 {
		t.Fatalf("workers = %+v, %v", ws, err)
	}
	h, err := c.Health(ctx)
	if err != nil || h.Status != client.HealthHealthy {
		t.Fatalf("health = %+v, %v", h, err)
	}

	starting := clienttest.New(t, clienttest.WithHealth("starting", "Worker is still starting up."))
	h, err = newClient(t, starting.URL).Health(ctx)
	wantAPIError(t, err, http.StatusServiceUnavailable, "still starting")
	if h.Status != "starting" {
		t.Fatalf("health of a starting worker = %+v", h)
	}
}

func TestWorkersWrappedShape(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"workers":[{"id":"w1","url":"http://w1:8083","tasks":[],"last_heartbeat_ms":5}]}`))
	}))
	defer ts.Close()
	ws, err := newClient(t, ts.URL).Workers(context.Background())
	if err != nil || len(ws) != 1 || ws[0].ID != "w1" || ws[0].LastHeartbeat != 5 {
		t.Fatalf("workers = %+v, %v", ws, err)
	}
}

func TestToken(t *testing.T) {
	srv := clienttest.New(t, clienttest.WithToken("t0k"))
	ctx := context.Background()

	anon := newClient(t, srv.URL)
	if _, err := anon.ListConnectors(ctx); err != nil {
		t.Fatalf("reads need no token: %v", err)
	}
	_, err := anon.CreateConnector(ctx, "s", clienttest.SinkConfig())
	wantAPIError(t, err, http.StatusUnauthorized, "bearer token")
	_, err = newClient(t, srv.URL, client.WithToken("wrong")).CreateConnector(ctx, "s", clienttest.SinkConfig())
	wantAPIError(t, err, http.StatusUnauthorized, "bearer token")

	if _, err := newClient(t, srv.URL, client.WithToken("t0k")).CreateConnector(ctx, "s", clienttest.SinkConfig()); err != nil {
		t.Fatal(err)
	}
}

func TestNonJSONErrorBody(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "<html>bad gateway</html>", http.StatusBadGateway)
	}))
	defer ts.Close()
	_, err := newClient(t, ts.URL).ListConnectors(context.Background())
	wantAPIError(t, err, http.StatusBadGateway, "<html>bad gateway</html>")

	ts2 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`{"error_code":500,"message":"Request timed out"}`))
	}))
	defer ts2.Close()
	_, err = newClient(t, ts2.URL).ListConnectors(context.Background())
	apiErr := wantAPIError(t, err, http.StatusInternalServerError, "Request timed out")
	if got := apiErr.Error(); got != "Request timed out (HTTP 500)" {
		t.Fatalf("Error() = %q", got)
	}
}

func TestPathEscapingAndBasePath(t *testing.T) {
	var gotPath atomic.Value
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotPath.Store(r.URL.EscapedPath())
		_, _ = w.Write([]byte(`{}`))
	}))
	defer ts.Close()
	c := newClient(t, ts.URL+"/connect/")
	if _, err := c.ConnectorStatus(context.Background(), "orders sink/v2"); err != nil {
		t.Fatal(err)
	}
	if got := gotPath.Load(); got != "/connect/connectors/orders%20sink%2Fv2/status" {
		t.Fatalf("path = %v", got)
	}
	if _, err := c.ServerInfo(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := gotPath.Load(); got != "/connect/" {
		t.Fatalf("root path = %v", got)
	}
}

func TestNewRejectsBadURLs(t *testing.T) {
	for _, u := range []string{"", "127.0.0.1:8083", "ftp://x", "http://", "http://h/?a=b", "http://h\x7f"} {
		if _, err := client.New(u); err == nil {
			t.Errorf("New(%q): no error", u)
		}
	}
}

// refusingTransport refuses the first n connections, then forwards.
type refusingTransport struct {
	refuse int32
	calls  atomic.Int32
}

func (rt *refusingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if rt.calls.Add(1) <= rt.refuse {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	}
	return http.DefaultTransport.RoundTrip(r)
}

func TestRetriesOnlyGETsOnConnectionRefused(t *testing.T) {
	srv := clienttest.New(t)
	ctx := context.Background()

	rt := &refusingTransport{refuse: 2}
	c := newClient(t, srv.URL, client.WithHTTPClient(&http.Client{Transport: rt}), client.WithRetry(3, time.Millisecond))
	if _, err := c.ListConnectors(ctx); err != nil {
		t.Fatalf("GET after 2 refusals: %v", err)
	}
	if n := rt.calls.Load(); n != 3 {
		t.Fatalf("GET attempts = %d, want 3", n)
	}

	// Bounded: a worker that never comes up costs exactly `attempts` tries.
	rt = &refusingTransport{refuse: 100}
	c = newClient(t, srv.URL, client.WithHTTPClient(&http.Client{Transport: rt}), client.WithRetry(4, time.Millisecond))
	_, err := c.ListConnectors(ctx)
	if !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("error = %v, want connection refused", err)
	}
	if n := rt.calls.Load(); n != 4 {
		t.Fatalf("GET attempts = %d, want 4", n)
	}

	// Writes are never retried.
	rt = &refusingTransport{refuse: 1}
	c = newClient(t, srv.URL, client.WithHTTPClient(&http.Client{Transport: rt}), client.WithRetry(3, time.Millisecond))
	if _, _, err := c.PutConnectorConfig(ctx, "s", clienttest.SinkConfig()); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("PUT error = %v, want connection refused", err)
	}
	if n := rt.calls.Load(); n != 1 {
		t.Fatalf("PUT attempts = %d, want 1", n)
	}

	// Other errors are not retried either.
	var calls atomic.Int32
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer ts.Close()
	_, err = newClient(t, ts.URL, client.WithRetry(5, time.Millisecond)).ListConnectors(ctx)
	wantAPIError(t, err, http.StatusServiceUnavailable, "Service Unavailable")
	if calls.Load() != 1 {
		t.Fatalf("503 attempts = %d, want 1", calls.Load())
	}
}

func TestRetryStopsWithContext(t *testing.T) {
	rt := &refusingTransport{refuse: 100}
	c := newClient(t, "http://127.0.0.1:1", client.WithHTTPClient(&http.Client{Transport: rt}), client.WithRetry(10, time.Hour))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := c.ListConnectors(ctx); err == nil {
		t.Fatal("no error")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("retry ignored the context: took %v", d)
	}
	if n := rt.calls.Load(); n != 1 {
		t.Fatalf("attempts = %d, want 1", n)
	}
}

func TestRealConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, err = newClient(t, "http://"+addr, client.WithRetry(2, time.Millisecond)).ListConnectors(context.Background())
	var apiErr *client.APIError
	if err == nil || errors.As(err, &apiErr) || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("error = %v, want a connection-refused transport error", err)
	}
}

func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer ts.Close()
	defer close(release)
	_, err := newClient(t, ts.URL, client.WithTimeout(30*time.Millisecond)).ListConnectors(context.Background())
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error = %v, want deadline exceeded", err)
	}
}

func TestTypedDefaultsDecode(t *testing.T) {
	var k client.ConfigKeyInfo
	if err := json.Unmarshal([]byte(`{"name":"batch.size","type":"INT","default_value":500}`), &k); err != nil {
		t.Fatal(err)
	}
	if k.Name != "batch.size" || k.DefaultValue == nil || *k.DefaultValue != "500" {
		t.Fatalf("key = %+v", k)
	}
	if err := json.Unmarshal([]byte(`{"name":"a","default_value":null}`), &k); err != nil || k.DefaultValue != nil {
		t.Fatalf("null default: %+v, %v", k, err)
	}
	var v client.ConfigValueInfo
	if err := json.Unmarshal([]byte(`{"name":"b","value":true,"errors":["x"]}`), &v); err != nil || *v.Value != "true" || v.Errors[0] != "x" {
		t.Fatalf("value = %+v, %v", v, err)
	}
	if err := json.Unmarshal([]byte(`{"name":"b","value":{"x":1}}`), &v); err == nil {
		t.Fatal("object value: no error")
	}
}
