package window

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/transforms/stream"
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
	emitted []string              // every output value, in order
	late    []sdk.Record
	faults  []sdk.Record
}

func newHarness(t testing.TB, cfg map[string]string, parts int) *harness {
	t.Helper()
	base := map[string]string{
		"topic": "out", "late.topic": "late", "fields": "user:long,event,ts:long,n",
		"group.by": "user,event", "aggregates": "cnt=count()", "time.field": "ts",
		"window.size.ms": "60000",
	}
	maps.Copy(base, cfg)
	h := &harness{t: t, cfg: base, clock: time.Unix(1_700_000_000, 0), log: map[int32][][2][]byte{}, results: map[string]string{}}
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

// batch processes records and commits (outputs and changelog) unless lost.
func (h *harness) batch(recs []sdk.Record, commit bool) {
	h.t.Helper()
	out, err := h.op.Process(context.Background(), recs)
	if err != nil {
		h.t.Fatal(err)
	}
	h.take(out, commit)
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
		default:
			h.results[string(r.Key)] = string(r.Value)
			h.emitted = append(h.emitted, string(r.Value))
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

func rec(partition int32, user int, event string, ts int64) sdk.Record {
	return sdk.Record{Topic: "in", Partition: partition, Value: fmt.Appendf(nil, `{"user":%d,"event":%q,"ts":%d,"n":%d}`, user, event, ts, user%7)}
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

func TestTumblingCountFiresOnTheWatermark(t *testing.T) {
	h := newHarness(t, nil, 1)
	h.batch([]sdk.Record{
		rec(0, 1, "a", 1_000), rec(0, 1, "a", 59_999), rec(0, 2, "a", 30_000), rec(0, 1, "b", 10),
	}, true)
	if len(h.results) != 0 {
		t.Fatalf("results before the watermark passed the window: %v", h.results)
	}
	h.batch([]sdk.Record{rec(0, 1, "a", 60_000)}, true) // watermark 60000 = the first window's end
	want := map[string]string{
		`[0,1,"a"]`: `{"window_start":0,"window_end":60000,"user":1,"event":"a","cnt":2}`,
		`[0,2,"a"]`: `{"window_start":0,"window_end":60000,"user":2,"event":"a","cnt":1}`,
		`[0,1,"b"]`: `{"window_start":0,"window_end":60000,"user":1,"event":"b","cnt":1}`,
	}
	if !maps.Equal(h.results, want) {
		t.Fatalf("results %v\nwant %v", h.results, want)
	}
}

func TestOutOfOrdernessHoldsTheWindowOpen(t *testing.T) {
	h := newHarness(t, map[string]string{"out.of.orderness.ms": "30000"}, 1)
	h.batch([]sdk.Record{rec(0, 1, "a", 50_000), rec(0, 1, "a", 80_000), rec(0, 1, "a", 40_000)}, true)
	if len(h.results) != 0 {
		t.Fatalf("fired at watermark 50000: %v", h.results)
	}
	if len(h.late) != 0 {
		t.Fatalf("a record within the out-of-orderness went late: %v", h.late)
	}
	h.batch([]sdk.Record{rec(0, 9, "x", 90_000)}, true)
	if got := field(t, h.results[`[0,1,"a"]`], "cnt"); got != 2.0 {
		t.Fatalf("count %v, want 2 (both records of the first minute): %v", got, h.results)
	}
}

func TestAllowedLatenessCorrectsThenLateTopic(t *testing.T) {
	h := newHarness(t, map[string]string{"allowed.lateness.ms": "60000"}, 1)
	h.batch([]sdk.Record{rec(0, 1, "a", 1_000), rec(0, 1, "a", 61_000)}, true)
	if got := field(t, h.results[`[0,1,"a"]`], "cnt"); got != 1.0 {
		t.Fatalf("first firing %v", h.results)
	}
	// Late for the fired window [0, 60000), within the lateness: corrected.
	h.batch([]sdk.Record{rec(0, 1, "a", 2_000), rec(0, 3, "c", 3_000)}, true)
	if got := field(t, h.results[`[0,1,"a"]`], "cnt"); got != 2.0 {
		t.Fatalf("corrected count %v, want 2: %v", got, h.results)
	}
	if got := field(t, h.results[`[0,3,"c"]`], "cnt"); got != 1.0 {
		t.Fatalf("a group first seen late: %v", h.results)
	}
	// The watermark passes 60000 + 60000: window [0, 60000) is gone.
	h.batch([]sdk.Record{rec(0, 1, "a", 120_000), rec(0, 1, "a", 4_000)}, true)
	if len(h.late) != 1 || string(h.late[0].Value) != string(rec(0, 1, "a", 4_000).Value) {
		t.Fatalf("late records %v, want the one at 4000", h.late)
	}
	if by, _ := h.late[0].Header(LateHeader); string(by) != "0" {
		t.Errorf("late by %q ms, want 0 (the watermark is exactly at end + lateness)", by)
	}
	if got := field(t, h.results[`[0,1,"a"]`], "cnt"); got != 2.0 {
		t.Fatalf("a record beyond the lateness changed the window: %v", h.results)
	}
	if c := h.op.Counts(); c["late"] != 1 || c["corrected"] != 2 {
		t.Errorf("counts %v, want late 1 and corrected 2", c)
	}
}

func TestHoppingWindowsCountEachRecordInEveryWindowHoldingIt(t *testing.T) {
	h := newHarness(t, map[string]string{"window.size.ms": "60000", "window.slide.ms": "20000", "aggregates": "cnt=count(),total=sum(n),mean=avg(n)"}, 1)
	h.batch([]sdk.Record{rec(0, 3, "a", 45_000), rec(0, 10, "a", 200_000)}, true)
	var starts []float64
	for _, v := range h.results {
		if field(t, v, "user") == 3.0 {
			starts = append(starts, field(t, v, "window_start").(float64))
			if field(t, v, "total") != 3.0 || field(t, v, "mean") != 3.0 {
				t.Errorf("sum/avg of n=3: %s", v)
			}
		}
	}
	slices.Sort(starts)
	if !slices.Equal(starts, []float64{0, 20_000, 40_000}) {
		t.Fatalf("windows of t=45000: starts %v, want 0, 20000, 40000", starts)
	}
}

// TestHoppingWindowRecordCountsInAllItsWindowsOrNone: a record whose sum
// overflows in one of its hopping windows is rejected with the reason and
// counted in none of them, not in the windows that happened to come first.
func TestHoppingWindowRecordCountsInAllItsWindowsOrNone(t *testing.T) {
	h := newHarness(t, map[string]string{"window.size.ms": "120000", "window.slide.ms": "60000", "out.of.orderness.ms": "60000",
		"aggregates": "cnt=count(),total=sum(n)"}, 1)
	big := func(ts int64) sdk.Record {
		return sdk.Record{Topic: "in", Value: fmt.Appendf(nil, `{"user":1,"event":"a","ts":%d,"n":60000000000000000000000000000000000000}`, ts)}
	}
	// Windows [60000,180000) and [120000,240000); then [0,120000), still
	// open, and [60000,180000), where the sum leaves 38 digits.
	h.batch([]sdk.Record{big(130_000), big(100_000), rec(0, 2, "b", 1_000_000)}, true)
	if len(h.faults) != 1 || !strings.Contains(h.faults[0].Fault.Error(), "out of range") {
		t.Fatalf("faults %v, want the second record's, out of range", h.faults)
	}
	starts := map[float64]any{}
	for _, v := range h.results {
		if field(t, v, "user") == 1.0 {
			starts[field(t, v, "window_start").(float64)] = field(t, v, "cnt")
		}
	}
	if want := map[float64]any{60_000: 1.0, 120_000: 1.0}; !maps.Equal(starts, want) {
		t.Fatalf("counts per window start %v, want %v: the rejected record counts nowhere", starts, want)
	}
}

func TestIdlePartitionStopsHoldingTheWatermark(t *testing.T) {
	h := newHarness(t, map[string]string{"idle.timeout.ms": "5000"}, 2)
	h.batch([]sdk.Record{rec(0, 1, "a", 1_000), rec(0, 1, "a", 70_000)}, true)
	if len(h.results) != 0 {
		t.Fatalf("fired while partition 1 (no records yet, not idle) holds the watermark: %v", h.results)
	}
	h.tick(6 * time.Second)
	if got := field(t, h.results[`[0,1,"a"]`], "cnt"); got != 1.0 {
		t.Fatalf("after partition 1 went idle: %v", h.results)
	}
}

func TestBadRecordsComeBackWithTheReason(t *testing.T) {
	h := newHarness(t, map[string]string{"aggregates": "cnt=count(),total=sum(event)"}, 1)
	h.batch([]sdk.Record{
		{Topic: "in", Value: []byte(`not json`)},
		{Topic: "in", Value: []byte(`{"user":1,"event":"a"}`)},
		{Topic: "in", Value: []byte(`{"user":"x","event":"a","ts":1}`)},
		{Topic: "in", Value: []byte(`{"user":1,"event":"abc","ts":1}`)},
		{Topic: "in"},
	}, true)
	var reasons []string
	for _, f := range h.faults {
		reasons = append(reasons, f.Fault.Error())
	}
	if len(h.faults) != 5 {
		t.Fatalf("faults %q, want 5", reasons)
	}
	for i, want := range []string{"invalid character", "event time field ts is null or missing", "user", "abc", "tombstone"} {
		if !strings.Contains(reasons[i], want) {
			t.Errorf("fault %d: %q, want it to mention %q", i, reasons[i], want)
		}
	}
	if len(h.op.parts[0].panes) != 0 {
		t.Errorf("a refused record left state: %v", h.op.parts[0].panes)
	}
}

// TestCrashAndReplayGivesTheUninterruptedResults: a random stream, out of
// order and with late records, run once straight and once cut into random
// batches of which some are lost (the task died before committing) and
// replayed after a restore from the changelog. The final upsert tables and
// the late records must be the same.
func TestCrashAndReplayGivesTheUninterruptedResults(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 7))
		var recs []sdk.Record
		now := int64(0)
		for range 3000 {
			now += int64(rng.IntN(400))
			ts := now - int64(rng.IntN(90_000)) // out of order, some beyond the lateness
			recs = append(recs, rec(0, rng.IntN(30), []string{"a", "b", "c"}[rng.IntN(3)], max(ts, 0)))
		}
		cfg := map[string]string{"out.of.orderness.ms": "5000", "allowed.lateness.ms": "30000", "window.slide.ms": "30000",
			"aggregates": "cnt=count(),total=sum(n),lo=min(n),kinds=count_distinct(n)"}
		straight := newHarness(t, cfg, 1)
		straight.batch(recs, true)

		crashy := newHarness(t, cfg, 1)
		for i := 0; i < len(recs); {
			n := 1 + rng.IntN(200)
			end := min(len(recs), i+n)
			if rng.IntN(4) == 0 {
				crashy.batch(recs[i:end], false) // lost with the task
				crashy.start()
				continue
			}
			crashy.batch(recs[i:end], true)
			i = end
		}
		if !maps.Equal(straight.results, crashy.results) {
			t.Fatalf("seed %d: %d results straight, %d with crashes; they differ", seed, len(straight.results), len(crashy.results))
		}
		if len(straight.late) == 0 || len(straight.late) != len(crashy.late) {
			t.Fatalf("seed %d: late records %d straight, %d with crashes (want some, equal)", seed, len(straight.late), len(crashy.late))
		}
	}
}

