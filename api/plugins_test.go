package api

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/tributarydata/tributary/bus/worker"
	"github.com/tributarydata/tributary/plugins/sdk"
)

func TestListPlugins(t *testing.T) {
	h, _ := testServer(t, Options{})
	var ps []worker.PluginInfo
	for _, q := range []string{"", "?connectorsOnly=true"} {
		expect(t, do(t, h, "GET", "/connector-plugins"+q, nil, nil), http.StatusOK, &ps)
		if !reflect.DeepEqual(ps, fakePlugins[:2]) {
			t.Fatalf("%q: plugins = %+v", q, ps)
		}
	}
	expect(t, do(t, h, "GET", "/connector-plugins?connectorsOnly=false", nil, nil), http.StatusOK, &ps)
	if !reflect.DeepEqual(ps, fakePlugins) {
		t.Fatalf("all plugins = %+v", ps)
	}
	expectError(t, do(t, h, "GET", "/connector-plugins?connectorsOnly=maybe", nil, nil), http.StatusBadRequest, "connectorsOnly")
}

func TestPluginConfig(t *testing.T) {
	h, _ := testServer(t, Options{})
	var keys []sdk.ConfigKey
	expect(t, do(t, h, "GET", "/connector-plugins/mysql/config", nil, nil), http.StatusOK, &keys)
	if len(keys) != len(fakeKeys) || keys[2].Name != "database.password" || keys[1].DefaultValue == nil || *keys[1].DefaultValue != "1" {
		t.Fatalf("keys = %+v", keys)
	}
	// Dependents are a list even when the controller left them nil.
	if keys[3].Dependents == nil {
		t.Fatal("dependents of snapshot.mode decoded as null")
	}
	expectError(t, do(t, h, "GET", "/connector-plugins/nope/config", nil, nil), http.StatusNotFound, `plugin "nope" not found`)
}

// validation mirrors configInfos with every field, for strict decoding.
type validation struct {
	Name       string   `json:"name"`
	ErrorCount int      `json:"error_count"`
	Groups     []string `json:"groups"`
	Configs    []struct {
		Definition sdk.ConfigKey `json:"definition"`
		Value      struct {
			Name              string   `json:"name"`
			Value             *string  `json:"value"`
			RecommendedValues []string `json:"recommended_values"`
			Errors            []string `json:"errors"`
			Visible           bool     `json:"visible"`
		} `json:"value"`
	} `json:"configs"`
}

func TestValidateConfig(t *testing.T) {
	h, f := testServer(t, Options{})
	body := `{"tasks.max": 2, "database.password": "s3cret", "snapshot.mode": "sometimes", "bogus.key": "also secret"}`
	w := do(t, h, "PUT", "/connector-plugins/mysql/config/validate", body, nil)
	var v validation
	expect(t, w, http.StatusOK, &v)

	if v.Name != "mysql" || !reflect.DeepEqual(v.Groups, []string{"Common", "Connection"}) {
		t.Fatalf("name %q groups %v", v.Name, v.Groups)
	}
	if v.ErrorCount != 2 {
		t.Fatalf("error_count = %d, want 2 (snapshot.mode, bogus.key): %s", v.ErrorCount, w.Body.String())
	}
	if len(v.Configs) != 5 {
		t.Fatalf("%d configs, want 4 defined + 1 unknown", len(v.Configs))
	}
	byName := map[string]int{}
	for i, c := range v.Configs {
		byName[c.Value.Name] = i
		if c.Definition.Name != c.Value.Name || !c.Value.Visible || c.Value.Errors == nil || c.Value.RecommendedValues == nil {
			t.Fatalf("config %d malformed: %+v", i, c)
		}
	}
	val := func(name string) *string { return v.Configs[byName[name]].Value.Value }
	if s := val("connector.class"); s == nil || *s != "mysql" {
		t.Fatalf("connector.class value = %v, want the path's class filled in", s)
	}
	if s := val("tasks.max"); s == nil || *s != "2" {
		t.Fatalf("tasks.max = %v", s)
	}
	if s := val("database.password"); s == nil || *s != "[hidden]" {
		t.Fatalf("password echoed as %v", s)
	}
	if s := val("bogus.key"); s == nil || *s != "[hidden]" {
		t.Fatalf("undefined key echoed as %v", s)
	}
	sm := v.Configs[byName["snapshot.mode"]]
	if *sm.Value.Value != "sometimes" || len(sm.Value.Errors) != 1 || !reflect.DeepEqual(sm.Value.RecommendedValues, []string{"initial", "never"}) {
		t.Fatalf("snapshot.mode = %+v", sm.Value)
	}
	if b := v.Configs[4]; b.Value.Name != "bogus.key" || b.Definition.Type != "STRING" || len(b.Value.Errors) != 1 {
		t.Fatalf("unknown key entry = %+v", b)
	}
	if cfg := f.lastCall("ValidateConfig")[1].(map[string]string); cfg["connector.class"] != "mysql" || cfg["tasks.max"] != "2" {
		t.Fatalf("controller got %v", cfg)
	}
	// The password never appears in the answer.
	for _, secret := range []string{"s3cret", "also secret"} {
		if strings.Contains(w.Body.String(), secret) {
			t.Fatalf("%q echoed: %s", secret, w.Body.String())
		}
	}
}

func TestValidateConfigDefaultsAndMissing(t *testing.T) {
	h, _ := testServer(t, Options{})
	var v validation
	expect(t, do(t, h, "PUT", "/connector-plugins/mysql/config/validate", `{"connector.class": "mysql"}`, nil), http.StatusOK, &v)
	if v.ErrorCount != 1 {
		t.Fatalf("error_count = %d, want 1 (missing password)", v.ErrorCount)
	}
	for _, c := range v.Configs {
		switch c.Value.Name {
		case "tasks.max":
			if c.Value.Value == nil || *c.Value.Value != "1" {
				t.Fatalf("tasks.max shows %v, want its default", c.Value.Value)
			}
		case "database.password":
			if c.Value.Value != nil || len(c.Value.Errors) != 1 {
				t.Fatalf("missing password = %+v", c.Value)
			}
		}
	}
}

func TestValidateConfigErrors(t *testing.T) {
	h, _ := testServer(t, Options{})
	expectError(t, do(t, h, "PUT", "/connector-plugins/nope/config/validate", `{}`, nil), http.StatusNotFound, `plugin "nope" not found`)
	expectError(t, do(t, h, "PUT", "/connector-plugins/mysql/config/validate", `{"connector.class": "hologres"}`, nil),
		http.StatusBadRequest, "does not match")
	expectError(t, do(t, h, "PUT", "/connector-plugins/mysql/config/validate", `{"a": {}}`, nil), http.StatusBadRequest, `"a"`)
	expectError(t, do(t, h, "PUT", "/connector-plugins/mysql/config/validate", `null`, nil), http.StatusBadRequest, "JSON object")
	expectError(t, do(t, h, "PUT", "/connector-plugins/mysql/config/validate", `{`, nil), http.StatusBadRequest, "malformed JSON")
}
