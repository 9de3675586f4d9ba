package backup

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// backlog is a partition's backlog read from the start: n records, one a
// minute from 09:00, offsets from 0.
func backlog(p int32, n int) []sdk.Record {
	var out []sdk.Record
	for i := range n {
		ts := time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute)
		out = append(out, sdk.Record{Topic: "ods.events", Partition: p, Offset: int64(i),
			Value: []byte(fmt.Sprintf(`{"id":%d,"p":%d,"ts":%q}`, i, p, ts.Format(time.RFC3339)))})
	}
	return out
}

// interleave merges per-partition streams the way a consumer hands them
// over: a few records of each in turn.
func interleave(streams ...[]sdk.Record) []sdk.Record {
	var out []sdk.Record
	for i := 0; ; i += 5 {
		more := false
		for _, s := range streams {
			if i < len(s) {
				out = append(out, s[i:min(i+5, len(s))]...)
				more = true
			}
		}
		if !more {
			return out
		}
	}
}

// TestHourDoneIsWritten: while a backlog of six hours is caught up with no
// Flush, a partition's buffer for an hour is written once its event time
// has passed the hour's end plus success.marker.delay.ms, so memory holds
// the running hour only. A late row for a done hour waits for the Flush
// rather than making a file of its own at once.
func TestHourDoneIsWritten(t *testing.T) {
	root := t.TempDir()
	s := openSink(t, config(root, "table.schema.columns", "id bigint not null, p int", "partition.time.field", "ts",
		"success.marker.enabled", "false", "success.marker.delay.ms", "600000"), nil)
	const n = 360 // 09:00 to 14:59
	recs := interleave(backlog(0, n), backlog(1, n))
	// A late row of partition 0 for 09:50, after it reached 10:40.
	late := sdk.Record{Topic: "ods.events", Partition: 0, Offset: n,
		Value: []byte(`{"id":360,"p":0,"ts":"2024-05-01T09:50:00Z"}`)}
	var maxHeld int64
	for start := 0; start < len(recs); start += 50 {
		deliver(t, s, recs[start:min(start+50, len(recs))])
		maxHeld = max(maxHeld, s.stats.held)
	}
	deliver(t, s, []sdk.Record{late})
	// Hours 09 to 13 are done for both partitions (each reached 14:59 ≥
	// 14:10); hour 14 and the late row are held.
	if s.stats.files != 10 || s.stats.held != 2*60+1 {
		t.Fatalf("before Flush: %d files written, %d rows held; want 10 and 121", s.stats.files, s.stats.held)
	}
	// At most an hour and the delay of each partition, and a batch.
	if maxHeld > 2*(60+10)+50 {
		t.Fatalf("up to %d rows held", maxHeld)
	}
	flush(t, s)
	if s.stats.files != 13 || s.stats.held != 0 || s.stats.heldBytes != 0 {
		t.Fatalf("after Flush: %d files, %d rows and %d bytes held; want 13, 0, 0", s.stats.files, s.stats.held, s.stats.heldBytes)
	}
	got := query(t, openDuck(t), "SELECT hh, count(*), count(DISTINCT filename) FROM "+scan(root, "ods_events")+" GROUP BY hh ORDER BY hh")
	want := [][]string{{"09", "121", "3"}, {"10", "120", "2"}, {"11", "120", "2"}, {"12", "120", "2"}, {"13", "120", "2"}, {"14", "120", "2"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("hh, rows, files = %v, want %v", got, want)
	}
}

// TestBufferBound: buffer.max.rows and buffer.max.bytes bound what the
// buffers hold between flushes, however many hours and partitions are
// open: the largest buffers are written as files, down to half the bound.
// Every row is still written exactly once.
func TestBufferBound(t *testing.T) {
	t.Run("rows", func(t *testing.T) {
		root := t.TempDir()
		s := openSink(t, config(root, "table.schema.columns", "id bigint not null, p int", "partition.time.field", "ts",
			"success.marker.enabled", "false", "buffer.max.rows", "100"), nil)
		// Four partitions within one hour, so only the bound writes files.
		var streams [][]sdk.Record
		for p := range int32(4) {
			streams = append(streams, backlog(p, 50))
		}
		recs := interleave(streams...)
		for start := 0; start < len(recs); start += 7 {
			deliver(t, s, recs[start:min(start+7, len(recs))])
			if s.stats.held > 100 {
				t.Fatalf("%d rows held, over buffer.max.rows", s.stats.held)
			}
		}
		if s.stats.files == 0 {
			t.Fatal("no file written before Flush")
		}
		flush(t, s)
		got := query(t, openDuck(t), "SELECT count(*), count(DISTINCT (_partition, _offset)), count(DISTINCT filename), max(n) FROM (SELECT *, count(*) OVER (PARTITION BY filename) AS n FROM "+scan(root, "ods_events")+")")
		if got[0][0] != "200" || got[0][1] != "200" {
			t.Fatalf("rows, distinct offsets = %v, want 200, 200", got[0][:2])
		}
		t.Logf("%s files, the largest of %s rows", got[0][2], got[0][3])
		checkFileNames(t, openDuck(t), root, "ods_events")
	})
	t.Run("bytes", func(t *testing.T) {
		root := t.TempDir()
		const limit = 64 << 10
		s := openSink(t, config(root, "success.marker.enabled", "false", "buffer.max.bytes", fmt.Sprint(limit)), nil)
		big := `{"pad":"` + strings.Repeat("x", 2000) + `"}`
		ts := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)
		var recs []sdk.Record
		for i := range 200 {
			recs = append(recs, sdk.Record{Topic: "ods.events", Partition: int32(i % 3), Offset: int64(i / 3), Value: []byte(big), Timestamp: ts})
		}
		for start := 0; start < len(recs); start += 10 {
			deliver(t, s, recs[start:start+10])
			if s.stats.heldBytes > limit {
				t.Fatalf("%d bytes held, over buffer.max.bytes", s.stats.heldBytes)
			}
		}
		if s.stats.files == 0 {
			t.Fatal("no file written before Flush")
		}
		flush(t, s)
		if got := query(t, openDuck(t), "SELECT count(DISTINCT (_partition, _offset)), count(*) FROM "+scan(root, "ods_events")); fmt.Sprint(got) != "[[200 200]]" {
			t.Fatalf("distinct offsets, rows = %v", got)
		}
	})
}

