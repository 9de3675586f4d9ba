package ctl_test

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tributarydata/tributary/api/client"
	"github.com/tributarydata/tributary/api/client/clienttest"
	"github.com/tributarydata/tributary/api/ctl"
)

// connectorWrites are the requests that change connectors (validation aside).
func connectorWrites(srv *clienttest.Server) []string {
	var out []string
	for _, r := range srv.Writes() {
		if !strings.Contains(r, "/connector-plugins/") {
			out = append(out, r)
		}
	}
	return out
}

const signalSink = `{
  "name": "signal-rds",
  "config": {
    "connector.class": "io.tributary.sinks.rds.RDSSink",
    "tasks.max": 2,
    "topics": "dwd.student_signal",
    "connection.url": "${RDS_URL}",
    "insert.mode": "${INSERT_MODE:-upsert}"
  }
}`

func TestApplyIdempotent(t *testing.T) {
	srv := clienttest.New(t)
	dir := t.TempDir()
	writeFile(t, dir, "signal.json", signalSink)
	env := map[string]string{"RDS_URL": "root:pw@tcp(127.0.0.1:3306)/ads"}

	wantLines(t, ctlRun(t, srv, env, "apply", dir).ok(t).stdout, "created signal-rds")
	cfg := srv.Config("signal-rds")
	if cfg["connection.url"] != "root:pw@tcp(127.0.0.1:3306)/ads" || cfg["insert.mode"] != "upsert" || cfg["tasks.max"] != "2" {
		t.Fatalf("applied config = %v", cfg)
	}

	before := len(connectorWrites(srv))
	wantLines(t, ctlRun(t, srv, env, "apply", dir).ok(t).stdout, "unchanged signal-rds")
	if w := connectorWrites(srv); len(w) != before {
		t.Fatalf("second apply wrote: %v", w[before:])
	}

	env["INSERT_MODE"] = "insert"
	wantLines(t, ctlRun(t, srv, env, "apply", dir, "--dry-run").ok(t).stdout, "updated signal-rds (dry run; changed: insert.mode)")
	if srv.Config("signal-rds")["insert.mode"] != "upsert" {
		t.Fatal("dry run changed the connector")
	}
	wantLines(t, ctlRun(t, srv, env, "apply", dir).ok(t).stdout, "updated signal-rds")
	if srv.Config("signal-rds")["insert.mode"] != "insert" {
		t.Fatal("update not applied")
	}
	wantLines(t, ctlRun(t, srv, env, "apply", dir).ok(t).stdout, "unchanged signal-rds")

	// A key set on the server but absent from the file is a change too.
	delete(env, "INSERT_MODE")
	writeFile(t, dir, "signal.json", strings.Replace(signalSink, `,
    "insert.mode": "${INSERT_MODE:-upsert}"`, "", 1))
	wantLines(t, ctlRun(t, srv, env, "apply", dir, "--dry-run").ok(t).stdout, "updated signal-rds (dry run; changed: insert.mode)")
}

func TestApplyHiddenValuesAlwaysPut(t *testing.T) {
	srv := clienttest.New(t)
	file := writeFile(t, t.TempDir(), "cdc.json", `{"name":"cdc","config":{
		"connector.class":"MySQLSource","database.hostname":"${MYSQL_HOST:-127.0.0.1}",
		"database.user":"cdc","database.password":"${MYSQL_PASSWORD}","topic.prefix":"edu"}}`)
	env := map[string]string{"MYSQL_PASSWORD": "pw"}
	wantLines(t, ctlRun(t, srv, env, "apply", file).ok(t).stdout, "created cdc")
	// The server shows the password as [hidden]: it cannot be compared.
	wantLines(t, ctlRun(t, srv, env, "apply", file, "--dry-run").ok(t).stdout, "updated cdc (dry run; changed: database.password)")
	env["MYSQL_PASSWORD"] = "rotated"
	wantLines(t, ctlRun(t, srv, env, "apply", file).ok(t).stdout, "updated cdc")
	if srv.Config("cdc")["database.password"] != "rotated" {
		t.Fatal("rotated password not applied")
	}

	// A value copied from the API's masked output is refused.
	copied := writeFile(t, t.TempDir(), "copied.json", `{"name":"cdc","config":{"connector.class":"MySQLSource","database.password":"[hidden]"}}`)
	ctlRun(t, srv, nil, "apply", copied).fails(t, 1, `config "database.password" is "[hidden]"`)
}

