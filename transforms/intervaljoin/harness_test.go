package intervaljoin

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// harness plays the runtime around an Operator: batches in, outputs and
// changelog entries committed together, restarts that restore from the
// committed changelog.
type harness struct {
	t       testing.TB
	cfg     sdk.Config
	op      *Operator
	clock   time.Time
	parts   []sdk.TopicPartition
	log     map[int32][][2][]byte // committed changelog, per partition, in order
	results map[string]string     // upsert table: output key → value
	emitted []string              // every output key and value, in order
	late    []sdk.Record
	faults  []sdk.Record
}

// baseConfig joins topic l (left) with topic r (right) on k, every pair
// with left time - right time in [-5000, 0].
func baseConfig() map[string]string {
	return map[string]string{
		"topic": "out", "late.topic": "late",
		"left.topics": "l", "left.fields": "id:long,k:long,t:long,v", "left.key": "k", "left.time.field": "t",
		"right.topics": "r", "right.fields": "id:long,k:long,t:long,v", "right.key": "k", "right.time.field": "t",
		"interval.lower.ms": "-5000", "interval.upper.ms": "0",
		"output.fields":     "k = right.k, lid = left.id, rid = right.id, lv = left.v, rv = right.v",
		"output.key.fields": "lid,rid", "time.difference.field": "d", "idle.timeout.ms": "0",
	}
}

func newHarness(t testing.TB, cfg map[string]string, parts ...sdk.TopicPartition) *harness {
	t.Helper()
	base := baseConfig()
	for k, v := range cfg {
		if v == "" {
			delete(base, k)
		} else {
			base[k] = v
		}
	}
	if len(parts) == 0 {
		parts = []sdk.TopicPartition{{Topic: "l"}, {Topic: "r"}}
	}
	h := &harness{t: t, cfg: base, clock: time.Unix(1_700_000_000, 0), parts: parts,
		log: map[int32][][2][]byte{}, results: map[string]string{}}
	h.start()
	return h
}

// start opens a fresh operator and restores the committed changelog.
func (h *harness) start() {
	h.t.Helper()
	if err := h.restart(); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) restart() error {
	op := &Operator{}
	p, err := compile(h.cfg)
	if err != nil {
		return err
	}
	op.init(p, func() time.Time { return h.clock })
	if err := op.Assign(h.parts); err != nil {
		return err
	}
	for _, part := range slices.Sorted(maps.Keys(h.log)) {
		for _, kv := range h.log[part] {
			if err := op.Restore(part, kv[0], kv[1]); err != nil {
				return err
			}
		}
	}
	h.op = op
	return nil
}

// batch processes records and commits (outputs and changelog) unless lost.
func (h *harness) batch(recs []sdk.Record, commit bool) []sdk.Record {
	h.t.Helper()
	out, err := h.op.Process(context.Background(), recs)
	if err != nil {
		h.t.Fatal(err)
	}
	h.take(out, commit)
	return out
}

func (h *harness) tick(d time.Duration) {
	h.t.Helper()
	h.clock = h.clock.Add(d)
	out, err := h.op.Tick(context.Background(), h.clock)
	if err != nil {
		h.t.Fatal(err)
	}
	h.take(out, true)
}

func (h *harness) take(out []sdk.Record, commit bool) {
	changes := h.op.Changes()
	if !commit {
		return
	}
	for _, r := range out {
		switch {
		case r.Fault != nil:
			h.faults = append(h.faults, r)
		case r.Topic == h.cfg["late.topic"]:
			h.late = append(h.late, r)
		case r.Topic != "":
			h.t.Fatalf("output to topic %q", r.Topic)
		default:
			if !json.Valid(r.Key) || !json.Valid(r.Value) {
				h.t.Fatalf("output %s = %s is not JSON", r.Key, r.Value)
			}
			h.results[string(r.Key)] = string(r.Value)
			h.emitted = append(h.emitted, string(r.Key)+" "+string(r.Value))
		}
	}
	for _, c := range changes {
		var v []byte
		if c.Value != nil {
			v = slices.Clone(c.Value)
		}
		h.log[c.Partition] = append(h.log[c.Partition], [2][]byte{slices.Clone(c.Key), v})
	}
}

// entries counts the records held in the state.
func (h *harness) entries() (left, right int) {
	for _, pt := range h.op.parts {
		for _, ks := range pt.keys {
			left += len(ks.left)
			right += len(ks.right)
		}
	}
	return left, right
}

// field reads one field of an output value.
func field(t testing.TB, v string, name string) any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(v), &m); err != nil {
		t.Fatalf("output %s: %v", v, err)
	}
	return m[name]
}
