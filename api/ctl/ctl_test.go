package ctl_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/tributarydata/tributary/api/client"
	"github.com/tributarydata/tributary/api/client/clienttest"
	"github.com/tributarydata/tributary/api/ctl"
	"github.com/tributarydata/tributary/bus/record"
	"github.com/tributarydata/tributary/bus/worker"
)

type result struct {
	stdout, stderr string
	code           int
}

// ctlRun runs `tributary ctl args…` with env (TRIBUTARY_URL points at srv
// unless env sets it).
func ctlRun(t *testing.T, srv *clienttest.Server, env map[string]string, args ...string) result {
	t.Helper()
	full := map[string]string{}
	if srv != nil {
		full["TRIBUTARY_URL"] = srv.URL
	}
	for k, v := range env {
		full[k] = v
	}
	var out, errb bytes.Buffer
	code := ctl.Run(context.Background(), args, &out, &errb, func(k string) (string, bool) {
		v, ok := full[k]
		return v, ok
	})
	return result{out.String(), errb.String(), code}
}

func (r result) ok(t *testing.T) result {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	return r
}

func (r result) fails(t *testing.T, code int, stderrPart string) result {
	t.Helper()
	if r.code != code || !strings.Contains(r.stderr, stderrPart) {
		t.Fatalf("exit %d, want %d with stderr containing %q\nstdout:\n%s\nstderr:\n%s", r.code, code, stderrPart, r.stdout, r.stderr)
	}
	return r
}

// seed creates a source "cdc" (1 task) and a sink "rds-sink" (2 tasks, task 1 FAILED).
func seed(t *testing.T, srv *clienttest.Server) {
	t.Helper()
	c, err := client.New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	for name, cfg := range map[string]map[string]string{"cdc": clienttest.SourceConfig(), "rds-sink": clienttest.SinkConfig()} {
		if _, err := c.CreateConnector(context.Background(), name, cfg); err != nil {
			t.Fatal(err)
		}
	}
	srv.SetTaskState("rds-sink", 1, worker.StateFailed, "sink: write timed out\n\tat rds.(*Sink).Write\n\tat worker.run")
}

func TestListTable(t *testing.T) {
	srv := clienttest.New(t)
	seed(t, srv)
	got := ctlRun(t, srv, nil, "list").ok(t).stdout
	want := "" +
		"NAME      TYPE    STATE    TASKS  WORKER\n" +
		"cdc       source  RUNNING  1/1    10.0.0.1:8083\n" +
		"rds-sink  sink    RUNNING  1/2    10.0.0.1:8083\n"
	if got != want {
		t.Fatalf("list:\n%s\nwant:\n%s", got, want)
	}

	if got := ctlRun(t, clienttest.New(t), nil, "list").ok(t).stdout; got != "NAME  TYPE  STATE  TASKS  WORKER\n" {
		t.Fatalf("empty list = %q", got)
	}
}

func TestListJSON(t *testing.T) {
	srv := clienttest.New(t)
	seed(t, srv)
	// Global flags may follow the command.
	out := ctlRun(t, nil, nil, "list", "--url", srv.URL, "-o", "json").ok(t).stdout
	var got map[string]client.ConnectorExpansion
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("list -o json is not JSON: %v\n%s", err, out)
	}
	if len(got) != 2 || got["rds-sink"].Status == nil || got["rds-sink"].Status.Tasks[1].State.State != worker.StateFailed {
		t.Fatalf("list -o json = %s", out)
	}
}

