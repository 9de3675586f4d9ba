package probe

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// taskKey names one task's counters: the worker that runs it, since a task
// that moves starts counting again on its new worker.
type taskKey struct {
	worker, connector string
	task              int
}

type counters struct{ in, out, dlq float64 }

// connectorTotals are a connector's increases over the run.
type connectorTotals struct {
	tasks                 map[int]bool
	in, out, dlq          float64
	peakIn, peakOut       float64 // per second, over one sample interval
	intervalIn, intervalO float64 // this interval's increase, for the peaks
}

type workerMemory struct {
	url           string
	last, highest float64
}

// sampler reads the workers' counters and memory.
type sampler struct {
	opts      *Options
	last      map[taskKey]counters
	lastAt    time.Time
	conns     map[string]*connectorTotals
	memory    map[string]*workerMemory // by worker id
	memOrder  []string
	errors    errorLog
	elapsedOK time.Duration // from the first good sample to the last
}

func newSampler(opts *Options) *sampler {
	return &sampler{opts: opts, conns: map[string]*connectorTotals{}, memory: map[string]*workerMemory{}}
}

// taskMetrics is the part of GET /api/v1/metrics/tasks read here.
type taskMetrics struct {
	Workers []struct {
		ID    string `json:"id"`
		URL   string `json:"url"`
		Error string `json:"error"`
	} `json:"workers"`
	Tasks []struct {
		Worker     string  `json:"worker"`
		Connector  string  `json:"connector"`
		Task       int     `json:"task"`
		RecordsIn  float64 `json:"records_in"`
		RecordsOut float64 `json:"records_out"`
		DLQ        float64 `json:"dlq"`
	} `json:"tasks"`
}

func (s *sampler) getJSON(ctx context.Context, url string, v any) error {
	body, err := s.get(ctx, url)
	if err != nil {
		return err
	}
	defer body.Close()
	return json.NewDecoder(body).Decode(v)
}

func (s *sampler) get(ctx context.Context, url string) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := s.opts.Client.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return resp.Body, nil
}

// sample reads every task's counters and every worker's memory once.
func (s *sampler) sample(ctx context.Context) {
	var m taskMetrics
	if err := s.getJSON(ctx, s.opts.API+"/api/v1/metrics/tasks", &m); err != nil {
		if ctx.Err() == nil {
			s.errors.add("read task metrics", err)
		}
		return
	}
	now := time.Now()
	cur := make(map[taskKey]counters, len(m.Tasks))
	for _, t := range m.Tasks {
		cur[taskKey{t.Worker, t.Connector, t.Task}] = counters{t.RecordsIn, t.RecordsOut, t.DLQ}
	}
	if s.last != nil {
		dt := now.Sub(s.lastAt).Seconds()
		s.elapsedOK += now.Sub(s.lastAt)
		for _, c := range s.conns {
			c.intervalIn, c.intervalO = 0, 0
		}
		for k, v := range cur {
			c := s.connector(k.connector)
			c.tasks[k.task] = true
			before, ok := s.last[k]
			if !ok || v.in < before.in || v.out < before.out || v.dlq < before.dlq {
				// A task new to this worker, or restarted: its counters
				// began at zero after the last sample.
				before = counters{}
			}
			c.in += v.in - before.in
			c.out += v.out - before.out
			c.dlq += v.dlq - before.dlq
			c.intervalIn += v.in - before.in
			c.intervalO += v.out - before.out
		}
		for _, c := range s.conns {
			c.peakIn = math.Max(c.peakIn, c.intervalIn/dt)
			c.peakOut = math.Max(c.peakOut, c.intervalO/dt)
		}
	} else {
		for k := range cur {
			s.connector(k.connector).tasks[k.task] = true
		}
	}
	s.last, s.lastAt = cur, now
	for _, w := range m.Workers {
		if w.Error != "" {
			s.errors.add("worker "+w.ID, fmt.Errorf("%s", w.Error))
			continue
		}
		rss, err := s.rss(ctx, w.URL)
		if err != nil {
			if ctx.Err() == nil {
				s.errors.add("read the memory of worker "+w.ID, err)
			}
			continue
		}
		mem, ok := s.memory[w.ID]
		if !ok {
			mem = &workerMemory{url: w.URL}
			s.memory[w.ID] = mem
			s.memOrder = append(s.memOrder, w.ID)
		}
		mem.last, mem.highest = rss, math.Max(mem.highest, rss)
	}
}

func (s *sampler) connector(name string) *connectorTotals {
	c, ok := s.conns[name]
	if !ok {
		c = &connectorTotals{tasks: map[int]bool{}}
		s.conns[name] = c
	}
	return c
}

// rss reads process_resident_memory_bytes from a worker's /metrics.
func (s *sampler) rss(ctx context.Context, workerURL string) (float64, error) {
	body, err := s.get(ctx, strings.TrimRight(workerURL, "/")+"/metrics")
	if err != nil {
		return 0, err
	}
	defer body.Close()
	return residentMemory(body)
}

// residentMemory reads process_resident_memory_bytes from a Prometheus
// text exposition.
func residentMemory(r io.Reader) (float64, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	families, err := p.TextToMetricFamilies(r)
	if err != nil {
		return 0, err
	}
	f, ok := families["process_resident_memory_bytes"]
	if ok && len(f.GetMetric()) > 0 {
		// A gauge, or untyped when the exposition leaves out its TYPE line.
		if m := f.GetMetric()[0]; m.GetGauge() != nil {
			return m.GetGauge().GetValue(), nil
		} else if m.GetUntyped() != nil {
			return m.GetUntyped().GetValue(), nil
		}
	}
	return 0, fmt.Errorf("no process_resident_memory_bytes gauge")
}

// Connector is one connector's traffic over the run.
type Connector struct {
	Name          string  `json:"name"`
	Tasks         int     `json:"tasks"`
	RecordsIn     float64 `json:"records_in"`
	RecordsOut    float64 `json:"records_out"`
	DLQ           float64 `json:"dlq"`
	InPerSec      float64 `json:"in_per_sec"`
	OutPerSec     float64 `json:"out_per_sec"`
	PeakInPerSec  float64 `json:"peak_in_per_sec"`
	PeakOutPerSec float64 `json:"peak_out_per_sec"`
}

func (s *sampler) connectors() []Connector {
	secs := s.elapsedOK.Seconds()
	var out []Connector
	for name, c := range s.conns {
		r := Connector{Name: name, Tasks: len(c.tasks), RecordsIn: c.in, RecordsOut: c.out, DLQ: c.dlq,
			PeakInPerSec: c.peakIn, PeakOutPerSec: c.peakOut}
		if secs > 0 {
			r.InPerSec, r.OutPerSec = c.in/secs, c.out/secs
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b Connector) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Worker is one worker's resident memory.
type Worker struct {
	ID        string  `json:"id"`
	URL       string  `json:"url"`
	RSSBytes  float64 `json:"rss_bytes"` // at the last sample
	PeakBytes float64 `json:"peak_rss_bytes"`
}

func (s *sampler) workers() []Worker {
	var out []Worker
	for _, id := range s.memOrder {
		m := s.memory[id]
		out = append(out, Worker{ID: id, URL: m.url, RSSBytes: m.last, PeakBytes: m.highest})
	}
	return out
}

func (s *sampler) memoryLine() string {
	var parts []string
	for _, w := range s.workers() {
		parts = append(parts, fmt.Sprintf("%s RSS %s", w.ID, mib(w.RSSBytes)))
	}
	return strings.Join(parts, ", ")
}

func mib(b float64) string { return fmt.Sprintf("%.0f MiB", b/(1<<20)) }
