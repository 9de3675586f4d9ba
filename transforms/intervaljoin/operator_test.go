package intervaljoin

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
)

func rec(topic string, id, k int, t int64, v string) sdk.Record {
	return sdk.Record{Topic: topic, Offset: int64(id), Value: fmt.Appendf(nil, `{"id":%d,"k":%d,"t":%d,"v":%q}`, id, k, t, v)}
}

func left(id, k int, t int64) sdk.Record  { return rec("l", id, k, t, fmt.Sprint("l", id)) }
func right(id, k int, t int64) sdk.Record { return rec("r", id, k, t, fmt.Sprint("r", id)) }

// pair is the output of baseConfig for a left and a right record.
func pair(lid, rid, k int, tl, tr int64) string {
	return fmt.Sprintf(`[%d,%d] {"k":%d,"lid":%d,"rid":%d,"lv":"l%d","rv":"r%d","d":%d}`, lid, rid, k, lid, rid, lid, rid, tr-tl)
}

func TestAllEmitsEachPairWhenItsSecondRecordArrives(t *testing.T) {
	h := newHarness(t, nil)
	out := h.batch([]sdk.Record{
		left(1, 7, 10_000),
		right(2, 7, 12_000), // 10000 - 12000 = -2000: joins 1
		left(3, 7, 11_000),  // joins 2
		left(4, 7, 13_000),  // 13000 - 12000 = 1000 > upper: none
		left(5, 8, 11_000),  // another key: none
		right(6, 7, 16_000), // joins 3 (-5000, the lower bound) and 4 (-3000), not 1 (-6000)
	}, true)
	want := []string{pair(1, 2, 7, 10_000, 12_000), pair(3, 2, 7, 11_000, 12_000), pair(3, 6, 7, 11_000, 16_000), pair(4, 6, 7, 13_000, 16_000)}
	if !slices.Equal(h.emitted, want) {
		t.Fatalf("emitted\n%s\nwant\n%s", strings.Join(h.emitted, "\n"), strings.Join(want, "\n"))
	}
	if got := out[0].Timestamp; !got.Equal(time.UnixMilli(12_000)) {
		t.Errorf("output timestamp %v, want the later event time, 12000", got.UnixMilli())
	}
	if c := h.op.Counts(); c["joined"] != 4 || c["emitted"] != 4 || c["corrected"] != 0 {
		t.Errorf("counts %v", c)
	}
}

func TestEarliestEmitsTheSmallestLeftTimeAndCorrectsIt(t *testing.T) {
	h := newHarness(t, map[string]string{"match": "earliest", "output.key.fields": "rid", "allowed.lateness.ms": "60000"})
	h.batch([]sdk.Record{right(1, 7, 20_000)}, true)
	if len(h.emitted) != 0 {
		t.Fatalf("a right record without a match emitted %v", h.emitted)
	}
	h.batch([]sdk.Record{left(2, 7, 17_000)}, true) // the first match: emitted
	h.batch([]sdk.Record{left(3, 7, 18_000)}, true) // later: not better
	h.batch([]sdk.Record{left(4, 7, 16_000)}, true) // earlier: corrects
	h.batch([]sdk.Record{left(5, 7, 16_000)}, true) // as early: the first stays
	h.batch([]sdk.Record{left(6, 7, 14_000)}, true) // outside the interval
	key := func(s string) string { return s[:strings.IndexByte(s, ' ')] }
	want := []string{pair(2, 1, 7, 17_000, 20_000), pair(4, 1, 7, 16_000, 20_000)}
	for i := range want {
		want[i] = "[1]" + want[i][strings.IndexByte(want[i], ' '):]
	}
	if !slices.Equal(h.emitted, want) {
		t.Fatalf("emitted\n%s\nwant\n%s", strings.Join(h.emitted, "\n"), strings.Join(want, "\n"))
	}
	if len(h.results) != 1 || h.results["[1]"] != want[1][len(key(want[1]))+1:] {
		t.Errorf("upsert table %v: want the correction under the first row's key", h.results)
	}
	if c := h.op.Counts(); c["emitted"] != 2 || c["corrected"] != 1 || c["joined"] != 4 {
		t.Errorf("counts %v", c)
	}
	// A right record arriving after its lefts takes the earliest of them
	// at once; of equal times, the first to arrive.
	h.batch([]sdk.Record{left(7, 9, 30_000), left(8, 9, 29_000), left(9, 9, 29_000), right(10, 9, 31_000)}, true)
	if got := intField(t, h.results["[10]"], "lid"); got != 8 {
		t.Errorf("right 10 matched left %d, want 8", got)
	}
}

