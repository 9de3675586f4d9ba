package intervaljoin

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// fuzzConfig is a self-join of job 4's shape over topic q, with values of
// every kind kept: match earliest, so right entries carry their match.
func fuzzConfig() map[string]string {
	return map[string]string{
		"left.topics": "q", "right.topics": "q",
		"left.fields":  "k:long,c:string,t,x,e=extra.v",
		"right.fields": "k:long,c:string,t,x,e=extra.v",
		"left.key":     "k,c", "right.key": "k,c", "right.where": "x is not null",
		"interval.lower.ms": "-60000", "interval.upper.ms": "0", "match": "earliest",
		"output.fields":     "k = right.k, c = right.c, lx = left.x, le = left.e, rx = right.x, rt = right.t",
		"output.key.fields": "k,c,rt", "allowed.lateness.ms": "5000", "value.max.depth": "16",
	}
}

// FuzzRecord feeds arbitrary bytes as record values: the operator never
// panics, refuses a bad record as itself, emits only JSON, and its state
// survives the changelog so that a replay after a restore emits what the
// first run did.
func FuzzRecord(f *testing.F) {
	for _, s := range []string{
		`{"k":7,"c":"c1","t":1700000001000,"x":1,"extra":{"v":"a"}}`,
		`{"k":"7","c":1,"t":"1700000002000","x":{"a":[1,2]},"extra":"{\"v\":[true,null]}"}`,
		`{"k":7,"c":"c1","t":1700000000500,"x":null,"extra":{"v":1e400}}`,
		`{"k":7,"c":"c1","t":1700000001500.0,"x":"\ud800","extra":""}`,
		`{"k":7,"c":"c1","t":-1,"x":1}`,
		`{"k":1e3,"c":"c1","t":253402300799999,"x":false}`,
		`{"k":7,"c":"c1","t":1700000000000,"x":1,"k":null}`,
		`[1]`, `nul`, ``, `{"k":7`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, val []byte) {
		in := []sdk.Record{
			{Topic: "q", Value: []byte(`{"k":7,"c":"c1","t":1700000000000,"extra":{"v":"first"}}`)},
			{Topic: "q", Value: val, Offset: 1},
			{Topic: "q", Value: []byte(`{"k":7,"c":"c1","t":1700000001000,"x":"s","extra":{"v":"second"}}`), Offset: 2},
			{Topic: "q", Value: val, Offset: 3},
		}
		h := newHarness(t, fuzzConfig(), sdk.TopicPartition{Topic: "q"})
		out := h.batch(in[:2], true)
		out = append(slices.Clone(out), h.batch(in[2:], true)...)
		for _, r := range out {
			if r.Fault != nil && (r.Offset%2 == 0 || !bytes.Equal(r.Value, val)) {
				t.Fatalf("fault %v on a record that is not the input", r.Fault)
			}
		}
		first := slices.Clone(h.emitted)
		l, r := h.entries()
		h.start()
		if l2, r2 := h.entries(); l2 != l || r2 != r {
			t.Fatalf("restored %d left and %d right entries, held %d and %d", l2, r2, l, r)
		}
		// A replay of the last batch after a restore from before it.
		h2 := newHarness(t, fuzzConfig(), sdk.TopicPartition{Topic: "q"})
		h2.batch(in[:2], true)
		h2.batch(in[2:], false)
		h2.start()
		h2.batch(in[2:], true)
		if !slices.Equal(h2.emitted, first) {
			t.Fatalf("after a restore, the replay emitted\n%v\nthe first run\n%v", h2.emitted, first)
		}
	})
}

// FuzzRestore feeds arbitrary changelog entries: Restore never panics,
// and what it accepts joins and is logged again without a panic and
// without output that is not JSON.
func FuzzRestore(f *testing.F) {
	h := newHarness(f, fuzzConfig(), sdk.TopicPartition{Topic: "q"})
	h.batch([]sdk.Record{
		{Topic: "q", Value: []byte(`{"k":7,"c":"c1","t":1700000000000,"x":{"a":1},"extra":{"v":"a"}}`)},
		{Topic: "q", Value: []byte(`{"k":7,"c":"c1","t":1700000001000,"x":"s","extra":{"v":2.5}}`)},
	}, true)
	for _, kv := range h.log[0] {
		f.Add(kv[0], kv[1])
	}
	f.Add([]byte{keyHorizon}, binary.AppendVarint(nil, math.MaxInt64))
	f.Add([]byte{keyMaxTime, 'q'}, binary.AppendVarint(nil, -5))
	f.Fuzz(func(t *testing.T, key, val []byte) {
		op := &Operator{}
		p, err := compile(h.cfg)
		if err != nil {
			t.Fatal(err)
		}
		op.init(p, func() time.Time { return time.Unix(1_700_000_000, 0) })
		if err := op.Assign([]sdk.TopicPartition{{Topic: "q"}}); err != nil {
			t.Fatal(err)
		}
		for _, kv := range h.log[0] {
			if kv[0][0] == keySchema {
				if err := op.Restore(0, kv[0], kv[1]); err != nil {
					t.Fatal(err)
				}
			}
		}
		if op.Restore(0, key, val) != nil {
			return
		}
		out, err := op.Process(t.Context(), []sdk.Record{
			{Topic: "q", Value: []byte(`{"k":7,"c":"c1","t":1700000000500,"x":1}`)},
			{Topic: "q", Value: []byte(`{"k":7,"c":"c1","t":1700000002000,"x":2}`)},
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range out {
			if r.Fault == nil && r.Topic == "" && (!json.Valid(r.Key) || !json.Valid(r.Value)) {
				t.Fatalf("output %s = %s is not JSON", r.Key, r.Value)
			}
		}
		op.Changes()
		if _, err := op.Tick(t.Context(), time.Unix(1_800_000_000, 0)); err != nil {
			t.Fatal(err)
		}
		op.Changes()
	})
}
