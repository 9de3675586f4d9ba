package intervaljoin

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/transforms/stream"
)

// event is one generated input record.
type event struct {
	id    int
	topic string
	part  int32
	k     int
	t     int64
	kind  string // S: a right record of the self-join
	bad   bool   // no join key: the operator must refuse it
}

func (e event) record() sdk.Record {
	v := fmt.Sprintf(`{"id":%d,"k":%d,"t":%d,"v":"x%d","kind":%q}`, e.id, e.k, e.t, e.id, e.kind)
	if e.bad {
		v = fmt.Sprintf(`{"id":%d,"t":%d,"kind":%q}`, e.id, e.t, e.kind)
	}
	return sdk.Record{Topic: e.topic, Partition: e.part, Offset: int64(e.id), Value: []byte(v)}
}

// setup is one join configuration of the property test, as the operator
// reads it and as the reference does.
type setup struct {
	name         string
	self         bool // one topic q, right = kind S; else left = topic l, right = topic r
	lower, upper int64
	delay, late  int64
	match        string
}

func (s setup) config() map[string]string {
	c := map[string]string{
		"interval.lower.ms": strconv.FormatInt(s.lower, 10), "interval.upper.ms": strconv.FormatInt(s.upper, 10),
		"out.of.orderness.ms": strconv.FormatInt(s.delay, 10), "allowed.lateness.ms": strconv.FormatInt(s.late, 10),
		"match":         s.match,
		"output.fields": "k = right.k, lid = left.id, rid = right.id, lt = left.t, rt = right.t",
		"left.fields":   "id:long,k:long,t:long,kind", "right.fields": "id:long,k:long,t:long,kind",
	}
	if s.match == "all" {
		c["output.key.fields"] = "lid,rid"
	} else {
		c["output.key.fields"] = "rid"
	}
	if s.self {
		c["left.topics"], c["right.topics"], c["right.where"] = "q", "q", "kind = 'S'"
	}
	return c
}

func (s setup) topics() []string {
	if s.self {
		return []string{"q"}
	}
	return []string{"l", "r"}
}

// randomEvents makes n records over keys, partitioned by key: times
// mostly rising with jitter both ways, now and then far behind (late),
// and a few without a join key.
func randomEvents(rng *rand.Rand, s setup, n, keys, parts int) []event {
	const base = 1_700_000_000_000
	topics := s.topics()
	evs := make([]event, n)
	for i := range evs {
		k := rng.IntN(keys)
		t := base + int64(i)*50 + rng.Int64N(3000) - 1500
		if rng.IntN(15) == 0 {
			t -= 4000 + rng.Int64N(10000)
		}
		kind := "P"
		if rng.IntN(3) == 0 {
			kind = "S"
		}
		evs[i] = event{id: i, topic: topics[rng.IntN(len(topics))], part: int32(k % parts), k: k, t: t, kind: kind, bad: rng.IntN(40) == 0}
	}
	return evs
}

// want is what the reference works out.
type want struct {
	pairs     map[[2]int]int // match all: (left id, right id) → times emitted (1)
	best      map[int]int    // match earliest/latest: right id → left id
	emitted   int
	corrected int
	late      map[int64]int64 // input offset → ms late
	faults    []int64
}

// reference joins the events by brute force: it tracks the watermark as
// stream.Watermarks defines it (no idle timeout), marks late records, and
// joins every pair of records that were not late.
func reference(evs []event, s setup, parts int) want {
	w := want{pairs: map[[2]int]int{}, best: map[int]int{}, late: map[int64]int64{}}
	type tracker struct {
		topic string
		part  int32
	}
	maxes := map[tracker]int64{}
	for _, topic := range s.topics() {
		for p := range parts {
			maxes[tracker{topic, int32(p)}] = stream.NoTime
		}
	}
	horizon := int64(stream.NoTime)
	type role struct {
		ev      event
		arrival int // index of the record; a record's left role comes before its right
	}
	var lefts, rights []role
	for i, e := range evs {
		if e.bad {
			w.faults = append(w.faults, int64(e.id))
			continue
		}
		isLeft := !s.self && e.topic == "l" || s.self
		isRight := !s.self && e.topic == "r" || s.self && e.kind == "S"
		if horizon != stream.NoTime && e.t < horizon-s.late {
			w.late[int64(e.id)] = horizon - s.late - e.t
		} else {
			if isLeft {
				lefts = append(lefts, role{e, i})
			}
			if isRight {
				rights = append(rights, role{e, i})
			}
		}
		tr := tracker{e.topic, e.part}
		maxes[tr] = max(maxes[tr], e.t)
		wm := int64(stream.NoTime)
		for _, m := range maxes {
			if m == stream.NoTime {
				wm = stream.NoTime
				break
			}
			if wm == stream.NoTime || m-s.delay < wm {
				wm = m - s.delay
			}
		}
		horizon = max(horizon, wm)
	}
	joins := func(l, r event) bool { return l.k == r.k && l.t-r.t >= s.lower && l.t-r.t <= s.upper }
	for _, r := range rights {
		var cands []role // in arrival order
		for _, l := range lefts {
			if joins(l.ev, r.ev) {
				cands = append(cands, l)
			}
		}
		if s.match == "all" {
			for _, l := range cands {
				w.pairs[[2]int{l.ev.id, r.ev.id}]++
				w.emitted++
			}
			continue
		}
		better := func(a, b int64) bool {
			if s.match == "earliest" {
				return a < b
			}
			return a > b
		}
		// When r arrives it emits the best of the candidates there (of
		// equal times the first to arrive; its own left role arrived just
		// before it), then each later candidate better than the last
		// emitted corrects it.
		have := false
		var best event
		for _, l := range cands {
			if l.arrival <= r.arrival && (!have || better(l.ev.t, best.t)) {
				have, best = true, l.ev
			}
		}
		if have {
			w.emitted++
		}
		for _, l := range cands {
			if l.arrival > r.arrival && (!have || better(l.ev.t, best.t)) {
				if have {
					w.corrected++
				}
				have, best = true, l.ev
				w.emitted++
			}
		}
		if have {
			w.best[r.ev.id] = best.id
		}
	}
	return w
}