func TestLatestEmitsTheLargestLeftTimeAndCorrectsIt(t *testing.T) {
	h := newHarness(t, map[string]string{"match": "latest", "output.key.fields": "rid", "allowed.lateness.ms": "60000"})
	h.batch([]sdk.Record{left(1, 7, 15_000), left(2, 7, 19_000), left(3, 7, 19_000), right(4, 7, 20_000)}, true)
	h.batch([]sdk.Record{left(5, 7, 19_500), left(6, 7, 20_001), left(7, 7, 18_000)}, true)
	var lids []int
	for _, kv := range h.emitted {
		lids = append(lids, intField(t, valueOf(kv), "lid"))
	}
	if !slices.Equal(lids, []int{2, 5}) {
		t.Fatalf("emitted the matches %v, want 2 (the first of the latest), then 5 (later, a correction)", lids)
	}
	if c := h.op.Counts(); c["corrected"] != 1 {
		t.Errorf("counts %v", c)
	}
}

func TestSelfJoinPairsARecordWithItselfOnce(t *testing.T) {
	h := newHarness(t, map[string]string{"left.topics": "q", "right.topics": "q", "interval.lower.ms": "-1000"}, sdk.TopicPartition{Topic: "q"})
	h.batch([]sdk.Record{rec("q", 1, 7, 1000, "a"), rec("q", 2, 7, 1500, "b")}, true)
	var pairs []string
	for _, kv := range h.emitted {
		pairs = append(pairs, kv[:strings.IndexByte(kv, ' ')])
	}
	if want := []string{"[1,1]", "[1,2]", "[2,2]"}; !slices.Equal(pairs, want) {
		t.Fatalf("pairs %v, want %v (2 before 1 is outside the interval)", pairs, want)
	}
}

func TestLateRecordsGoToTheLateTopicUnjoined(t *testing.T) {
	h := newHarness(t, map[string]string{"allowed.lateness.ms": "1000"})
	h.batch([]sdk.Record{left(1, 7, 30_000), right(2, 7, 30_000)}, true) // watermark 30000
	h.batch([]sdk.Record{left(3, 7, 28_999), left(4, 7, 29_000)}, true)
	if len(h.late) != 1 || h.late[0].Offset != 3 || h.late[0].Topic != "late" {
		t.Fatalf("late records %v, want input 3 alone", h.late)
	}
	if by, _ := h.late[0].Header(LateHeader); string(by) != "1" {
		t.Errorf("late by %s ms, want 1 (29000 is the limit)", by)
	}
	if string(h.late[0].Value) != string(left(3, 7, 28_999).Value) {
		t.Errorf("the late record is not as it came: %s", h.late[0].Value)
	}
	want := []string{pair(1, 2, 7, 30_000, 30_000), pair(4, 2, 7, 29_000, 30_000)}
	if !slices.Equal(h.emitted, want) {
		t.Fatalf("emitted %v, want %v: a late record is not joined", h.emitted, want)
	}
	if c := h.op.Counts(); c["late"] != 1 {
		t.Errorf("counts %v", c)
	}
}

