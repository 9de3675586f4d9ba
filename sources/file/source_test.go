package file

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
)

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func appendFile(t *testing.T, path, data string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(data); err != nil {
		t.Fatal(err)
	}
}

func openSource(t *testing.T, path string, extra sdk.Config, last ...sdk.Position) *Source {
	t.Helper()
	cfg := sdk.Config{"file": path, "topic": "lines", "poll.interval.ms": "5", "name": "test"}
	for k, v := range extra {
		cfg[k] = v
	}
	s := &Source{}
	if err := s.Open(context.Background(), cfg, last); err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// readLines reads until n records came, failing after a few seconds.
func readLines(t *testing.T, s *Source, n int) []sdk.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var out []sdk.Record
	for len(out) < n {
		recs, err := s.Read(ctx)
		if err != nil {
			t.Fatalf("Read after %d of %d records: %v", len(out), n, err)
		}
		out = append(out, recs...)
	}
	if len(out) != n {
		t.Fatalf("got %d records, want %d", len(out), n)
	}
	return out
}

// expectNothing checks that Read has nothing for a short while.
func expectNothing(t *testing.T, s *Source) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Millisecond)
	defer cancel()
	recs, err := s.Read(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || len(recs) != 0 {
		t.Fatalf("Read = %d records %v, want nothing until the deadline", len(recs), err)
	}
}

func values(recs []sdk.Record) []string {
	var out []string
	for _, r := range recs {
		out = append(out, string(r.Value))
	}
	return out
}

func positions(t *testing.T, recs []sdk.Record) []int64 {
	t.Helper()
	var out []int64
	for _, r := range recs {
		n, err := sdk.OffsetInt(r.Position.Offset[offsetKeyPos])
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

func equal[T comparable](t *testing.T, what string, got, want []T) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s = %#v, want %#v", what, got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("%s = %#v, want %#v", what, got, want)
		}
	}
}

func TestReadsLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.log")
	writeFile(t, path, "a\nb\r\n\nc")
	s := openSource(t, path, nil)

	recs := readLines(t, s, 3)
	equal(t, "values", values(recs), []string{"a", "b", ""})
	equal(t, "positions", positions(t, recs), []int64{2, 5, 6})
	for _, r := range recs {
		if r.Topic != "lines" || r.Key != nil || r.Value == nil || r.Partition != -1 || r.Timestamp.IsZero() {
			t.Fatalf("record %+v", r)
		}
		if r.Position.Partition[partitionKeyFile] != path {
			t.Fatalf("partition %v, want filename %s", r.Position.Partition, path)
		}
	}

	// "c" has no newline yet: the writer may be in the middle of it.
	expectNothing(t, s)
	appendFile(t, path, "d\n")
	recs = readLines(t, s, 1)
	equal(t, "values", values(recs), []string{"cd"})
	equal(t, "positions", positions(t, recs), []int64{9})
}

func TestRelativePathIsAbsoluteInPosition(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	writeFile(t, "rel.log", "x\n")
	s := openSource(t, "rel.log", nil)
	recs := readLines(t, s, 1)
	if got := recs[0].Position.Partition[partitionKeyFile]; got != filepath.Join(dir, "rel.log") {
		t.Fatalf("filename %v", got)
	}
}

func TestBatchSize(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.log")
	writeFile(t, path, "1\n2\n3\n4\n5\n")
	s := openSource(t, path, sdk.Config{"batch.size": "2"})
	var sizes []int
	for range 3 {
		recs, err := s.Read(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(recs))
	}
	equal(t, "batch sizes", sizes, []int{2, 2, 1})
}

func TestResumesAtStoredPosition(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.log")
	writeFile(t, path, "one\ntwo\nthree\n")
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	inode := identity(fi)

	for name, pos := range map[string]any{
		"float64":     float64(4),
		"json.Number": json.Number("4"),
		"int64":       int64(4),
		"int":         4,
	} {
		t.Run(name, func(t *testing.T) {
			last := []sdk.Position{
				{Partition: map[string]any{partitionKeyFile: path + ".other"}, Offset: map[string]any{offsetKeyPos: float64(8)}},
				{Partition: map[string]any{partitionKeyFile: path}, Offset: map[string]any{offsetKeyPos: pos, offsetKeyInode: inode}},
			}
			s := openSource(t, path, nil, last...)
			recs := readLines(t, s, 2)
			equal(t, "values", values(recs), []string{"two", "three"})
			equal(t, "positions", positions(t, recs), []int64{8, 14})
		})
	}

	t.Run("kafka connect position without inode", func(t *testing.T) {
		last := []sdk.Position{{Partition: map[string]any{partitionKeyFile: path}, Offset: map[string]any{offsetKeyPos: float64(8)}}}
		s := openSource(t, path, nil, last...)
		equal(t, "values", values(readLines(t, s, 1)), []string{"three"})
	})

	t.Run("file replaced while stopped", func(t *testing.T) {
		if inode == "" {
			t.Skip("no inodes here")
		}
		last := []sdk.Position{{Partition: map[string]any{partitionKeyFile: path}, Offset: map[string]any{offsetKeyPos: float64(8), offsetKeyInode: inode + "1"}}}
		s := openSource(t, path, nil, last...)
		equal(t, "values", values(readLines(t, s, 3)), []string{"one", "two", "three"})
	})

	t.Run("file truncated while stopped", func(t *testing.T) {
		last := []sdk.Position{{Partition: map[string]any{partitionKeyFile: path}, Offset: map[string]any{offsetKeyPos: float64(1000)}}}
		s := openSource(t, path, nil, last...)
		equal(t, "values", values(readLines(t, s, 3)), []string{"one", "two", "three"})
	})

	for name, bad := range map[string]any{"negative": float64(-1), "fraction": 1.5, "text": "4", "missing": nil} {
		t.Run("bad position "+name, func(t *testing.T) {
			last := []sdk.Position{{Partition: map[string]any{partitionKeyFile: path}, Offset: map[string]any{offsetKeyPos: bad}}}
			s := &Source{}
			err := s.Open(context.Background(), sdk.Config{"file": path, "topic": "t"}, last)
			if err == nil {
				s.Close()
				t.Fatal("Open accepted a broken stored position")
			}
		})
	}
}

