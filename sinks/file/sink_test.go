package file

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tributarydata/tributary/plugins/sdk"
)

var ctx = context.Background()

func openSink(t *testing.T, path string) *Sink {
	t.Helper()
	s := &Sink{}
	if err := s.Open(ctx, sdk.Config{"file": path, "topics": "a,b", "name": "test"}); err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

// recs builds records of one partition with consecutive offsets from first.
func recs(topic string, partition int32, first int64, values ...string) []sdk.Record {
	out := make([]sdk.Record, len(values))
	for i, v := range values {
		out[i] = sdk.Record{Topic: topic, Partition: partition, Offset: first + int64(i), Value: []byte(v)}
	}
	return out
}

func write(t *testing.T, s *Sink, batch []sdk.Record) {
	t.Helper()
	n, err := s.Write(ctx, batch)
	if err != nil || n != len(batch) {
		t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(batch))
	}
}

func flush(t *testing.T, s *Sink) {
	t.Helper()
	if err := s.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
}

func content(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func stored(t *testing.T, s *Sink) map[sdk.TopicPartition]int64 {
	t.Helper()
	m, err := s.StoredOffsets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func wantOffsets(t *testing.T, got, want map[sdk.TopicPartition]int64) {
	t.Helper()
	if len(got) != len(want) || !maps.Equal(got, want) {
		t.Fatalf("stored offsets = %v, want %v", got, want)
	}
}

func sidecar(t *testing.T, path string) offsetsFile {
	t.Helper()
	var of offsetsFile
	if err := json.Unmarshal([]byte(content(t, path+OffsetsSuffix)), &of); err != nil {
		t.Fatal(err)
	}
	return of
}

func TestWriteFlushAndSidecar(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.txt")
	s := openSink(t, path)
	wantOffsets(t, stored(t, s), nil)

	write(t, s, append(recs("a", 0, 10, "x", "y"), recs("b", 3, 7, "multi\nline", "")...))
	if got := content(t, path); got != "" {
		t.Fatalf("file holds %q before the flush", got)
	}
	flush(t, s)
	if got, want := content(t, path), "x\ny\nmulti\nline\n\n"; got != want {
		t.Fatalf("file = %q, want %q", got, want)
	}
	of := sidecar(t, path)
	if of.Length != 16 || !maps.Equal(of.Offsets, map[string]int64{"a/0": 12, "b/3": 9}) {
		t.Fatalf("sidecar = %+v", of)
	}
	wantOffsets(t, stored(t, s), map[sdk.TopicPartition]int64{{Topic: "a", Partition: 0}: 12, {Topic: "b", Partition: 3}: 9})

	// Close flushes too.
	write(t, s, recs("a", 0, 12, "z"))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got := content(t, path); !strings.HasSuffix(got, "\nz\n") {
		t.Fatalf("file after Close = %q", got)
	}
	if _, err := os.Stat(path + OffsetsSuffix + ".tmp"); !os.IsNotExist(err) {
		t.Fatalf("temp sidecar left behind: %v", err)
	}

	s = openSink(t, path)
	defer s.Close()
	wantOffsets(t, stored(t, s), map[sdk.TopicPartition]int64{{Topic: "a", Partition: 0}: 13, {Topic: "b", Partition: 3}: 9})
}

// The process dies after flushing batch A and writing batch B but before
// flushing again: the restarted sink drops B's bytes and resumes after A.
func TestCrashAfterFlushIsExactlyOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.txt")
	s := openSink(t, path)
	batchA := recs("a", 0, 0, "a0", "a1", "a2")
	write(t, s, batchA)
	flush(t, s)
	const lenA = 9

	// Batch B is larger than the write buffer, so most of it reaches the file.
	big := strings.Repeat("b", 1000)
	var valuesB []string
	for range 200 {
		valuesB = append(valuesB, big)
	}
	batchB := recs("a", 0, 3, valuesB...)
	write(t, s, batchB)
	if fi, err := os.Stat(path); err != nil || fi.Size() <= lenA {
		t.Fatalf("batch B did not reach the file (%v, %v): the test would prove nothing", fi.Size(), err)
	}
	// Crash: s is never flushed nor closed.

	s2 := openSink(t, path)
	defer s2.Close()
	if got := content(t, path); got != "a0\na1\na2\n" {
		t.Fatalf("file after restart holds %d bytes, want batch A only", len(got))
	}
	after := map[sdk.TopicPartition]int64{{Topic: "a", Partition: 0}: 3}
	wantOffsets(t, stored(t, s2), after)

	// The runtime replays from the committed consumer offset, which may be
	// older than A's end: the records of A are skipped, B is written once.
	write(t, s2, append(batchA[1:], batchB...))
	flush(t, s2)
	want := "a0\na1\na2\n" + strings.Repeat(big+"\n", 200)
	if got := content(t, path); got != want {
		t.Fatalf("file holds %d bytes, want %d (A and B once each)", len(got), len(want))
	}
	wantOffsets(t, stored(t, s2), map[sdk.TopicPartition]int64{{Topic: "a", Partition: 0}: 203})
	if of := sidecar(t, path); of.Length != int64(len(want)) {
		t.Fatalf("sidecar length %d, want %d", of.Length, len(want))
	}
}

// A crash before the first flush of a brand new file rolls back to nothing.
func TestCrashBeforeFirstFlush(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.txt")
	s := openSink(t, path)
	write(t, s, recs("a", 0, 0, strings.Repeat("x", 100_000)))
	if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
		t.Fatalf("the write did not reach the file: the test would prove nothing")
	}
	s2 := openSink(t, path)
	defer s2.Close()
	if fi, _ := os.Stat(path); fi.Size() != 0 {
		t.Fatalf("size %d after restart, want 0", fi.Size())
	}
	wantOffsets(t, stored(t, s2), nil)
}