func TestStatusShowsTasksAndTraces(t *testing.T) {
	srv := clienttest.New(t)
	seed(t, srv)
	out := ctlRun(t, srv, nil, "status", "rds-sink").ok(t).stdout
	for _, want := range []string{
		"CONNECTOR  rds-sink\n",
		"STATE      RUNNING\n",
		"0     RUNNING  10.0.0.1:8083  \n",
		"1     FAILED   10.0.0.2:8083  sink: write timed out\n",
		"-o json shows them whole",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("status output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "worker.run") {
		t.Errorf("table shows whole traces:\n%s", out)
	}

	out = ctlRun(t, srv, nil, "-o", "json", "status", "rds-sink").ok(t).stdout
	var st worker.ConnectorStatus
	if err := json.Unmarshal([]byte(out), &st); err != nil || !strings.Contains(st.Tasks[1].Trace, "worker.run") {
		t.Fatalf("status -o json = %s (%v)", out, err)
	}

	ctlRun(t, srv, nil, "status", "nope").fails(t, 1, "Connector nope not found (HTTP 404)")
}

func TestGetConfigTasks(t *testing.T) {
	srv := clienttest.New(t)
	seed(t, srv)
	out := ctlRun(t, srv, nil, "get", "cdc").ok(t).stdout
	for _, want := range []string{"NAME   cdc\n", "TYPE   source\n", "TASKS  1\n", "database.password  [hidden]\n", "topic.prefix       edu\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("get lacks %q:\n%s", want, out)
		}
	}
	out = ctlRun(t, srv, nil, "config", "cdc", "-o", "json").ok(t).stdout
	var cfg map[string]string
	if err := json.Unmarshal([]byte(out), &cfg); err != nil || cfg["database.password"] != "[hidden]" || cfg["name"] != "cdc" {
		t.Fatalf("config -o json = %s", out)
	}
	out = ctlRun(t, srv, nil, "tasks", "rds-sink").ok(t).stdout
	if !strings.Contains(out, "1     connection.url") || !strings.Contains(out, "      task.id          1\n") {
		t.Fatalf("tasks:\n%s", out)
	}
}

func TestLifecycleCommands(t *testing.T) {
	srv := clienttest.New(t, clienttest.WithToken("s3"))
	seed := func() {
		c, _ := client.New(srv.URL, client.WithToken("s3"))
		if _, err := c.CreateConnector(context.Background(), "s", clienttest.SinkConfig()); err != nil {
			t.Fatal(err)
		}
	}
	seed()
	env := map[string]string{"TRIBUTARY_TOKEN": "s3"}

	r := ctlRun(t, srv, nil, "pause", "s").fails(t, 1, "missing or invalid bearer token (HTTP 401)")
	if !strings.Contains(r.stderr, "TRIBUTARY_TOKEN") {
		t.Errorf("no token hint: %s", r.stderr)
	}
	if got := ctlRun(t, srv, env, "pause", "s").ok(t).stdout; got != "paused s\n" || srv.Target("s") != worker.TargetPaused {
		t.Fatalf("pause: %q, target %s", got, srv.Target("s"))
	}
	ctlRun(t, srv, nil, "--token", "s3", "stop", "s").ok(t)
	if srv.Target("s") != worker.TargetStopped {
		t.Fatal("stop did not stop")
	}
	ctlRun(t, srv, env, "resume", "s").ok(t)
	if srv.Target("s") != worker.TargetStarted {
		t.Fatal("resume did not resume")
	}

	if got := ctlRun(t, srv, env, "restart", "s").ok(t).stdout; got != "restarted s\n" {
		t.Fatalf("restart = %q", got)
	}
	srv.SetTaskState("s", 1, worker.StateFailed, "boom")
	out := ctlRun(t, srv, env, "restart", "s", "--include-tasks", "--only-failed").ok(t).stdout
	want := "INSTANCE   STATE       WORKER\nconnector  RUNNING     10.0.0.1:8083\ntask 0     RUNNING     10.0.0.1:8083\ntask 1     RESTARTING  10.0.0.2:8083\n"
	if out != want {
		t.Fatalf("restart --include-tasks --only-failed:\n%s\nwant:\n%s", out, want)
	}
	reqs := srv.Requests()
	if last := reqs[len(reqs)-1]; last != "POST /connectors/s/restart?includeTasks=true&onlyFailed=true" {
		t.Fatalf("restart request = %s", last)
	}

	srv.SetTaskState("s", 0, worker.StateFailed, "boom")
	if got := ctlRun(t, srv, env, "restart-task", "s", "0").ok(t).stdout; got != "restarted s task 0\n" {
		t.Fatalf("restart-task = %q", got)
	}
	ctlRun(t, srv, env, "restart-task", "s", "x").fails(t, 2, "task ID must be a non-negative integer")
	ctlRun(t, srv, env, "restart-task", "s", "9").fails(t, 1, "not found")

	if got := ctlRun(t, srv, env, "delete", "s", "-o", "json").ok(t).stdout; !strings.Contains(got, `"action": "deleted"`) {
		t.Fatalf("delete -o json = %s", got)
	}
	if srv.Config("s") != nil {
		t.Fatal("delete did not delete")
	}
}

