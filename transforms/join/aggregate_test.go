package join

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/transforms/aggregate"
)

// aggregator is the aggregate connector downstream of the join, fed the
// join's committed outputs as its input topic would: the proof that the
// change records are what it consumes, retractions included.
type aggregator struct {
	t     testing.TB
	op    sdk.Transform
	table map[string]string // the upsert table of its results: key → value
}

func newAggregator(t testing.TB, cfg map[string]string) *aggregator {
	t.Helper()
	op := aggregate.Plugin.NewTransform()
	if err := op.Open(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	if err := op.(sdk.Stateful).Assign([]sdk.TopicPartition{{Topic: "joined", Partition: 0}}); err != nil {
		t.Fatal(err)
	}
	return &aggregator{t: t, op: op, table: map[string]string{}}
}

// feed processes join outputs as one batch of the aggregate's input; a
// fault (a retraction of a row it never counted, say) fails the test.
func (a *aggregator) feed(recs []sdk.Record) {
	a.t.Helper()
	in := make([]sdk.Record, len(recs))
	for i, r := range recs {
		in[i] = sdk.Record{Topic: "joined", Key: r.Key, Value: r.Value, Timestamp: r.Timestamp, Offset: int64(i)}
	}
	out, err := a.op.Process(a.t.Context(), in)
	if err != nil {
		a.t.Fatal(err)
	}
	a.op.(sdk.Stateful).Changes()
	for _, r := range out {
		if r.Fault != nil {
			a.t.Fatalf("the aggregate refused %s: %v", r.Value, r.Fault)
		}
		var c struct{ Op string }
		if r.Value == nil || json.Unmarshal(r.Value, &c) == nil && c.Op == "d" {
			delete(a.table, string(r.Key))
			continue
		}
		a.table[string(r.Key)] = string(r.Value)
	}
}

// pipe processes a batch in the join, commits it, and feeds what it
// emitted to the aggregate.
func (h *harness) pipe(a *aggregator, recs ...sdk.Record) {
	h.t.Helper()
	n := len(h.out)
	h.batch(recs, true)
	a.feed(h.out[n:])
}

// results lists the aggregate's table as "key value" lines, sorted.
func (a *aggregator) results() []string {
	var s []string
	for _, k := range slices.Sorted(maps.Keys(a.table)) {
		s = append(s, k+" "+a.table[k])
	}
	return s
}

func wantResults(t testing.TB, a *aggregator, want ...string) {
	t.Helper()
	for i := range want {
		want[i] = strings.ReplaceAll(want[i], "'", `"`)
	}
	slices.Sort(want)
	if got := a.results(); !slices.Equal(got, want) {
		t.Fatalf("aggregate results\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// Job 6 without the lookup: distinct students per hour and level (here
// the channel's parity), the filtered users out. The counts go up, and
// down when a user's status leaves NORMAL or a student's channel moves it
// to another level.
func TestAggregateCountsGoUpAndDown(t *testing.T) {
	h := newHarness(t, map[string]string{
		"output.fields":     `id = left.id, reg_date = cast(date_format(right.register_date_time, 'yyyyMMddHH', 'Asia/Shanghai') as bigint), level = CASE WHEN left.channel_id IN (1, 3) THEN 'A' ELSE 'B' END`,
		"where":             `right.name NOT LIKE '%test%' AND right.status = 'NORMAL'`,
		"output.key.fields": "reg_date,level",
	}, 1)
	a := newAggregator(t, map[string]string{
		"topic": "ads", "fields": "id:long,reg_date:long,level", "group.by": "reg_date,level", "aggregates": "leads=count_distinct(id)",
	})
	h.pipe(a, student(1, 1), student(2, 3), student(3, 2), user(1, "Ann", "NORMAL"), user(2, "Bob", "NORMAL"), user(3, "Cy", "NORMAL"))
	wantResults(t, a,
		`[2024010120,'A'] {'reg_date':2024010120,'level':'A','leads':2}`,
		`[2024010120,'B'] {'reg_date':2024010120,'level':'B','leads':1}`)
	h.pipe(a, user(2, "Bob", "FROZEN"))
	wantResults(t, a,
		`[2024010120,'A'] {'reg_date':2024010120,'level':'A','leads':1}`,
		`[2024010120,'B'] {'reg_date':2024010120,'level':'B','leads':1}`)
	h.pipe(a, student(1, 4)) // channel 4: level B
	wantResults(t, a,
		`[2024010120,'B'] {'reg_date':2024010120,'level':'B','leads':2}`)
	h.pipe(a, user(3, "Cy test", "NORMAL"), user(2, "Bob", "NORMAL"), student(2, 3)) // a repeat
	wantResults(t, a,
		`[2024010120,'A'] {'reg_date':2024010120,'level':'A','leads':1}`,
		`[2024010120,'B'] {'reg_date':2024010120,'level':'B','leads':1}`)
	h.pipe(a, tombstone("student", 1), tombstone("student", 2))
	wantResults(t, a)
}

// TestAggregateOfRandomStreams: the aggregate of the join's change stream,
// however cut into batches and with crashes, counts what the reference
// join counts per channel.
func TestAggregateOfRandomStreams(t *testing.T) {
	for seed := range uint64(12) {
		rng := rand.New(rand.NewPCG(seed, 3))
		m := newModel(seed%2 == 0, seed%3 != 0)
		recs := randomStream(rng, m, 3000, 50, 1)
		h := newHarness(t, m.config(), 1)
		a := newAggregator(t, map[string]string{
			"topic": "ads", "fields": "id:long,channel:long", "group.by": "channel", "aggregates": "leads=count_distinct(id)",
		})
		for i := 0; i < len(recs); {
			end := min(len(recs), i+1+rng.IntN(150))
			if rng.IntN(5) == 0 {
				h.batch(recs[i:end], false)
				h.start()
				continue
			}
			h.pipe(a, recs[i:end]...)
			i = end
		}
		want := map[int]int{}
		for k := range m.table() {
			var ch int
			fmt.Sscanf(k, "[%d]", &ch)
			want[ch]++
		}
		var wantLines []string
		for ch, n := range want {
			wantLines = append(wantLines, fmt.Sprintf(`[%d] {'channel':%d,'leads':%d}`, ch, ch, n))
		}
		wantResults(t, a, wantLines...)
	}
}
