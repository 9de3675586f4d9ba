package backup

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// stream is n records per partition of two partitions, interleaved as a
// consumer sees them, with event times spreading over three hours and
// stepping back now and then (out of order across hours).
func stream(n int) []sdk.Record {
	var out []sdk.Record
	base := time.Date(2024, 5, 1, 9, 0, 0, 0, time.UTC)
	for i := range n {
		for p := range int32(2) {
			minute := i * 180 / n
			if i%7 == 3 {
				minute = max(0, minute-50) // late into the previous hour
			}
			ts := base.Add(time.Duration(minute) * time.Minute)
			out = append(out, sdk.Record{Topic: "ods.events", Partition: p, Offset: int64(i),
				Value: []byte(fmt.Sprintf(`{"id":%d,"p":%d,"ts":%q}`, i, p, ts.Format(time.RFC3339)))})
		}
	}
	return out
}

func fromOffset(recs []sdk.Record, off int64) []sdk.Record {
	var out []sdk.Record
	for _, r := range recs {
		if r.Offset >= off {
			out = append(out, r)
		}
	}
	return out
}

func replayConfig(root string) sdk.Config {
	return config(root, "table.schema.columns", "id bigint not null, p int", "partition.time.field", "ts",
		"flush.size", "23", "success.marker.enabled", "false")
}

// checkExactlyOnce reads the table back and checks that every offset of
// both partitions is there exactly once, with its own content.
func checkExactlyOnce(t *testing.T, db *sql.DB, root string, n int) {
	t.Helper()
	got := query(t, db, `SELECT _partition, _offset, count(*), min(id), min(p) FROM `+scan(root, "ods_events")+`
		GROUP BY _partition, _offset ORDER BY _partition, _offset`)
	if len(got) != 2*n {
		t.Fatalf("%d distinct offsets read, want %d", len(got), 2*n)
	}
	for i, r := range got {
		p, off := i/n, i%n
		if want := []string{fmt.Sprint(p), fmt.Sprint(off), "1", fmt.Sprint(off), fmt.Sprint(p)}; !slices.Equal(r, want) {
			t.Fatalf("partition/offset/count/id/p = %v, want %v", r, want)
		}
	}
	checkFileNames(t, db, root, "ods_events")
}

// TestCrashAndReplay: a task writes part of the stream, flushes some of it,
// and dies without flushing the rest (some of which flush.size already put
// in files); a crashed writer also left a temporary file. A new task replays
// from offset 0 with other batch sizes and flush points: every record ends up
// in the backup exactly once and the temporary file is gone. A second
// replay writes no file at all.
func TestCrashAndReplay(t *testing.T) {
	root := t.TempDir()
	const n = 300
	recs := stream(n)

	first := openSink(t, replayConfig(root), nil)
	for start := 0; start < 360; start += 40 {
		deliver(t, first, recs[start:start+40])
		if start == 160 {
			flush(t, first)
		}
	}
	// Crash: no Flush, no Close. The committed offsets would be those of
	// the flush, around 100 per partition; we replay from 0 regardless.
	leftover := files(t, root)
	if len(leftover) == 0 {
		t.Fatal("the first run wrote no file")
	}
	tmp := filepath.Join(root, filepath.Dir(leftover[0]), tempName("part-ods.events-1-500-600.parquet", 0xdeadbeef))
	if err := os.WriteFile(tmp, []byte("half a parquet file"), 0o644); err != nil {
		t.Fatal(err)
	}

	second := openSink(t, replayConfig(root), nil)
	replay := fromOffset(recs, 0)
	for start := 0; start < len(replay); start += 7 {
		deliver(t, second, replay[start:min(start+7, len(replay))])
		if start%91 == 0 {
			flush(t, second)
		}
	}
	flush(t, second)
	if second.stats.replayed == 0 {
		t.Fatal("the replay skipped nothing")
	}
	db := openDuck(t)
	checkExactlyOnce(t, db, root, n)
	if tmp := temps(t, root); len(tmp) > 0 {
		t.Fatalf("temporary files left: %v", tmp)
	}

	before := files(t, root)
	third := openSink(t, replayConfig(root), nil)
	deliver(t, third, replay)
	if len(third.buffers) != 0 {
		t.Fatalf("%d buffers hold replayed rows: Write should have skipped them", len(third.buffers))
	}
	flush(t, third)
	if after := files(t, root); !slices.Equal(before, after) {
		t.Fatalf("a second replay changed the files:\nbefore %v\nafter  %v", before, after)
	}
	if third.stats.files != 0 || third.stats.replayed != int64(2*n) {
		t.Fatalf("second replay wrote %d files and skipped %d rows, want 0 and %d", third.stats.files, third.stats.replayed, 2*n)
	}
}

