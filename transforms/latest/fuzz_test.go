package latest

import (
	"encoding/json"
	"maps"
	"testing"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// FuzzRecord feeds arbitrary bytes as record values and keys: the operator
// never panics, returns a bad record as itself with a fault, emits only
// valid change records, and its state survives the changelog.
func FuzzRecord(f *testing.F) {
	for _, s := range []string{
		`{"id":1,"cc_id":7,"status":3,"day":"2024-01-01"}`,
		`{"op":"u","before":{"id":1},"after":{"id":1,"cc_id":"8","status":3,"day":null}}`,
		`{"op":"d","before":{"id":1,"cc_id":7},"after":null}`,
		`{"op":"c","after":{"id":2,"day":{"x":[1,2]}}}`,
		`{"op":"r","after":"{\"id\":3}"}`,
		`{"op":"q","after":{}}`,
		`{"id":1e3,"cc_id":-0,"status":1.0,"day":"\ud800"}`,
		`[1]`, `nul`, ``,
	} {
		f.Add([]byte(s), []byte(`{"id":1}`), false)
	}
	f.Add([]byte(nil), []byte(`{"id":1}`), true)
	f.Add([]byte(nil), []byte(`{"id":"1"}`), true)
	f.Fuzz(func(t *testing.T, val, key []byte, tomb bool) {
		for _, keyFields := range []string{"id", ""} {
			h := newHarness(t, map[string]string{"key.fields": keyFields, "output.key.fields": "", "value.max.depth": "16"}, 1)
			if keyFields == "id" {
				h.cfg["output.key.fields"] = "cc_id,day"
				h.start()
			}
			if tomb {
				val = nil
			}
			in := []sdk.Record{
				{Topic: "in", Key: []byte(`{"id":1}`), Value: []byte(`{"id":1,"cc_id":7,"status":3,"day":"2024-01-01"}`)},
				{Topic: "in", Key: key, Value: val, Offset: 1},
				{Topic: "in", Key: key, Value: val, Offset: 2},
			}
			out, err := h.op.Process(t.Context(), in)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range out {
				if r.Fault != nil {
					if r.Offset == 0 || string(r.Value) != string(val) {
						t.Fatalf("fault %v on a record that is not the input", r.Fault)
					}
					continue
				}
				var c struct {
					Op            string
					Before, After *map[string]any
				}
				if err := json.Unmarshal(r.Value, &c); err != nil || !json.Valid(r.Key) && keyFields != "" {
					t.Fatalf("output %q keyed %q: %v", r.Value, r.Key, err)
				}
				if (c.Op == "c") != (c.Before == nil && c.After != nil) || (c.Op == "d") != (c.Before != nil && c.After == nil) {
					t.Fatalf("output %s: op and rows disagree", r.Value)
				}
			}
			h.take(out, true)
			h.table() // no retraction of a row never added
			held := maps.Clone(h.op.state.Part(0).Rows)
			h.start()
			restored := h.op.state.Part(0).Rows
			if !maps.EqualFunc(held, restored, func(a, b entry) bool { return string(a.row) == string(b.row) && a.at == b.at }) {
				t.Fatalf("state after a restore differs: %d rows held, %d restored", len(held), len(restored))
			}
		}
	})
}
