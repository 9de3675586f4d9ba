package weblog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
)

func TestReadsRecords(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	writeFile(t, path, logLines(0, 3))
	cfg := baseConfig(filepath.Join(dir, "access.log*"))
	cfg["key.field"] = "remote_addr"
	r := startRuntime(t, cfg)

	recs := r.readN(3)
	wantIDs(t, recs, 0, 3)
	want := `{"remote_addr":"10.0.0.1","time":"2000-10-10T13:00:01Z","method":"GET","path":"/p/1","protocol":"HTTP/1.1","status":200,"bytes":1,"user_agent":"test"}`
	if string(recs[1].Value) != want {
		t.Fatalf("value\n got %s\nwant %s", recs[1].Value, want)
	}
	if string(recs[1].Key) != "10.0.0.1" {
		t.Fatalf("key %q", recs[1].Key)
	}
	if !recs[1].Timestamp.Equal(time.Date(2000, 10, 10, 13, 0, 1, 0, time.UTC)) {
		t.Fatalf("timestamp %v, want the line's time", recs[1].Timestamp)
	}
	if !recs[0].Position.IsZero() || !recs[1].Position.IsZero() {
		t.Fatal("only the last record of a batch should carry the position")
	}
	files := r.storedFiles()
	if len(files) != 1 || files[0].path != path || files[0].offset != int64(len(logLines(0, 3))) {
		t.Fatalf("stored files %+v", files)
	}
	if p := recs[2].Position.Partition[partitionKeyGlob]; p != filepath.Join(dir, "access.log*") {
		t.Fatalf("partition %v", recs[2].Position.Partition)
	}

	// A line being written is not read until its newline comes.
	half := logLine(3)
	appendFile(t, path, half[:20])
	r.expectNothing()
	appendFile(t, path, half[20:])
	wantIDs(t, r.readN(1), 3, 4)
}

func TestBatchLimits(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.log"), logLines(0, 10))
	cfg := baseConfig(filepath.Join(dir, "*.log"))
	cfg["batch.size"] = "4"
	r := startRuntime(t, cfg)
	var sizes []int
	for range 3 {
		recs, err := r.read(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(recs))
	}
	if fmt.Sprint(sizes) != "[4 4 2]" {
		t.Fatalf("batch sizes %v", sizes)
	}
	wantIDs(t, r.got, 0, 10)

	cfg["batch.size"] = "1000"
	cfg["batch.max.bytes"] = "200" // about 2.5 values
	r = startRuntime(t, cfg)
	recs, err := r.read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 {
		t.Fatalf("batch of %d records with batch.max.bytes=200", len(recs))
	}
}

func TestRestartResumesWithoutGapOrDuplicate(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	cfg := baseConfig(filepath.Join(dir, "access.log*"))
	cfg["batch.size"] = "7"
	r := startRuntime(t, cfg)
	rng := rand.New(rand.NewPCG(1, 2))
	next := 0
	for round := range 30 {
		n := rng.IntN(20)
		appendFile(t, path, logLines(next, next+n))
		next += n
		// Read some, not necessarily all, then restart.
		for range rng.IntN(3) {
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			r.read(ctx)
			cancel()
		}
		if round%3 == 0 {
			r.restart()
		}
	}
	for len(r.got) < next {
		r.readN(min(7, next-len(r.got)))
	}
	wantIDs(t, r.got, 0, next)
	r.expectNothing()
}

func TestUndeliveredBatchIsReadAgain(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	writeFile(t, path, logLines(0, 10))
	cfg := baseConfig(path)
	cfg["batch.size"] = "4"
	r := startRuntime(t, cfg)
	wantIDs(t, r.readN(4), 0, 4)

	// The worker dies after Read, before Kafka confirmed the batch: its
	// position is never stored.
	lost, err := r.src.Read(context.Background())
	if err != nil || len(lost) != 4 {
		t.Fatalf("Read = %d, %v", len(lost), err)
	}
	r.restart()
	r.readN(6)
	wantIDs(t, r.got, 0, 10)
}

