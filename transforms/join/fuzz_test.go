package join

import (
	"encoding/json"
	"maps"
	"testing"

	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/transforms/value"
)

// FuzzRecord feeds arbitrary bytes as the values and keys of records of
// either side and of the dimension's topic: the operator never panics,
// returns a bad record as itself with a fault, emits only valid change
// records that retract only what they emitted, and its state survives the
// changelog; a dimension record either reads into one value per column or
// is an error.
func FuzzRecord(f *testing.F) {
	for _, s := range []string{
		`{"id":1,"channel_id":7,"update_time":3}`,
		`{"id":1,"name":"Ann","register_date_time":1704110400000,"status":"NORMAL"}`,
		`{"op":"u","before":{"id":1},"after":{"id":1,"channel_id":"8","update_time":null}}`,
		`{"op":"d","before":{"id":1,"name":"x"},"after":null}`,
		`{"op":"c","after":{"id":2,"name":{"x":[1,2]}}}`,
		`{"op":"r","after":"{\"id\":3}"}`,
		`{"op":"q","after":{}}`,
		`{"id":1e3,"channel_id":-0,"status":1.0,"name":"\ud800"}`,
		`{"id":"1","level":"A","rowkey":"k"}`,
		`[1]`, `nul`, ``,
	} {
		f.Add([]byte(s), []byte(`{"id":1}`), false, uint8(0))
		f.Add([]byte(s), []byte(`{"id":1}`), false, uint8(1))
	}
	f.Add([]byte(nil), []byte(`{"id":1}`), true, uint8(0))
	f.Add([]byte(nil), []byte(`{"id":"1"}`), true, uint8(1))
	f.Add([]byte(nil), []byte(`c4ca4238a0b923820dcc509a6f75849b`), true, uint8(2))
	dims := map[bool]*lookupPlan{}
	for _, keyed := range []bool{false, true} {
		cfg := lookupConfig(map[string]string{"topics": "student,user,dim", "lookup.topics": "dim", "lookup.columns": "id,level"})
		if keyed {
			cfg["lookup.topic.key.field"] = "rowkey"
		}
		p, err := compile(configOf(cfg))
		if err != nil {
			f.Fatal(err)
		}
		dims[keyed] = p.lookup
	}
	f.Fuzz(func(t *testing.T, val, key []byte, tomb bool, side uint8) {
		if tomb {
			val = nil
		}
		if side%3 == 2 {
			for keyed, lp := range dims {
				var before, after value.Row
				h, err := lp.read(&sdk.Record{Topic: "dim", Key: key, Value: val}, &before, &after)
				if err == nil && (h.values != nil && len(h.values) != 2 || h.key == "" && !keyed) {
					t.Fatalf("dimension record read as %+v", h)
				}
			}
			return
		}
		topic := [2]string{"student", "user"}[side%3]
		for _, cfg := range []map[string]string{
			{"output.key.fields": "status,channel", "value.max.depth": "16"},
			{"left.key.fields": "", "right.key.fields": "", "join.type": "inner", "value.max.depth": "16"},
		} {
			h := newHarness(t, cfg, 1)
			in := []sdk.Record{
				student(1, 7), user(1, "Ann", "NORMAL"),
				{Topic: topic, Key: key, Value: val, Offset: 1},
				{Topic: topic, Key: key, Value: val, Offset: 2},
			}
			out, err := h.op.Process(t.Context(), in)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range out {
				if r.Fault != nil {
					if r.Offset == 0 || string(r.Value) != string(val) || string(r.Key) != string(key) {
						t.Fatalf("fault %v on a record that is not the input", r.Fault)
					}
					continue
				}
				var c struct {
					Op            string
					Before, After *map[string]any
				}
				if err := json.Unmarshal(r.Value, &c); err != nil || !json.Valid(r.Key) && cfg["join.type"] != "inner" {
					t.Fatalf("output %q keyed %q: %v", r.Value, r.Key, err)
				}
			}
			h.take(out, true)
			h.table() // valid ops, no retraction of a row never emitted
			held := stateOf(h.op)
			h.start()
			if restored := stateOf(h.op); !maps.Equal(held, restored) {
				t.Fatalf("state after a restore differs: %d keys held, %d restored", len(held), len(restored))
			}
		}
	})
}
