package gen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"
)

// EventSink delivers app events, as the collector takes them.
type EventSink interface {
	// Send delivers events, in order, retrying what may be retried, and
	// returns once all of them are delivered; or the reason they may not
	// be, when it gives up or ctx ends.
	Send(ctx context.Context, events []Event) (Sent, error)
}

// Sent is how a delivery went.
type Sent struct {
	// Resent says an attempt of unknown outcome (a 503, a timeout, a
	// broken connection) was followed by another: some events may have
	// arrived twice.
	Resent bool
	// Refused is how many lines the receiver refused as invalid.
	Refused int
}

// RowSink writes changes to the business database.
type RowSink interface {
	// Write commits rows, in order, all or none.
	Write(ctx context.Context, rows []Row) error
}

// TransportCounter is an EventSink that counts its attempts, for progress
// lines and the report.
type TransportCounter interface {
	Transport() Transport
}

// Options are how Run reports and batches; none of them changes the stream.
type Options struct {
	// Progress receives a line every ProgressEvery (wall time) and the
	// summary at the end; nil prints nothing.
	Progress      io.Writer
	ProgressEvery time.Duration
	// MaxBatchEvents and MaxBatchBytes bound one Send: steps are merged up
	// to them (a step larger than that is split).
	MaxBatchEvents int
	MaxBatchBytes  int
}

// queued is how many steps may wait for the writers before the simulated
// clock stops to let them catch up.
const queued = 16

// Run plays the school day of cfg: each step's events go to events, its
// rows to rows (nil: not written), when the simulated clock, paced by
// cfg.Speedup, reaches the step's end. It returns when the duration is
// played and delivered, when ctx ends (not an error: the report says how
// far it got), or when a sink fails.
func Run(ctx context.Context, cfg Config, events EventSink, rows RowSink, opts Options) (Report, error) {
	if opts.MaxBatchEvents <= 0 {
		opts.MaxBatchEvents = 2000
	}
	if opts.MaxBatchBytes <= 0 {
		opts.MaxBatchBytes = 512 << 10
	}
	if opts.ProgressEvery <= 0 {
		opts.ProgressEvery = 5 * time.Second
	}
	g, err := New(cfg)
	if err != nil {
		return Report{}, err
	}
	cfg = g.cfg
	tl := newTally(cfg)
	stop, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	var eventsAt, rowsAt atomic.Int64 // simulated ms the writers delivered up to
	eventsAt.Store(cfg.Start.UnixMilli())
	rowsAt.Store(cfg.Start.UnixMilli())
	var generated atomic.Int64
	generated.Store(cfg.Start.UnixMilli())

	evCh := make(chan Tick, queued)
	var rowCh chan Tick
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := writeEvents(stop, events, evCh, tl, &eventsAt, opts); err != nil {
			cancel(err)
		}
	})
	if rows != nil {
		rowCh = make(chan Tick, queued)
		wg.Go(func() {
			if err := writeRows(stop, rows, rowCh, tl, &rowsAt); err != nil {
				cancel(err)
			}
		})
	}
	progressDone := make(chan struct{})
	var progressWG sync.WaitGroup
	if opts.Progress != nil {
		progressWG.Go(func() { printProgress(opts, cfg, events, tl, &generated, progressDone) })
	}

	wall0 := time.Now()
play:
	for !g.Done() {
		tick := g.Next()
		if cfg.Speedup > 0 {
			due := wall0.Add(time.Duration(float64(tick.At.Sub(cfg.Start)) / cfg.Speedup))
			if !sleepUntil(stop, due) {
				break
			}
		}
		generated.Store(tick.At.UnixMilli())
		select {
		case evCh <- tick:
		case <-stop.Done():
			break play
		}
		if rowCh != nil {
			select {
			case rowCh <- tick:
			case <-stop.Done():
				break play
			}
		}
	}
	close(evCh)
	if rowCh != nil {
		close(rowCh)
	}
	wg.Wait()
	close(progressDone)
	progressWG.Wait()

	r := tl.report()
	reached := eventsAt.Load()
	if rows != nil {
		reached = min(reached, rowsAt.Load())
	}
	r.Reached = time.UnixMilli(reached).In(cfg.Start.Location())
	end := cfg.End()
	r.Complete = !end.IsZero() && !r.Reached.Before(end)
	if tc, ok := events.(TransportCounter); ok {
		r.Transport = tc.Transport()
	}
	r.Transport.RefusedMismatch = tl.refusedMismatch.Load()
	if opts.Progress != nil {
		fmt.Fprint(opts.Progress, Summary(&r))
	}
	err = context.Cause(stop)
	if err == nil || errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return r, nil // the duration played out, or the caller stopped the run
	}
	return r, err
}

func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err() == nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// writeEvents sends the steps' events, merging steps that queued up into
// batches of opts' bounds, and counts what was delivered.
func writeEvents(ctx context.Context, sink EventSink, ch <-chan Tick, tl *tally, at *atomic.Int64, opts Options) error {
	var buf []Event
	for {
		tick, ok := nextTick(ctx, ch)
		if !ok {
			return nil
		}
		buf = append(buf[:0], tick.Events...)
		last := tick.At
		size := lineBytes(buf)
	merge:
		for len(buf) < opts.MaxBatchEvents && size < opts.MaxBatchBytes {
			select {
			case more, ok := <-ch:
				if !ok {
					break merge
				}
				buf = append(buf, more.Events...)
				size += lineBytes(more.Events)
				last = more.At
			default:
				break merge
			}
		}
		for rest := buf; len(rest) > 0; {
			n, partBytes := 0, 0
			for n < len(rest) && (n == 0 || n < opts.MaxBatchEvents && partBytes+len(rest[n].Line)+1 <= opts.MaxBatchBytes) {
				partBytes += len(rest[n].Line) + 1
				n++
			}
			part := rest[:n]
			rest = rest[n:]
			sent, err := sink.Send(ctx, part)
			if err != nil {
				tl.unconfirmed(part)
				if ctx.Err() != nil {
					return nil
				}
				return fmt.Errorf("send events: %w", err)
			}
			if want := refused(part); sent.Refused != want {
				tl.refusedMismatch.Add(1)
			}
			tl.events(part, sent.Resent)
		}
		tl.reached(last)
		at.Store(last.UnixMilli())
	}
}

// nextTick waits for the next step; false when the steps are over or ctx
// ended, both of which end a writer without an error.
func nextTick(ctx context.Context, ch <-chan Tick) (Tick, bool) {
	select {
	case tick, ok := <-ch:
		return tick, ok
	case <-ctx.Done():
		return Tick{}, false
	}
}

func lineBytes(evs []Event) int {
	n := 0
	for i := range evs {
		n += len(evs[i].Line) + 1
	}
	return n
}

func refused(evs []Event) int {
	n := 0
	for i := range evs {
		if evs[i].Refused {
			n++
		}
	}
	return n
}

// writeRows commits each step's rows and counts them.
func writeRows(ctx context.Context, sink RowSink, ch <-chan Tick, tl *tally, at *atomic.Int64) error {
	for {
		tick, ok := nextTick(ctx, ch)
		if !ok {
			return nil
		}
		if len(tick.Rows) > 0 {
			if err := sink.Write(ctx, tick.Rows); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return fmt.Errorf("write rows: %w", err)
			}
			tl.rowsWritten(tick.Rows)
		}
		at.Store(tick.At.UnixMilli())
	}
}
