package join

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/transforms/lookup"
)

// baseConfig is a left join of students and users by id, as job 6 joins
// them, with an output of plain copies.
var baseConfig = map[string]string{
	"topics": "student,user", "topic": "out",
	"left.topics": "student", "right.topics": "user",
	"left.fields":     "id:long,channel_id:long,update_time:long",
	"right.fields":    "id:long,name,register_date_time:long,status",
	"left.key.fields": "id", "right.key.fields": "id",
	"join.type":     "left",
	"output.fields": "id = left.id, channel = left.channel_id, name = right.name, status = right.status",
}

// harness plays the runtime around an Operator: batches in, outputs and
// changelog entries committed together, restarts that restore from the
// committed changelog.
type harness struct {
	t     testing.TB
	cfg   map[string]string
	op    *Operator
	clock time.Time
	parts []sdk.TopicPartition
	// table opens the lookup table of each start (a restart starts with a
	// cold cache, as a new task does); nil: the config has no lookup.
	lookupTable func() *lookup.Table
	log         map[int32][][2][]byte // committed changelog, per partition, in order
	out         []sdk.Record          // committed outputs, in order
	faults      []sdk.Record
}

// newHarness makes a harness of baseConfig changed by cfg (an empty value
// removes a key).
func newHarness(t testing.TB, cfg map[string]string, parts int) *harness {
	t.Helper()
	h := makeHarness(t, cfg, parts)
	h.start()
	return h
}

func makeHarness(t testing.TB, cfg map[string]string, parts int) *harness {
	h := &harness{t: t, cfg: configOf(cfg), clock: time.Unix(1_700_000_000, 0), log: map[int32][][2][]byte{}}
	for p := range parts {
		h.parts = append(h.parts, sdk.TopicPartition{Topic: "student", Partition: int32(p)}, sdk.TopicPartition{Topic: "user", Partition: int32(p)})
	}
	return h
}

func configOf(cfg map[string]string) map[string]string {
	base := maps.Clone(baseConfig)
	maps.Copy(base, cfg)
	for k, v := range base {
		if v == "" {
			delete(base, k)
		}
	}
	return base
}