func TestRenameRotation(t *testing.T) {
	for _, fp := range []string{"16", "4096"} { // fingerprints full, and files shorter than them
		t.Run("fingerprint.bytes="+fp, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "access.log")
			writeFile(t, path, logLines(0, 5))
			cfg := baseConfig(filepath.Join(dir, "access.log*"))
			cfg["fingerprint.bytes"] = fp
			r := startRuntime(t, cfg)
			wantIDs(t, r.readN(5), 0, 5)

			appendFile(t, path, logLines(5, 8)) // not read yet
			rename(t, path, path+".1")
			appendFile(t, path+".1", logLines(8, 10)) // nginx writes on until it reopens
			writeFile(t, path, logLines(10, 15))
			// The old file to its end, then the new one.
			wantIDs(t, r.readN(10), 5, 15)
			r.expectNothing()

			files := r.storedFiles()
			if len(files) != 2 || files[0].path != path+".1" || files[1].path != path {
				t.Fatalf("stored files %+v", files)
			}

			// Another rotation while stopped.
			r.src.Close()
			appendFile(t, path, logLines(15, 17))
			rename(t, path+".1", path+".2")
			rename(t, path, path+".1")
			writeFile(t, path, logLines(17, 20))
			r.open()
			wantIDs(t, r.readN(5), 15, 20)
			r.expectNothing()
			exactlyOnce(t, r.got, 0, 20)
		})
	}
}

func TestRenameOutOfTheGlob(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	writeFile(t, path, logLines(0, 3))
	cfg := baseConfig(path) // rotated names do not match
	cfg["rotate.wait.ms"] = "1000"
	r := startRuntime(t, cfg)
	wantIDs(t, r.readN(3), 0, 3)

	appendFile(t, path, logLines(3, 5))
	rename(t, path, path+".old")
	writeFile(t, path, logLines(5, 7))
	wantIDs(t, r.readN(4), 3, 7)
	// Written to the old file within rotate.wait: still read.
	appendFile(t, path+".old", logLines(7, 9))
	wantIDs(t, r.readN(2), 7, 9)

	// After rotate.wait without growth the old file is forgotten.
	time.Sleep(1100 * time.Millisecond)
	appendFile(t, path, logLines(9, 10))
	r.readN(1)
	exactlyOnce(t, r.got, 0, 10)
	files := r.storedFiles()
	if len(files) != 1 || files[0].path != path {
		t.Fatalf("stored files %+v, want only the new file", files)
	}
}

func TestCopyTruncate(t *testing.T) {
	for _, fp := range []string{"16", "4096"} {
		t.Run("fingerprint.bytes="+fp, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "access.log")
			writeFile(t, path, logLines(0, 5))
			cfg := baseConfig(filepath.Join(dir, "access.log*"))
			cfg["fingerprint.bytes"] = fp
			r := startRuntime(t, cfg)
			wantIDs(t, r.readN(5), 0, 5)

			// Written after our last read, before the truncation: only the
			// copy has these.
			appendFile(t, path, logLines(5, 9))
			copyTruncate(t, path, path+".1")
			appendFile(t, path, logLines(9, 12))
			wantIDs(t, r.readN(7), 5, 12)
			r.expectNothing()

			// And again, the copy seen before the truncation this time.
			appendFile(t, path, logLines(12, 14))
			rename(t, path+".1", path+".2")
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			writeFile(t, path+".1", string(data))
			r.readN(2)
			r.expectNothing() // the copy is not read on its own
			appendFile(t, path, logLines(14, 15))
			if err := os.Truncate(path, 0); err != nil {
				t.Fatal(err)
			}
			appendFile(t, path, logLines(15, 16))
			// 14 was written after the copy, before the truncation:
			// copytruncate itself loses it.
			wantIDs(t, r.readN(1), 15, 16)
			exactlyOnce(t, r.got[:len(r.got)-1], 0, 14)
		})
	}
}

