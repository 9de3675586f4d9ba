package host

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tributarydata/tributary/bus/worker"
	"github.com/tributarydata/tributary/bus/worker/workertest"
	"github.com/tributarydata/tributary/plugins/sdk"
)

// TestWorkerRunsRemoteSourceAndSink runs the good binary's source and sink
// as connectors of a real worker on the embedded broker: the source's
// positions reach the offsets topic through Read and Ack, a restart resumes
// after them through Open, and the sink's records reach its file through
// Write and Flush.
func TestWorkerRunsRemoteSourceAndSink(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ps := load(t, bins.good)
	w := workertest.StartAlone(ctx, t, func(c *worker.Config) { c.OffsetFlushInterval = 200 * time.Millisecond },
		ps["test.counter"], ps["test.collect"])
	out := filepath.Join(t.TempDir(), "out.txt")
	put := func(name string, cfg map[string]string) {
		t.Helper()
		if _, _, err := w.PutConnectorConfig(ctx, name, cfg); err != nil {
			t.Fatal(err)
		}
	}
	put("count", map[string]string{"connector.class": "test.counter", "count": "7", "batch": "3", "topic": "nums",
		"plugin.call.timeout.ms": "2000"})
	put("collect", map[string]string{"connector.class": "test.collect", "topics": "nums", "file": out})

	// Values in order; offsets skip the source's transaction markers.
	want := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "%d\n", i)
		}
		return b.String()
	}
	waitFile(t, out, want(7))
	waitPosition(t, w, "count", 6)

	// More to count: the restarted source resumes after its stored position.
	put("count", map[string]string{"connector.class": "test.counter", "count": "9", "batch": "3", "topic": "nums",
		"plugin.call.timeout.ms": "2000"})
	waitFile(t, out, want(9))
	waitPosition(t, w, "count", 8)

	st, err := w.ConnectorStatus(ctx, "count")
	if err != nil || st.Tasks[0].State.State != worker.StateRunning {
		t.Fatalf("the quiet source is not running: %+v %v", st, err)
	}
}

// waitFile waits until the values the sink wrote to path are want.
func waitFile(t *testing.T, path, want string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		data, _ := os.ReadFile(path)
		var got strings.Builder
		for line := range strings.Lines(string(data)) {
			at, value, _ := strings.Cut(line, " ")
			if !strings.HasPrefix(at, "nums/0/") {
				t.Fatalf("record from %s", at)
			}
			got.WriteString(value)
		}
		if got.String() == want {
			return
		}
		if time.Now().After(deadline) || got.Len() > len(want) {
			t.Fatalf("%s holds %q, want the values %q", path, data, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func waitPosition(t *testing.T, w *worker.Worker, connector string, n int64) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		offs, err := w.Offsets(context.Background(), connector)
		if err == nil && len(offs.Offsets) == 1 {
			if got, err := sdk.OffsetInt(offs.Offsets[0].Offset["n"]); err == nil && got == n {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("stored positions of %s: %+v %v, want n=%d", connector, offs, err, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
