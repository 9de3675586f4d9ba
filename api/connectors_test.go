package api

import (
	"encoding/json"
	"maps"
	"net/http"
	"reflect"
	"testing"

	"github.com/tributarydata/tributary/bus/worker"
)

func TestListConnectors(t *testing.T) {
	h, f := testServer(t, Options{})

	var names []string
	w := do(t, h, "GET", "/connectors", nil, nil)
	expect(t, w, http.StatusOK, &names)
	if names == nil || len(names) != 0 {
		t.Fatalf("empty list = %#v, want []", names)
	}
	if got := w.Body.String(); got != "[]\n" {
		t.Fatalf("empty list body = %q, want []", got)
	}

	f.add("b", "hologres", 2)
	f.add("a", "mysql", 1)
	expect(t, do(t, h, "GET", "/connectors", nil, nil), http.StatusOK, &names)
	if !reflect.DeepEqual(names, []string{"a", "b"}) {
		t.Fatalf("names = %v, want sorted [a b]", names)
	}
}

func TestListConnectorsExpand(t *testing.T) {
	h, f := testServer(t, Options{})
	f.add("a", "mysql", 1)
	f.add("b", "hologres", 2)

	tests := []struct {
		query      string
		status     bool
		info       bool
		wantTasksB int
	}{
		{"?expand=status", true, false, 2},
		{"?expand=info", false, true, 2},
		{"?expand=status&expand=info", true, true, 2},
		{"?expand=status,info", true, true, 2},
		{"?expand=bogus", false, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			var out map[string]struct {
				Status *worker.ConnectorStatus `json:"status"`
				Info   *worker.ConnectorInfo   `json:"info"`
			}
			expect(t, do(t, h, "GET", "/connectors"+tt.query, nil, nil), http.StatusOK, &out)
			if len(out) != 2 {
				t.Fatalf("got %d connectors, want 2: %v", len(out), out)
			}
			b := out["b"]
			if (b.Status != nil) != tt.status || (b.Info != nil) != tt.info {
				t.Fatalf("expansions of b: status=%v info=%v, want %v %v", b.Status != nil, b.Info != nil, tt.status, tt.info)
			}
			if tt.status {
				if b.Status.Name != "b" || b.Status.Type != "sink" || len(b.Status.Tasks) != tt.wantTasksB ||
					b.Status.Connector.State != worker.StateRunning {
					t.Fatalf("status of b = %+v", *b.Status)
				}
			}
			if tt.info {
				if b.Info.Config["connector.class"] != "hologres" || len(b.Info.Tasks) != tt.wantTasksB {
					t.Fatalf("info of b = %+v", *b.Info)
				}
			}
		})
	}
}

func TestListConnectorsExpandSkipsDeleted(t *testing.T) {
	h, f := testServer(t, Options{})
	f.add("a", "mysql", 1)
	f.fail["ConnectorStatus"] = worker.ErrNotFound // deleted between the list and the lookup
	var out map[string]any
	expect(t, do(t, h, "GET", "/connectors?expand=status", nil, nil), http.StatusOK, &out)
	if len(out) != 0 {
		t.Fatalf("out = %v, want the vanished connector left out", out)
	}
	f.fail["ConnectorStatus"] = &worker.BadRequestError{Msg: "nope"}
	expectError(t, do(t, h, "GET", "/connectors?expand=status", nil, nil), http.StatusBadRequest, "nope")
}

