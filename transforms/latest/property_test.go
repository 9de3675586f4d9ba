package latest

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// randomStream makes n records over keys ids, spread over parts partitions
// by id: plain rows, Debezium creates, updates and deletes, tombstones and
// repeats. It returns the rows each key is left with.
func randomStream(rng *rand.Rand, n, ids, parts int) ([]sdk.Record, map[int]string) {
	final := map[int]string{}
	var recs []sdk.Record
	for range n {
		id := rng.IntN(ids)
		p := int32(id % parts)
		text := fmt.Sprintf(`{"id":%d,"cc_id":%d,"status":%d,"day":"2024-01-0%d"}`, id, rng.IntN(3), 1+rng.IntN(4), 1+rng.IntN(3))
		var r sdk.Record
		switch k := rng.IntN(10); {
		case k < 3:
			r = row(p, id, 0, 0, "")
			r.Value = []byte(text)
			final[id] = text
		case k < 6:
			op := []string{"c", "u", "r"}[rng.IntN(3)]
			r = envelope(op, `{"id":-1}`, text)
			final[id] = text
		case k < 7:
			r = envelope("d", fmt.Sprintf(`{"id":%d}`, id), "null")
			delete(final, id)
		case k < 8:
			r = tombstone(fmt.Sprintf(`{"id":%d}`, id))
			delete(final, id)
		default: // a repeat of what the key holds, or a delete of nothing
			if cur, ok := final[id]; ok {
				r = envelope("u", cur, cur)
			} else {
				r = tombstone(fmt.Sprintf(`{"id":%d}`, id))
			}
		}
		r.Partition = p
		recs = append(recs, r)
	}
	return recs, final
}

func wantTable(final map[int]string) map[string]int {
	t := map[string]int{}
	for _, v := range final {
		t[v]++
	}
	return t
}

// TestChangeStreamReplaysToTheLatestRows: whatever the updates and deletes,
// the change records, applied in order, leave exactly the latest row of
// each key, and never retract a row they did not add.
func TestChangeStreamReplaysToTheLatestRows(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 1))
		recs, final := randomStream(rng, 2000, 40, 3)
		h := newHarness(t, map[string]string{"output.key.fields": "day,cc_id"}, 3)
		for i := 0; i < len(recs); {
			end := min(len(recs), i+1+rng.IntN(100))
			h.batch(recs[i:end], true)
			i = end
		}
		if len(h.faults) > 0 {
			t.Fatalf("seed %d: fault %v", seed, h.faults[0].Fault)
		}
		if got, want := h.table(), wantTable(final); !maps.Equal(got, want) {
			t.Fatalf("seed %d: %d rows from the change stream, %d latest rows; they differ", seed, len(got), len(want))
		}
	}
}

// TestCrashAndReplayGivesTheUninterruptedResults: the stream cut into
// random batches, some lost (the task died before committing) and replayed
// after a restore from the committed changelog, gives the change stream of
// an uninterrupted run, record for record.
func TestCrashAndReplayGivesTheUninterruptedResults(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 2))
		recs, final := randomStream(rng, 3000, 60, 4)
		cfg := map[string]string{"output.key.fields": "cc_id"}
		straight := newHarness(t, cfg, 4)
		straight.batch(recs, true)

		crashy := newHarness(t, cfg, 4)
		for i := 0; i < len(recs); {
			end := min(len(recs), i+1+rng.IntN(200))
			if rng.IntN(4) == 0 {
				crashy.batch(recs[i:end], false) // lost with the task
				crashy.start()
				continue
			}
			crashy.batch(recs[i:end], true)
			i = end
		}
		if !slices.EqualFunc(straight.out, crashy.out, func(a, b sdk.Record) bool {
			return string(a.Key) == string(b.Key) && string(a.Value) == string(b.Value)
		}) {
			t.Fatalf("seed %d: %d outputs straight, %d with crashes; they differ", seed, len(straight.out), len(crashy.out))
		}
		if got, want := crashy.table(), wantTable(final); !maps.Equal(got, want) {
			t.Fatalf("seed %d: the change stream with crashes does not replay to the latest rows", seed)
		}
	}
}
