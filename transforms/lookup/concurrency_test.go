package lookup

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"
	"time"
)

// Gets that miss keys a query is already reading wait for it: one query
// answers all of them.
func TestConcurrentMissesShareOneQuery(t *testing.T) {
	db := newDB(t)
	db.dictionary(t, 100)
	db.slowDictionary(t, 300*time.Millisecond)
	tbl, counter := db.open(t, Config{Table: "slow_dict", NegativeTTL: time.Minute})
	cleanup(t, tbl, counter)

	keys := []string{key(1), absent(1), key(2), key(1), key(50)}
	want := []string{channel(1), "missing", channel(2), channel(1), channel(50)}
	const waiters = 8
	results := make(chan []Result, waiters+1)
	get := func() {
		res, err := tbl.Get(context.Background(), keys)
		if err != nil {
			t.Error(err)
		}
		results <- res
	}
	go get()
	db.waitQueryRunning(t)
	var wg sync.WaitGroup
	for range waiters {
		wg.Go(get)
	}
	wg.Wait()
	for range waiters + 1 {
		res := <-results
		for i := range keys {
			if got := show(res[i]); got != want[i] {
				t.Errorf("key %d: %s, want %s", i, got, want[i])
			}
		}
	}
	wantQueries(t, counter, 1)
	wantStats(t, tbl, map[string]int64{"queries": 1, "keys_queried": 4, "coalesced": waiters * 5, "misses": (waiters + 1) * 5})
}

// A Get whose context ends while it waits for another's query returns;
// the query goes on and caches its answer.
func TestWaiterGivesUp(t *testing.T) {
	db := newDB(t)
	db.dictionary(t, 10)
	db.slowDictionary(t, 300*time.Millisecond)
	tbl, counter := db.open(t, Config{Table: "slow_dict"})
	cleanup(t, tbl, counter)

	done := make(chan error)
	go func() {
		_, err := tbl.Get(context.Background(), []string{key(1)})
		done <- err
	}()
	db.waitQueryRunning(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := tbl.Get(ctx, []string{key(1)}); err == nil {
		t.Error("a Get with a cancelled context succeeded while the query ran")
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := show(mustGet(t, tbl, key(1))[0]); got != channel(1) {
		t.Errorf("got %s", got)
	}
	wantQueries(t, counter, 1)
}

// Many goroutines looking up overlapping keys get the right rows, and no
// key is ever queried twice (nothing expires or is evicted here).
func TestConcurrentGets(t *testing.T) {
	db := newDB(t)
	db.dictionary(t, 2000)
	tbl, counter := db.open(t, Config{BatchSize: 100, NegativeTTL: time.Hour})
	cleanup(t, tbl, counter)

	const goroutines, rounds, batch, universe = 16, 20, 200, 3000 // ids ≥ 2000 are missing
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(g), 1))
			for r := range rounds {
				ids := make([]int, batch)
				keys := make([]string, batch)
				for i := range ids {
					ids[i] = rng.IntN(universe)
					keys[i] = key(ids[i])
				}
				if r%5 == 4 {
					tbl.Put(key(ids[0]), strs("put", "", ""))
				}
				res, err := tbl.Get(context.Background(), keys)
				if err != nil {
					t.Error(err)
					return
				}
				for i, id := range ids {
					want := channel(id)
					if id >= 2000 {
						want = "missing"
					}
					if got := show(res[i]); got != want && got != "[string put | string  | string ]" {
						t.Errorf("goroutine %d: id %d: %s, want %s", g, id, got, want)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	s := tbl.Stats()
	if s.KeysQueried > s.Entries || s.Evictions != 0 || s.Expirations != 0 {
		t.Errorf("%d keys queried for %d entries: some key was queried twice (%+v)", s.KeysQueried, s.Entries, s)
	}
	if s.Hits+s.NegativeHits+s.Misses != goroutines*rounds*batch {
		t.Errorf("hits + negative hits + misses = %d, want %d", s.Hits+s.NegativeHits+s.Misses, goroutines*rounds*batch)
	}
	if counter.queries.Load() != s.Queries {
		t.Errorf("the server ran %d queries, the Table counted %d", counter.queries.Load(), s.Queries)
	}
}