func TestCreateConnector(t *testing.T) {
	h, f := testServer(t, Options{})
	body := `{"name": " orders ", "config": {"connector.class": "mysql", "tasks.max": 2, "snapshot": true, "ratio": 0.5}}`
	w := do(t, h, "POST", "/connectors", body, nil)
	var info worker.ConnectorInfo
	expect(t, w, http.StatusCreated, &info)
	if loc := w.Header().Get("Location"); loc != "/connectors/orders" {
		t.Fatalf("Location = %q", loc)
	}
	want := map[string]string{"name": "orders", "connector.class": "mysql", "tasks.max": "2", "snapshot": "true", "ratio": "0.5"}
	if !maps.Equal(info.Config, want) {
		t.Fatalf("config = %v, want %v", info.Config, want)
	}
	if info.Name != "orders" || info.Type != "source" || len(info.Tasks) != 1 || info.Tasks[0] != (worker.TaskID{Connector: "orders", Task: 0}) {
		t.Fatalf("info = %+v", info)
	}
	if args := f.lastCall("CreateConnector"); args[0] != "orders" || !maps.Equal(args[1].(map[string]string), want) {
		t.Fatalf("controller got %v", args)
	}

	// Again: conflict, with a message naming the connector.
	expectError(t, do(t, h, "POST", "/connectors", body, nil), http.StatusConflict, `connector "orders" already exists`)
}

func TestCreateConnectorLocationEscapesName(t *testing.T) {
	h, _ := testServer(t, Options{})
	w := do(t, h, "POST", "/connectors", `{"name":"a b?","config":{"connector.class":"mysql"}}`, nil)
	expect(t, w, http.StatusCreated, nil)
	if loc := w.Header().Get("Location"); loc != "/connectors/a%20b%3F" {
		t.Fatalf("Location = %q", loc)
	}
	var info worker.ConnectorInfo
	expect(t, do(t, h, "GET", "/connectors/a%20b%3F", nil, nil), http.StatusOK, &info)
	if info.Name != "a b?" {
		t.Fatalf("name = %q", info.Name)
	}
}

