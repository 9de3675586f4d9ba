package applog

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
)

func testBuilder(t *testing.T, cfg sdk.Config) *builder {
	t.Helper()
	full := sdk.Config{"listen": "127.0.0.1:0", "topic": "events"}
	for k, v := range cfg {
		full[k] = v
	}
	var c Config
	if err := sdk.Decode(full, &c); err != nil {
		t.Fatal(err)
	}
	b, err := newBuilder(&c, 4096)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRecordRouting(t *testing.T) {
	received := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	routed := sdk.Config{
		"route.field": "type", "route.topics": "signal:ods.classroom_signal, qos:ods.qos_log, a:b:ods.colon",
		"key.field": "meta.id", "timestamp.field": "ts",
	}
	prefixed := sdk.Config{"route.field": "meta.kind", "topic.prefix": "app.", "route.topics": "x:ods.x"}
	tests := []struct {
		name  string
		cfg   sdk.Config
		event string
		topic string
		key   string // "-" for none
		ts    time.Time
		err   string
	}{
		{"plain", nil, `{"type":"qos"}`, "events", "-", received, ""},
		{"mapped", routed, `{"type":"qos","ts":1700000000123}`, "ods.qos_log", "-", time.UnixMilli(1700000000123), ""},
		{"mapped with colon", routed, `{"type":"a:b"}`, "ods.colon", "-", received, ""},
		{"unmapped goes to the default", routed, `{"type":"other"}`, "events", "-", received, ""},
		{"absent route", routed, `{"x":1}`, "events", "-", received, ""},
		{"null route", routed, `{"type":null}`, "events", "-", received, ""},
		{"route not a string", routed, `{"type":7}`, "", "", received, `route field "type" is a JSON number, not a string`},
		{"route an object", routed, `{"type":{"a":1}}`, "", "", received, "is a JSON object, not a string"},
		{"escaped route value", routed, `{"type":"q\u006fs"}`, "ods.qos_log", "-", received, ""},
		{"string key in a nested object", routed, `{"type":"signal","meta":{"id":"e-1"}}`, "ods.classroom_signal", "e-1", received, ""},
		{"number key", routed, `{"meta":{"id":42}}`, "events", "42", received, ""},
		{"object key", routed, `{"meta":{"id":{"a":[1, 2]}}}`, "events", `{"a":[1, 2]}`, received, ""},
		{"path through a non-object", routed, `{"meta":"flat"}`, "events", "-", received, ""},
		{"rfc 3339 time", routed, `{"ts":"2025-01-02T03:04:05.678+01:00"}`, "events", "-", time.Date(2025, 1, 2, 2, 4, 5, 678e6, time.UTC), ""},
		{"future time is a wrong clock", routed, `{"ts":"2027-01-01T00:00:00Z"}`, "events", "-", received, ""},
		{"negative time", routed, `{"ts":-5}`, "", "", received, "not milliseconds between 1970 and 9999"},
		{"bad time string", routed, `{"ts":"yesterday"}`, "", "", received, `"yesterday" is not an RFC 3339 time`},
		{"time of the wrong type", routed, `{"ts":true}`, "", "", received, "is a JSON boolean"},
		{"pre-1970 time", routed, `{"ts":"1969-12-31T23:59:59Z"}`, "", "", received, "not between 1970 and 9999"},
		{"prefix", prefixed, `{"meta":{"kind":"crash"}}`, "app.crash", "-", received, ""},
		{"prefix, mapped first", prefixed, `{"meta":{"kind":"x"}}`, "ods.x", "-", received, ""},
		{"top-level name with a dot wins", prefixed, `{"meta.kind":"top","meta":{"kind":"nested"}}`, "app.top", "-", received, ""},
		{"prefix, illegal topic", prefixed, `{"meta":{"kind":"a b/c"}}`, "", "", received, `value "a b/c" does not make a legal topic name`},
		{"prefix, empty value", prefixed, `{"meta":{"kind":""}}`, "app.", "-", received, ""},
		{"too large", nil, `{"pad":"` + strings.Repeat("x", 4096) + `"}`, "", "", received, "over max.record.bytes=4096"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := testBuilder(t, tt.cfg)
			headers := []sdk.Header{{Key: HeaderApp, Value: []byte("appA")}}
			rec, err := b.record([]byte(tt.event), headers, received)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			key := string(rec.Key)
			if rec.Key == nil {
				key = "-"
			}
			if rec.Topic != tt.topic || key != tt.key || !rec.Timestamp.Equal(tt.ts) {
				t.Fatalf("topic %q key %q ts %v; want %q %q %v", rec.Topic, key, rec.Timestamp, tt.topic, tt.key, tt.ts)
			}
			if string(rec.Value) != tt.event || rec.Partition != -1 || len(rec.Headers) != 1 || rec.Fault != nil {
				t.Fatalf("record %+v", rec)
			}
		})
	}
}

func TestFaultRecord(t *testing.T) {
	b := testBuilder(t, nil)
	headers := []sdk.Header{{Key: HeaderApp, Value: []byte("appA")}, {Key: "x", Value: nil}}
	big := []byte(strings.Repeat("y", 5000))
	rec := b.fault(big, headers[:1], time.Now(), errors.New("event is a JSON number, not an object"))
	if len(rec.Value) != 2048 || string(rec.Headers[len(rec.Headers)-1].Value) != "5000" || rec.Headers[len(rec.Headers)-1].Key != HeaderTruncated {
		t.Fatalf("fault of a large event: value %d bytes, headers %v", len(rec.Value), rec.Headers)
	}
	if headers[1].Key != "x" {
		t.Fatal("the truncation header overwrote a shared header")
	}
	var inv *InvalidEvent
	if !errors.As(rec.Fault, &inv) || inv.Reason != "event is a JSON number, not an object" || rec.Topic != "events" {
		t.Fatalf("fault %v topic %q", rec.Fault, rec.Topic)
	}
}

func TestBuilderConfig(t *testing.T) {
	for name, cfg := range map[string]sdk.Config{
		"route field without routes": {"route.field": "type"},
		"routes without a field":     {"route.topics": "a:b"},
		"duplicate value":            {"route.field": "type", "route.topics": "a:b,a:c"},
		"illegal topic":              {"route.field": "type", "route.topics": "a:b/c"},
	} {
		var c Config
		full := sdk.Config{"listen": ":0", "topic": "t"}
		for k, v := range cfg {
			full[k] = v
		}
		err := sdk.Decode(full, &c)
		if err == nil {
			_, err = newBuilder(&c, 1<<20)
		}
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestParseKeys(t *testing.T) {
	k, err := parseKeys(" appA:secret1 , appB:se:cret2,")
	if err != nil || len(k.apps) != 2 || k.apps[1] != "appB" {
		t.Fatalf("keyring %+v, %v", k, err)
	}
	if k, err := parseKeys(" , "); k != nil || err != nil {
		t.Fatalf("empty list: %+v, %v", k, err)
	}
	for _, bad := range []string{"appA", "appA:", ":secret", "a:s1,a:s2", "a:same,b:same"} {
		_, err := parseKeys(bad)
		if err == nil {
			t.Errorf("parseKeys(%q) accepted", bad)
		} else if strings.Contains(err.Error(), "s1") || strings.Contains(err.Error(), "same") || strings.Contains(err.Error(), "secret") {
			t.Errorf("parseKeys(%q) error shows a key: %v", bad, err)
		}
	}
}
