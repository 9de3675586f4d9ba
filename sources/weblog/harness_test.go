package weblog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// harness drives a Source as bus/worker does: Read a batch, deliver it, store
// the latest position of each partition (through JSON, as the offsets topic
// does), Ack. restart closes the source and opens a new one with the stored
// positions, as a task restart does.
type harness struct {
	t      *testing.T
	cfg    sdk.Config
	src    *Source
	stored map[string]sdk.Position
	got    []sdk.Record // every delivered record, in order
}

// baseConfig is what the tests share: fast polling, no rotate wait.
func baseConfig(glob string) sdk.Config {
	return sdk.Config{
		"name": "test", "path.glob": glob, "topic": "web",
		"poll.interval.ms": "5", "scan.interval.ms": "20", "rotate.wait.ms": "0",
	}
}

func startRuntime(t *testing.T, cfg sdk.Config) *harness {
	t.Helper()
	r := &harness{t: t, cfg: cfg, stored: map[string]sdk.Position{}}
	r.open()
	t.Cleanup(func() {
		if r.src != nil {
			r.src.Close()
		}
	})
	return r
}

func (r *harness) open() {
	r.t.Helper()
	r.src = &Source{}
	last := slices.Collect(maps.Values(r.stored))
	if err := r.src.Open(context.Background(), r.cfg, last); err != nil {
		r.t.Fatalf("Open: %v", err)
	}
}

func (r *harness) restart() {
	r.t.Helper()
	if err := r.src.Close(); err != nil {
		r.t.Fatalf("Close: %v", err)
	}
	r.open()
}

// read calls Read once, with a deadline, and delivers what it returns.
func (r *harness) read(ctx context.Context) ([]sdk.Record, error) {
	recs, err := r.src.Read(ctx)
	if err != nil {
		return nil, err
	}
	r.deliver(recs)
	return recs, nil
}

// deliver stores the batch's positions the way deliverOnce does and acks.
func (r *harness) deliver(recs []sdk.Record) {
	r.t.Helper()
	var acked []sdk.Position
	for _, rec := range recs {
		if rec.Topic != "web" || rec.Partition != -1 || rec.Value == nil {
			r.t.Fatalf("record %+v", rec)
		}
		if !rec.Position.IsZero() {
			p := roundTrip(r.t, rec.Position)
			r.stored[rec.Position.PartitionKey()] = p
			acked = append(acked, p)
		}
	}
	if len(recs) > 0 && recs[len(recs)-1].Position.IsZero() {
		r.t.Fatal("the last record of a batch carries no position")
	}
	r.got = append(r.got, recs...)
	if err := r.src.Ack(context.Background(), acked); err != nil {
		r.t.Fatal(err)
	}
}

// roundTrip sends a position through JSON as the offsets store does.
func roundTrip(t *testing.T, p sdk.Position) sdk.Position {
	t.Helper()
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var out sdk.Position
	if err := dec.Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// readN reads until n more records were delivered, failing after a while.
func (r *harness) readN(n int) []sdk.Record {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := len(r.got)
	for len(r.got)-start < n {
		if _, err := r.read(ctx); err != nil {
			r.t.Fatalf("Read after %d of %d records: %v", len(r.got)-start, n, err)
		}
	}
	if len(r.got)-start != n {
		r.t.Fatalf("got %d records, want %d: %v", len(r.got)-start, n, ids(r.t, r.got[start:]))
	}
	return r.got[start:]
}

// expectNothing checks that Read finds nothing for a while (several polls and
// scans).
func (r *harness) expectNothing() {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Millisecond)
	defer cancel()
	recs, err := r.read(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || len(recs) != 0 {
		r.t.Fatalf("Read = %d records (%v) %v, want nothing", len(recs), ids(r.t, recs), err)
	}
}

// storedFiles returns the files of the stored position.
func (r *harness) storedFiles() []storedFile {
	r.t.Helper()
	if len(r.stored) != 1 {
		r.t.Fatalf("%d stored partitions, want 1", len(r.stored))
	}
	for _, p := range r.stored {
		files, err := decodeState(p.Offset)
		if err != nil {
			r.t.Fatal(err)
		}
		return files
	}
	return nil
}

// logLine is a combined-format line whose path names id.
func logLine(id int) string {
	return fmt.Sprintf(`10.0.%d.%d - - [10/Oct/2000:13:%02d:%02d +0000] "GET /p/%d HTTP/1.1" 200 %d "-" "test"`+"\n",
		id/250%250, id%250, id/60%60, id%60, id, id)
}

func logLines(from, to int) string {
	var b strings.Builder
	for id := from; id < to; id++ {
		b.WriteString(logLine(id))
	}
	return b.String()
}

// ids returns the id of each record (-1 for a faulty one).
func ids(t *testing.T, recs []sdk.Record) []int {
	t.Helper()
	out := make([]int, 0, len(recs))
	for _, rec := range recs {
		if rec.Fault != nil {
			out = append(out, -1)
			continue
		}
		var v struct{ Path string }
		if err := json.Unmarshal(rec.Value, &v); err != nil {
			t.Fatalf("value %s: %v", rec.Value, err)
		}
		id, err := strconv.Atoi(strings.TrimPrefix(v.Path, "/p/"))
		if err != nil {
			t.Fatalf("value %s has no id", rec.Value)
		}
		out = append(out, id)
	}
	return out
}

// wantIDs checks the records are exactly the ids from..to-1, in order.
func wantIDs(t *testing.T, recs []sdk.Record, from, to int) {
	t.Helper()
	var want []int
	for id := from; id < to; id++ {
		want = append(want, id)
	}
	if got := ids(t, recs); !slices.Equal(got, want) {
		t.Fatalf("ids %v, want %v", got, want)
	}
}

// exactlyOnce checks every id from..to-1 was delivered once, in any order.
func exactlyOnce(t *testing.T, recs []sdk.Record, from, to int) {
	t.Helper()
	count := map[int]int{}
	for _, id := range ids(t, recs) {
		count[id]++
	}
	var missing, dup []int
	for id := from; id < to; id++ {
		switch count[id] {
		case 0:
			missing = append(missing, id)
		case 1:
		default:
			dup = append(dup, id)
		}
		delete(count, id)
	}
	if len(missing) > 0 || len(dup) > 0 || len(count) > 0 {
		t.Fatalf("missing %v, duplicated %v, unexpected %v", missing, dup, count)
	}
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// appendFile appends as nginx does, with O_APPEND, so writes after a
// truncation start at offset 0.
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

// copyTruncate rotates as logrotate's copytruncate does.
func copyTruncate(t *testing.T, path, copyPath string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, copyPath, string(data))
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
}

func rename(t *testing.T, from, to string) {
	t.Helper()
	if err := os.Rename(from, to); err != nil {
		t.Fatal(err)
	}
}

var showLogs = flag.Bool("weblog.log", false, "show the source's log while testing")

func TestMain(m *testing.M) {
	flag.Parse()
	if !*showLogs {
		slog.SetDefault(slog.New(slog.NewTextHandler(io.Discard, nil)))
	}
	os.Exit(m.Run())
}