func TestCreateConnectorBadRequests(t *testing.T) {
	tests := []struct {
		name, body string
		status     int
		contains   string
	}{
		{"empty body", ``, 400, "empty"},
		{"whitespace body", " \n", 400, "empty"},
		{"syntax", `{"name": "a", `, 400, "malformed JSON"},
		{"bad token", `{"name": x}`, 400, "malformed JSON at byte"},
		{"not an object", `[1,2]`, 400, "expected an object"},
		{"null", `null`, 400, "name is missing"},
		{"two values", `{"name":"a","config":{"connector.class":"mysql"}} {}`, 400, "more than one JSON value"},
		{"missing name", `{"config": {"connector.class": "mysql"}}`, 400, "name is missing"},
		{"empty name", `{"name": "  ", "config": {"connector.class": "mysql"}}`, 400, "must not be empty"},
		{"slash in name", `{"name": "a/b", "config": {"connector.class": "mysql"}}`, 400, "'/'"},
		{"control char", `{"name": "a\u0007", "config": {"connector.class": "mysql"}}`, 400, "control characters"},
		{"name not a string", `{"name": 5, "config": {}}`, 400, `field "name" must be a string`},
		{"missing config", `{"name": "a"}`, 400, `config of connector "a" is missing`},
		{"config not object", `{"name": "a", "config": "x"}`, 400, `field "config" must be an object`},
		{"config value object", `{"name": "a", "config": {"connector.class": "mysql", "x": {}, "y": [1], "z": null}}`, 400, `invalid: "x", "y", "z"`},
		{"name mismatch", `{"name": "a", "config": {"name": "b", "connector.class": "mysql"}}`, 400, `("b") does not match connector name "a"`},
		{"unknown field", `{"name": "a", "configs": {}}`, 400, `unknown field "configs"`},
		{"invalid config", `{"name": "a", "config": {"connector.class": "nope"}}`, 400, `connector.class: unknown plugin "nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, f := testServer(t, Options{})
			expectError(t, do(t, h, "POST", "/connectors", tt.body, nil), tt.status, tt.contains)
			if tt.name != "invalid config" && f.lastCall("CreateConnector") != nil {
				t.Fatal("controller called for a request api should refuse")
			}
		})
	}
}

func TestGetConnectorAndConfig(t *testing.T) {
	h, f := testServer(t, Options{})
	f.add("a", "hologres", 2)

	var info worker.ConnectorInfo
	expect(t, do(t, h, "GET", "/connectors/a", nil, nil), http.StatusOK, &info)
	if info.Name != "a" || info.Type != "sink" || len(info.Tasks) != 2 || info.Tasks[1].Task != 1 {
		t.Fatalf("info = %+v", info)
	}
	// Trailing slash: same resource, no redirect.
	expect(t, do(t, h, "GET", "/connectors/a/", nil, nil), http.StatusOK, &info)

	var cfg map[string]string
	expect(t, do(t, h, "GET", "/connectors/a/config", nil, nil), http.StatusOK, &cfg)
	if cfg["connector.class"] != "hologres" || cfg["name"] != "a" {
		t.Fatalf("config = %v", cfg)
	}

	expectError(t, do(t, h, "GET", "/connectors/nope", nil, nil), http.StatusNotFound, `connector "nope" not found`)
	expectError(t, do(t, h, "GET", "/connectors/nope/config", nil, nil), http.StatusNotFound, `connector "nope" not found`)
}

func TestGetConnectorNilSlicesAreEmpty(t *testing.T) {
	h, f := testServer(t, Options{})
	f.add("a", "mysql", 0) // no tasks: the fake returns nil Tasks
	w := do(t, h, "GET", "/connectors/a", nil, nil)
	var raw map[string]json.RawMessage
	expect(t, w, http.StatusOK, &raw)
	if string(raw["tasks"]) != "[]" {
		t.Fatalf("tasks = %s, want []", raw["tasks"])
	}
	expect(t, do(t, h, "GET", "/connectors/a/status", nil, nil), http.StatusOK, &raw)
	if string(raw["tasks"]) != "[]" {
		t.Fatalf("status tasks = %s, want []", raw["tasks"])
	}
}

func TestPutConnectorConfig(t *testing.T) {
	h, f := testServer(t, Options{})
	var info worker.ConnectorInfo

	w := do(t, h, "PUT", "/connectors/a/config", `{"connector.class": "mysql", "tasks.max": "1"}`, nil)
	expect(t, w, http.StatusCreated, &info)
	if w.Header().Get("Location") != "/connectors/a" || info.Config["name"] != "a" || info.Config["tasks.max"] != "1" {
		t.Fatalf("created: Location %q, info %+v", w.Header().Get("Location"), info)
	}

	w = do(t, h, "PUT", "/connectors/a/config", `{"connector.class": "mysql", "tasks.max": 3, "name": "a"}`, nil)
	expect(t, w, http.StatusOK, &info)
	if w.Header().Get("Location") != "" || info.Config["tasks.max"] != "3" {
		t.Fatalf("updated: Location %q, info %+v", w.Header().Get("Location"), info)
	}
	if got := f.lastCall("PutConnectorConfig")[1].(map[string]string)["name"]; got != "a" {
		t.Fatalf("controller got name %q", got)
	}

	expectError(t, do(t, h, "PUT", "/connectors/a/config", `{"name": "b", "connector.class": "mysql"}`, nil),
		http.StatusBadRequest, "does not match")
	expectError(t, do(t, h, "PUT", "/connectors/a/config", `null`, nil), http.StatusBadRequest, "JSON object")
	expectError(t, do(t, h, "PUT", "/connectors/a/config", `["x"]`, nil), http.StatusBadRequest, "expected an object")
	expectError(t, do(t, h, "PUT", "/connectors/a/config", `{"connector.class": 1`, nil), http.StatusBadRequest, "malformed JSON")
	expectError(t, do(t, h, "PUT", "/connectors/a/config", `{"connector.class": "zzz"}`, nil), http.StatusBadRequest, "connector.class")
}

func TestDeleteConnector(t *testing.T) {
	h, f := testServer(t, Options{})
	f.add("a", "mysql", 1)
	expectEmpty(t, do(t, h, "DELETE", "/connectors/a", nil, nil), http.StatusNoContent)
	expectError(t, do(t, h, "DELETE", "/connectors/a", nil, nil), http.StatusNotFound, `connector "a" not found`)
	expectError(t, do(t, h, "GET", "/connectors/a", nil, nil), http.StatusNotFound)
}

func TestConnectorStatus(t *testing.T) {
	h, f := testServer(t, Options{})
	f.add("a", "mysql", 2)
	var st worker.ConnectorStatus
	expect(t, do(t, h, "GET", "/connectors/a/status", nil, nil), http.StatusOK, &st)
	want := worker.ConnectorStatus{Name: "a", Type: "source", Connector: worker.State{State: "RUNNING", WorkerID: "w1"},
		Tasks: []worker.TaskState{{ID: 0, State: worker.State{State: "RUNNING", WorkerID: "w1"}}, {ID: 1, State: worker.State{State: "RUNNING", WorkerID: "w1"}}}}
	if !reflect.DeepEqual(st, want) {
		t.Fatalf("status = %+v\nwant %+v", st, want)
	}
	expectError(t, do(t, h, "GET", "/connectors/b/status", nil, nil), http.StatusNotFound)
}

func TestRestartConnector(t *testing.T) {
	tests := []struct {
		query                    string
		status                   int
		includeTasks, onlyFailed bool
	}{
		{"", http.StatusNoContent, false, false},
		{"?includeTasks=false&onlyFailed=false", http.StatusNoContent, false, false},
		{"?includeTasks=true", http.StatusAccepted, true, false},
		{"?onlyFailed=true", http.StatusAccepted, false, true},
		{"?includeTasks=true&onlyFailed=true", http.StatusAccepted, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			h, f := testServer(t, Options{})
			f.add("a", "mysql", 2)
			w := do(t, h, "POST", "/connectors/a/restart"+tt.query, nil, nil)
			if tt.status == http.StatusNoContent {
				expectEmpty(t, w, tt.status)
			} else {
				var st worker.ConnectorStatus
				expect(t, w, tt.status, &st)
				if st.Connector.State != worker.StateRestarting || len(st.Tasks) != 2 {
					t.Fatalf("status = %+v", st)
				}
				if tt.includeTasks && st.Tasks[0].State.State != worker.StateRestarting {
					t.Fatalf("task state = %s, want RESTARTING", st.Tasks[0].State.State)
				}
			}
			args := f.lastCall("RestartConnector")
			if args[1] != tt.includeTasks || args[2] != tt.onlyFailed {
				t.Fatalf("controller got %v, want includeTasks=%v onlyFailed=%v", args, tt.includeTasks, tt.onlyFailed)
			}
		})
	}
	h, _ := testServer(t, Options{})
	expectError(t, do(t, h, "POST", "/connectors/a/restart?includeTasks=yes", nil, nil), http.StatusBadRequest, "includeTasks")
	expectError(t, do(t, h, "POST", "/connectors/zz/restart", nil, nil), http.StatusNotFound, `"zz"`)
}

func TestPauseResumeStop(t *testing.T) {
	h, f := testServer(t, Options{})
	f.add("a", "mysql", 1)
	state := func() string {
		var st worker.ConnectorStatus
		expect(t, do(t, h, "GET", "/connectors/a/status", nil, nil), http.StatusOK, &st)
		return st.Connector.State
	}
	expectEmpty(t, do(t, h, "PUT", "/connectors/a/pause", nil, nil), http.StatusAccepted)
	if s := state(); s != worker.StatePaused {
		t.Fatalf("after pause: %s", s)
	}
	expectEmpty(t, do(t, h, "PUT", "/connectors/a/resume", nil, nil), http.StatusAccepted)
	if s := state(); s != worker.StateRunning {
		t.Fatalf("after resume: %s", s)
	}
	expectEmpty(t, do(t, h, "PUT", "/connectors/a/stop", nil, nil), http.StatusNoContent)
	if s := state(); s != worker.StateStopped {
		t.Fatalf("after stop: %s", s)
	}
	for _, op := range []string{"pause", "resume", "stop"} {
		expectError(t, do(t, h, "PUT", "/connectors/zz/"+op, nil, nil), http.StatusNotFound)
	}
}