func TestApplyPlaceholders(t *testing.T) {
	srv := clienttest.New(t)
	file := writeFile(t, t.TempDir(), "p.json", `{"name":"p","config":{
		"connector.class":"RDSSink",
		"topics":"${TOPIC:-ods.qos_log}",
		"connection.url":"${USER}:${PASS:-}@tcp(${HOST}:${PORT:-3306})/db",
		"sql.template":"$${not_a_var} and ${file:/etc/secrets.properties:key}"}}`)
	env := map[string]string{"USER": "app", "HOST": "rds.internal", "PASS": ""}
	ctlRun(t, srv, env, "apply", file).ok(t)
	cfg := srv.Config("p")
	want := map[string]string{
		"topics":         "ods.qos_log",
		"connection.url": "app:@tcp(rds.internal:3306)/db",
		"sql.template":   "${not_a_var} and ${file:/etc/secrets.properties:key}",
	}
	for k, v := range want {
		if cfg[k] != v {
			t.Errorf("%s = %q, want %q", k, cfg[k], v)
		}
	}
}

func TestApplyMissingVariableAppliesNothing(t *testing.T) {
	srv := clienttest.New(t)
	dir := t.TempDir()
	// a.json is fine; b.json lacks a variable in its second connector.
	writeFile(t, dir, "a.json", `{"name":"a","config":{"connector.class":"RDSSink","topics":"t","connection.url":"x"}}`)
	bundle := writeFile(t, dir, "b.json", `{"connectors":[
		{"name":"b1","config":{"connector.class":"RDSSink","topics":"t","connection.url":"x"}},
		{"name":"b2","config":{"connector.class":"RDSSink","topics":"t","connection.url":"${SERVING_URL}"}}]}`)
	r := ctlRun(t, srv, nil, "apply", dir).fails(t, 1, "SERVING_URL is not set")
	for _, want := range []string{bundle, `connector "b2"`, `config "connection.url"`} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("error does not name %s: %s", want, r.stderr)
		}
	}
	if reqs := srv.Requests(); len(reqs) != 0 {
		t.Fatalf("requests despite a missing variable: %v", reqs)
	}
	if r.stdout != "" {
		t.Fatalf("stdout = %q", r.stdout)
	}

	// Every problem of every file is reported at once.
	writeFile(t, dir, "c.json", `{"name":"c","config":{"connector.class":"RDSSink","topics":"${ALSO_MISSING}","connection.url":"${"}}`)
	r = ctlRun(t, srv, nil, "apply", dir).fails(t, 1, "SERVING_URL")
	if !strings.Contains(r.stderr, "ALSO_MISSING") || !strings.Contains(r.stderr, "unterminated placeholder") {
		t.Fatalf("not every error reported: %s", r.stderr)
	}
}

func TestApplyDirOrderAndShapes(t *testing.T) {
	srv := clienttest.New(t)
	dir := t.TempDir()
	conn := func(name string) string {
		return `{"name":"` + name + `","config":{"connector.class":"RDSSink","topics":"t","connection.url":"x"}}`
	}
	writeFile(t, dir, "20-array.json", "["+conn("arr-2")+","+conn("arr-1")+"]")
	writeFile(t, dir, "10-single.json", conn("single"))
	writeFile(t, dir, "30-bundle.json", `{"job":"study-time","connectors":[`+conn("bundle-1")+","+conn("bundle-2")+"]}")
	writeFile(t, dir, "README.md", "not json")
	writeFile(t, dir, ".hidden.json", "{broken")
	writeFile(t, dir, "nested/40-skip.json", conn("nested"))

	out := ctlRun(t, srv, nil, "apply", dir).ok(t).stdout
	wantLines(t, out, "created single", "created arr-2", "created arr-1", "created bundle-1", "created bundle-2")
	wantLines(t, strings.Join(connectorWrites(srv), "\n"),
		"PUT /connectors/single/config", "PUT /connectors/arr-2/config", "PUT /connectors/arr-1/config",
		"PUT /connectors/bundle-1/config", "PUT /connectors/bundle-2/config")

	out = ctlRun(t, srv, nil, "apply", dir, "-o", "json").ok(t).stdout
	var res []ctl.ApplyResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res) != 5 || res[4].Action != ctl.ActionUnchanged || res[4].File != filepath.Join(dir, "30-bundle.json") {
		t.Fatalf("apply -o json = %s (%v)", out, err)
	}
}

