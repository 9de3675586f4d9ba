package latest

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// harness plays the runtime around an Operator: batches in, outputs and
// changelog entries committed together, restarts that restore from the
// committed changelog.
type harness struct {
	t      testing.TB
	cfg    map[string]string
	op     *Operator
	clock  time.Time
	parts  []sdk.TopicPartition
	log    map[int32][][2][]byte // committed changelog, per partition, in order
	out    []sdk.Record          // committed outputs, in order
	faults []sdk.Record
}

func newHarness(t testing.TB, cfg map[string]string, parts int) *harness {
	t.Helper()
	base := map[string]string{
		"topic": "out", "fields": "id:long,cc_id:long,status:long,day", "key.fields": "id",
	}
	maps.Copy(base, cfg)
	for k, v := range base {
		if v == "" {
			delete(base, k)
		}
	}
	h := &harness{t: t, cfg: base, clock: time.Unix(1_700_000_000, 0), log: map[int32][][2][]byte{}}
	for p := range parts {
		h.parts = append(h.parts, sdk.TopicPartition{Topic: "in", Partition: int32(p)})
	}
	h.start()
	return h
}

// start opens a fresh operator and restores the committed changelog.
func (h *harness) start() {
	h.t.Helper()
	op := &Operator{}
	p, err := compile(h.cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	op.init(p, func() time.Time { return h.clock })
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
// it returns the outputs of the batch that are not faults, as text.
func (h *harness) batch(recs []sdk.Record, commit bool) []string {
	h.t.Helper()
	out, err := h.op.Process(context.Background(), recs)
	if err != nil {
		h.t.Fatal(err)
	}
	return h.take(out, commit)
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

// table replays the committed change records into the rows they leave,
// failing on a retraction of a row not there: the check an aggregation
// downstream makes.
func (h *harness) table() map[string]int {
	h.t.Helper()
	rows := map[string]int{}
	for _, r := range h.out {
		var c struct {
			Op            string
			Before, After json.RawMessage
		}
		if err := json.Unmarshal(r.Value, &c); err != nil {
			h.t.Fatalf("output %s: %v", r.Value, err)
		}
		if c.Op == "u" || c.Op == "d" {
			b := string(c.Before)
			if rows[b] == 0 {
				h.t.Fatalf("output %s retracts a row not emitted before", r.Value)
			}
			if rows[b]--; rows[b] == 0 {
				delete(rows, b)
			}
		}
		if c.Op == "c" || c.Op == "u" {
			rows[string(c.After)]++
		}
	}
	return rows
}

func row(partition int32, id, cc, status int, day string) sdk.Record {
	return sdk.Record{Topic: "in", Partition: partition, Key: fmt.Appendf(nil, `{"id":%d}`, id),
		Value: fmt.Appendf(nil, `{"id":%d,"cc_id":%d,"status":%d,"day":%q,"noise":[1,2]}`, id, cc, status, day)}
}

func envelope(op string, before, after string) sdk.Record {
	key := ""
	for _, r := range []string{after, before} {
		var m map[string]any
		if json.Unmarshal([]byte(r), &m) == nil && m != nil {
			key = fmt.Sprintf(`{"id":%v}`, m["id"])
			break
		}
	}
	return sdk.Record{Topic: "in", Key: []byte(key),
		Value: fmt.Appendf(nil, `{"before":%s,"after":%s,"source":{"db":"crm"},"op":%q,"ts_ms":1}`, before, after, op)}
}

func tombstone(key string) sdk.Record { return sdk.Record{Topic: "in", Key: []byte(key)} }

func TestLatestRules(t *testing.T) {
	const (
		r1  = `{"id":1,"cc_id":7,"status":1,"day":"2024-01-01"}`
		r1s = `{"id":1,"cc_id":7,"status":3,"day":"2024-01-01"}`
		r1c = `{"id":1,"cc_id":8,"status":3,"day":"2024-01-01"}`
	)
	cases := []struct {
		name   string
		cfg    map[string]string
		steps  [][]sdk.Record   // batches
		want   []string         // outputs of the last batch, "key value"
		counts map[string]int64 // of the last batch
	}{
		{
			name:   "plain row inserts",
			steps:  [][]sdk.Record{{row(0, 1, 7, 1, "2024-01-01")}},
			want:   []string{`[1] {"op":"c","before":null,"after":` + r1 + `}`},
			counts: map[string]int64{"inserted": 1, "emitted": 1},
		},
		{
			name:   "plain row updates with the old row as before",
			steps:  [][]sdk.Record{{row(0, 1, 7, 1, "2024-01-01")}, {row(0, 1, 7, 3, "2024-01-01")}},
			want:   []string{`[1] {"op":"u","before":` + r1 + `,"after":` + r1s + `}`},
			counts: map[string]int64{"inserted": 0, "updated": 1, "emitted": 1},
		},
		{
			name:   "a version equal to the stored row emits nothing",
			steps:  [][]sdk.Record{{row(0, 1, 7, 1, "2024-01-01")}, {row(0, 1, 7, 1, "2024-01-01")}},
			want:   nil,
			counts: map[string]int64{"inserted": 0, "unchanged": 1, "emitted": 0},
		},
		{
			name: "fields not kept do not make a version new",
			steps: [][]sdk.Record{{row(0, 1, 7, 1, "2024-01-01")},
				{{Topic: "in", Value: []byte(`{"noise":"other","id":1,"cc_id":"7","status":1,"day":"2024-01-01"}`)}}},
			want:   nil,
			counts: map[string]int64{"unchanged": 1},
		},
		{
			name:   "a tombstone deletes the key its record key names",
			steps:  [][]sdk.Record{{row(0, 1, 7, 1, "2024-01-01")}, {tombstone(`{"id":1}`)}},
			want:   []string{`[1] {"op":"d","before":` + r1 + `,"after":null}`},
			counts: map[string]int64{"deleted": 1},
		},
		{
			name:   "a delete of an unknown key emits nothing",
			steps:  [][]sdk.Record{{tombstone(`{"id":9}`), envelope("d", `{"id":9,"cc_id":1,"status":1,"day":"x"}`, "null")}},
			want:   nil,
			counts: map[string]int64{"unknown_delete": 2, "emitted": 0},
		},
		{
			name: "debezium create, update, snapshot read",
			steps: [][]sdk.Record{{envelope("r", "null", r1)}, {
				envelope("u", r1, r1s), envelope("c", "null", r1s),
			}},
			want:   []string{`[1] {"op":"u","before":` + r1 + `,"after":` + r1s + `}`},
			counts: map[string]int64{"inserted": 0, "updated": 1, "unchanged": 1},
		},
		{
			name: "debezium delete then its tombstone",
			steps: [][]sdk.Record{{envelope("c", "null", r1)}, {
				envelope("d", r1, "null"), tombstone(`{"id":1}`),
			}},
			want:   []string{`[1] {"op":"d","before":` + r1 + `,"after":null}`},
			counts: map[string]int64{"deleted": 1, "unknown_delete": 1},
		},
		{
			name: "the update is read from after, not from before",
			steps: [][]sdk.Record{{envelope("c", "null", r1)}, {
				envelope("u", `{"id":1,"cc_id":99,"status":99,"day":"z"}`, r1s),
			}},
			want: []string{`[1] {"op":"u","before":` + r1 + `,"after":` + r1s + `}`},
		},
		{
			name:  "an update changing the output key splits into delete and create",
			cfg:   map[string]string{"output.key.fields": "day,cc_id"},
			steps: [][]sdk.Record{{row(0, 1, 7, 3, "2024-01-01")}, {row(0, 1, 8, 3, "2024-01-01")}},
			want: []string{
				`["2024-01-01",7] {"op":"d","before":` + r1s + `,"after":null}`,
				`["2024-01-01",8] {"op":"c","before":null,"after":` + r1c + `}`,
			},
			counts: map[string]int64{"split": 1, "updated": 0, "emitted": 2},
		},
		{
			name:  "an update keeping the output key stays one update",
			cfg:   map[string]string{"output.key.fields": "day,cc_id"},
			steps: [][]sdk.Record{{row(0, 1, 7, 1, "2024-01-01")}, {row(0, 1, 7, 3, "2024-01-01")}},
			want:  []string{`["2024-01-01",7] {"op":"u","before":` + r1 + `,"after":` + r1s + `}`},
		},
		{
			name: "without key.fields the record key is the identity and the output key",
			cfg:  map[string]string{"key.fields": ""},
			steps: [][]sdk.Record{{envelope("c", "null", r1)}, {
				envelope("u", r1, r1s), {Topic: "in", Key: []byte(`{"id":1}`)},
			}},
			want: []string{
				`{"id":1} {"op":"u","before":` + r1 + `,"after":` + r1s + `}`,
				`{"id":1} {"op":"d","before":` + r1s + `,"after":null}`,
			},
		},
		{
			name: "a key change and back within a batch",
			cfg:  map[string]string{"output.key.fields": "cc_id"},
			steps: [][]sdk.Record{{row(0, 1, 7, 1, "a")}, {
				row(0, 1, 8, 1, "a"), row(0, 1, 7, 1, "a"),
			}},
			want: []string{
				`[7] {"op":"d","before":{"id":1,"cc_id":7,"status":1,"day":"a"},"after":null}`,
				`[8] {"op":"c","before":null,"after":{"id":1,"cc_id":8,"status":1,"day":"a"}}`,
				`[8] {"op":"d","before":{"id":1,"cc_id":8,"status":1,"day":"a"},"after":null}`,
				`[7] {"op":"c","before":null,"after":{"id":1,"cc_id":7,"status":1,"day":"a"}}`,
			},
		},
		{
			name: "a confirm day moving splits by the day time.fields computes",
			cfg: map[string]string{"fields": "id:long,cc_id:long,confirm_date_time:long", "time.fields": "day=confirm_date_time:yyyy-MM-dd",
				"time.zone": "Asia/Shanghai", "output.key.fields": "day,cc_id"},
			steps: [][]sdk.Record{
				{envelope("c", "null", `{"id":1,"cc_id":7,"confirm_date_time":1705330800000}`)}, // 23:00 on the 15th in Shanghai
				{envelope("u", "null", `{"id":1,"cc_id":7,"confirm_date_time":1705334340000}`)}, // 23:59: the same day, an update
				{envelope("u", "null", `{"id":1,"cc_id":7,"confirm_date_time":1705338000000}`)}, // 01:00 on the 16th
			},
			want: []string{
				`["2024-01-15",7] {"op":"d","before":{"id":1,"cc_id":7,"confirm_date_time":1705334340000,"day":"2024-01-15"},"after":null}`,
				`["2024-01-16",7] {"op":"c","before":null,"after":{"id":1,"cc_id":7,"confirm_date_time":1705338000000,"day":"2024-01-16"}}`,
			},
			counts: map[string]int64{"split": 1},
		},
		{
			name: "kinds round-trip through the state",
			cfg:  map[string]string{"fields": "id:long,v", "output.key.fields": "v"},
			steps: [][]sdk.Record{
				{{Topic: "in", Value: []byte(`{"id":1,"v":{"a":[1,"x\"y"]}}`)}},
				{{Topic: "in", Value: []byte(`{"id":1,"v":1.50}`)}},
				{{Topic: "in", Value: []byte(`{"id":1,"v":"1.50"}`)}},
			},
			want: []string{
				`[1.50] {"op":"d","before":{"id":1,"v":1.50},"after":null}`,
				`["1.50"] {"op":"c","before":null,"after":{"id":1,"v":"1.50"}}`,
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.cfg, 1)
			var got []string
			for i, b := range tc.steps {
				got = h.batch(b, true)
				if i < len(tc.steps)-1 {
					h.start() // every batch after a restore: state must survive
				}
			}
			if len(h.faults) > 0 {
				t.Fatalf("faults: %v", h.faults[0].Fault)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("outputs\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			// The operator was restarted before the last batch: its
			// counts are that batch's.
			counts := h.op.Counts()
			for k, want := range tc.counts {
				if got := counts[k]; got != want {
					t.Errorf("count %s = %d, want %d", k, got, want)
				}
			}
		})
	}
}

// TestCountsOverBatches checks the counters on one operator without
// restarts.
func TestCountsOverBatches(t *testing.T) {
	h := newHarness(t, map[string]string{"output.key.fields": "cc_id"}, 1)
	h.batch([]sdk.Record{row(0, 1, 7, 1, "a"), row(0, 2, 7, 1, "a")}, true)
	h.batch([]sdk.Record{row(0, 1, 7, 3, "a"), row(0, 2, 8, 1, "a"), row(0, 2, 8, 1, "a")}, true)
	h.batch([]sdk.Record{tombstone(`{"id":1}`), tombstone(`{"id":1}`), tombstone(`{"id":3}`)}, true)
	want := map[string]int64{"inserted": 2, "updated": 1, "split": 1, "unchanged": 1, "deleted": 1, "unknown_delete": 2, "expired": 0, "emitted": 6}
	if got := h.op.Counts(); !maps.Equal(got, want) {
		t.Fatalf("counts %v\nwant   %v", got, want)
	}
}

func TestStateLivesPerPartition(t *testing.T) {
	h := newHarness(t, nil, 2)
	h.batch([]sdk.Record{row(0, 1, 7, 1, "a"), row(1, 1, 7, 1, "a")}, true)
	if n := len(h.out); n != 2 {
		t.Fatalf("%d outputs, want a create per partition: the same id in two partitions is two rows", n)
	}
	for p := range int32(2) {
		if len(h.log[p]) != 1 || len(h.op.state.Part(p).Rows) != 1 {
			t.Fatalf("partition %d: changelog %d entries, %d rows; want 1 and 1", p, len(h.log[p]), len(h.op.state.Part(p).Rows))
		}
	}
}

func TestBadRecordsComeBackWithTheReason(t *testing.T) {
	cases := []struct {
		name string
		cfg  map[string]string
		rec  sdk.Record
		want string
	}{
		{"not json", nil, sdk.Record{Value: []byte(`{"id":`)}, "unexpected end"},
		{"an array", nil, sdk.Record{Value: []byte(`[1,2]`)}, "not an object"},
		{"unknown op", nil, sdk.Record{Value: []byte(`{"op":"x","after":{"id":1}}`)}, `unknown op "x"`},
		{"after not an object", nil, sdk.Record{Value: []byte(`{"op":"c","after":[1],"before":{"id":2}}`)}, "after is an array"},
		{"create without after", nil, sdk.Record{Value: []byte(`{"op":"c","before":{"id":1}}`)}, "op c without after"},
		{"delete without before", nil, sdk.Record{Value: []byte(`{"op":"d","after":{"id":1}}`)}, "delete event without before"},
		{"a field of the wrong type", nil, sdk.Record{Value: []byte(`{"id":"abc"}`)}, `id (id): "abc" is not a long`},
		{"a null key field", nil, sdk.Record{Value: []byte(`{"id":null,"cc_id":1}`)}, "key field id is null"},
		{"no record key", map[string]string{"key.fields": ""}, sdk.Record{Value: []byte(`{"id":1}`)}, "no key to identify"},
		{"a tombstone without a key", nil, sdk.Record{}, "tombstone without a key"},
		{"a tombstone whose key is not json", nil, sdk.Record{Key: []byte(`1`)}, "tombstone key"},
		{"a tombstone whose key lacks the field", nil, sdk.Record{Key: []byte(`{"other":1}`)}, "key field id is null"},
		{"a bad field in before", nil, sdk.Record{Value: []byte(`{"op":"u","before":{"id":"x"},"after":{"id":1}}`)}, `before: id (id): "x" is not a long`},
		{"a bad field in after", nil, sdk.Record{Value: []byte(`{"op":"u","before":{"id":1},"after":{"id":1,"status":"x"}}`)}, `after: status (status): "x" is not a long`},
		{"too deep", map[string]string{"value.max.depth": "3"}, sdk.Record{Value: []byte(`{"id":1,"x":[[[[1]]]]}`)}, "deep"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, tc.cfg, 1)
			tc.rec.Topic = "in"
			tc.rec.Offset = 42
			h.batch([]sdk.Record{tc.rec}, true)
			if len(h.faults) != 1 || len(h.out) != 0 {
				t.Fatalf("faults %v, outputs %d; want the record back with a fault", h.faults, len(h.out))
			}
			f := h.faults[0]
			if !strings.Contains(f.Fault.Error(), tc.want) {
				t.Errorf("fault %q, want it to mention %q", f.Fault, tc.want)
			}
			if f.Offset != 42 || string(f.Value) != string(tc.rec.Value) {
				t.Errorf("the fault is not the input record: %+v", f)
			}
			if len(h.op.state.Part(0).Rows) != 0 || len(h.log[0]) != 0 {
				t.Errorf("a refused record left state")
			}
		})
	}
}

func TestTTLForgetsQuietKeysWithoutRetraction(t *testing.T) {
	h := newHarness(t, map[string]string{"state.ttl.ms": "64000"}, 1)
	h.batch([]sdk.Record{row(0, 1, 7, 1, "a"), row(0, 2, 7, 1, "a")}, true)
	h.tick(40 * time.Second)
	h.batch([]sdk.Record{row(0, 2, 7, 1, "a")}, true) // unchanged, but seen: lives on
	if got := h.tick(25 * time.Second); len(got) != 0 {
		t.Fatalf("expiry emitted %v, want nothing", got)
	}
	if _, ok := h.op.state.Part(0).Rows[string(identity(1))]; ok {
		t.Fatal("key 1, quiet for 65s with a 64s TTL, is still held")
	}
	if _, ok := h.op.state.Part(0).Rows[string(identity(2))]; !ok {
		t.Fatal("key 2, seen 25s ago, was forgotten")
	}
	last := h.log[0][len(h.log[0])-1]
	if string(last[0]) != string(append([]byte{keyRow}, identity(1)...)) || last[1] != nil {
		t.Fatalf("last changelog entry %q=%q, want the tombstone of key 1", last[0], last[1])
	}
	// A restart keeps key 2 and its time: it expires on time after it.
	h.start()
	got := h.batch([]sdk.Record{row(0, 1, 7, 3, "a")}, true)
	if want := []string{`[1] {"op":"c","before":null,"after":{"id":1,"cc_id":7,"status":3,"day":"a"}}`}; !slices.Equal(got, want) {
		t.Fatalf("a forgotten key came back as %v, want a create", got)
	}
	h.tick(40 * time.Second)
	if len(h.op.state.Part(0).Rows) != 1 {
		t.Fatalf("after a restart key 2 should have expired by its restored time: rows %d", len(h.op.state.Part(0).Rows))
	}
	if c := h.op.Counts()["expired"]; c != 1 {
		t.Errorf("expired count %d after the restart, want 1", c)
	}
}

func TestTTLZeroKeepsEverything(t *testing.T) {
	h := newHarness(t, nil, 1)
	h.batch([]sdk.Record{row(0, 1, 7, 1, "a")}, true)
	h.tick(1000 * time.Hour)
	if len(h.op.state.Part(0).Rows) != 1 {
		t.Fatal("a key was forgotten without a TTL")
	}
}

func identity(id int64) []byte {
	return []byte{byte(2), 0, 0, 0, 0, 0, 0, 0, byte(id)} // value.Int, big-endian
}

func TestRestoreRefusesAnotherFieldList(t *testing.T) {
	h := newHarness(t, nil, 1)
	h.batch([]sdk.Record{row(0, 1, 7, 1, "a")}, true)
	h.cfg["fields"] = "id:long,cc_id:long,status:string,day"
	op := &Operator{}
	p, err := compile(h.cfg)
	if err != nil {
		t.Fatal(err)
	}
	op.init(p, time.Now)
	kv := h.log[0][0]
	if err := op.Restore(0, kv[0], kv[1]); err == nil || !strings.Contains(err.Error(), "another list of fields") {
		t.Fatalf("restore of a state of other fields: %v", err)
	}
	h.cfg["fields"], h.cfg["key.fields"] = "id:long,cc_id:long,status:long,day", ""
	if p, err = compile(h.cfg); err != nil {
		t.Fatal(err)
	}
	op.init(p, time.Now)
	if err := op.Restore(0, kv[0], kv[1]); err == nil {
		t.Fatal("state keyed by key.fields restores into an operator keyed by the Kafka key")
	}
	for _, bad := range [][]byte{{}, {stateVersion}, {9, 0, 0, 0, 0, 0}, append(slices.Clone(kv[1]), 0xff)} {
		if err := h.op.Restore(0, kv[0], bad); err == nil {
			t.Errorf("restore of %x: no error", bad)
		}
	}
	if err := h.op.Restore(0, []byte("x1"), kv[1]); err == nil {
		t.Error("restore of an unknown key kind: no error")
	}
}

func TestConfigErrorsNameTheirKey(t *testing.T) {
	base := map[string]string{"topic": "out", "fields": "id:long,cc_id:long", "key.fields": "id"}
	cases := map[string][2]string{
		"fields":            {"fields", "id:long,id"},
		"key.fields":        {"key.fields", "nobody"},
		"output.key.fields": {"output.key.fields", "cc_id,cc_id"},
		"time.fields":       {"time.fields", "day=nobody:yyyy-MM-dd"},
		"time.format":       {"time.format", "yyyy-Qx"},
		"time.zone":         {"time.zone", "Nowhere/Town"},
	}
	for want, kv := range cases {
		cfg := maps.Clone(base)
		cfg[kv[0]] = kv[1]
		if got := Plugin.ValidateConfig(cfg); len(got[want]) == 0 {
			t.Errorf("%s=%s: problems %v, want one under %s", kv[0], kv[1], got, want)
		}
	}
	withDay := maps.Clone(base)
	withDay["time.fields"] = "day=cc_id:yyyy-MM-dd"
	withDay["key.fields"] = "day"
	if got := Plugin.ValidateConfig(withDay); len(got["key.fields"]) == 0 {
		t.Errorf("a time field as key: problems %v, want one under key.fields", got)
	}
	withDay["key.fields"], withDay["output.key.fields"] = "id", "day,cc_id"
	if got := Plugin.ValidateConfig(withDay); got != nil {
		t.Errorf("a time field in the output key: problems %v", got)
	}
	if got := Plugin.ValidateConfig(map[string]string{"fields": "id"}); got != nil {
		t.Errorf("a config the spec refuses (no topic): %v, want nil (the runtime reports it)", got)
	}
	if got := Plugin.ValidateConfig(base); got != nil {
		t.Errorf("a valid config has problems %v", got)
	}
	if err := Plugin.Check(); err != nil {
		t.Fatal(err)
	}
}
