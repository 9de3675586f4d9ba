package smt

import (
	"context"
	"strings"
	"testing"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// chainOf opens a chain from config pairs.
func chainOf(t *testing.T, kv ...string) *Chain {
	t.Helper()
	cfg := sdk.Config{"topic": "out"}
	for i := 0; i+1 < len(kv); i += 2 {
		cfg[kv[i]] = kv[i+1]
	}
	ch := &Chain{}
	if err := ch.Open(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	return ch
}

// one runs a single value through a chain and returns the output record.
func one(t *testing.T, ch *Chain, v string) (sdk.Record, bool) {
	t.Helper()
	out, err := ch.Process(context.Background(), []sdk.Record{{Topic: "ods.x", Key: []byte("k"), Value: []byte(v)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		return sdk.Record{}, false
	}
	return out[0], true
}

func TestFlatten(t *testing.T) {
	ch := chainOf(t, "transforms", "f", "transforms.f.type", "flatten", "transforms.f.parse.strings", "true", "transforms.f.delimiter", "_")
	r, _ := one(t, ch, `{"a":{"b":1,"c":{"d":"x"}},"e":[1,{"f":2}],"s":"{\"g\":true}","t":"{not json"}`)
	compareFields(t, "flatten", r.Value, `{"a_b":1,"a_c_d":"x","e":[1,{"f":2}],"s_g":true,"t":"{not json"}`)
	flat := `{"a":1,"b":"x"}`
	if r, _ := one(t, ch, flat); string(r.Value) != flat {
		t.Errorf("a flat value is rewritten: %s", r.Value)
	}
}

func TestProjectRenameMask(t *testing.T) {
	ch := chainOf(t, "transforms", "r,p,m",
		"transforms.r.type", "rename", "transforms.r.renames", "userid:userId, phone:mobile",
		"transforms.p.type", "project", "transforms.p.include", "userId,mobile,name,missing",
		"transforms.m.type", "mask", "transforms.m.fields", "mobile,name", "transforms.m.show.last", "4")
	r, _ := one(t, ch, `{"userid":1,"phone":"13800138000","name":"李雷","other":true}`)
	compareFields(t, "project", r.Value, `{"userId":1,"mobile":"*******8000","name":"**","missing":null}`)

	ex := chainOf(t, "transforms", "p,m", "transforms.p.type", "project", "transforms.p.exclude", "other",
		"transforms.m.type", "mask", "transforms.m.fields", "n,b,s,o")
	r, _ = one(t, ex, `{"n":12.5,"b":true,"s":"x","o":{"a":1},"other":1}`)
	compareFields(t, "mask to empty values", r.Value, `{"n":0,"b":false,"s":"","o":null}`)
}

func TestHashAndRoute(t *testing.T) {
	ch := chainOf(t, "transforms", "h,r",
		"transforms.h.type", "hash", "transforms.h.field", "id", "transforms.h.to.key", "true",
		"transforms.r.type", "route", "transforms.r.topic", "dwd.{kind}.{topic}", "transforms.r.default.topic", "dwd.other")
	r, _ := one(t, ch, `{"id":7,"kind":"signal"}`)
	if string(r.Key) != "8f14e45fceea167a5a36dedd4bea2543" || r.Topic != "dwd.signal.ods.x" || r.Value == nil {
		t.Errorf("got key %q topic %q", r.Key, r.Topic)
	}
	if r, _ := one(t, ch, `{"id":7,"kind":"no/slash"}`); r.Topic != "dwd.other" {
		t.Errorf("an illegal topic goes to default.topic, got %q", r.Topic)
	}
	if r, _ := one(t, ch, `{"id":7}`); r.Topic != "dwd.other" {
		t.Errorf("a missing field goes to default.topic, got %q", r.Topic)
	}
	strict := chainOf(t, "transforms", "r", "transforms.r.type", "route", "transforms.r.topic", "x.{kind}")
	if r, _ := one(t, strict, `{"kind":null}`); r.Fault == nil || !strings.Contains(r.Fault.Error(), "kind is null") {
		t.Errorf("without default.topic a null field is refused, got %+v", r)
	}
}

func TestTimestampFormats(t *testing.T) {
	cases := []struct {
		format, zone, in, want string
	}{
		{"epoch_seconds", "UTC", `1614564000`, "2021-03-01 02:00:00.000"},
		{"epoch_seconds", "UTC", `"1614564000.5"`, "2021-03-01 02:00:00.500"},
		{"epoch_micros", "UTC", `1614564000123456`, "2021-03-01 02:00:00.123"},
		{"iso8601", "UTC", `"2021-03-01T10:00:00.123+08:00"`, "2021-03-01 02:00:00.123"},
		{"yyyy-MM-dd HH:mm:ss", "Asia/Shanghai", `"2021-03-01 10:00:00"`, "2021-03-01 02:00:00.000"},
		{"yyyy/MM/dd'T'HH:mm", "UTC", `"2021/03/01T02:00"`, "2021-03-01 02:00:00.000"},
	}
	for _, c := range cases {
		ch := chainOf(t, "transforms", "ts", "transforms.ts.type", "timestamp", "transforms.ts.field", "t",
			"transforms.ts.format", c.format, "transforms.ts.timezone", c.zone, "transforms.ts.output.field", "out")
		r, _ := one(t, ch, `{"t":`+c.in+`}`)
		if r.Fault != nil {
			t.Errorf("%s %s: %v", c.format, c.in, r.Fault)
			continue
		}
		if got := r.Timestamp.UTC().Format("2006-01-02 15:04:05.000"); got != c.want {
			t.Errorf("%s %s: event time %s, want %s", c.format, c.in, got, c.want)
		}
		if !strings.Contains(string(r.Value), `"out":"`) {
			t.Errorf("%s: no output field in %s", c.format, r.Value)
		}
	}
	ch := chainOf(t, "transforms", "ts", "transforms.ts.type", "timestamp", "transforms.ts.field", "t", "transforms.ts.missing", "keep")
	if r, _ := one(t, ch, `{"u":1}`); r.Fault != nil || string(r.Value) != `{"u":1}` {
		t.Errorf("missing=keep: %+v", r)
	}
	if r, _ := one(t, ch, `{"t":"soon"}`); r.Fault == nil {
		t.Errorf("a text that is no epoch number must be refused")
	}
	for _, v := range []string{`0`, `-1`} {
		if r, _ := one(t, ch, `{"t":`+v+`}`); r.Fault == nil || !strings.Contains(r.Fault.Error(), "not after 1970") {
			t.Errorf("event time %s: %+v, want it refused (Kafka reads it as no timestamp)", v, r)
		}
	}
}

func TestFilterAndClassifyModes(t *testing.T) {
	ch := chainOf(t, "transforms", "f", "transforms.f.type", "filter", "transforms.f.condition", "role = 2 and userId is not null")
	if _, kept := one(t, ch, `{"role":"2","userId":5}`); !kept {
		t.Error("a matching record was dropped")
	}
	if _, kept := one(t, ch, `{"role":1,"userId":5}`); kept {
		t.Error("a record that does not match was kept")
	}
	if ch.Counts()["f.dropped"] != 1 {
		t.Errorf("counts %v", ch.Counts())
	}
	for mode, check := range map[string]func(sdk.Record, bool) bool{
		"keep":  func(r sdk.Record, ok bool) bool { return ok && strings.Contains(string(r.Value), `"event":null`) },
		"route": func(r sdk.Record, ok bool) bool { return ok && r.Topic == "odd" },
		"fail": func(r sdk.Record, ok bool) bool {
			return ok && r.Fault != nil && strings.Contains(r.Fault.Error(), "no rule matched")
		},
		"drop": func(r sdk.Record, ok bool) bool { return !ok },
	} {
		ch := chainOf(t, "transforms", "c", "transforms.c.type", "classify", "transforms.c.rules", "A",
			"transforms.c.rule.A", "x = 1", "transforms.c.unmatched", mode, "transforms.c.unmatched.topic", "odd")
		if r, ok := one(t, ch, `{"x":2}`); !check(r, ok) {
			t.Errorf("unmatched=%s: got %+v (kept %v)", mode, r, ok)
		}
	}
}

func TestTombstonesPassValueSteps(t *testing.T) {
	ch := chainOf(t, "transforms", "e,f", "transforms.e.type", "extract", "transforms.e.fields", "a",
		"transforms.f.type", "filter", "transforms.f.condition", "a = 1")
	out, err := ch.Process(context.Background(), []sdk.Record{{Topic: "t", Key: []byte("k")}})
	if err != nil || len(out) != 1 || out[0].Value != nil || out[0].Fault != nil || string(out[0].Key) != "k" {
		t.Fatalf("tombstone: %+v %v", out, err)
	}
}

func TestTooLargeValuesAreRefused(t *testing.T) {
	ch := chainOf(t, "transforms", "f", "transforms.f.type", "flatten", "value.max.bytes", "10")
	if r, _ := one(t, ch, `{"a":"0123456789"}`); r.Fault == nil || !strings.Contains(r.Fault.Error(), "value.max.bytes=10") {
		t.Errorf("got %+v", r)
	}
	if ch.Counts()["value_too_large"] != 1 {
		t.Errorf("counts %v", ch.Counts())
	}
}

// TestValidationNamesTheStepKey: config/validate reports a step's problem
// under its full key, so a UI can show it beside the field.
func TestValidationNamesTheStepKey(t *testing.T) {
	cases := []struct {
		cfg     sdk.Config
		key     string
		message string
	}{
		{sdk.Config{"transforms": "a", "transforms.a.type": "nope"}, "transforms.a.type", "unknown step type"},
		{sdk.Config{"transforms": "a", "transforms.a.type": "filter"}, "transforms.a.condition", "required"},
		{sdk.Config{"transforms": "a", "transforms.a.type": "filter", "transforms.a.condition": "x = "}, "transforms.a.condition", "at "},
		{sdk.Config{"transforms": "a", "transforms.a.type": "classify", "transforms.a.rules": "A,B", "transforms.a.rule.A": "x=1"}, "transforms.a.rule.B", "needs a condition"},
		{sdk.Config{"transforms": "a", "transforms.a.type": "classify", "transforms.a.rules": "A", "transforms.a.rule.A": "x=1", "transforms.a.rule.C": "x=2"}, "transforms.a.rule.C", "not in rules"},
		{sdk.Config{"transforms": "a", "transforms.a.type": "extract", "transforms.a.fields": "x=data..y"}, "transforms.a.fields", ""},
		{sdk.Config{"transforms": "a", "transforms.a.type": "hash", "transforms.a.field": "id"}, "transforms.a.to.field", "must go somewhere"},
		{sdk.Config{"transforms": "a,a", "transforms.a.type": "flatten"}, "transforms", "twice"},
		{sdk.Config{"transforms": "a", "transforms.a.type": "timestamp", "transforms.a.field": "t", "transforms.a.timezone": "Mars/Base"}, "transforms.a.timezone", ""},
		{sdk.Config{"transforms": "a", "transforms.a.type": "classify"}, "transforms.a.rules", "required"},
		{sdk.Config{"transforms": "a", "transforms.a.type": "mask", "transforms.a.field": "phone"}, "transforms.a.field", "no such key"},
		{sdk.Config{"transforms": "a", "transforms.a.type": "filter", "transforms.a.condition": "x=1", "transforms.a.acton": "drop"}, "transforms.a.acton", "no such key"},
		{sdk.Config{"transforms": "a", "transforms.a.type": "extract", "transforms.a.fields": "userId=data.userid:integer"}, "transforms.a.fields", "unknown type"},
		{sdk.Config{"transforms": "a", "transforms.a.type": "rename", "transforms.a.renames": "a:b,b:a"}, "transforms.a.renames", "swaps"},
		{sdk.Config{"transforms": "a", "transforms.a.type": "project", "transforms.a.include": "a,a"}, "transforms.a.include", "twice"},
		{sdk.Config{"transforms": "a", "transforms.a.type": "classify", "transforms.a.rules": "unmatched", "transforms.a.rule.unmatched": "x=1"}, "transforms.a.rules", "another name"},
		{sdk.Config{"transforms": "a", "transforms.a.type": "route", "transforms.a.topic": "dwd.$x.{e}"}, "transforms.a.topic", "cannot be part"},
		{sdk.Config{"transforms": "a", "transforms.a.type": "timestamp", "transforms.a.field": "t", "transforms.a.format": "yyyyMMddHHmmssSSS"}, "transforms.a.format", "must follow ss"},
		{sdk.Config{"transforms": "a", "transforms.a.type": "timestamp", "transforms.a.field": "t", "transforms.a.output.format": "HH:mm '+0100'"}, "transforms.a.output.format", "only spaces"},
		{sdk.Config{"transforms": "a", "transforms.a.type": "flatten"}, "topic", "required unless a route step"},
	}
	for _, c := range cases {
		problems := Plugin.Problems(c.cfg)
		msgs, ok := problems[c.key]
		if !ok || !strings.Contains(strings.Join(msgs, "; "), c.message) {
			t.Errorf("%v: problems %v, want %s to say %q", c.cfg, problems, c.key, c.message)
		}
	}
	good := sdk.Config{"topic": "out", "transforms": "a", "transforms.a.type": "filter", "transforms.a.condition": "x = 1"}
	if problems := Plugin.Problems(good); len(problems) != 0 {
		t.Errorf("a valid chain has problems %v", problems)
	}
}