func TestApplyRejectsBadFiles(t *testing.T) {
	srv := clienttest.New(t)
	dir := t.TempDir()
	cases := map[string]struct{ content, err string }{
		"syntax":       {"{\n  \"name\": \"x\",\n  \"config\": {,}\n}", "line 3, column 14"},
		"no name":      {`{"config":{}}`, `"name" must be a non-empty string`},
		"no config":    {`{"name":"x"}`, `connector "x": "config" must be an object`},
		"nested value": {`{"name":"x","config":{"a":{"b":1}}}`, `config "a": want a string, number or boolean`},
		"null value":   {`{"name":"x","config":{"a":null}}`, `config "a": want a string, number or boolean`},
		"name differs": {`{"name":"x","config":{"name":"y"}}`, `config "name" is "y"`},
		"empty":        {`[]`, "no connectors in file"},
		"bad bundle":   {`{"connectors":{}}`, `"connectors" must be an array`},
		"scalar":       {`42`, `want a {"name","config"} object`},
		"dup in file":  {`[{"name":"x","config":{}},{"name":"x","config":{}}]`, `connector "x" is defined twice in the file`},
		"trailing":     {`{"name":"x","config":{}} {}`, "unexpected data after the JSON value"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			file := writeFile(t, dir, strings.ReplaceAll(name, " ", "-")+".json", tc.content)
			ctlRun(t, srv, nil, "apply", file).fails(t, 1, tc.err)
		})
	}

	twice := t.TempDir()
	writeFile(t, twice, "a.json", `{"name":"x","config":{"connector.class":"RDSSink"}}`)
	writeFile(t, twice, "b.json", `{"name":"x","config":{"connector.class":"RDSSink"}}`)
	ctlRun(t, srv, nil, "apply", twice).fails(t, 1, `connector "x" is defined twice (also in `+filepath.Join(twice, "a.json")+")")

	ctlRun(t, srv, nil, "apply", t.TempDir()).fails(t, 1, "no *.json files in directory")
	ctlRun(t, srv, nil, "apply", filepath.Join(dir, "missing.json")).fails(t, 1, "no such file")
	if w := srv.Writes(); len(w) != 0 {
		t.Fatalf("writes despite bad files: %v", w)
	}
}

