package probe

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestPercentileIsNearestRank(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 200; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{50, 100 * time.Millisecond}, {99, 198 * time.Millisecond}, {100, 200 * time.Millisecond}, {0.1, time.Millisecond}} {
		if got := percentile(d, c.p); got != c.want {
			t.Errorf("p%v of 1..200 ms = %v, want %v", c.p, got, c.want)
		}
	}
	if got := percentile([]time.Duration{7}, 99); got != 7 {
		t.Errorf("p99 of one value = %v", got)
	}
}

func TestResidentMemory(t *testing.T) {
	text := "# HELP process_resident_memory_bytes Resident memory size in bytes.\n" +
		"# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes 1.2345678e+08\n" +
		"# TYPE go_goroutines gauge\ngo_goroutines 42\n"
	got, err := residentMemory(strings.NewReader(text))
	if err != nil || got != 123456780 {
		t.Errorf("residentMemory = %v, %v", got, err)
	}
	for _, bad := range []string{"go_goroutines 42\n", "process_resident_memory_bytes{\n", ""} {
		if _, err := residentMemory(strings.NewReader(bad)); err == nil {
			t.Errorf("residentMemory(%q) read a value", bad)
		}
	}
}

func FuzzResidentMemory(f *testing.F) {
	f.Add("process_resident_memory_bytes 5\n")
	f.Add("# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes NaN\n")
	f.Add("process_resident_memory_bytes{a=\"b\"} 1 1700000000000\n")
	f.Fuzz(func(t *testing.T, text string) {
		v, err := residentMemory(strings.NewReader(text))
		if err == nil && !strings.Contains(text, "process_resident_memory_bytes") {
			t.Errorf("read %v from a text without the metric", v)
		}
	})
}

// fakeWorkers answers GET /api/v1/metrics/tasks with the next of a script
// of samples, and /metrics with a resident size per worker.
type fakeWorkers struct {
	mu      sync.Mutex
	samples []string // task lists, JSON
	rss     map[string]float64
	srv     *httptest.Server
}

func (f *fakeWorkers) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	switch {
	case r.URL.Path == "/api/v1/metrics/tasks":
		tasks := f.samples[0]
		if len(f.samples) > 1 {
			f.samples = f.samples[1:]
		}
		fmt.Fprintf(w, `{"workers":[{"id":"w1","url":%q},{"id":"w2","url":%q},{"id":"w3","url":"x","error":"no answer"}],"tasks":%s}`,
			f.srv.URL+"/w1", f.srv.URL+"/w2", tasks)
	case strings.HasSuffix(r.URL.Path, "/metrics"):
		fmt.Fprintf(w, "process_resident_memory_bytes %v\n", f.rss[strings.TrimSuffix(r.URL.Path, "/metrics")])
	default:
		http.NotFound(w, r)
	}
}

// TestSamplerCountsRestartsAndMoves: a connector's records are the sum of
// its tasks' increases, a task that restarts or moves to another worker
// counting from zero again, and its peak the highest interval's rate.
func TestSamplerCountsRestartsAndMoves(t *testing.T) {
	task := func(worker string, conn string, n int, in, out float64) string {
		return fmt.Sprintf(`{"worker":%q,"connector":%q,"task":%d,"records_in":%v,"records_out":%v,"dlq":0}`, worker, conn, n, in, out)
	}
	list := func(tasks ...string) string { return "[" + strings.Join(tasks, ",") + "]" }
	f := &fakeWorkers{
		samples: []string{
			list(task("w1", "etl", 0, 100, 90), task("w2", "etl", 1, 10, 10), task("w1", "sink", 0, 5, 0)),
			list(task("w1", "etl", 0, 150, 140), task("w2", "etl", 1, 20, 20), task("w1", "sink", 0, 5, 0)),
			// etl-0 moved to w2 and counted 30 there; etl-1 restarted.
			list(task("w2", "etl", 0, 30, 30), task("w2", "etl", 1, 4, 4), task("w1", "sink", 0, 9, 0)),
		},
		rss: map[string]float64{"/w1": 32 << 20, "/w2": 64 << 20},
	}
	f.srv = httptest.NewServer(f)
	defer f.srv.Close()
	opts := Options{Collector: "http://x", Serving: "postgres://x", API: f.srv.URL + "/"}
	if err := opts.defaults(); err != nil {
		t.Fatal(err)
	}
	s := newSampler(&opts)
	for range 3 {
		s.sample(context.Background())
		time.Sleep(20 * time.Millisecond)
	}
	got := map[string]Connector{}
	for _, c := range s.connectors() {
		got[c.Name] = c
	}
	// etl: 50+10 then 30+4 in; 50+10 then 30+4 out.
	if c := got["etl"]; c.RecordsIn != 94 || c.RecordsOut != 94 || c.Tasks != 2 {
		t.Errorf("etl: %+v, want 94 in, 94 out, 2 tasks", c)
	}
	if c := got["sink"]; c.RecordsIn != 4 || c.Tasks != 1 {
		t.Errorf("sink: %+v, want 4 in", c)
	}
	secs := s.elapsedOK.Seconds()
	if c := got["etl"]; c.InPerSec != 94/secs || c.PeakInPerSec < c.InPerSec {
		t.Errorf("etl rates: %v/s over %v s, peak %v/s", c.InPerSec, secs, c.PeakInPerSec)
	}
	ws := s.workers()
	if len(ws) != 2 || ws[0].ID != "w1" || ws[0].RSSBytes != 32<<20 || ws[1].PeakBytes != 64<<20 {
		t.Errorf("workers %+v, want w1 at 32 MiB and w2 at 64 MiB", ws)
	}
	if errs := s.errors.list(); len(errs) != 1 || !strings.Contains(errs[0], "worker w3: no answer (3 times)") {
		t.Errorf("errors %q, want w3's, once with its count", errs)
	}
}

func TestProbeLines(t *testing.T) {
	var add, del map[string]any
	if err := json.Unmarshal(probeLine(`p"1`, false), &add); err != nil {
		t.Fatal(err)
	}
	if add["type"] != "dictionary" || add["id"] != `p"1` {
		t.Errorf("probe line %v", add)
	}
	if err := json.Unmarshal(probeLine("p1", true), &del); err != nil {
		t.Fatal(err)
	}
	if before, _ := del["before"].(map[string]any); del["op"] != "d" || del["type"] != "dictionary" || before["id"] != "p1" {
		t.Errorf("delete line %v", del)
	}
}
