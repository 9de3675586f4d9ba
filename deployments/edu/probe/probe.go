package probe

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// Options say what to probe and how often.
type Options struct {
	Collector string // the collector's POST URL (http://…/v1/events)
	Serving   string // the serving store's PostgreSQL URL
	API       string // a worker's REST URL (http://127.0.0.1:8083)

	Interval       time.Duration // between probes; default 1 s
	PollInterval   time.Duration // between looks for probe rows; default 10 ms
	SampleInterval time.Duration // between metric samples; default 10 s
	Timeout        time.Duration // a probe not seen by then is lost; default 60 s
	// Duration ends the run; 0 runs until the context ends.
	Duration time.Duration
	// Progress, when set, gets a one-line summary every SampleInterval.
	Progress io.Writer

	// Client makes the HTTP requests; nil: one with a 5 s timeout.
	Client *http.Client
}

func (o *Options) defaults() error {
	if o.Collector == "" || o.Serving == "" || o.API == "" {
		return errors.New("probe: the collector, serving store and REST URLs are all needed")
	}
	o.API = strings.TrimRight(o.API, "/")
	set := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	set(&o.Interval, time.Second)
	set(&o.PollInterval, 10*time.Millisecond)
	set(&o.SampleInterval, 10*time.Second)
	set(&o.Timeout, time.Minute)
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 5 * time.Second}
	}
	return nil
}

// drainGrace is how long the run waits, once it is over, for the probes
// still in flight.
const drainGrace = 5 * time.Second

// Run probes until Duration has passed or ctx ends, and reports. It fails
// only when it cannot start (the serving store does not answer); what goes
// wrong later (a POST refused, a worker not answering) is counted in the
// report.
func Run(ctx context.Context, opts Options) (*Report, error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	if opts.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.Duration)
		defer cancel()
	}
	lat, err := newLatency(ctx, &opts)
	if err != nil {
		return nil, err
	}
	defer lat.close()
	smp := newSampler(&opts)
	start := time.Now()
	smp.sample(ctx)

	probeTick := time.NewTicker(opts.Interval)
	defer probeTick.Stop()
	pollTick := time.NewTicker(opts.PollInterval)
	defer pollTick.Stop()
	sampleTick := time.NewTicker(opts.SampleInterval)
	defer sampleTick.Stop()
	lat.send(ctx)
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-probeTick.C:
			lat.send(ctx)
		case <-pollTick.C:
			lat.poll(ctx)
		case <-sampleTick.C:
			smp.sample(ctx)
			if opts.Progress != nil {
				fmt.Fprintf(opts.Progress, "probe: %s  %s  %s\n", time.Since(start).Round(time.Second), lat.summary().line(), smp.memoryLine())
			}
		}
	}
	// The probes in flight, then the last sample, on a context of their
	// own: the run's has ended.
	end, cancel := context.WithTimeout(context.WithoutCancel(ctx), drainGrace)
	defer cancel()
	lat.drain(end, pollTick.C)
	smp.sample(end)
	return &Report{
		Seconds:    time.Since(start).Seconds(),
		Latency:    lat.summary(),
		Connectors: smp.connectors(),
		Workers:    smp.workers(),
		Errors:     append(lat.errors.list(), smp.errors.list()...),
	}, nil
}

// errorLog keeps the first of the errors of one kind, and counts them all,
// so that a collector down for a minute does not print sixty lines.
type errorLog struct {
	seen  map[string]int
	order []string
}

func (l *errorLog) add(kind string, err error) {
	if l.seen == nil {
		l.seen = map[string]int{}
	}
	key := kind + ": " + err.Error()
	if l.seen[key] == 0 {
		l.order = append(l.order, key)
	}
	l.seen[key]++
}

func (l *errorLog) list() []string {
	var out []string
	for _, k := range l.order {
		if n := l.seen[k]; n > 1 {
			out = append(out, fmt.Sprintf("%s (%d times)", k, n))
		} else {
			out = append(out, k)
		}
	}
	return out
}
