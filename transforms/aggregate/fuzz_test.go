package aggregate

import (
	"encoding/json"
	"maps"
	"testing"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// FuzzRecord feeds arbitrary bytes as record values: the operator never
// panics, returns a bad record as itself with a fault, emits valid results
// keyed by JSON arrays, holds no empty group, and its state survives the
// changelog.
func FuzzRecord(f *testing.F) {
	for _, s := range []string{
		`{"op":"c","before":null,"after":{"id":1,"cc_id":7,"confirm_date_time":"2024-01-15 10:00:00","status":3}}`,
		`{"op":"u","before":{"id":1,"cc_id":7,"confirm_date_time":"2024-01-15 10:00:00","status":3},"after":{"id":1,"cc_id":7,"confirm_date_time":"2024-01-15 10:00:00","status":4}}`,
		`{"op":"d","before":{"id":1,"cc_id":7,"confirm_date_time":"2024-01-15 10:00:00","status":3},"after":null}`,
		`{"op":"u","before":{"id":1,"cc_id":7,"confirm_date_time":"2024-01-15 10:00:00","status":3},"after":{"id":"x","cc_id":8,"confirm_date_time":"2024-01-16 10:00:00","status":3}}`,
		`{"id":2,"cc_id":"7","confirm_date_time":"2024-01-15 10:00:00","status":"3"}`,
		`{"id":1.5e400,"cc_id":null,"confirm_date_time":"2024-13-15 10:00:00","status":3}`,
		`{"op":"r","after":{"id":9223372036854775807,"cc_id":7,"confirm_date_time":"2024-01-15 10:00:00","status":3}}`,
		`{"op":"z"}`, `[]`, `nul`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, val []byte) {
		h := newJob7(t, map[string]string{"aggregates": "cc_index=count(),total=sum(id),ids=count_distinct(id),hi=max(id)", "value.max.depth": "16"})
		seed := chg("c", "", order(1, 7, 3, "2024-01-15 10:00:00"))
		in := []sdk.Record{seed, {Topic: "in", Value: val, Offset: 1}, {Topic: "in", Value: val, Offset: 2}}
		for range 2 {
			for _, r := range h.batch(in, true) {
				var key []any
				if err := json.Unmarshal(r.Key, &key); err != nil || len(key) != 2 {
					t.Fatalf("output key %q: %v", r.Key, err)
				}
				if r.Value != nil {
					var m map[string]any
					if err := json.Unmarshal(r.Value, &m); err != nil || m["cc_index"].(float64) < 1 {
						t.Fatalf("output %q: %v", r.Value, err)
					}
				}
			}
		}
		for _, f := range h.faults {
			if f.Offset == 0 || string(f.Value) != string(val) {
				t.Fatalf("fault %v on a record that is not the input", f.Fault)
			}
		}
		op := h.op.(*Operator)
		held := map[string][]byte{}
		for k, g := range op.state.Part(0).Rows {
			if g.g.Rows() <= 0 {
				t.Fatalf("group %x holds %d rows", k, g.g.Rows())
			}
			held[k] = g.g.AppendState(op.p.set, nil)
		}
		h.start()
		op = h.op.(*Operator)
		restored := map[string][]byte{}
		for k, g := range op.state.Part(0).Rows {
			restored[k] = g.g.AppendState(op.p.set, nil)
		}
		if !maps.EqualFunc(held, restored, func(a, b []byte) bool { return string(a) == string(b) }) {
			t.Fatalf("state after a restore differs: %d groups held, %d restored", len(held), len(restored))
		}
	})
}