func TestCreate(t *testing.T) {
	srv := clienttest.New(t)
	dir := t.TempDir()
	file := writeFile(t, dir, "c.json", `{"name":"s","config":{"connector.class":"RDSSink","topics":"t","connection.url":"${RDS_URL}","tasks.max":3}}`)
	if got := ctlRun(t, srv, map[string]string{"RDS_URL": "dsn"}, "create", file).ok(t).stdout; got != "created s\n" {
		t.Fatalf("create = %q", got)
	}
	if cfg := srv.Config("s"); cfg["connection.url"] != "dsn" || cfg["tasks.max"] != "3" {
		t.Fatalf("created config = %v", cfg)
	}
	ctlRun(t, srv, map[string]string{"RDS_URL": "dsn"}, "create", file).fails(t, 1, "Connector s already exists (HTTP 409)")
}

func TestOffsetsCommands(t *testing.T) {
	srv := clienttest.New(t)
	seed(t, srv)
	srv.SetOffsets("cdc", []record.Position{
		{Partition: map[string]any{"server": "b"}, Offset: map[string]any{"pos": json.Number("9007199254740993")}},
		{Partition: map[string]any{"server": "a"}, Offset: map[string]any{"file": "binlog.000001", "pos": 4}},
	})
	want := "PARTITION       OFFSET\n" +
		`{"server":"a"}  {"file":"binlog.000001","pos":4}` + "\n" +
		`{"server":"b"}  {"pos":9007199254740993}` + "\n"
	if got := ctlRun(t, srv, nil, "offsets", "cdc").ok(t).stdout; got != want {
		t.Fatalf("offsets:\n%s\nwant:\n%s", got, want)
	}

	file := writeFile(t, t.TempDir(), "o.json", `{"offsets":[{"partition":{"server":"a"},"offset":{"file":"binlog.000009","pos":120}},{"partition":{"server":"b"},"offset":null}]}`)
	ctlRun(t, srv, nil, "offsets", "alter", "cdc", file).fails(t, 1, "STOPPED state")
	ctlRun(t, srv, nil, "stop", "cdc").ok(t)
	if got := ctlRun(t, srv, nil, "offsets", "alter", "cdc", file).ok(t).stdout; !strings.Contains(got, "altered successfully") {
		t.Fatalf("offsets alter = %q", got)
	}
	if got := ctlRun(t, srv, nil, "offsets", "cdc").ok(t).stdout; got != "PARTITION       OFFSET\n"+`{"server":"a"}  {"file":"binlog.000009","pos":120}`+"\n" {
		t.Fatalf("offsets after alter:\n%s", got)
	}
	ctlRun(t, srv, nil, "offsets", "reset", "cdc").ok(t)
	if got := ctlRun(t, srv, nil, "offsets", "cdc", "-o", "json").ok(t).stdout; got != "{\n  \"offsets\": []\n}\n" {
		t.Fatalf("offsets after reset = %q", got)
	}

	bad := writeFile(t, t.TempDir(), "bad.json", `{"offset":[]}`)
	ctlRun(t, srv, nil, "offsets", "alter", "cdc", bad).fails(t, 1, `want {"offsets"`)
	ctlRun(t, srv, nil, "offsets", "frob", "cdc").fails(t, 2, "want offsets NAME")
}

func TestPluginsWorkersHealthInfo(t *testing.T) {
	srv := clienttest.New(t)
	seed(t, srv)
	want := "CLASS                                   TYPE    VERSION\n" +
		"io.tributary.sources.mysql.MySQLSource  source  0.1.0\n" +
		"io.tributary.sinks.rds.RDSSink          sink    0.1.0\n"
	if got := ctlRun(t, srv, nil, "plugins").ok(t).stdout; got != want {
		t.Fatalf("plugins:\n%s\nwant:\n%s", got, want)
	}
	out := ctlRun(t, srv, nil, "plugin-config", "RDSSink").ok(t).stdout
	if !strings.Contains(out, `insert.mode      STRING  false     "upsert"  MEDIUM      insert or upsert.`) {
		t.Fatalf("plugin-config:\n%s", out)
	}
	ctlRun(t, srv, nil, "plugin-config", "Nope").fails(t, 1, "Unknown plugin Nope")

	out = ctlRun(t, srv, nil, "workers").ok(t).stdout
	want = "ID             URL                   ROLE    TASKS  HEARTBEAT  NOTE\n" +
		"10.0.0.1:8083  http://10.0.0.1:8083  leader  2      1.2s ago   -\n" +
		"10.0.0.2:8083  http://10.0.0.2:8083  member  1      1.2s ago   clock ahead 1h0m0s\n"
	if out != want {
		t.Fatalf("workers:\n%s\nwant:\n%s", out, want)
	}

	if got := ctlRun(t, srv, nil, "health").ok(t).stdout; !strings.HasPrefix(got, "healthy: ") {
		t.Fatalf("health = %q", got)
	}
	starting := clienttest.New(t, clienttest.WithHealth("starting", "Worker is still starting up."))
	r := ctlRun(t, starting, nil, "health")
	if r.code != 1 || r.stdout != "starting: Worker is still starting up.\n" {
		t.Fatalf("health of a starting worker: exit %d, %q %q", r.code, r.stdout, r.stderr)
	}

	if got := ctlRun(t, srv, nil, "info").ok(t).stdout; !strings.Contains(got, "VERSION        0.1.0-test\n") {
		t.Fatalf("info:\n%s", got)
	}
}

