package lookup

import (
	"testing"
	"time"
)

// Found keys come back as rows, a missing key as missing; the second time
// all of them come from the cache.
func TestGetReadsTheTableOnceThenTheCache(t *testing.T) {
	db := newDB(t)
	db.dictionary(t, 10)
	tbl, counter := db.open(t, Config{NegativeTTL: time.Minute})
	cleanup(t, tbl, counter)

	keys := []string{key(3), absent(1), key(7), key(3)}
	want := []string{channel(3), "missing", channel(7), channel(3)}
	for round := range 2 {
		res := mustGet(t, tbl, keys...)
		for i := range keys {
			if got := show(res[i]); got != want[i] {
				t.Errorf("round %d, key %d: %s, want %s", round, i, got, want[i])
			}
		}
	}
	wantQueries(t, counter, 1)
	wantStats(t, tbl, map[string]int64{
		"misses": 4, "keys_queried": 3, "queries": 1, "rows_fetched": 2,
		"hits": 3, "negative_hits": 1, "coalesced": 0, "entries": 3,
	})
}

// 10,000 keys of which 500 are distinct (half of them missing) make one
// query with BatchSize 1000, and none the second time; 2,500 new distinct
// keys make three.
func TestGetBatchesAndDeduplicatesMisses(t *testing.T) {
	db := newDB(t)
	db.dictionary(t, 5000)
	tbl, counter := db.open(t, Config{BatchSize: 1000, NegativeTTL: time.Minute})
	cleanup(t, tbl, counter)

	keys := make([]string, 10_000)
	want := make([]string, len(keys))
	for i := range keys {
		if d := i % 500; d%2 == 0 {
			keys[i], want[i] = key(d), channel(d)
		} else {
			keys[i], want[i] = absent(d), "missing"
		}
	}
	check := func(round int) {
		t.Helper()
		res := mustGet(t, tbl, keys...)
		for i := range keys {
			if got := show(res[i]); got != want[i] {
				t.Fatalf("round %d, key %d (%s): %s, want %s", round, i, keys[i], got, want[i])
			}
		}
	}
	check(1)
	wantQueries(t, counter, 1)
	wantStats(t, tbl, map[string]int64{"misses": 10_000, "keys_queried": 500, "queries": 1, "rows_fetched": 250, "entries": 500})
	check(2)
	wantQueries(t, counter, 1)
	wantStats(t, tbl, map[string]int64{"hits": 5000, "negative_hits": 5000, "queries": 1})

	more := make([]string, 2500)
	for i := range more {
		more[i] = key(1000 + i)
	}
	res := mustGet(t, tbl, more...)
	for i := range more {
		if got := show(res[i]); got != channel(1000+i) {
			t.Fatalf("key %d: %s, want %s", i, got, channel(1000+i))
		}
	}
	wantQueries(t, counter, 4)
	wantStats(t, tbl, map[string]int64{"queries": 4, "keys_queried": 3000, "rows_fetched": 2750})
}

func TestGetOfNoKeys(t *testing.T) {
	db := newDB(t)
	db.dictionary(t, 1)
	tbl, counter := db.open(t, Config{})
	cleanup(t, tbl, counter)
	if res := mustGet(t, tbl); len(res) != 0 {
		t.Fatalf("%d results", len(res))
	}
	wantQueries(t, counter, 0)
}

// A row is trusted for TTL: a change to the table shows once it has passed,
// not before.
func TestRowsExpireAfterTTL(t *testing.T) {
	db := newDB(t)
	db.dictionary(t, 3)
	clock := newClock()
	tbl, counter := db.open(t, Config{TTL: 10 * time.Minute, Now: clock.Now})
	cleanup(t, tbl, counter)

	mustGet(t, tbl, key(1))
	db.exec(t, `UPDATE dict SET level = 'L9' WHERE id = '1'`)
	clock.Advance(10*time.Minute - time.Nanosecond)
	if got := show(mustGet(t, tbl, key(1))[0]); got != channel(1) {
		t.Errorf("within the TTL: %s, want the cached %s", got, channel(1))
	}
	wantQueries(t, counter, 1)
	clock.Advance(time.Nanosecond)
	if got, want := show(mustGet(t, tbl, key(1))[0]), "[string 1 | string L9 | string channel 1]"; got != want {
		t.Errorf("after the TTL: %s, want %s", got, want)
	}
	wantQueries(t, counter, 2)
	wantStats(t, tbl, map[string]int64{"expirations": 1, "hits": 1, "misses": 2, "entries": 1})
}