// check compares what a harness committed with the reference.
func check(t *testing.T, what string, h *harness, s setup, w want) {
	t.Helper()
	if s.match == "all" {
		got := map[[2]int]int{}
		for _, kv := range h.emitted {
			v := kv[len(kv)-len(valueOf(kv)):]
			got[[2]int{intField(t, v, "lid"), intField(t, v, "rid")}]++
			if intField(t, v, "d") != intField(t, v, "rt")-intField(t, v, "lt") {
				t.Fatalf("%s: %s: d is not rt - lt", what, v)
			}
		}
		if !maps.Equal(got, w.pairs) {
			t.Fatalf("%s: %d distinct pairs emitted (%d in all), want %d\nmissing or extra: %v", what, len(got), len(h.emitted), len(w.pairs), diffPairs(got, w.pairs))
		}
	} else {
		got := map[int]int{}
		for k, v := range h.results {
			var key []int
			if err := json.Unmarshal([]byte(k), &key); err != nil || len(key) != 1 || key[0] != intField(t, v, "rid") {
				t.Fatalf("%s: key %s of %s", what, k, v)
			}
			got[key[0]] = intField(t, v, "lid")
		}
		if !maps.Equal(got, w.best) {
			t.Fatalf("%s: %d right records matched, want %d; differing: %v", what, len(got), len(w.best), diffBest(got, w.best))
		}
		if c := h.op.Counts(); c["corrected"] != int64(w.corrected) && what == "uninterrupted" {
			t.Fatalf("%s: %d corrected, want %d", what, c["corrected"], w.corrected)
		}
	}
	if len(h.emitted) != w.emitted {
		t.Fatalf("%s: %d emitted, want %d", what, len(h.emitted), w.emitted)
	}
	late := map[int64]int64{}
	for _, r := range h.late {
		by, _ := r.Header(LateHeader)
		late[r.Offset], _ = strconv.ParseInt(string(by), 10, 64)
	}
	if !maps.Equal(late, w.late) {
		t.Fatalf("%s: %d late records, want %d", what, len(late), len(w.late))
	}
	var faults []int64
	for _, r := range h.faults {
		faults = append(faults, r.Offset)
	}
	if !slices.Equal(faults, w.faults) {
		t.Fatalf("%s: faults %v, want %v", what, faults, w.faults)
	}
}

func valueOf(kv string) string {
	for i := range kv {
		if kv[i] == ' ' {
			return kv[i+1:]
		}
	}
	return kv
}

func intField(t *testing.T, v, name string) int {
	t.Helper()
	f, ok := field(t, v, name).(float64)
	if !ok {
		t.Fatalf("%s has no number %s", v, name)
	}
	return int(f)
}

func diffPairs(got, want map[[2]int]int) []string {
	var d []string
	for p, n := range got {
		if want[p] != n {
			d = append(d, fmt.Sprintf("%v got %d want %d", p, n, want[p]))
		}
	}
	for p, n := range want {
		if _, ok := got[p]; !ok {
			d = append(d, fmt.Sprintf("%v got 0 want %d", p, n))
		}
	}
	slices.Sort(d)
	return d[:min(len(d), 10)]
}

func diffBest(got, want map[int]int) []string {
	var d []string
	for r, l := range want {
		if g, ok := got[r]; !ok || g != l {
			d = append(d, fmt.Sprintf("right %d: left %d, want %d (found %v)", r, g, l, ok))
		}
	}
	for r, l := range got {
		if _, ok := want[r]; !ok {
			d = append(d, fmt.Sprintf("right %d: left %d, want none", r, l))
		}
	}
	slices.Sort(d)
	return d[:min(len(d), 10)]
}