func TestTailsAppendedData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.log")
	writeFile(t, path, "first\n")
	s := openSource(t, path, nil)
	equal(t, "values", values(readLines(t, s, 1)), []string{"first"})

	go func() {
		time.Sleep(50 * time.Millisecond)
		appendFile(t, path, "sec")
		time.Sleep(30 * time.Millisecond)
		appendFile(t, path, "ond\nthird\n")
	}()
	recs := readLines(t, s, 2)
	equal(t, "values", values(recs), []string{"second", "third"})
	equal(t, "positions", positions(t, recs), []int64{13, 19})
}

func TestReadHonorsContext(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.log")
	writeFile(t, path, "")
	s := openSource(t, path, sdk.Config{"poll.interval.ms": "10000"})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	start := time.Now()
	if _, err := s.Read(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Read = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Read took %v to see the cancellation", d)
	}
}

func TestTruncation(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.log")
	writeFile(t, path, "aaaa\nbbbb\npartial")
	s := openSource(t, path, nil)
	equal(t, "values", values(readLines(t, s, 2)), []string{"aaaa", "bbbb"})
	expectNothing(t, s)

	// copytruncate: same file, emptied, then written again.
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	expectNothing(t, s)
	appendFile(t, path, "x\n")
	recs := readLines(t, s, 1)
	equal(t, "values", values(recs), []string{"x"})
	equal(t, "positions", positions(t, recs), []int64{2})
}

func TestRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "in.log")
	writeFile(t, path, "old1\nunfinished")
	s := openSource(t, path, nil)
	equal(t, "values", values(readLines(t, s, 1)), []string{"old1"})

	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	expectNothing(t, s) // no file at the path yet: keep the old one
	writeFile(t, path, "new1\nnew2\n")
	recs := readLines(t, s, 2)
	equal(t, "values", values(recs), []string{"new1", "new2"})
	equal(t, "positions", positions(t, recs), []int64{5, 10})
}

func TestRotationReadsOldFileToItsEnd(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "in.log")
	writeFile(t, path, "old1\n")
	s := openSource(t, path, nil)
	equal(t, "values", values(readLines(t, s, 1)), []string{"old1"})

	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	appendFile(t, path+".1", "old2\n")
	writeFile(t, path, "new1\n")
	recs := readLines(t, s, 2)
	equal(t, "values", values(recs), []string{"old2", "new1"})
	equal(t, "positions", positions(t, recs), []int64{10, 5})
}

func TestLongLinesAreTruncatedAndMarked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.log")
	writeFile(t, path, "abcdefgh\nxy\n")
	s := openSource(t, path, sdk.Config{"max.line.bytes": "4"})
	recs := readLines(t, s, 2)
	equal(t, "values", values(recs), []string{"abcd", "xy"})
	equal(t, "positions", positions(t, recs), []int64{9, 12})
	if v, ok := recs[0].Header(HeaderTruncated); !ok || string(v) != "8" {
		t.Fatalf("truncated header = %q %v, want 8", v, ok)
	}
	if _, ok := recs[1].Header(HeaderTruncated); ok {
		t.Fatal("short line marked as truncated")
	}
}

func TestWaitsForMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "later.log")
	s := openSource(t, path, nil)
	expectNothing(t, s)
	writeFile(t, path, "hello\n")
	equal(t, "values", values(readLines(t, s, 1)), []string{"hello"})
}

func TestConfig(t *testing.T) {
	if err := Plugin.Check(); err != nil {
		t.Fatal(err)
	}
	keys, err := sdk.Spec(Plugin.Config)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, k := range keys {
		names = append(names, k.Name)
	}
	equal(t, "keys", names, []string{"file", "topic", "batch.size", "max.line.bytes", "poll.interval.ms"})

	s := &Source{}
	err = s.Open(context.Background(), sdk.Config{"file": "x"}, nil)
	var verr *sdk.ValidationError
	if !errors.As(err, &verr) || verr.Fields["topic"] == nil {
		t.Fatalf("Open without topic = %v", err)
	}
	err = s.Open(context.Background(), sdk.Config{"file": "x", "topic": "t", "batch.size": "0"}, nil)
	if !errors.As(err, &verr) || verr.Fields["batch.size"] == nil {
		t.Fatalf("Open with batch.size 0 = %v", err)
	}
	var c Config
	if err := sdk.Decode(sdk.Config{"file": "f", "topic": "t"}, &c); err != nil {
		t.Fatal(err)
	}
	if c.BatchSize != 2000 || c.MaxLineBytes != 1<<20 || c.PollInterval != 250*time.Millisecond {
		t.Fatalf("defaults %+v", c)
	}
}