// "No such row" is trusted for NegativeTTL: a row inserted after a lookup
// that missed it is found once NegativeTTL has passed, not before.
func TestNegativeTTL(t *testing.T) {
	db := newDB(t)
	db.dictionary(t, 3)
	clock := newClock()
	tbl, counter := db.open(t, Config{TTL: time.Hour, NegativeTTL: 30 * time.Second, Now: clock.Now})
	cleanup(t, tbl, counter)

	if got := show(mustGet(t, tbl, key(5))[0]); got != "missing" {
		t.Fatalf("before the insert: %s", got)
	}
	db.exec(t, `INSERT INTO dict VALUES (md5('5'), '5', 'L0', 'channel 5')`)
	clock.Advance(30*time.Second - time.Nanosecond)
	if got := show(mustGet(t, tbl, key(5))[0]); got != "missing" {
		t.Errorf("within the negative TTL: %s, want the cached absence", got)
	}
	wantQueries(t, counter, 1)
	clock.Advance(time.Nanosecond)
	if got := show(mustGet(t, tbl, key(5))[0]); got != channel(5) {
		t.Errorf("after the negative TTL: %s, want %s", got, channel(5))
	}
	wantQueries(t, counter, 2)
	wantStats(t, tbl, map[string]int64{"negative_hits": 1, "expirations": 1})
}

// With NegativeTTL 0 a missing key is asked every time, and a row inserted
// is found at once.
func TestNegativeCachingOff(t *testing.T) {
	db := newDB(t)
	db.dictionary(t, 3)
	tbl, counter := db.open(t, Config{})
	cleanup(t, tbl, counter)

	for range 2 {
		if got := show(mustGet(t, tbl, key(5))[0]); got != "missing" {
			t.Fatalf("before the insert: %s", got)
		}
	}
	wantQueries(t, counter, 2)
	db.exec(t, `INSERT INTO dict VALUES (md5('5'), '5', 'L0', 'channel 5')`)
	if got := show(mustGet(t, tbl, key(5))[0]); got != channel(5) {
		t.Errorf("after the insert: %s, want %s", got, channel(5))
	}
	wantStats(t, tbl, map[string]int64{"negative_hits": 0, "entries": 1, "expirations": 0})
}

// The least recently used entry leaves first: using an entry keeps it.
func TestLRUEvictsTheLeastRecentlyUsed(t *testing.T) {
	db := newDB(t)
	db.dictionary(t, 10)
	tbl, counter := db.open(t, Config{CacheSize: 3})
	cleanup(t, tbl, counter)

	mustGet(t, tbl, key(1))
	mustGet(t, tbl, key(2))
	mustGet(t, tbl, key(3))
	mustGet(t, tbl, key(1)) // 1 is now the most recently used; 2 the least
	wantQueries(t, counter, 3)
	mustGet(t, tbl, key(4)) // evicts 2
	wantQueries(t, counter, 4)
	wantStats(t, tbl, map[string]int64{"evictions": 1, "entries": 3})
	res := mustGet(t, tbl, key(1), key(3), key(4))
	for i, id := range []int{1, 3, 4} {
		if got := show(res[i]); got != channel(id) {
			t.Errorf("channel %d: %s", id, got)
		}
	}
	wantQueries(t, counter, 4) // all three still cached
	if got := show(mustGet(t, tbl, key(2))[0]); got != channel(2) {
		t.Errorf("channel 2: %s", got)
	}
	wantQueries(t, counter, 5) // 2 was the one evicted
	wantStats(t, tbl, map[string]int64{"evictions": 2, "entries": 3})
}

// A row whose columns are all NULL is found, with null values; a key
// without a row is missing.
func TestNullColumnsAreNotAMissingRow(t *testing.T) {
	db := newDB(t)
	db.dictionary(t, 2)
	db.exec(t, `INSERT INTO dict (rowkey) VALUES ('nulls')`)
	tbl, counter := db.open(t, Config{NegativeTTL: time.Minute})
	cleanup(t, tbl, counter)
	for range 2 { // from the table, then from the cache
		res := mustGet(t, tbl, "nulls", "nothing")
		if got, want := show(res[0]), "[null | null | null]"; got != want {
			t.Errorf("all-NULL row: %s, want %s", got, want)
		}
		if res[0].Values == nil || !res[0].Found {
			t.Errorf("all-NULL row reads as missing")
		}
		if got := show(res[1]); got != "missing" {
			t.Errorf("missing row: %s", got)
		}
	}
}