// TestEvictionKeepsWhatCanStillJoin: with the watermark exactly where a
// record not late could still join an entry, the entry is there; a
// millisecond later it is gone, from memory and from the changelog.
func TestEvictionKeepsWhatCanStillJoin(t *testing.T) {
	for _, match := range []string{"all", "earliest"} {
		h := newHarness(t, map[string]string{"match": match, "output.key.fields": "rid"})
		if match == "all" {
			h.cfg["output.key.fields"] = "lid,rid"
			h.start()
		}
		// A left entry at 10000 joins right records up to 15000, a right
		// entry at 20000 left records from 20000.
		h.batch([]sdk.Record{left(1, 7, 10_000), right(2, 8, 20_000)}, true)
		h.batch([]sdk.Record{left(3, 9, 15_000), right(4, 9, 15_000)}, true) // watermark 15000
		h.batch([]sdk.Record{right(5, 7, 15_000)}, true)
		if len(h.emitted) != 2 || intField(t, valueOf(h.emitted[1]), "lid") != 1 {
			t.Fatalf("%s: left 1 must still join right 5 at the watermark: %v", match, h.emitted)
		}
		h.batch([]sdk.Record{left(6, 9, 20_000), right(7, 9, 20_000)}, true) // watermark 20000
		n := len(h.emitted)
		h.batch([]sdk.Record{left(8, 8, 20_000)}, true)
		if len(h.emitted) != n+1 || intField(t, valueOf(h.emitted[n]), "rid") != 2 || intField(t, valueOf(h.emitted[n]), "lid") != 8 {
			t.Fatalf("%s: right 2 must still join left 8 at the watermark: %v", match, h.emitted[n:])
		}
		h.batch([]sdk.Record{left(9, 9, 40_000), right(10, 9, 40_000)}, true) // watermark 40000: all the above can go
		if l, r := h.entries(); l != 1 || r != 1 {
			t.Fatalf("%s: %d left and %d right entries held, want only 9 and 10", match, l, r)
		}
		c := h.op.Counts()
		if c["evicted"] != 8 {
			t.Errorf("%s: evicted %d, want 8: all ten records but the last two", match, c["evicted"])
		}
		if match == "earliest" && c["unmatched"] != 0 {
			t.Errorf("%s: %d unmatched, want 0 (each right record matched)", match, c["unmatched"])
		}
		h.start()
		if l2, r2 := h.entries(); l2 != 1 || r2 != 1 {
			t.Fatalf("%s: restored %d left and %d right entries, want 1 and 1: evictions reach the changelog", match, l2, r2)
		}
	}
}

func TestUnmatchedRightRecordsAreCountedWhenDropped(t *testing.T) {
	h := newHarness(t, map[string]string{"match": "earliest", "output.key.fields": "rid"})
	h.batch([]sdk.Record{right(1, 7, 10_000), left(2, 8, 10_000), left(3, 9, 30_000), right(4, 9, 30_000)}, true)
	if c := h.op.Counts(); c["unmatched"] != 1 || c["evicted"] != 2 {
		t.Errorf("counts %v: right 1 went without a match", c)
	}
}

func TestIdlePartitionStopsHoldingTheWatermark(t *testing.T) {
	h := newHarness(t, map[string]string{"idle.timeout.ms": "10000"})
	h.batch([]sdk.Record{left(1, 7, 10_000), left(2, 7, 90_000)}, true)
	if l, _ := h.entries(); l != 2 {
		t.Fatalf("%d left entries: topic r has shown nothing and holds the watermark", l)
	}
	h.tick(11 * time.Second)
	if l, _ := h.entries(); l != 1 {
		t.Fatalf("%d left entries after r went idle, want 1", l)
	}
}

func TestStateTTLDropsByWallClock(t *testing.T) {
	h := newHarness(t, map[string]string{"state.ttl.ms": "60000"})
	h.batch([]sdk.Record{left(1, 7, 10_000)}, true)
	h.tick(30 * time.Second)
	h.batch([]sdk.Record{left(2, 7, 11_000)}, true)
	h.tick(31 * time.Second) // left 1 is 61 s old
	h.batch([]sdk.Record{right(3, 7, 12_000)}, true)
	if len(h.emitted) != 1 || intField(t, valueOf(h.emitted[0]), "lid") != 2 {
		t.Fatalf("emitted %v, want only the pair of left 2: left 1 outlived state.ttl.ms", h.emitted)
	}
	if c := h.op.Counts(); c["expired"] != 1 {
		t.Errorf("counts %v", c)
	}
	h.start()
	if l, _ := h.entries(); l != 1 {
		t.Errorf("restored %d left entries, want 1: the expiry reached the changelog", l)
	}
}