// TestListingPerFlush: a directory is listed once per flush cycle, however
// many files are written into it (flush.size cuts 20 here), and again when
// a partition the listing predates writes there.
func TestListingPerFlush(t *testing.T) {
	root := t.TempDir()
	cfg := config(root, "table.schema.columns", "id bigint not null, p int", "partition.time.field", "ts",
		"success.marker.enabled", "false", "flush.size", "10")
	s := openSink(t, cfg, nil)
	recs := backlog(0, 60) // all in hour 09
	deliver(t, s, recs[:40])
	deliver(t, s, recs[40:])
	if s.stats.files != 6 || s.stats.listings != 1 {
		t.Fatalf("%d files, %d listings; want 6 and 1", s.stats.files, s.stats.listings)
	}
	flush(t, s)
	// Another task writes partition 1's first rows into the directory.
	other := openSink(t, cfg, nil)
	p1 := backlog(1, 60)
	deliver(t, other, p1[:25])
	flush(t, other)
	// The next cycle lists once more; partition 1, new to this sink (say it
	// moved here before the other task committed), is read from 0, and
	// its arrival after that listing makes the sink list again before
	// writing it.
	more := backlog(0, 120)[60:]
	deliver(t, s, more[:30])
	deliver(t, s, p1)
	deliver(t, s, more[30:])
	flush(t, s)
	if s.stats.listings != 3 {
		t.Fatalf("%d listings, want 3", s.stats.listings)
	}
	got := query(t, openDuck(t), "SELECT _partition, count(*), count(DISTINCT _offset) FROM "+scan(root, "ods_events")+" GROUP BY 1 ORDER BY 1")
	if want := [][]string{{"0", "120", "120"}, {"1", "60", "60"}}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("rows per partition %v, want %v", got, want)
	}
}

// TestOffsetRanges: covers agrees with the plain union of the ranges added,
// whatever their order, overlaps and gaps, and the union stays sorted,
// disjoint and not adjacent.
func TestOffsetRanges(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		checkRanges(t, rng.Perm(40), func() int64 { return rng.Int64N(300) }, func() int64 { return rng.Int64N(20) })
	}
}

func checkRanges(t *testing.T, order []int, first, length func() int64) {
	t.Helper()
	d := newDirState()
	var added []offsetRange
	for range order {
		f := first()
		r := fileRange{tag: "t", partition: 1, first: f, last: f + length()}
		d.add(r)
		added = append(added, offsetRange{r.first, r.last})
	}
	rs := d.ranges[rangeKey{"t", 1}]
	for i := 1; i < len(rs); i++ {
		if rs[i-1].last+1 >= rs[i].first || rs[i].first > rs[i].last {
			t.Fatalf("ranges %v not sorted, disjoint and apart", rs)
		}
	}
	for off := int64(-2); off < 330; off++ {
		want := slices.ContainsFunc(added, func(r offsetRange) bool { return r.first <= off && off <= r.last })
		if got := d.covers("t", 1, off); got != want {
			t.Fatalf("covers(%d) = %v, want %v; added %v, union %v", off, got, want, added, rs)
		}
		if d.covers("t", 2, off) || d.covers("u", 1, off) {
			t.Fatal("covers another partition")
		}
	}
}

// FuzzOffsetRanges: as TestOffsetRanges, with ranges from the fuzzer.
func FuzzOffsetRanges(f *testing.F) {
	f.Add([]byte{0, 3, 5, 2, 4, 0, 9, 9, 1, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 200 {
			return
		}
		i := 0
		next := func() int64 {
			if i >= len(data) {
				return 0
			}
			i++
			return int64(data[i-1])
		}
		checkRanges(t, make([]int, len(data)/2), next, func() int64 { return next() % 16 })
	})
}