func TestCopyTruncateWhileStopped(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	writeFile(t, path, logLines(0, 6))
	r := startRuntime(t, baseConfig(filepath.Join(dir, "access.log*")))
	wantIDs(t, r.readN(6), 0, 6)
	r.src.Close()

	appendFile(t, path, logLines(6, 9))
	copyTruncate(t, path, path+".1")
	appendFile(t, path, logLines(9, 11))
	r.open()
	r.readN(5)
	r.expectNothing()
	wantIDs(t, r.got, 0, 11)
}

func TestTruncationWithoutCopy(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	writeFile(t, path, logLines(0, 5))
	r := startRuntime(t, baseConfig(path))
	wantIDs(t, r.readN(5), 0, 5)
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	r.expectNothing()
	// Rewritten longer than it was before the scan noticed: the first bytes
	// tell the file changed.
	appendFile(t, path, logLines(100, 110))
	wantIDs(t, r.readN(10), 100, 110)
}

func TestDeletedFileIsForgotten(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "a.log"), logLines(0, 3))
	writeFile(t, filepath.Join(dir, "b.log"), logLines(3, 6))
	r := startRuntime(t, baseConfig(filepath.Join(dir, "*.log")))
	exactlyOnce(t, r.readN(6), 0, 6)
	if files := r.storedFiles(); len(files) != 2 {
		t.Fatalf("stored files %+v", files)
	}
	if err := os.Remove(filepath.Join(dir, "a.log")); err != nil {
		t.Fatal(err)
	}
	r.expectNothing()
	appendFile(t, filepath.Join(dir, "b.log"), logLines(6, 7))
	r.readN(1)
	files := r.storedFiles()
	if len(files) != 1 || files[0].path != filepath.Join(dir, "b.log") {
		t.Fatalf("stored files %+v, want b.log only", files)
	}
	// A stored file that is gone at a restart is forgotten too.
	r.src.Close()
	if err := os.Remove(filepath.Join(dir, "b.log")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "c.log"), logLines(7, 8))
	r.open()
	wantIDs(t, r.readN(1), 7, 8)
	if files := r.storedFiles(); len(files) != 1 {
		t.Fatalf("stored files %+v", files)
	}
}

func TestNewFilesAndExclusions(t *testing.T) {
	dir := t.TempDir()
	r := startRuntime(t, baseConfig(filepath.Join(dir, "access.log*")))
	r.expectNothing()
	writeFile(t, filepath.Join(dir, "access.log.2.gz"), "\x1f\x8b\x08binary")
	if err := os.Mkdir(filepath.Join(dir, "access.log.d"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "access.log"), "")
	r.expectNothing()
	appendFile(t, filepath.Join(dir, "access.log"), logLines(0, 2))
	wantIDs(t, r.readN(2), 0, 2)
	writeFile(t, filepath.Join(dir, "access.log-2024"), logLines(2, 4))
	wantIDs(t, r.readN(2), 2, 4)
	r.expectNothing()
}