// TestStateTTLIsExactWhateverTheSweep: a record held longer than
// state.ttl.ms joins nothing from then on, whether or not a sweep has
// removed it yet (sweeps are paced, up to TTL/64 late). Otherwise what it
// joins depends on when the last sweep ran, and a task restarted from the
// changelog, whose first batch sweeps, emits other rows than one that ran
// on, for the same records at the same time.
func TestStateTTLIsExactWhateverTheSweep(t *testing.T) {
	for _, match := range []string{"all", "earliest", "latest"} {
		for _, restart := range []bool{false, true} {
			cfg := map[string]string{"state.ttl.ms": "64000", "match": match, "output.key.fields": "rid"}
			if match == "all" {
				cfg["output.key.fields"] = "lid,rid"
			}
			h := newHarness(t, cfg)
			start := h.clock
			h.batch([]sdk.Record{left(1, 7, 10_000)}, true) // stored at start: a sweep is due at start + 64 s
			h.clock = start.Add(500 * time.Millisecond)
			h.batch([]sdk.Record{left(2, 7, 10_500), right(3, 8, 20_000)}, true) // held until start + 64.5 s
			h.clock = start.Add(64 * time.Second)
			h.batch([]sdk.Record{left(4, 9, 10_600)}, true) // the sweep drops left 1; the next is due at start + 65 s
			h.clock = start.Add(64700 * time.Millisecond)   // left 2 and right 3 are past their time, not yet swept
			if restart {
				h.start()
			}
			h.batch([]sdk.Record{right(5, 7, 12_000), left(6, 8, 19_000)}, true)
			if len(h.emitted) != 0 {
				t.Errorf("match %s, restart %v: emitted %v: left 2 and right 3 outlived state.ttl.ms and must join nothing", match, restart, h.emitted)
			}
		}
	}
}

// TestStateTTLBoundsTheEvictionQueue: while event time stalls (topic r
// shows nothing and idle.timeout.ms is 0) state.ttl.ms is what bounds the
// state, so the keys it drops must leave the eviction queue too, not wait
// there, with their keyState, for a watermark that does not come.
func TestStateTTLBoundsTheEvictionQueue(t *testing.T) {
	h := newHarness(t, map[string]string{"state.ttl.ms": "60000"})
	id := 0
	for range 100 {
		var recs []sdk.Record
		for range 50 {
			id++
			recs = append(recs, left(id, id, int64(1_700_000_000_000+id)))
		}
		h.batch(recs, true)
		h.tick(10 * time.Second)
	}
	pt := h.op.parts[0]
	if h.op.Counts()["expired"] < 4000 {
		t.Fatalf("counts %v: the test needs state.ttl.ms to drop most keys", h.op.Counts())
	}
	if len(pt.queue) > len(pt.keys) {
		t.Errorf("%d items queued for eviction for %d keys held", len(pt.queue), len(pt.keys))
	}
	// The queue left still evicts what the watermark passes.
	h.batch([]sdk.Record{left(id+1, 0, 1_700_000_100_000), right(id+2, 0, 1_700_000_100_000)}, true)
	if l, r := h.entries(); l != 1 || r != 1 {
		t.Errorf("%d left and %d right entries held after the watermark passed all but the last two", l, r)
	}
}

// TestEqualTimesAcrossRestartsStayApart: two records of one key and time
// stored on either side of a restart are two entries, in memory and in
// the changelog.
func TestEqualTimesAcrossRestartsStayApart(t *testing.T) {
	h := newHarness(t, nil)
	h.batch([]sdk.Record{left(1, 7, 10_000)}, true)
	h.start()
	h.batch([]sdk.Record{left(2, 7, 10_000)}, true)
	h.start()
	h.batch([]sdk.Record{right(3, 7, 12_000)}, true)
	if len(h.emitted) != 2 {
		t.Fatalf("emitted %v, want the pairs of lefts 1 and 2", h.emitted)
	}
}

