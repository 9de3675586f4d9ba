package lookup

import (
	"context"
	"testing"
	"time"

	"github.com/tributarydata/tributary/transforms/value"
)

// The combined join feeds the dimension's changes from its topic: a Put or
// Delete answers Gets in place of the table, which lags behind the stream.
func TestPutAndDeleteWinOverTheTable(t *testing.T) {
	db := newDB(t)
	db.dictionary(t, 3)
	clock := newClock()
	tbl, counter := db.open(t, Config{TTL: time.Hour, Now: clock.Now}) // negative caching off
	cleanup(t, tbl, counter)

	changed := "[string 1 | string L4 | string renamed]"
	if err := tbl.Put(key(1), strs("1", "L4", "renamed")); err != nil {
		t.Fatal(err)
	}
	if got := show(mustGet(t, tbl, key(1))[0]); got != changed {
		t.Errorf("after Put: %s, want %s", got, changed)
	}
	if err := tbl.Put(key(99), strs("99", "L1", "new")); err != nil {
		t.Fatal(err)
	}
	if got, want := show(mustGet(t, tbl, key(99))[0]), "[string 99 | string L1 | string new]"; got != want {
		t.Errorf("Put of a row the table lacks: %s, want %s", got, want)
	}
	mustGet(t, tbl, key(2))
	tbl.Delete(key(2))
	if got := show(mustGet(t, tbl, key(2))[0]); got != "missing" {
		t.Errorf("after Delete: %s, want missing (negative caching is off, and still)", got)
	}
	wantQueries(t, counter, 1) // key(2) before its Delete
	wantStats(t, tbl, map[string]int64{"puts": 2, "deletes": 1, "hits": 2, "negative_hits": 1})

	// A Put lives as long as a row read from the table, then the table is
	// asked again.
	clock.Advance(time.Hour - time.Nanosecond)
	if got := show(mustGet(t, tbl, key(1))[0]); got != changed {
		t.Errorf("Put within the TTL: %s", got)
	}
	if got := show(mustGet(t, tbl, key(2))[0]); got != "missing" {
		t.Errorf("Delete within the TTL: %s", got)
	}
	wantQueries(t, counter, 1)
	clock.Advance(time.Nanosecond)
	if got := show(mustGet(t, tbl, key(1))[0]); got != channel(1) {
		t.Errorf("Put after the TTL: %s, want the table's %s", got, channel(1))
	}
	if got := show(mustGet(t, tbl, key(2))[0]); got != channel(2) {
		t.Errorf("Delete after the TTL: %s, want the table's %s", got, channel(2))
	}
	wantQueries(t, counter, 3)

	if err := tbl.Put(key(1), strs("too few")); err == nil {
		t.Error("Put of 1 value for 3 columns succeeded")
	}
}

// Put copies the values: the caller may reuse its slice.
func TestPutCopiesValues(t *testing.T) {
	db := newDB(t)
	db.dictionary(t, 1)
	tbl, counter := db.open(t, Config{})
	cleanup(t, tbl, counter)
	row := strs("1", "L1", "one")
	if err := tbl.Put("k", row); err != nil {
		t.Fatal(err)
	}
	row[2] = value.OfString("changed")
	if got, want := show(mustGet(t, tbl, "k")[0]), "[string 1 | string L1 | string one]"; got != want {
		t.Errorf("%s, want %s", got, want)
	}
}

// Invalidate makes the next Get read the table.
func TestInvalidate(t *testing.T) {
	db := newDB(t)
	db.dictionary(t, 3)
	tbl, counter := db.open(t, Config{NegativeTTL: time.Hour})
	cleanup(t, tbl, counter)
	mustGet(t, tbl, key(1), key(7))
	db.exec(t, `UPDATE dict SET level = 'L9' WHERE id = '1'`)
	db.exec(t, `INSERT INTO dict VALUES (md5('7'), '7', 'L2', 'channel 7')`)
	tbl.Invalidate(key(1))
	tbl.Invalidate(key(7))
	res := mustGet(t, tbl, key(1), key(7))
	if got, want := show(res[0]), "[string 1 | string L9 | string channel 1]"; got != want {
		t.Errorf("invalidated row: %s, want %s", got, want)
	}
	if got := show(res[1]); got != channel(7) {
		t.Errorf("invalidated absence: %s, want %s", got, channel(7))
	}
	wantQueries(t, counter, 2)
	wantStats(t, tbl, map[string]int64{"invalidates": 2})
}

// A Put or Delete that comes while a query for its key runs wins: the
// query's answer, read from the table before the change, is not cached.
func TestStreamOvertakesAQueryUnderWay(t *testing.T) {
	for _, c := range []struct {
		name   string
		change func(*Table)
		want   string
	}{
		{"put", func(tbl *Table) { tbl.Put(key(1), strs("1", "L4", "renamed")) }, "[string 1 | string L4 | string renamed]"},
		{"delete", func(tbl *Table) { tbl.Delete(key(1)) }, "missing"},
	} {
		t.Run(c.name, func(t *testing.T) {
			db := newDB(t)
			db.dictionary(t, 3)
			db.slowDictionary(t, 300*time.Millisecond)
			tbl, counter := db.open(t, Config{Table: "slow_dict"})
			cleanup(t, tbl, counter)

			done := make(chan []Result)
			go func() {
				res, err := tbl.Get(context.Background(), []string{key(1)})
				if err != nil {
					t.Error(err)
				}
				done <- res
			}()
			db.waitQueryRunning(t)
			c.change(tbl)
			if res := <-done; len(res) != 1 || show(res[0]) != channel(1) {
				// The Get asked before the change: the table's row is its answer.
				t.Errorf("the Get under way: %v", res)
			}
			if got := show(mustGet(t, tbl, key(1))[0]); got != c.want {
				t.Errorf("after the query: %s, want %s", got, c.want)
			}
			wantQueries(t, counter, 1)
		})
	}
}

// An Invalidate while a query runs means the table changed after it began:
// the answer is not cached, and Gets after the Invalidate do not wait for
// it but query again.
func TestInvalidateDuringAQuery(t *testing.T) {
	db := newDB(t)
	db.dictionary(t, 3)
	db.slowDictionary(t, 300*time.Millisecond)
	tbl, counter := db.open(t, Config{Table: "slow_dict"})
	cleanup(t, tbl, counter)

	done := make(chan error)
	go func() {
		_, err := tbl.Get(context.Background(), []string{key(1)})
		done <- err
	}()
	db.waitQueryRunning(t)
	db.exec(t, `UPDATE dict SET level = 'L9' WHERE id = '1'`)
	tbl.Invalidate(key(1))
	if got, want := show(mustGet(t, tbl, key(1))[0]), "[string 1 | string L9 | string channel 1]"; got != want {
		t.Errorf("Get after Invalidate: %s, want %s", got, want)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got, want := show(mustGet(t, tbl, key(1))[0]), "[string 1 | string L9 | string channel 1]"; got != want {
		t.Errorf("cached: %s, want %s", got, want)
	}
	wantQueries(t, counter, 2)
	wantStats(t, tbl, map[string]int64{"coalesced": 0})
}