// start opens a fresh operator and restores the committed changelog.
func (h *harness) start() {
	h.t.Helper()
	if h.op != nil {
		h.op.Close()
	}
	p, err := compile(h.cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	var tbl *lookup.Table
	if h.lookupTable != nil {
		tbl = h.lookupTable()
	} else if p.lookup != nil {
		h.t.Fatal("a lookup config without harness.lookupTable")
	}
	op := &Operator{}
	op.init(p, func() time.Time { return h.clock }, tbl)
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
	h.t.Cleanup(func() { op.Close() })
}

// batch processes records and commits outputs and changelog unless lost;
// it returns the outputs of the batch that are not faults, as "key value".
func (h *harness) batch(recs []sdk.Record, commit bool) []string {
	h.t.Helper()
	out, err := h.op.Process(context.Background(), recs)
	if err != nil {
		h.t.Fatal(err)
	}
	return h.take(out, commit)
}

// send is batch of one committed batch.
func (h *harness) send(recs ...sdk.Record) []string {
	h.t.Helper()
	return h.batch(recs, true)
}

func (h *harness) tick(d time.Duration) []string {
	h.t.Helper()
	h.clock = h.clock.Add(d)
	out, err := h.op.Tick(context.Background(), h.clock)
	if err != nil {
		h.t.Fatal(err)
	}
	return h.take(out, true)
}

// take copies what the runtime would produce: the operator reuses its
// memory at the next call.
func (h *harness) take(out []sdk.Record, commit bool) []string {
	changes := h.op.Changes()
	var got []string
	for _, r := range out {
		if r.Fault != nil {
			if commit {
				h.faults = append(h.faults, r)
			}
			continue
		}
		got = append(got, string(r.Key)+" "+string(r.Value))
		if commit {
			h.out = append(h.out, sdk.Record{Key: slices.Clone(r.Key), Value: slices.Clone(r.Value), Timestamp: r.Timestamp})
		}
	}
	if commit {
		for _, c := range changes {
			var v []byte
			if c.Value != nil {
				v = slices.Clone(c.Value)
			}
			h.log[c.Partition] = append(h.log[c.Partition], [2][]byte{slices.Clone(c.Key), v})
		}
	}
	return got
}

// table replays the committed change records into the (key, row) pairs
// they leave, failing on a retraction of a pair not there, on an op whose
// rows do not fit it, and on an update that changes nothing: the checks an
// aggregation downstream makes, and more.
func (h *harness) table() map[string]int {
	h.t.Helper()
	return replay(h.t, h.out)
}

func replay(t testing.TB, out []sdk.Record) map[string]int {
	t.Helper()
	rows := map[string]int{}
	for _, r := range out {
		var c struct {
			Op            string
			Before, After json.RawMessage
		}
		if err := json.Unmarshal(r.Value, &c); err != nil {
			t.Fatalf("output %s: %v", r.Value, err)
		}
		before, after := string(c.Before), string(c.After)
		switch {
		case c.Op == "c" && before == "null" && after != "null":
		case c.Op == "u" && before != "null" && after != "null" && before != after:
		case c.Op == "d" && before != "null" && after == "null":
		default:
			t.Fatalf("output %s: op and rows disagree", r.Value)
		}
		if c.Op != "c" {
			k := string(r.Key) + " " + before
			if rows[k] == 0 {
				t.Fatalf("output %s keyed %s retracts a row not emitted before under that key", r.Value, r.Key)
			}
			if rows[k]--; rows[k] == 0 {
				delete(rows, k)
			}
		}
		if c.Op != "d" {
			rows[string(r.Key)+" "+after]++
		}
	}
	return rows
}

// faultTexts returns the committed faults' errors.
func (h *harness) faultTexts() []string {
	var s []string
	for _, f := range h.faults {
		s = append(s, f.Fault.Error())
	}
	return s
}

// counts returns the operator's counts that are not zero.
func (h *harness) counts() map[string]int64 {
	m := h.op.Counts()
	maps.DeleteFunc(m, func(_ string, v int64) bool { return v == 0 })
	return m
}

// rec makes a record of topic keyed {"id":id} in partition 0.
func rec(topic string, id int, value string) sdk.Record {
	r := sdk.Record{Topic: topic, Key: fmt.Appendf(nil, `{"id":%d}`, id), Timestamp: time.UnixMilli(1_700_000_000_000)}
	if value != "" {
		r.Value = []byte(value)
	}
	return r
}

func student(id, channel int) sdk.Record {
	return rec("student", id, fmt.Sprintf(`{"id":%d,"channel_id":%d,"update_time":1704067200000}`, id, channel))
}

func user(id int, name, status string) sdk.Record {
	return rec("user", id, fmt.Sprintf(`{"id":%d,"name":%q,"register_date_time":1704110400000,"status":%q}`, id, name, status))
}

func tombstone(topic string, id int) sdk.Record { return rec(topic, id, "") }

// envelope makes a Debezium change record, as the mysql source writes it.
func envelope(topic string, id int, op, before, after string) sdk.Record {
	return rec(topic, id, fmt.Sprintf(`{"before":%s,"after":%s,"source":{"connector":"mysql","db":"uc_account"},"op":%q,"ts_ms":1704067200000,"transaction":null}`, before, after, op))
}

// wantOut compares outputs, written with ' for " for readability.
func wantOut(t testing.TB, got []string, want ...string) {
	t.Helper()
	for i := range want {
		want[i] = strings.ReplaceAll(want[i], "'", `"`)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("outputs\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// wantCounts compares the counts named in want.
func wantCounts(t testing.TB, h *harness, want map[string]int64) {
	t.Helper()
	got := h.op.Counts()
	var bad []string
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if got[k] != want[k] {
			bad = append(bad, fmt.Sprintf("%s = %d, want %d", k, got[k], want[k]))
		}
	}
	if len(bad) > 0 {
		t.Errorf("counts: %s (all: %v)", strings.Join(bad, "; "), h.counts())
	}
}

// sortedKeys lists a table's entries, sorted, for messages.
func sortedKeys(m map[string]int) []string {
	var s []string
	for k, n := range m {
		s = append(s, fmt.Sprintf("%s ×%d", k, n))
	}
	sort.Strings(s)
	return s
}