func TestApplyValidationErrorsApplyNothing(t *testing.T) {
	srv := clienttest.New(t)
	dir := t.TempDir()
	writeFile(t, dir, "1-good.json", `{"name":"good","config":{"connector.class":"RDSSink","topics":"t","connection.url":"x"}}`)
	bad := writeFile(t, dir, "2-bad.json", `{"name":"bad","config":{"connector.class":"RDSSink","topics":"t","insert.mode":"merge"}}`)
	r := ctlRun(t, srv, nil, "apply", dir).fails(t, 1, "1 invalid connector config(s), 2 error(s); nothing applied")
	for _, want := range []string{
		bad + `: connector "bad": connection.url: Missing required configuration "connection.url"`,
		bad + `: connector "bad": insert.mode: Invalid value merge`,
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if w := connectorWrites(srv); len(w) != 0 {
		t.Fatalf("applied despite an invalid config: %v", w)
	}
	// The name is sent with the config, so Kafka Connect's required "name" passes.
	if strings.Contains(r.stderr, `"name"`) {
		t.Errorf("validation complained about name: %s", r.stderr)
	}

	unknown := writeFile(t, t.TempDir(), "u.json", `{"name":"u","config":{"connector.class":"NoSuchPlugin"}}`)
	ctlRun(t, srv, nil, "apply", unknown).fails(t, 1, "Unknown plugin NoSuchPlugin")
	noClass := writeFile(t, t.TempDir(), "n.json", `{"name":"n","config":{"topics":"t"}}`)
	ctlRun(t, srv, nil, "apply", noClass).fails(t, 1, `config has no "connector.class"`)
}

func FuzzParseConnectors(f *testing.F) {
	for _, s := range []string{
		signalSink,
		`[{"name":"a","config":{"k":1,"b":true}}]`,
		`{"connectors":[{"name":"a","config":{"x":"${A:-b}"}}],"job":"x"}`,
		`{"name":"a","config":{"name":"a","v":"$${X}"}}`,
		`[{"name":"s","if_set":"A","config":{"c":"es"}},{"name":"s","if_unset":"A","config":{"c":"pg"}}]`,
		`{}`, `[]`, `null`, `{"connectors":null}`, `{"name":"[hidden]","config":{"p":"[hidden]"}}`,
	} {
		f.Add([]byte(s))
	}
	env := func(k string) (string, bool) {
		if k == "A" {
			return "va", true
		}
		return "", false
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		conns, err := ctl.ParseConnectors(data, "f.json", env)
		if err != nil {
			if len(conns) != 0 {
				t.Fatalf("connectors returned with an error: %v", conns)
			}
			if !strings.HasPrefix(err.Error(), "f.json") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		if len(conns) == 0 && !bytes.Contains(data, []byte(`"if_`)) {
			t.Fatal("no connectors and no error")
		}
		seen := map[string]bool{}
		for _, c := range conns {
			if strings.TrimSpace(c.Name) == "" || c.Config == nil || c.File != "f.json" || seen[c.Name] {
				t.Fatalf("bad connector %+v", c)
			}
			seen[c.Name] = true
			if n, ok := c.Config["name"]; ok && n != c.Name {
				t.Fatalf("config name %q for connector %q", n, c.Name)
			}
			for k, v := range c.Config {
				if v == "[hidden]" {
					t.Fatalf("masked value accepted for %s", k)
				}
			}
		}
	})
}

func TestApplyLibraryRefusesMaskedValues(t *testing.T) {
	srv := clienttest.New(t)
	c, err := client.New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	conns := []ctl.Connector{{Name: "cdc", File: "x.json", Config: map[string]string{
		"connector.class": "MySQLSource", "database.hostname": "h", "database.user": "u",
		"database.password": "[hidden]", "topic.prefix": "edu",
	}}}
	_, err = ctl.Apply(context.Background(), c, conns, ctl.ApplyOptions{})
	if err == nil || !strings.Contains(err.Error(), `config "database.password" is "[hidden]"`) {
		t.Fatalf("error = %v", err)
	}
	if len(srv.Requests()) != 0 {
		t.Fatalf("requests: %v", srv.Requests())
	}

	conns[0].Config["database.password"] = "pw"
	res, err := ctl.Apply(context.Background(), c, conns, ctl.ApplyOptions{})
	if err != nil || len(res) != 1 || res[0].Action != ctl.ActionCreated {
		t.Fatalf("Apply = %+v, %v", res, err)
	}
}

// TestConditionalConnectors: a job names one sink for a store that may be
// absent and a fallback under the same name; the environment picks one.
func TestConditionalConnectors(t *testing.T) {
	file := []byte(`{"connectors": [
		{"name": "job", "config": {"connector.class": "x"}},
		{"name": "job-sink", "if_set": "ES_URL", "config": {"connector.class": "elasticsearch", "connection.url": "${ES_URL}"}},
		{"name": "job-sink", "if_unset": "ES_URL", "config": {"connector.class": "hologres"}}]}`)
	for _, c := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"ES_URL": "http://es:9200"}, "elasticsearch"},
		{map[string]string{"ES_URL": ""}, "hologres"}, // set but empty counts as unset
		{nil, "hologres"},
	} {
		conns, err := ctl.ParseConnectors(file, "f.json", func(k string) (string, bool) { v, ok := c.env[k]; return v, ok })
		if err != nil {
			t.Fatal(err)
		}
		if len(conns) != 2 || conns[1].Name != "job-sink" || conns[1].Config["connector.class"] != c.want {
			t.Errorf("env %v: %+v, want the %s sink", c.env, conns, c.want)
		}
	}
	for _, bad := range []string{`1`, `"not a name"`, `""`} {
		_, err := ctl.ParseConnectors([]byte(`{"name":"a","if_set":`+bad+`,"config":{}}`), "f.json", nil)
		if err == nil || !strings.Contains(err.Error(), "must name an environment variable") {
			t.Errorf("if_set %s: %v", bad, err)
		}
	}
}
