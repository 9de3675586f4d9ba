package aggregate

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// stateful is what the runtime drives: a transform with state.
type stateful interface {
	sdk.Transform
	sdk.Stateful
}

// harness plays the runtime around a stateful transform: batches in,
// outputs and changelog entries committed together, restarts that restore
// from the committed changelog.
type harness struct {
	t      testing.TB
	open   func() stateful // a new operator, opened
	op     stateful
	parts  []sdk.TopicPartition
	log    map[int32][][2][]byte // committed changelog, per partition, in order
	table  map[string]string     // the upsert table of the outputs: key → value
	out    []sdk.Record          // committed outputs, copied, in order
	faults []sdk.Record
}

func newHarness(t testing.TB, open func() stateful, parts int) *harness {
	t.Helper()
	h := &harness{t: t, open: open, log: map[int32][][2][]byte{}, table: map[string]string{}}
	for p := range parts {
		h.parts = append(h.parts, sdk.TopicPartition{Topic: "in", Partition: int32(p)})
	}
	h.start()
	return h
}

// start opens a fresh operator and restores the committed changelog.
func (h *harness) start() {
	h.t.Helper()
	op := h.open()
	if err := op.Assign(h.parts); err != nil {
		h.t.Fatal(err)
	}
	for _, part := range slices.Sorted(maps.Keys(h.log)) {
		for _, kv := range h.log[part] {
			if err := op.Restore(part, kv[0], kv[1]); err != nil {
				h.t.Fatal(err)
			}
		}
	}
	h.op = op
}

// batch processes records and commits outputs and changelog unless lost;
// it returns the batch's outputs that are not faults, as the runtime would
// produce them (copied).
func (h *harness) batch(recs []sdk.Record, commit bool) []sdk.Record {
	h.t.Helper()
	out, err := h.op.Process(context.Background(), recs)
	if err != nil {
		h.t.Fatal(err)
	}
	changes := h.op.Changes()
	var got []sdk.Record
	for _, r := range out {
		if r.Fault != nil {
			if commit {
				h.faults = append(h.faults, r)
			}
			continue
		}
		c := sdk.Record{Key: slices.Clone(r.Key), Timestamp: r.Timestamp}
		if r.Value != nil {
			c.Value = slices.Clone(r.Value)
		}
		got = append(got, c)
	}
	if !commit {
		return got
	}
	for _, r := range got {
		if r.Value == nil {
			delete(h.table, string(r.Key))
		} else {
			h.table[string(r.Key)] = string(r.Value)
		}
	}
	h.out = append(h.out, got...)
	for _, c := range changes {
		var v []byte
		if c.Value != nil {
			v = slices.Clone(c.Value)
		}
		h.log[c.Partition] = append(h.log[c.Partition], [2][]byte{slices.Clone(c.Key), v})
	}
	return got
}

// counts returns the operator's counts.
func (h *harness) counts() map[string]int64 { return h.op.(sdk.Counted).Counts() }

// aggregateOpener opens Operators of cfg, on the clock *now.
func aggregateOpener(t testing.TB, cfg map[string]string, now *time.Time) func() stateful {
	t.Helper()
	p, err := compile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return func() stateful {
		op := &Operator{}
		op.init(p, func() time.Time { return *now })
		return op
	}
}

// fields reads an output value.
func fields(t testing.TB, v string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(v), &m); err != nil {
		t.Fatalf("output %q: %v", v, err)
	}
	return m
}
