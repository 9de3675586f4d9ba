package e2e

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// TestSIGKILLMidStreamExactlyOnce streams 100k records through file source →
// topic → file sink, SIGKILLs `tributary dev` in the middle, restarts it on
// the same data directory and requires every record in the sink exactly once,
// in order (the topic has one partition).
func TestSIGKILLMidStreamExactlyOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end crash test")
	}
	const total = 100_000
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	in, out := filepath.Join(dir, "in.txt"), filepath.Join(dir, "out.txt")
	restPort, brokerPort := freePort(t), freePort(t)

	dev := startDev(t, data, restPort, brokerPort, "--offset-flush-interval", "300ms")
	c := dev.client(t)
	ctx := context.Background()
	if _, err := c.CreateConnector(ctx, "lines-in", map[string]string{
		"connector.class": "FileStreamSource", "file": in, "topic": "lines", "batch.size": "500",
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateConnector(ctx, "lines-out", map[string]string{
		"connector.class": "FileStreamSink", "file": out, "topics": "lines",
	}); err != nil {
		t.Fatal(err)
	}

	// The producer of the input file keeps appending while the worker dies.
	written := make(chan error, 1)
	go func() { written <- appendLines(in, total, 1000, 50*time.Millisecond) }()

	eventually(t, 60*time.Second, "sink reaches 30k records before the kill", func() (bool, string) {
		n := countLines(out)
		return n >= 30_000, fmt.Sprintf("%d lines", n)
	})
	dev.kill(syscall.SIGKILL)
	killedAt := countLines(out)
	t.Logf("SIGKILL with %d records in the sink", killedAt)
	if killedAt >= total {
		t.Fatalf("the stream had already finished (%d records) when killed: the test proves nothing", killedAt)
	}

	dev = startDev(t, data, restPort, brokerPort, "--offset-flush-interval", "300ms")
	if err := <-written; err != nil {
		t.Fatal(err)
	}
	eventually(t, 120*time.Second, "sink holds all records after the restart", func() (bool, string) {
		n := countLines(out)
		return n >= total, fmt.Sprintf("%d lines", n)
	})
	time.Sleep(2 * time.Second) // a duplicate would arrive after the last record
	verifyExactlyOnceInOrder(t, out, total)
	dev.kill(syscall.SIGTERM)
}

// appendLines writes "1".."total" to path in chunks, pausing between them.
func appendLines(path string, total, chunk int, pause time.Duration) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	for i := 1; i <= total; i++ {
		w.WriteString(strconv.Itoa(i))
		w.WriteByte('\n')
		if i%chunk == 0 {
			if err := w.Flush(); err != nil {
				return err
			}
			time.Sleep(pause)
		}
	}
	return w.Flush()
}

func verifyExactlyOnceInOrder(t *testing.T, path string, total int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	want := 1
	for sc.Scan() {
		got, err := strconv.Atoi(sc.Text())
		if err != nil {
			t.Fatalf("line %d is %q, not a record", want, sc.Text())
		}
		if got != want {
			t.Fatalf("line %d holds record %d: lost or duplicated records around it", want, got)
		}
		want++
	}
	if want-1 != total {
		t.Fatalf("sink holds %d records, want %d", want-1, total)
	}
}