// TestRewindInOneSink: the same sink sees a partition again from an earlier
// offset before flushing (a lost assignment coming back, a retried batch);
// rows it buffered at or after that offset are replaced, not doubled.
func TestRewindInOneSink(t *testing.T) {
	root := t.TempDir()
	const n = 100
	recs := stream(n)
	s := openSink(t, replayConfig(root), nil)
	deliver(t, s, recs[:120])           // offsets 0..59 of both partitions
	deliver(t, s, fromOffset(recs, 30)) // both partitions again from 30
	deliver(t, s, fromOffset(recs, 95)) // and again near the end
	flush(t, s)
	checkExactlyOnce(t, openDuck(t), root, n)
}

// TestPartitionMovesBetweenTasks: task B knows an hour directory from
// before (it writes partition 1 there); task A then writes partition 0's
// first rows into it and dies before its offsets are committed; partition
// 0 moves to B, which reads it from 0. B must not trust what it knew of the
// directory: it lists it again before writing.
func TestPartitionMovesBetweenTasks(t *testing.T) {
	root := t.TempDir()
	cfg := config(root, "table.schema.columns", "id bigint not null, p int", "partition.time.field", "ts", "success.marker.enabled", "false")
	var p0, p1 []sdk.Record
	for i := range 80 {
		ts := time.Date(2024, 5, 1, 9, i%60, 0, 0, time.UTC).Format(time.RFC3339)
		for p, dst := range []*[]sdk.Record{&p0, &p1} {
			*dst = append(*dst, sdk.Record{Topic: "ods.events", Partition: int32(p), Offset: int64(i),
				Value: []byte(fmt.Sprintf(`{"id":%d,"p":%d,"ts":%q}`, i, p, ts))})
		}
	}
	b := openSink(t, cfg, nil)
	deliver(t, b, p1[:10])
	a := openSink(t, cfg, nil)
	deliver(t, a, p0[:50])
	flush(t, a) // then A dies before committing
	deliver(t, b, p1[10:])
	deliver(t, b, p0) // partition 0 from offset 0
	flush(t, b)
	got := query(t, openDuck(t), "SELECT _partition, count(*), count(DISTINCT _offset) FROM "+scan(root, "ods_events")+" GROUP BY 1 ORDER BY 1")
	if want := [][]string{{"0", "80", "80"}, {"1", "80", "80"}}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("rows per partition %v, want %v", got, want)
	}
}

// TestFailedWriteIsRetried: a file write that fails inside Write reports the
// record as not written; the runtime hands it over again and nothing is
// doubled or lost.
func TestFailedWriteIsRetried(t *testing.T) {
	root := t.TempDir()
	const n = 60
	recs := stream(n)
	cfg := replayConfig(root)
	cfg["flush.size"] = "10"
	s := openSink(t, cfg, nil)
	real := s.store
	s.store = &failingStore{store: real, fails: 1}
	var written int
	for written < len(recs) {
		k, err := s.Write(ctx, recs[written:])
		written += k
		if err != nil {
			if !sdk.IsRetriable(err) {
				t.Fatalf("Write: %v", err)
			}
			continue
		}
	}
	if fs := s.store.(*failingStore); fs.fails != 0 {
		t.Fatal("the failure was not injected")
	}
	flush(t, s)
	checkExactlyOnce(t, openDuck(t), root, n)
}

// failingStore fails the next fails puts with a retriable error.
type failingStore struct {
	store
	fails int
}

func (f *failingStore) put(c context.Context, p string, write func(io.Writer) error) error {
	if f.fails > 0 {
		f.fails--
		return sdk.Retriable(fmt.Errorf("injected failure writing %s", p))
	}
	return f.store.put(c, p, write)
}