func TestOlderFilesFirst(t *testing.T) {
	dir := t.TempDir()
	old := time.Now().Add(-time.Hour)
	for i, name := range []string{"access.log.2", "access.log.1", "access.log"} {
		path := filepath.Join(dir, name)
		writeFile(t, path, logLines(i*3, i*3+3))
		mtime := old.Add(time.Duration(i) * time.Minute)
		if err := os.Chtimes(path, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	r := startRuntime(t, baseConfig(filepath.Join(dir, "access.log*")))
	wantIDs(t, r.readN(9), 0, 9)
}

func TestReadFromEnd(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	writeFile(t, path, logLines(0, 5)+logLine(5)[:10])
	cfg := baseConfig(path)
	cfg["read.from"] = "end"
	r := startRuntime(t, cfg)
	r.expectNothing()
	appendFile(t, path, logLine(5)[10:]+logLines(6, 8))
	wantIDs(t, r.readN(3), 5, 8)
	// With a stored position, read.from no longer applies.
	r.src.Close()
	appendFile(t, path, logLines(8, 9))
	r.open()
	wantIDs(t, r.readN(1), 8, 9)
}

func TestLongLine(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	const size = 10 << 20
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(logLines(0, 2))
	f.Write(bytes.Repeat([]byte("x"), size))
	f.WriteString("\n" + logLines(2, 4))
	f.Close()

	r := startRuntime(t, baseConfig(path))
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	recs := r.readN(5)
	runtime.ReadMemStats(&after)
	if got := ids(t, recs); fmt.Sprint(got) != "[0 1 -1 2 3]" {
		t.Fatalf("ids %v", got)
	}
	bad := recs[2]
	if len(bad.Value) != 1<<20 || bad.Value[0] != 'x' {
		t.Fatalf("faulty record holds %d bytes, want the first max.line.bytes", len(bad.Value))
	}
	want := fmt.Sprintf("line of %d bytes exceeds max.line.bytes (1048576)", size)
	if bad.Fault == nil || !strings.Contains(bad.Fault.Error(), want) {
		t.Fatalf("fault %v, want %q", bad.Fault, want)
	}
	if v, _ := bad.Header(HeaderOffset); string(v) != fmt.Sprint(len(logLines(0, 2))) {
		t.Fatalf("offset header %q", v)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 8<<20 {
		t.Fatalf("reading a %d MB line allocated %d MB: it was kept whole", size>>20, alloc>>20)
	}
}

func TestLinesLongerThanTheReadBuffer(t *testing.T) {
	// Lines between the read buffer and max.line.bytes are read whole and
	// parsed; longer ones are faults; a random mix, fed in random pieces.
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	writeFile(t, path, "")
	cfg := baseConfig(path)
	cfg["max.line.bytes"] = fmt.Sprint(3 * readBufSize)
	r := startRuntime(t, cfg)
	rng := rand.New(rand.NewPCG(3, 4))
	var all strings.Builder
	var want []string // the user agent of each line
	var fault []bool  // whether the line is too long
	for id := range 60 {
		ua := strings.Repeat("u", 1+rng.IntN(5*readBufSize)*(rng.IntN(4)/3))
		line := strings.Replace(logLine(id), `"test"`, `"`+ua+`"`, 1)
		all.WriteString(line)
		want = append(want, ua)
		fault = append(fault, len(line)-1 > 3*readBufSize)
	}
	var faults, long int
	for i, f := range fault {
		if f {
			faults++
		} else if len(want[i]) > readBufSize {
			long++
		}
	}
	if faults == 0 || long == 0 {
		t.Fatalf("the mix has %d too long lines and %d longer than the buffer: change the seed", faults, long)
	}
	data := all.String()
	for len(data) > 0 {
		n := min(len(data), rng.IntN(3*readBufSize))
		appendFile(t, path, data[:n])
		data = data[n:]
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		r.read(ctx)
		cancel()
	}
	if missing := len(want) - len(r.got); missing > 0 {
		r.readN(missing)
	}
	if len(r.got) != len(want) {
		t.Fatalf("%d records for %d lines", len(r.got), len(want))
	}
	for i, rec := range r.got {
		if fault[i] {
			if rec.Fault == nil || len(rec.Value) != 3*readBufSize {
				t.Fatalf("line %d: want a fault with max.line.bytes of value, got %d bytes, %v", i, len(rec.Value), rec.Fault)
			}
			continue
		}
		if rec.Fault != nil {
			t.Fatalf("line %d: %v", i, rec.Fault)
		}
		var v struct {
			UserAgent string `json:"user_agent"`
		}
		if err := json.Unmarshal(rec.Value, &v); err != nil || v.UserAgent != want[i] {
			t.Fatalf("line %d: user agent of %d bytes, want %d (%v)", i, len(v.UserAgent), len(want[i]), err)
		}
	}
}

func TestBadLinesBecomeFaultyRecords(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	garbage := "\x00\x01\x02\x03PK\x03\x04\xff\xfe binary"
	lines := []string{
		logLine(0),
		garbage + "\n",
		"10.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET /caf\xe9 HTTP/1.1\" 200 1 \"-\" \"-\"\n",
		logLine(1)[:40] + "\n", // cut short
		"\n",                   // blank: nothing
		logLine(2),
	}
	writeFile(t, path, strings.Join(lines, ""))
	r := startRuntime(t, baseConfig(path))
	recs := r.readN(5)
	if got := ids(t, recs); fmt.Sprint(got) != "[0 -1 -1 -1 2]" {
		t.Fatalf("ids %v", got)
	}
	for i, want := range map[int]string{1: "not valid UTF-8 at byte 8", 2: "not valid UTF-8 at byte 51", 3: "does not match the combined format"} {
		rec := recs[i]
		if rec.Fault == nil || !strings.Contains(rec.Fault.Error(), want) || !strings.Contains(rec.Fault.Error(), path) {
			t.Fatalf("record %d: fault %v, want %q and the file", i, rec.Fault, want)
		}
		if string(rec.Value) != strings.TrimSuffix(lines[i], "\n") {
			t.Fatalf("record %d holds %q", i, rec.Value)
		}
		if f, _ := rec.Header(HeaderFile); string(f) != path {
			t.Fatalf("record %d: file header %q", i, f)
		}
	}
	if string(recs[1].Value) != garbage {
		t.Fatalf("garbage record %q", recs[1].Value)
	}
}

func TestUnterminatedLineOfAFinishedFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	writeFile(t, path, logLines(0, 2)+"10.0.0.9 - - [10/Oct")
	cfg := baseConfig(path)
	cfg["rotate.wait.ms"] = "200" // the unfinished line, read at each poll, is no growth
	r := startRuntime(t, cfg)
	wantIDs(t, r.readN(2), 0, 2)
	rename(t, path, filepath.Join(dir, "gone"))
	recs := r.readN(1)
	if recs[0].Fault == nil || !strings.Contains(recs[0].Fault.Error(), "has no newline") || string(recs[0].Value) != "10.0.0.9 - - [10/Oct" {
		t.Fatalf("record %q, fault %v", recs[0].Value, recs[0].Fault)
	}
	if files := r.storedFiles(); len(files) != 0 {
		t.Fatalf("stored files %+v", files)
	}
}

func TestPositionStaysBounded(t *testing.T) {
	// logrotate with rotate 3: access.log.3 is deleted at each rotation.
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	r := startRuntime(t, baseConfig(filepath.Join(dir, "access.log*")))
	next := 0
	for range 12 {
		appendFile(t, path, logLines(next, next+3))
		next += 3
		r.readN(3)
		os.Remove(path + ".3")
		for i := 2; i >= 1; i-- {
			os.Rename(fmt.Sprintf("%s.%d", path, i), fmt.Sprintf("%s.%d", path, i+1))
		}
		rename(t, path, path+".1")
	}
	appendFile(t, path, logLines(next, next+1))
	r.readN(1)
	exactlyOnce(t, r.got, 0, next+1)
	if files := r.storedFiles(); len(files) > 4 {
		t.Fatalf("%d stored files for 4 on disk: %+v", len(files), files)
	}
}

func TestTooManyFiles(t *testing.T) {
	dir := t.TempDir()
	for i := range 3 {
		writeFile(t, filepath.Join(dir, fmt.Sprintf("%d.log", i)), logLines(i, i+1))
	}
	cfg := baseConfig(filepath.Join(dir, "*.log"))
	cfg["files.max"] = "2"
	err := (&Source{}).Open(context.Background(), cfg, nil)
	if err == nil || !strings.Contains(err.Error(), "files.max") {
		t.Fatalf("Open = %v, want a files.max error", err)
	}
}

func TestReadHonorsContext(t *testing.T) {
	cfg := baseConfig(filepath.Join(t.TempDir(), "*.log"))
	cfg["poll.interval.ms"] = "10000"
	r := startRuntime(t, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	start := time.Now()
	if _, err := r.src.Read(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Read = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Read took %v to see the cancellation", d)
	}
}

func TestBrokenStoredPosition(t *testing.T) {
	dir := t.TempDir()
	glob := filepath.Join(dir, "*.log")
	for name, offset := range map[string]map[string]any{
		"files not a list":    {offsetKeyFiles: "x"},
		"negative offset":     {offsetKeyFiles: []any{map[string]any{fileKeyFP: "1", fileKeyFPLen: 1, fileKeyOffset: -1}}},
		"no fingerprint":      {offsetKeyFiles: []any{map[string]any{fileKeyFPLen: 1, fileKeyOffset: 1}}},
		"entry not an object": {offsetKeyFiles: []any{"x"}},
	} {
		last := []sdk.Position{{Partition: map[string]any{partitionKeyGlob: glob}, Offset: offset}}
		s := &Source{}
		if err := s.Open(context.Background(), baseConfig(glob), last); err == nil {
			s.Close()
			t.Errorf("%s: Open accepted the position", name)
		}
	}
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
		if k.Documentation == "" {
			t.Errorf("key %s has no doc", k.Name)
		}
	}
	want := "path.glob path.exclude topic format log.format log.escape beacon.paths beacon.repeated key.field max.line.bytes batch.size batch.max.bytes files.max fingerprint.bytes read.from poll.interval.ms scan.interval.ms rotate.wait.ms"
	if strings.Join(names, " ") != want {
		t.Fatalf("keys\n %s\nwant\n %s", strings.Join(names, " "), want)
	}

	for name, tc := range map[string]struct {
		cfg sdk.Config
		key string
	}{
		"no glob":               {sdk.Config{"topic": "t"}, "path.glob"},
		"bad glob":              {sdk.Config{"topic": "t", "path.glob": "/x/[a"}, "path.glob"},
		"unknown format":        {sdk.Config{"topic": "t", "path.glob": "/x", "format": "apache"}, "format"},
		"custom without format": {sdk.Config{"topic": "t", "path.glob": "/x", "format": "custom"}, "log.format"},
		"custom format broken":  {sdk.Config{"topic": "t", "path.glob": "/x", "format": "custom", "log.format": "$a$b"}, "log.format"},
		"tiny fingerprint":      {sdk.Config{"topic": "t", "path.glob": "/x", "fingerprint.bytes": "4"}, "fingerprint.bytes"},
	} {
		err := (&Source{}).Open(context.Background(), tc.cfg, nil)
		var verr *sdk.ValidationError
		if !errors.As(err, &verr) || verr.Fields[tc.key] == nil {
			t.Errorf("%s: Open = %v, want a validation error on %s", name, err, tc.key)
		}
	}
}

func TestRestartBetweenCopyAndTruncate(t *testing.T) {
	// Stopped after logrotate copied the file and before it truncated it:
	// both files have the stored fingerprint; the original (same inode) is
	// the one to resume, the copy is not read on its own.
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	writeFile(t, path, logLines(0, 6))
	r := startRuntime(t, baseConfig(filepath.Join(dir, "access.log*")))
	wantIDs(t, r.readN(6), 0, 6)
	r.src.Close()

	appendFile(t, path, logLines(6, 8))
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, path+".1", string(data))
	r.open()
	wantIDs(t, r.readN(2), 6, 8)
	r.expectNothing()
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	appendFile(t, path, logLines(8, 10))
	wantIDs(t, r.readN(2), 8, 10)
	r.expectNothing()
	wantIDs(t, r.got, 0, 10)
	if files := r.storedFiles(); len(files) != 2 || files[0].path != path+".1" || files[1].path != path {
		t.Fatalf("stored files %+v", files)
	}
}