func TestConfigErrorsNameTheirKey(t *testing.T) {
	base := map[string]string{
		"topic": "out", "late.topic": "late", "fields": "user:long,ts:long", "group.by": "user",
		"aggregates": "cnt=count()", "window.size.ms": "60000",
	}
	cases := map[string][2]string{
		"group.by":           {"group.by", "nobody"},
		"aggregates":         {"aggregates", "s=sum(missing)"},
		"where":              {"where", "other = 1"},
		"window.slide.ms":    {"window.slide.ms", "7000"},
		"time.field":         {"time.field", "when"},
		"time.zone":          {"time.zone", "Mars/Olympus"},
		"output.time.format": {"output.time.format", "yyyy-Qx"},
	}
	for want, kv := range cases {
		cfg := maps.Clone(base)
		cfg[kv[0]] = kv[1]
		got := Plugin.ValidateConfig(cfg)
		if len(got[want]) == 0 {
			t.Errorf("%s=%s: problems %v, want one under %s", kv[0], kv[1], got, want)
		}
	}
	if got := Plugin.ValidateConfig(base); got != nil {
		t.Errorf("a valid config has problems %v", got)
	}
}

// TestRestoreKeepsTheWatermark: a restarted task knows how far event time
// had come, so it fires on time rather than waiting for the first records.
func TestRestoreKeepsTheWatermark(t *testing.T) {
	h := newHarness(t, map[string]string{"out.of.orderness.ms": "1000"}, 2)
	h.batch([]sdk.Record{rec(0, 1, "a", 50_000), rec(1, 1, "a", 70_000)}, true)
	before := h.op.wm.Current(h.clock)
	h.start()
	if after := h.op.wm.Current(h.clock); after != before || before != 49_000 {
		t.Fatalf("watermark %d after the restore, %d before; want 49000", after, before)
	}
}

