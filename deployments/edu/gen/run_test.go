package gen

import (
	"context"
	"testing"
	"time"
)

// TestRunIsPaced plays two simulated minutes at 240 times real time: it
// cannot be over in less than half a second of wall time.
func TestRunIsPaced(t *testing.T) {
	cfg := smallDay()
	cfg.Duration, cfg.Speedup = 2*time.Minute, 240
	began := time.Now()
	c := &capture{}
	r, err := Run(context.Background(), cfg, c, nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(began); took < 500*time.Millisecond {
		t.Errorf("two simulated minutes at 240x took %s of wall time, want at least 500ms", took)
	}
	if !r.Complete || len(c.events) == 0 {
		t.Errorf("complete %v, %d events", r.Complete, len(c.events))
	}
}

// stopAfter is a sink that cancels its run after some batches, as Ctrl-C.
type stopAfter struct {
	capture
	batches int
	cancel  context.CancelFunc
}

func (s *stopAfter) Send(ctx context.Context, evs []Event) (Sent, error) {
	if s.batches == 0 {
		s.cancel()
		<-ctx.Done()
		return Sent{}, ctx.Err()
	}
	s.batches--
	return s.capture.Send(ctx, evs)
}

// TestRunStopsWhenCancelled runs an open-ended day and cancels it: Run
// returns without an error, with a report of what was delivered, the batch
// under way counted as uncertain.
func TestRunStopsWhenCancelled(t *testing.T) {
	cfg := smallDay()
	cfg.Duration = 0
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sink := &stopAfter{batches: 20, cancel: cancel}
	r, err := Run(ctx, cfg, sink, nil, Options{MaxBatchEvents: 50})
	if err != nil {
		t.Fatal(err)
	}
	if r.Complete || !r.Reached.After(cfg.Start) {
		t.Errorf("complete %v, reached %s: want an incomplete run past its start", r.Complete, r.Reached)
	}
	var delivered int64
	for _, n := range r.Fates {
		delivered += n
	}
	if delivered != int64(len(sink.events)) || r.Uncertain["events"] == 0 {
		t.Errorf("the report counts %d delivered and %d uncertain; the sink took %d", delivered, r.Uncertain["events"], len(sink.events))
	}
}
