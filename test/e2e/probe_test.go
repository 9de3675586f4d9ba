package e2e

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tributarydata/tributary/deployments/edu/probe"
)

var probeClient = &http.Client{Timeout: 2 * time.Second}

// TestProbeMeasuresTheWarehouse runs `tributary probe`'s measurement
// against the collector and the channel-dictionary pipeline on `tributary
// dev` with a real PostgreSQL: every probe is seen in the serving store
// and deleted again, the connectors' counters add up to what the probes
// sent, and the worker's memory is read.
func TestProbeMeasuresTheWarehouse(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end probe test")
	}
	ctx := context.Background()
	dir := t.TempDir()
	pg := startPostgres(ctx, t, dir)
	dev := startDev(t, filepath.Join(dir, "data"), freePort(t), freePort(t))
	collector := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	env := map[string]string{"SERVING_URL": pg.URL(), "APPLOG_LISTEN": collector}
	applyPipeline(ctx, t, dev, "collector.json", env)
	applyPipeline(ctx, t, dev, "registration-level.json", env)
	url := "http://" + collector + "/v1/events"
	eventually(t, time.Minute, "the collector answers", func() (bool, string) {
		resp, err := probeClient.Get(url)
		if err != nil {
			return false, err.Error()
		}
		resp.Body.Close()
		return true, ""
	})

	var progress strings.Builder
	rep, err := probe.Run(ctx, probe.Options{
		Collector: url, Serving: pg.URL(), API: "http://" + dev.rest,
		Interval: 250 * time.Millisecond, SampleInterval: 2 * time.Second, Timeout: 30 * time.Second,
		Duration: 12 * time.Second, Progress: &progress,
	})
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	t.Logf("progress:\n%s\nreport:\n%s", progress.String(), text.String())

	l := rep.Latency
	// The first probes wait for the sink to start and create its table.
	if l.Sent < 20 || l.Lost != 0 || l.Unfinished != 0 || l.Seen != l.Sent {
		t.Errorf("probes: %+v, want 20 or more sent, each seen", l)
	}
	if !(0 < l.P50Ms && l.P50Ms <= l.P99Ms && l.P99Ms <= l.MaxMs) {
		t.Errorf("latency p50 %v, p99 %v, max %v ms", l.P50Ms, l.P99Ms, l.MaxMs)
	}
	if len(rep.Errors) != 0 {
		t.Errorf("errors: %q", rep.Errors)
	}
	if len(rep.Workers) != 1 || rep.Workers[0].RSSBytes < 10<<20 {
		t.Errorf("workers %+v, want the one dev worker's resident memory", rep.Workers)
	}
	byName := map[string]probe.Connector{}
	for _, c := range rep.Connectors {
		byName[c.Name] = c
	}
	// Every probe and its delete went through the chain; the counters
	// of the first sample, before the run, are not the run's.
	sent := float64(2 * l.Seen)
	if c := byName["registration-level"]; c.RecordsIn < sent-8 || c.RecordsIn > sent || c.InPerSec <= 0 || c.PeakInPerSec < c.InPerSec {
		t.Errorf("registration-level: %+v, want about %v records in", c, sent)
	}
	if _, ok := byName["app-events"]; !ok {
		t.Errorf("the collector's connector is not among %v", rep.Connectors)
	}

	// The deletes follow the probes: the dimension is left as it was.
	eventually(t, 30*time.Second, "the probe rows are deleted again", func() (bool, string) {
		out, err := pg.Query(ctx, "SELECT count(*) FROM "+probe.DictionaryTable)
		return err == nil && strings.TrimSpace(out) == "0", out
	})
}