func TestBadRecordsAreRefusedWithoutATrace(t *testing.T) {
	cases := []struct {
		name string
		rec  sdk.Record
		want string
	}{
		{"not JSON", sdk.Record{Topic: "r", Value: []byte(`{"id":1,`)}, "end of"},
		{"not an object", sdk.Record{Topic: "r", Value: []byte(`[1]`)}, "not an object"},
		{"tombstone", sdk.Record{Topic: "r"}, "tombstone"},
		{"no key", sdk.Record{Topic: "r", Value: []byte(`{"id":1,"t":12000}`)}, "join key field k is null or missing"},
		{"key not a number", sdk.Record{Topic: "r", Value: []byte(`{"id":1,"k":"abc","t":12000}`)}, `"abc" is not a long`},
		{"no time", sdk.Record{Topic: "r", Value: []byte(`{"id":1,"k":7}`)}, "event time field t is null or missing"},
		{"time beyond epoch millis", sdk.Record{Topic: "r", Value: []byte(`{"id":1,"k":7,"t":1700000000000000}`)}, "out of range"},
		{"time before 1970", sdk.Record{Topic: "r", Value: []byte(`{"id":1,"k":7,"t":-5}`)}, "outside 1970 to 9999"},
		{"time 0", sdk.Record{Topic: "r", Value: []byte(`{"id":1,"k":7,"t":0}`)}, "outside 1970 to 9999"},
		{"time not a number", sdk.Record{Topic: "r", Value: []byte(`{"id":1,"k":7,"t":"soon"}`)}, `"soon" is not a long`},
		{"topic of neither side", sdk.Record{Topic: "x", Value: []byte(`{"id":1,"k":7,"t":12000}`)}, "neither left.topics nor right.topics"},
		{"output not computable", sdk.Record{Topic: "r", Value: []byte(`{"id":1,"k":7,"t":12000,"v":"abc"}`)}, "output n:"},
	}
	for _, c := range cases {
		h := newHarness(t, map[string]string{"output.fields": "k = right.k, lid = left.id, rid = right.id, n = cast(right.v as long)"})
		h.batch([]sdk.Record{left(9, 7, 10_000)}, true)
		before := len(h.log[0])
		out := h.batch([]sdk.Record{c.rec}, true)
		if len(out) != 1 || out[0].Fault == nil || !strings.Contains(out[0].Fault.Error(), c.want) {
			t.Errorf("%s: outputs %v, want one fault saying %q", c.name, out, c.want)
			continue
		}
		if string(out[0].Value) != string(c.rec.Value) || out[0].Topic != c.rec.Topic {
			t.Errorf("%s: the fault is not the input record", c.name)
		}
		if l, r := h.entries(); l != 1 || r != 0 || len(h.log[0]) != before {
			t.Errorf("%s: state changed: %d left, %d right entries, %d changelog entries (was %d)", c.name, l, r, len(h.log[0]), before)
		}
		if n := h.op.Counts(); n["emitted"] != 0 || n["joined"] != 0 {
			t.Errorf("%s: counts %v", c.name, n)
		}
	}
}

// TestARecordWhoseSecondOutputFailsLeavesNoFirst: outputs are made before
// anything changes, so a record refused at its second pair emits not its
// first either, and changes no match.
func TestARecordWhoseSecondOutputFailsLeavesNoFirst(t *testing.T) {
	h := newHarness(t, map[string]string{"output.fields": "k = right.k, lid = left.id, rid = right.id, n = cast(right.v as long)"})
	h.batch([]sdk.Record{rec("r", 1, 7, 12_000, "5"), rec("r", 2, 7, 13_000, "abc")}, true)
	out := h.batch([]sdk.Record{left(3, 7, 11_000)}, true)
	if len(out) != 1 || out[0].Fault == nil || len(h.emitted) != 0 {
		t.Fatalf("outputs %v, emitted %v: want the left record refused alone", out, h.emitted)
	}
	if l, r := h.entries(); l != 0 || r != 2 {
		t.Errorf("%d left, %d right entries, want 0 and 2", l, r)
	}
	if c := h.op.Counts(); c["emitted"] != 0 || c["joined"] != 0 {
		t.Errorf("counts %v", c)
	}
}

func TestWhereFiltersEachSide(t *testing.T) {
	h := newHarness(t, map[string]string{"left.where": "v = 'keep'", "right.where": "v like 'r%'"})
	h.batch([]sdk.Record{rec("l", 1, 7, 10_000, "keep"), rec("l", 2, 7, 10_000, "drop"), rec("r", 3, 7, 11_000, "r3"), rec("r", 4, 7, 11_000, "x")}, true)
	if len(h.emitted) != 1 || intField(t, valueOf(h.emitted[0]), "lid") != 1 {
		t.Fatalf("emitted %v, want the pair of 1 and 3", h.emitted)
	}
	if c := h.op.Counts(); c["filtered"] != 2 {
		t.Errorf("counts %v", c)
	}
}

func TestRestoreRefusesStateOfAnotherShape(t *testing.T) {
	h := newHarness(t, nil)
	h.batch([]sdk.Record{left(1, 7, 10_000)}, true)
	h.cfg["output.fields"] = "k = right.k, lid = left.id, rid = right.id, lt = left.t"
	err := h.restart()
	if err == nil || !strings.Contains(err.Error(), "another shape") {
		t.Fatalf("restart with other kept fields: %v, want the shape refused", err)
	}
	// The interval and the lateness are not the shape: narrowing the
	// interval drops what can no longer join.
	h.cfg["output.fields"] = baseConfig()["output.fields"]
	h.cfg["interval.lower.ms"] = "-1000"
	h.start()
	h.batch([]sdk.Record{left(2, 8, 12_000), right(3, 8, 12_000)}, true) // watermark 12000
	if l, _ := h.entries(); l != 1 {
		t.Errorf("%d left entries, want 1: left 1 can no longer join anything", l)
	}
}