var setups = []setup{
	{name: "two topics all", lower: -3000, upper: 1000, delay: 500, late: 1000, match: "all"},
	{name: "two topics earliest", lower: -3000, upper: 1000, delay: 500, late: 1000, match: "earliest"},
	{name: "two topics latest", lower: -3000, upper: 1000, delay: 0, late: 2000, match: "latest"},
	{name: "self all", self: true, lower: -3000, upper: -1, delay: 500, late: 1000, match: "all"},
	{name: "self earliest", self: true, lower: -3000, upper: -1, delay: 1000, late: 500, match: "earliest"},
	{name: "self latest with itself", self: true, lower: -2000, upper: 500, delay: 200, late: 800, match: "latest"},
	{name: "self earliest around", self: true, lower: -1500, upper: 1500, delay: 300, late: 300, match: "earliest"},
}

// TestJoinEqualsBruteForce: whatever the order of the records and however
// the runtime cuts them into batches, the join emits exactly the pairs
// (or best matches) of the records that were not late, as a brute-force
// join of them works out; and a task that dies after any batch and
// restores from its changelog emits, once the input is replayed, exactly
// what the uninterrupted run emitted.
func TestJoinEqualsBruteForce(t *testing.T) {
	const parts = 3
	for _, s := range setups {
		for seed := range uint64(8) {
			rng := rand.New(rand.NewPCG(seed, 7))
			evs := randomEvents(rng, s, 1500, 12, parts)
			recs := make([]sdk.Record, len(evs))
			for i, e := range evs {
				recs[i] = e.record()
			}
			var tps []sdk.TopicPartition
			for _, topic := range s.topics() {
				for p := range parts {
					tps = append(tps, sdk.TopicPartition{Topic: topic, Partition: int32(p)})
				}
			}
			w := reference(evs, s, parts)
			name := fmt.Sprintf("%s seed %d", s.name, seed)

			plain := newHarness(t, s.config(), tps...)
			for i := 0; i < len(recs); {
				end := min(len(recs), i+1+rng.IntN(60))
				plain.batch(recs[i:end], true)
				i = end
			}
			check(t, name+": uninterrupted", plain, s, w)
			if len(w.late) == 0 || w.corrected == 0 && s.match != "all" {
				t.Fatalf("%s: the stream must have late records and corrections to test them: %d late, %d corrected", name, len(w.late), w.corrected)
			}
			lp, rp := plain.entries()

			crashy := newHarness(t, s.config(), tps...)
			for i := 0; i < len(recs); {
				end := min(len(recs), i+1+rng.IntN(60))
				if rng.IntN(4) == 0 {
					crashy.batch(recs[i:end], false) // lost: the task dies before the commit
					crashy.start()
				}
				crashy.batch(recs[i:end], true)
				if rng.IntN(6) == 0 {
					crashy.start()
				}
				i = end
			}
			check(t, name+": with crashes", crashy, s, w)
			if !slices.Equal(crashy.emitted, plain.emitted) {
				t.Fatalf("%s: a run with crashes emitted another sequence than an uninterrupted one", name)
			}
			crashy.start()
			if l, r := crashy.entries(); l != lp || r != rp {
				t.Fatalf("%s: restored state holds %d left and %d right entries, the uninterrupted run %d and %d", name, l, r, lp, rp)
			}
			if lp+rp > 600 {
				t.Fatalf("%s: %d entries held at the end: the watermark should have dropped most", name, lp+rp)
			}
		}
	}
}

// TestStateTTLThatDropsNothingChangesNothing: with state.ttl.ms set, each
// stored record is checked for its time to live as it joins (see
// Operator.stale), which picks the best match another way than without
// one; a time to live that nothing outlives must give the brute force's
// results all the same.
func TestStateTTLThatDropsNothingChangesNothing(t *testing.T) {
	const parts = 3
	for _, s := range setups {
		for seed := range uint64(2) {
			rng := rand.New(rand.NewPCG(seed, 11))
			evs := randomEvents(rng, s, 1500, 12, parts)
			var tps []sdk.TopicPartition
			for _, topic := range s.topics() {
				for p := range parts {
					tps = append(tps, sdk.TopicPartition{Topic: topic, Partition: int32(p)})
				}
			}
			cfg := s.config()
			cfg["state.ttl.ms"] = "86400000"
			h := newHarness(t, cfg, tps...)
			for i := 0; i < len(evs); {
				end := min(len(evs), i+1+rng.IntN(60))
				recs := make([]sdk.Record, 0, end-i)
				for _, e := range evs[i:end] {
					recs = append(recs, e.record())
				}
				h.batch(recs, true)
				i = end
			}
			check(t, fmt.Sprintf("%s seed %d, state.ttl.ms 1 day", s.name, seed), h, s, reference(evs, s, parts))
		}
	}
}