func TestValidateCommand(t *testing.T) {
	srv := clienttest.New(t)
	dir := t.TempDir()
	good := writeFile(t, dir, "good.json", `{"name":"s","config":{"topics":"t","connection.url":"${RDS_URL:-x}"}}`)
	if got := ctlRun(t, srv, nil, "validate", "RDSSink", good).ok(t).stdout; got != "valid: "+good+"\n" {
		t.Fatalf("validate good = %q", got)
	}
	bad := writeFile(t, dir, "bad.json", `{"topics":"t","insert.mode":"merge","tasks.max":0}`)
	r := ctlRun(t, srv, nil, "validate", "RDSSink", bad)
	want := "name: Missing required configuration \"name\" which has no default value.\n" +
		"tasks.max: Invalid value 0 for configuration tasks.max: Not a positive number\n" +
		"connection.url: Missing required configuration \"connection.url\" which has no default value.\n" +
		"insert.mode: Invalid value merge for configuration insert.mode: must be insert or upsert\n" +
		"invalid: " + bad + ": 4 error(s)\n"
	if r.code != 1 || r.stdout != want {
		t.Fatalf("validate bad: exit %d\n%s\nwant:\n%s", r.code, r.stdout, want)
	}
	r = ctlRun(t, srv, nil, "validate", "RDSSink", bad, "-o", "json")
	var infos client.ConfigInfos
	if r.code != 1 || json.Unmarshal([]byte(r.stdout), &infos) != nil || infos.ErrorCount != 4 {
		t.Fatalf("validate -o json: exit %d\n%s", r.code, r.stdout)
	}
}

func TestUsage(t *testing.T) {
	r := ctlRun(t, nil, nil, "-h").ok(t)
	for _, want := range []string{"Usage: tributary ctl", "apply [--dry-run] FILE|DIR", "restart NAME [--include-tasks] [--only-failed]", "TRIBUTARY_URL", "offsets reset NAME", "offsets alter NAME FILE"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("usage lacks %q", want)
		}
	}
	if r := ctlRun(t, nil, nil, "apply", "-h").ok(t); !strings.Contains(r.stdout, "${VAR:-default}") {
		t.Errorf("apply -h:\n%s", r.stdout)
	}
	if r := ctlRun(t, nil, nil, "help", "restart").ok(t); !strings.Contains(r.stdout, "Usage: tributary ctl restart NAME") {
		t.Errorf("help restart:\n%s", r.stdout)
	}
	if r := ctlRun(t, nil, nil); r.code != 2 || !strings.Contains(r.stderr, "Usage:") {
		t.Errorf("no command: exit %d", r.code)
	}
	ctlRun(t, nil, nil, "frobnicate").fails(t, 2, `unknown command "frobnicate"`)
	ctlRun(t, nil, nil, "get").fails(t, 2, "usage: tributary ctl get NAME")
	ctlRun(t, nil, nil, "list", "extra").fails(t, 2, "wrong number of arguments")
	ctlRun(t, nil, nil, "-o", "yaml", "list").fails(t, 2, "-o must be table or json")
	ctlRun(t, nil, nil, "list", "--bogus").fails(t, 2, "flag provided but not defined: -bogus")
	ctlRun(t, nil, nil, "--url", "ftp://x", "list").fails(t, 2, "scheme must be http or https")
}

func TestConnectionRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	r := ctlRun(t, nil, map[string]string{"TRIBUTARY_URL": addr}, "list").fails(t, 1, "connection refused")
	if !strings.Contains(r.stderr, "is a worker running at "+addr) {
		t.Fatalf("no hint: %s", r.stderr)
	}
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func lines(s string) []string { return strings.Split(strings.TrimRight(s, "\n"), "\n") }

func wantLines(t *testing.T, got string, want ...string) {
	t.Helper()
	if !reflect.DeepEqual(lines(got), want) {
		t.Fatalf("output:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
}