// TestRestoreIgnoresTheEventTimeOfATopicNoLongerRead: the watermark is the
// minimum over the partitions the task reads; the largest event time the
// changelog holds of a topic since dropped from the inputs must not join
// that minimum, where (idle.timeout.ms 0) it would hold the watermark, and
// so the eviction of all state, where it was for good.
func TestRestoreIgnoresTheEventTimeOfATopicNoLongerRead(t *testing.T) {
	h := newHarness(t, map[string]string{"left.topics": "l,x"}, sdk.TopicPartition{Topic: "l"}, sdk.TopicPartition{Topic: "r"}, sdk.TopicPartition{Topic: "x"})
	h.batch([]sdk.Record{left(1, 7, 10_000), right(2, 7, 10_000), rec("x", 3, 7, 10_000, "x3")}, true)
	h.cfg["left.topics"] = "l"
	h.parts = []sdk.TopicPartition{{Topic: "l"}, {Topic: "r"}}
	h.start()
	h.batch([]sdk.Record{left(4, 8, 60_000), right(5, 8, 60_000)}, true)
	if got := h.op.parts[0].horizon; got != 60_000 {
		t.Errorf("watermark %d, want 60000: topic x is no longer read", got)
	}
	if l, r := h.entries(); l != 1 || r != 1 {
		t.Errorf("%d left and %d right entries held, want only 4 and 5", l, r)
	}
}

func TestRestoreRefusesCorruptEntries(t *testing.T) {
	h := newHarness(t, nil)
	h.batch([]sdk.Record{left(1, 7, 10_000)}, true)
	var key, val []byte
	for _, kv := range h.log[0] {
		if kv[0][0] == keyLeft {
			key, val = kv[0], kv[1]
		}
	}
	bad := map[string][2][]byte{
		"short key":       {key[:10], val},
		"time 0":          {append(append([]byte{keyLeft}, make([]byte, 16)...), key[17:]...), val},
		"join key cut":    {key[:len(key)-1], val},
		"join key longer": {append(slices.Clone(key), key[17:]...), val},
		"version":         {key, append([]byte{9}, val[1:]...)},
		"matched left":    {key, append([]byte{stateVersion, flagMatched}, val[2:]...)},
		"fields cut":      {key, val[:len(val)-1]},
		"unknown kind":    {[]byte{'z'}, val},
		"horizon":         {[]byte{keyHorizon}, []byte{0xff}},
	}
	for name, kv := range bad {
		op := &Operator{}
		p, err := compile(h.cfg)
		if err != nil {
			t.Fatal(err)
		}
		op.init(p, time.Now)
		if err := op.Restore(0, kv[0], kv[1]); err == nil {
			t.Errorf("%s: restored", name)
		}
	}
}