// A crash after a restart rolls back to the last flush of the earlier run.
func TestCrashAfterRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.txt")
	s := openSink(t, path)
	write(t, s, recs("a", 0, 0, strings.Repeat("x", 100_000)))
	flush(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// Flushed once; now an unflushed write reaches the disk, then a crash.
	s = openSink(t, path)
	write(t, s, recs("a", 0, 1, strings.Repeat("y", 100_000)))
	s2 := openSink(t, path)
	defer s2.Close()
	if fi, _ := os.Stat(path); fi.Size() != 100_001 {
		t.Fatalf("size %d after restart, want 100001", fi.Size())
	}
}

func TestExistingFileWithoutSidecarIsKept(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.txt")
	if err := os.WriteFile(path, []byte("old\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := openSink(t, path)
	wantOffsets(t, stored(t, s), nil)
	if of := sidecar(t, path); of.Length != 4 || len(of.Offsets) != 0 {
		t.Fatalf("sidecar after Open = %+v, want the file claimed at length 4", of)
	}
	write(t, s, recs("a", 0, 0, "new"))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got := content(t, path); got != "old\nnew\n" {
		t.Fatalf("file = %q", got)
	}
	if of := sidecar(t, path); of.Length != 8 {
		t.Fatalf("sidecar length %d, want 8", of.Length)
	}
}

func TestFileMovedAwayStartsNewFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.txt")
	s := openSink(t, path)
	write(t, s, recs("a", 0, 0, "one", "two"))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}

	s = openSink(t, path)
	wantOffsets(t, stored(t, s), map[sdk.TopicPartition]int64{{Topic: "a", Partition: 0}: 2})
	if of := sidecar(t, path); of.Length != 0 {
		t.Fatalf("sidecar length %d after starting a new file, want 0", of.Length)
	}
	write(t, s, recs("a", 0, 2, "three"))
	// Crash before the flush: the new file must still open.
	s.w.Flush()
	s2 := openSink(t, path)
	defer s2.Close()
	if got := content(t, path); got != "" {
		t.Fatalf("file = %q, want the unflushed line dropped", got)
	}
}

func TestFileChangedBySomeoneElseFailsOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.txt")
	s := openSink(t, path)
	write(t, s, recs("a", 0, 0, "one", "two"))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s = &Sink{}
	if err := s.Open(ctx, sdk.Config{"file": path}); err == nil {
		s.Close()
		t.Fatal("Open accepted a data file shorter than its flushed length")
	}
	if got := content(t, path); got != "x\n" {
		t.Fatalf("Open changed the file: %q", got)
	}
}

func TestBrokenSidecarFailsOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.txt")
	for _, bad := range []string{"{", `{"length":-1}`, `{"length":0,"offsets":{"nopartition":1}}`} {
		if err := os.WriteFile(path+OffsetsSuffix, []byte(bad), 0o644); err != nil {
			t.Fatal(err)
		}
		s := &Sink{}
		if err := s.Open(ctx, sdk.Config{"file": path}); err == nil {
			s.Close()
			t.Fatalf("Open accepted sidecar %s", bad)
		}
	}
}

func TestIOErrorIsSticky(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.txt")
	s := openSink(t, path)
	write(t, s, recs("a", 0, 0, "one"))
	s.f.Close() // the disk goes away
	if err := s.Flush(ctx); err == nil || sdk.IsRetriable(err) {
		t.Fatalf("Flush = %v, want a non-retriable error", err)
	}
	if _, err := s.Write(ctx, recs("a", 0, 1, "two")); err == nil {
		t.Fatal("Write after an IO error succeeded")
	}
	if of := sidecar(t, path); of.Length != 0 || len(of.Offsets) != 0 {
		t.Fatalf("sidecar changed despite the failed flush: %+v", of)
	}
}

func TestPlugin(t *testing.T) {
	if err := Plugin.Check(); err != nil {
		t.Fatal(err)
	}
	cfgs, err := Plugin.TaskConfigs(sdk.Config{"file": "f", "tasks.max": "4"}, 4)
	if err != nil || len(cfgs) != 1 || cfgs[0]["file"] != "f" {
		t.Fatalf("TaskConfigs = %v, %v; want one task", cfgs, err)
	}
	keys, err := sdk.Spec(Plugin.Config)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || keys[0].Name != "file" || keys[1].Name != "topics" || keys[1].Type != "LIST" {
		t.Fatalf("spec = %+v", keys)
	}
	var c Config
	if err := sdk.Decode(sdk.Config{"file": "f", "topics": "a, b"}, &c); err != nil || len(c.Topics) != 2 {
		t.Fatalf("Decode = %+v, %v", c, err)
	}
	if err := (&Sink{}).Open(ctx, sdk.Config{"topics": "a"}); err == nil {
		t.Fatal("Open without file succeeded")
	}
}
