package record

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestParseChange(t *testing.T) {
	tests := []struct {
		name    string
		value   string
		nilVal  bool
		op      Op
		row     map[string]any
		wantErr string
	}{
		{name: "debezium create", value: `{"before":null,"after":{"id":1},"op":"c","ts_ms":5}`, op: OpCreate, row: map[string]any{"id": json.Number("1")}},
		{name: "debezium update keeps exact decimals", value: `{"before":{"id":1,"v":"1.10"},"after":{"id":1,"v":"1.20"},"op":"u"}`, op: OpUpdate, row: map[string]any{"id": json.Number("1"), "v": "1.20"}},
		{name: "delete gives the before row", value: `{"before":{"id":9},"after":null,"op":"d"}`, op: OpDelete, row: map[string]any{"id": json.Number("9")}},
		{name: "snapshot read", value: `{"after":{"id":2},"op":"r"}`, op: OpRead, row: map[string]any{"id": json.Number("2")}},
		{name: "schema+payload wrapper", value: `{"schema":{},"payload":{"after":{"id":3},"op":"c"}}`, op: OpCreate, row: map[string]any{"id": json.Number("3")}},
		{name: "plain row", value: `{"id":18446744073709551615,"op":"not an envelope field"}`, op: OpNone, row: map[string]any{"id": json.Number("18446744073709551615"), "op": "not an envelope field"}},
		{name: "tombstone", nilVal: true, op: OpDelete},
		{name: "unknown op", value: `{"after":{"id":1},"op":"x"}`, wantErr: "unknown op"},
		{name: "create without after", value: `{"before":{"id":1},"after":null,"op":"c"}`, wantErr: "without after"},
		{name: "delete without before", value: `{"before":null,"after":{"id":1},"op":"d"}`, wantErr: "without before"},
		{name: "after not an object", value: `{"after":[1],"op":"c"}`, wantErr: "not an object"},
		{name: "not JSON", value: `{"id":`, wantErr: "invalid JSON"},
		{name: "trailing data", value: `{"id":1} {"id":2}`, wantErr: "after the top-level value"},
		{name: "array", value: `[1,2]`, wantErr: "not a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var value []byte
			if !tt.nilVal {
				value = []byte(tt.value)
			}
			c, err := ParseChange(value)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Op != tt.op {
				t.Fatalf("op = %q, want %q", c.Op, tt.op)
			}
			got, _ := json.Marshal(c.Row())
			want, _ := json.Marshal(tt.row)
			if string(got) != string(want) {
				t.Fatalf("row = %s, want %s", got, want)
			}
		})
	}
}

func TestChangeRoundTrip(t *testing.T) {
	in := `{"op":"u","before":{"id":1,"s":"a<b>&\"q\""},"after":{"id":1,"s":"🎓\n"},"source":{"db":"x"},"ts_ms":7}`
	c, err := ParseChange([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), `\u003c`) {
		t.Fatalf("HTML-escaped output: %s", out)
	}
	back, err := ParseChange(out)
	if err != nil {
		t.Fatal(err)
	}
	if back.Op != OpUpdate || back.After["s"] != "🎓\n" || back.Before["s"] != `a<b>&"q"` || back.TsMs != 7 {
		t.Fatalf("round trip lost data: %+v", back)
	}
}

func TestPositionKeyIsCanonical(t *testing.T) {
	a := Position{Partition: map[string]any{"b": 1, "a": "x"}}
	b := Position{Partition: map[string]any{"a": "x", "b": 1}}
	if a.PartitionKey() != b.PartitionKey() || a.PartitionKey() != `{"a":"x","b":1}` {
		t.Fatalf("keys %s and %s", a.PartitionKey(), b.PartitionKey())
	}
}

func TestHeaders(t *testing.T) {
	var r Record
	r.Headers = []Header{{"a", []byte("1")}, {"b", []byte("2")}, {"a", []byte("3")}}
	if v, ok := r.Header("a"); !ok || string(v) != "3" {
		t.Fatalf("Header(a) = %q %v, want the last one", v, ok)
	}
	r.SetHeader("a", []byte("4"))
	if len(r.Headers) != 2 || string(r.Headers[1].Value) != "4" {
		t.Fatalf("SetHeader left %+v", r.Headers)
	}
	c := r.Clone()
	c.Headers[0].Value[0] = 'x'
	if string(r.Headers[0].Value) != "2" {
		t.Fatal("Clone shares header bytes")
	}
}

// FuzzParseChange: record values come from outside (any producer can write
// to a topic); parsing must never panic, and what it accepts must round-trip.
func FuzzParseChange(f *testing.F) {
	for _, s := range []string{`{"op":"c","after":{"id":1}}`, `{"id":1}`, `{"schema":{},"payload":{"op":"d","before":{}}}`, `[`, `null`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseChange(data)
		if err != nil {
			return
		}
		out, err := c.Marshal()
		if err != nil {
			t.Fatalf("accepted change does not marshal: %v", err)
		}
		back, err := ParseChange(out)
		if err != nil {
			t.Fatalf("marshalled change %s does not parse: %v", out, err)
		}
		if back.Op != c.Op {
			t.Fatalf("op %q became %q", c.Op, back.Op)
		}
	})
}

func TestOffsetInt(t *testing.T) {
	good := map[any]int64{int64(7): 7, 7: 7, int32(7): 7, uint32(7): 7, uint64(7): 7, float64(7): 7, json.Number("9007199254740993"): 9007199254740993}
	for in, want := range good {
		if got, err := OffsetInt(in); err != nil || got != want {
			t.Errorf("OffsetInt(%#v) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []any{-1, 1.5, "7", nil, json.Number("x"), uint64(1 << 63), []int{1}} {
		if got, err := OffsetInt(in); err == nil {
			t.Errorf("OffsetInt(%#v) = %d, want an error", in, got)
		}
	}
}