func TestConfigProblemsAreReportedAtTheirKey(t *testing.T) {
	cases := []struct {
		change map[string]string
		key    string
		want   string
	}{
		{map[string]string{"interval.upper.ms": "-6000"}, "interval.upper.ms", "below the lower bound"},
		{map[string]string{"left.key": "nope"}, "left.key", "not one of left.fields"},
		{map[string]string{"left.fields": "id:long,k,t:long,v"}, "left.key", "give the key field k a type"},
		{map[string]string{"right.fields": "id:long,k:string,t:long,v"}, "right.key", "keys of different types never join"},
		{map[string]string{"right.key": "k,id"}, "right.key", "2 key fields, and left.key has 1"},
		{map[string]string{"left.where": "x = 1"}, "left.where", "x is not one of left.fields"},
		{map[string]string{"right.time.field": "when"}, "right.time.field", "not one of right.fields"},
		{map[string]string{"output.fields": "k = right.nope"}, "output.fields", "nope is not one of right.fields"},
		{map[string]string{"output.fields": "k = other"}, "output.fields", "neither left.<field>, right.<field>"},
		{map[string]string{"output.fields": "k = right.k, k = left.k"}, "output.fields", "assigned twice"},
		{map[string]string{"output.fields": "left.k = right.k"}, "output.fields", "are the input fields"},
		{map[string]string{"output.key.fields": "rid,nope"}, "output.key.fields", "nope is not one of output.fields"},
		{map[string]string{"match": "earliest"}, "output.key.fields", "lid reads a left field"},
		{map[string]string{"match": "latest", "output.fields": "x = left.k, k = coalesce(x, right.k), rid = right.id", "output.key.fields": "k,rid"}, "output.key.fields", "k reads a left field"},
		{map[string]string{"time.difference.field": "rid"}, "time.difference.field", "taken"},
		{map[string]string{"emit.time.field": "d"}, "emit.time.field", "taken"},
		{map[string]string{"left.time.format": "yyyy-QQ"}, "left.time.format", "not supported"},
		{map[string]string{"time.zone": "Mars/Olympus"}, "time.zone", "unknown time zone"},
		{map[string]string{"topics": "l,r", "left.topics": "l,x"}, "left.topics", "x is not one of the input topics"},
		{map[string]string{"topics": "l,r,x"}, "right.topics", "input topic x is in neither"},
	}
	for _, c := range cases {
		cfg := baseConfig()
		maps.Copy(cfg, c.change)
		problems := Plugin.Problems(sdk.Config(cfg))
		if msgs := problems[c.key]; len(msgs) != 1 || !strings.Contains(msgs[0], c.want) {
			t.Errorf("%v: problems %v, want %q at %s", c.change, problems, c.want, c.key)
		}
	}
	if problems := Plugin.Problems(sdk.Config(baseConfig())); len(problems) != 0 {
		t.Errorf("the base config has problems: %v", problems)
	}
}

// TestARecordLateForOneSideStillJoinsOnTheOther: the sides read different
// time fields; a record late by its left time goes to the late topic and
// still joins as a right record.
func TestARecordLateForOneSideStillJoinsOnTheOther(t *testing.T) {
	h := newHarness(t, map[string]string{
		"left.topics": "q", "right.topics": "q",
		"left.fields": "id:long,k:long,t:long,u:long", "right.fields": "id:long,k:long,t:long,u:long",
		"right.time.field": "u", "output.fields": "k = right.k, lid = left.id, rid = right.id",
	}, sdk.TopicPartition{Topic: "q"})
	h.batch([]sdk.Record{
		{Topic: "q", Offset: 1, Value: []byte(`{"id":1,"k":7,"t":10000,"u":10000}`)},
		{Topic: "q", Offset: 2, Value: []byte(`{"id":2,"k":7,"t":5000,"u":12000}`)},
	}, true)
	var keys []string
	for _, kv := range h.emitted {
		keys = append(keys, kv[:strings.IndexByte(kv, ' ')])
	}
	if !slices.Equal(keys, []string{"[1,1]", "[1,2]"}) {
		t.Errorf("pairs %v, want [1,1] and [1,2]: record 2 joins as a right record, not as a left one", keys)
	}
	if len(h.late) != 1 || h.late[0].Offset != 2 {
		t.Fatalf("late %v, want record 2", h.late)
	}
	if by, _ := h.late[0].Header(LateHeader); string(by) != "5000" {
		t.Errorf("late by %s, want 5000", by)
	}
	// Record 2 moved the watermark to 12000: right 1 (10000) can join no
	// left record from then on; left 1 and right 2 stay.
	if l, r := h.entries(); l != 1 || r != 1 {
		t.Errorf("%d left and %d right entries, want 1 and 1", l, r)
	}
}

// TestEventTimeFarAheadOfTheClockIsRefused: a record dated further ahead of
// the wall clock than event.time.max.ahead.ms comes back with the reason
// and moves no watermark, so the honest records after it still join.
func TestEventTimeFarAheadOfTheClockIsRefused(t *testing.T) {
	h := newHarness(t, map[string]string{"event.time.max.ahead.ms": "3600000"})
	now := h.clock.UnixMilli()
	h.batch([]sdk.Record{left(1, 7, now-3000), left(2, 7, now+365*24*3600_000), right(3, 7, now-1000)}, true)
	if len(h.faults) != 1 || !strings.Contains(h.faults[0].Fault.Error(), "ahead of the wall clock") {
		t.Fatalf("faults %v, want the record a year ahead", h.faults)
	}
	if want := []string{pair(1, 3, 7, now-3000, now-1000)}; !slices.Equal(h.emitted, want) || len(h.late) != 0 {
		t.Errorf("emitted %v (late %d), want %v", h.emitted, len(h.late), want)
	}
}