// TestEventTimesOutsideTheCalendarAreRefused: a timestamp in microseconds
// read as milliseconds (or the largest int64) would move the watermark past
// all real data for good; it is refused instead, and nothing fires.
func TestEventTimesOutsideTheCalendarAreRefused(t *testing.T) {
	h := newHarness(t, map[string]string{"time.field": ""}, 1)
	in := rec(0, 1, "a", 0)
	for _, at := range []time.Time{time.UnixMilli(math.MaxInt64), time.UnixMicro(1614564000000000 * 1000), time.Unix(0, 0).Add(-time.Hour)} {
		in.Timestamp = at
		h.batch([]sdk.Record{in}, true)
	}
	if len(h.faults) != 3 {
		t.Fatalf("%d faults, want all 3 refused", len(h.faults))
	}
	if !strings.Contains(h.faults[0].Fault.Error(), "outside 1970 to 9999") {
		t.Errorf("reason %q", h.faults[0].Fault)
	}
	if h.op.wm.Current(h.clock) != stream.NoTime {
		t.Error("a refused time moved the watermark")
	}
}

// TestStateOfAnotherShapeIsRefused: restoring a changelog written with
// another group.by would mix groups; the restore fails and says what to do.
func TestStateOfAnotherShapeIsRefused(t *testing.T) {
	h := newHarness(t, nil, 1)
	h.batch([]sdk.Record{rec(0, 1, "a", 1_000)}, true)
	h.cfg["group.by"] = "user"
	op := &Operator{}
	p, err := compile(h.cfg)
	if err != nil {
		t.Fatal(err)
	}
	op.init(p, func() time.Time { return h.clock })
	var restoreErr error
	for _, kv := range h.log[0] {
		if restoreErr = op.Restore(0, kv[0], kv[1]); restoreErr != nil {
			break
		}
	}
	if restoreErr == nil || !strings.Contains(restoreErr.Error(), "state.changelog.topic") {
		t.Fatalf("restore error %v, want one naming state.changelog.topic", restoreErr)
	}
}

// TestEventTimeFarAheadOfTheClockIsRefused: a record whose event time is
// further ahead of the wall clock than event.time.max.ahead.ms comes back
// with the reason and leaves the watermark where it was, so the records
// after it are not late.
func TestEventTimeFarAheadOfTheClockIsRefused(t *testing.T) {
	h := newHarness(t, map[string]string{"event.time.max.ahead.ms": "3600000"}, 1)
	now := h.clock.UnixMilli()
	h.batch([]sdk.Record{rec(0, 1, "a", now-1000), rec(0, 1, "a", now+7*24*3600_000), rec(0, 1, "a", now), rec(0, 1, "a", now+1800_000)}, true)
	if len(h.faults) != 1 || !strings.Contains(h.faults[0].Fault.Error(), "ahead of the wall clock") {
		t.Fatalf("faults %v, want the record a week ahead", h.faults)
	}
	if c := h.op.Counts(); c["late"] != 0 {
		t.Errorf("%d late records: the refused record moved the watermark", c["late"])
	}
}
