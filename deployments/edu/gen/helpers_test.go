package gen

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

// capture is an EventSink and a RowSink that keeps what it is given, in
// order, with the batches as they came.
type capture struct {
	mu      sync.Mutex
	events  []Event
	batches int
	rows    []Row
}

func (c *capture) Send(_ context.Context, evs []Event) (Sent, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.batches++
	for _, ev := range evs {
		ev.Line = slices.Clone(ev.Line)
		c.events = append(c.events, ev)
	}
	return Sent{Refused: refused(evs)}, nil
}

func (c *capture) Write(_ context.Context, rows []Row) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rows = append(c.rows, rows...)
	return nil
}

// testStart is the simulated start of the tests that need no wall clock.
var testStart = time.Date(2024, 3, 1, 7, 30, 0, 0, time.UTC)

// smallDay is a short day of a few classes, with every fate common enough
// to show up often.
func smallDay() Config {
	cfg := DefaultConfig()
	cfg.Start = testStart
	cfg.Duration = 90 * time.Minute
	cfg.Speedup = 0
	cfg.Classrooms = 6
	cfg.RecordedSessions = 30
	cfg.OutOfOrder, cfg.Late, cfg.Duplicate, cfg.Malformed = 0.05, 0.03, 0.03, 0.01
	cfg.FirstStudentID = 5000
	return cfg
}

// play runs cfg unpaced into a capture and returns it with the report.
func play(t *testing.T, cfg Config, opts Options) (*capture, Report) {
	t.Helper()
	c := &capture{}
	r, err := Run(context.Background(), cfg, c, c, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Complete {
		t.Fatalf("the run stopped at %s, before its end", r.Reached)
	}
	return c, r
}
