package aggregate

import (
	"context"
	"fmt"
	"hash/fnv"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/transforms/latest"
)

// The chain of job 7: latest keeps the last version of each order, with
// its confirm day, keyed by (day, consultant); aggregate counts confirmed
// orders, distinct students and amounts per day and consultant.
var (
	chainLatest = map[string]string{
		"topic": "dwd.orders", "fields": "id:long,cc_id:long,confirm_date_time,status:long,student_id:long,amount:long",
		"time.fields": "attribution_time=confirm_date_time:yyyy-MM-dd", "time.format": "yyyy-MM-dd HH:mm:ss",
		"key.fields": "id", "output.key.fields": "attribution_time,cc_id",
	}
	chainAggregate = map[string]string{
		"topic": "staff_index", "fields": "id:long,cc_id:long,attribution_time,status:long,student_id:long,amount:long",
		"where": "attribution_time is not null and status = 3", "group.by": "attribution_time,cc_id",
		"aggregates": "cc_index=count(),students=count_distinct(student_id),total=sum(amount),lo=min(amount)",
		"constants":  "type=1",
	}
)

type orderRow struct{ id, cc, status, student, amount, day int }

func (o orderRow) json() string {
	confirm := "null"
	if o.day > 0 {
		confirm = fmt.Sprintf(`"2024-01-0%d 1%d:00:00"`, o.day, o.id%10)
	}
	return fmt.Sprintf(`{"id":%d,"cc_id":%d,"confirm_date_time":%s,"status":%d,"student_id":%d,"amount":%d}`,
		o.id, o.cc, confirm, o.status, o.student, o.amount)
}

func randomOrder(rng *rand.Rand, id int) orderRow {
	return orderRow{id: id, cc: rng.IntN(3), status: 1 + rng.IntN(4), student: rng.IntN(8), amount: rng.IntN(200) - 50, day: rng.IntN(4)}
}

// orderStream makes n changes of orders among ids, as the CDC source and
// plain-row producers write them, partitioned by id; it returns the rows
// the orders are left with.
func orderStream(rng *rand.Rand, n, ids, parts int) ([]sdk.Record, map[int]orderRow) {
	final := map[int]orderRow{}
	var recs []sdk.Record
	for range n {
		id := rng.IntN(ids)
		key := fmt.Appendf(nil, `{"id":%d}`, id)
		r := sdk.Record{Topic: "ods.orders", Partition: int32(id % parts), Key: key, Timestamp: time.UnixMilli(int64(len(recs)))}
		o := randomOrder(rng, id)
		old, had := final[id]
		switch k := rng.IntN(10); {
		case k < 3:
			r.Value = []byte(o.json())
			final[id] = o
		case k < 6:
			before := "null"
			if had {
				before = old.json()
			}
			op := map[bool]string{true: "u", false: "c"}[had]
			if rng.IntN(5) == 0 {
				op = "r"
			}
			r.Value = fmt.Appendf(nil, `{"before":%s,"after":%s,"op":%q,"ts_ms":1}`, before, o.json(), op)
			final[id] = o
		case k < 7 && had:
			r.Value = fmt.Appendf(nil, `{"before":%s,"after":null,"op":"d","ts_ms":1}`, old.json())
			delete(final, id)
		case k < 8:
			delete(final, id) // a tombstone: Value nil
		default:
			if had { // a repeat
				r.Value = fmt.Appendf(nil, `{"before":%s,"after":%s,"op":"u"}`, old.json(), old.json())
			}
		}
		recs = append(recs, r)
	}
	return recs, final
}

// expectedTable recomputes the aggregate table from the orders' last rows,
// as the seed's SQL over the latest view would.
func expectedTable(final map[int]orderRow) map[string]string {
	type acc struct {
		n, total, lo int
		students     map[int]bool
	}
	groups := map[[2]int]*acc{}
	for _, o := range final {
		if o.status != 3 || o.day == 0 {
			continue
		}
		g := groups[[2]int{o.day, o.cc}]
		if g == nil {
			g = &acc{lo: o.amount, students: map[int]bool{}}
			groups[[2]int{o.day, o.cc}] = g
		}
		g.n++
		g.total += o.amount
		g.lo = min(g.lo, o.amount)
		g.students[o.student] = true
	}
	table := map[string]string{}
	for k, g := range groups {
		day := fmt.Sprintf("2024-01-0%d", k[0])
		table[fmt.Sprintf(`[%q,%d]`, day, k[1])] = fmt.Sprintf(`{"attribution_time":%q,"cc_id":%d,"type":1,"cc_index":%d,"students":%d,"total":%d,"lo":%d}`,
			day, k[1], g.n, len(g.students), g.total, g.lo)
	}
	return table
}

func latestOpener(t testing.TB) func() stateful {
	t.Helper()
	return func() stateful {
		op := latest.Plugin.NewTransform()
		if err := op.Open(context.Background(), chainLatest); err != nil {
			t.Fatal(err)
		}
		return op.(stateful)
	}
}

// route partitions the outputs of latest by key, as the producer's
// partitioner does: every change of a group reaches one partition.
func route(recs []sdk.Record, parts int) []sdk.Record {
	out := make([]sdk.Record, len(recs))
	for i, r := range recs {
		h := fnv.New32a()
		h.Write(r.Key)
		r.Topic, r.Partition = "dwd.orders", int32(h.Sum32()%uint32(parts))
		out[i] = r
	}
	return out
}

// run feeds recs to h in random batches; with crashes, a quarter of the
// batches are lost with the task and replayed after a restore.
func run(h *harness, rng *rand.Rand, recs []sdk.Record, crashes bool, maxBatch int) {
	for i := 0; i < len(recs); {
		end := min(len(recs), i+1+rng.IntN(maxBatch))
		if crashes && rng.IntN(4) == 0 {
			h.batch(recs[i:end], false)
			h.start()
			continue
		}
		h.batch(recs[i:end], true)
		i = end
	}
}

// TestLatestThenAggregateEqualsRecomputation: random updates and deletes of
// random orders through latest and aggregate, several partitions each,
// leave the table a recomputation from the orders' last rows gives, with
// or without crashes in either stage.
func TestLatestThenAggregateEqualsRecomputation(t *testing.T) {
	for seed := range uint64(16) {
		for _, crashes := range []bool{false, true} {
			rng := rand.New(rand.NewPCG(seed, 3))
			const parts = 3
			recs, final := orderStream(rng, 2500, 50, parts)
			lt := newHarness(t, latestOpener(t), parts)
			run(lt, rng, recs, crashes, 150)
			now := clock
			ag := newHarness(t, aggregateOpener(t, chainAggregate, &now), parts)
			run(ag, rng, route(lt.out, parts), crashes, 150)
			if faults := append(lt.faults, ag.faults...); len(faults) > 0 {
				t.Fatalf("seed %d, crashes %v: %d faults, the first: %v", seed, crashes, len(faults), faults[0].Fault)
			}
			want := expectedTable(final)
			if !maps.Equal(ag.table, want) {
				t.Fatalf("seed %d, crashes %v: the table differs from the recomputation:\n%s", seed, crashes, diff(ag.table, want))
			}
			if len(want) == 0 {
				t.Fatalf("seed %d: an empty table proves little", seed)
			}
		}
	}
}

// TestCrashAndReplayGivesTheUninterruptedResults: the aggregation alone,
// over a change stream with updates that move rows between groups in one
// record, cut into random batches with lost ones, ends with the upsert
// table of an uninterrupted run, and emits no more than one record per
// group per batch.
func TestCrashAndReplayGivesTheUninterruptedResults(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 4))
		rows := map[int]orderRow{}
		var recs []sdk.Record
		for range 3000 {
			id := rng.IntN(40)
			old, had := rows[id]
			o := randomOrder(rng, id)
			var v string
			switch {
			case !had:
				v = fmt.Sprintf(`{"op":"c","before":null,"after":%s}`, o.json())
				rows[id] = o
			case rng.IntN(4) == 0:
				v = fmt.Sprintf(`{"op":"d","before":%s,"after":null}`, old.json())
				delete(rows, id)
			default:
				v = fmt.Sprintf(`{"op":"u","before":%s,"after":%s}`, old.json(), o.json())
				rows[id] = o
			}
			recs = append(recs, sdk.Record{Topic: "in", Value: []byte(v)})
		}
		cfg := maps.Clone(chainAggregate)
		cfg["fields"] = "id:long,cc_id:long,confirm_date_time,status:long,student_id:long,amount:long"
		cfg["time.fields"] = "attribution_time=confirm_date_time:yyyy-MM-dd"
		cfg["time.format"] = "yyyy-MM-dd HH:mm:ss"
		now := clock
		straight := newHarness(t, aggregateOpener(t, cfg, &now), 1)
		straight.batch(recs, true)
		crashy := newHarness(t, aggregateOpener(t, cfg, &now), 1)
		for i := 0; i < len(recs); {
			end := min(len(recs), i+1+rng.IntN(100))
			commit := rng.IntN(4) != 0
			got := crashy.batch(recs[i:end], commit)
			keys := map[string]bool{}
			for _, r := range got {
				if r.Value == nil { // the tombstone after a group's deletion
					continue
				}
				if keys[string(r.Key)] {
					t.Fatalf("seed %d: group %s emitted twice in a batch", seed, r.Key)
				}
				keys[string(r.Key)] = true
			}
			if !commit {
				crashy.start()
				continue
			}
			i = end
		}
		if !maps.Equal(straight.table, crashy.table) {
			t.Fatalf("seed %d: with crashes the table differs:\n%s", seed, diff(crashy.table, straight.table))
		}
		if want := expectedTable(rows); !maps.Equal(straight.table, want) {
			t.Fatalf("seed %d: the table differs from the recomputation:\n%s", seed, diff(straight.table, want))
		}
	}
}

func diff(got, want map[string]string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if got[k] != want[k] {
			fmt.Fprintf(&b, "%s: got %s\n%s  want %s\n", k, got[k], strings.Repeat(" ", len(k)), want[k])
		}
	}
	for _, k := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[k]; !ok {
			fmt.Fprintf(&b, "%s: got %s, want none\n", k, got[k])
		}
	}
	return b.String()
}
