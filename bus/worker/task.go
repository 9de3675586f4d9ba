package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/tributarydata/tributary/bus/metrics"
	"github.com/tributarydata/tributary/plugins/sdk"
)

// runner is the loop of one kind of task. run returns nil when ctx ended (a
// clean stop, after flushing and committing what it could) and an error when
// the task failed.
type runner interface {
	run(ctx context.Context) error
}

// task is one running task and the handles to steer it.
type task struct {
	id      TaskID
	kind    sdk.Type
	config  sdk.Config
	hash    string // of config and class, to spot config changes
	common  ConnectorConfig
	plugin  sdk.Plugin
	w       *Worker
	log     *slog.Logger
	metrics *metrics.Task
	gate    *pauseGate

	cancel context.CancelFunc
	done   chan struct{}

	// reportMu orders the task's own FAILED report against the worker's
	// RUNNING/PAUSED reports, so a failure is never overwritten.
	reportMu sync.Mutex
	failed   bool
}

// reportUnlessFailed reports state unless the task has failed.
func (t *task) reportUnlessFailed(state string) {
	t.reportMu.Lock()
	defer t.reportMu.Unlock()
	if !t.failed {
		t.w.reportTask(t.id, state, "")
	}
}

// hasFailed reports whether the task's loop ended in failure.
func (t *task) hasFailed() bool {
	t.reportMu.Lock()
	defer t.reportMu.Unlock()
	return t.failed
}

// pauseGate holds a task's loop while its connector is paused.
type pauseGate struct {
	mu     sync.Mutex
	paused bool
	resume chan struct{}
}

func newPauseGate(paused bool) *pauseGate {
	return &pauseGate{paused: paused, resume: make(chan struct{})}
}

func (g *pauseGate) set(paused bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.paused && !paused {
		close(g.resume)
		g.resume = make(chan struct{})
	}
	g.paused = paused
}

func (g *pauseGate) isPaused() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.paused
}

// wait blocks while paused; it reports false when ctx ended.
func (g *pauseGate) wait(ctx context.Context) bool {
	for {
		g.mu.Lock()
		paused, resume := g.paused, g.resume
		g.mu.Unlock()
		if !paused {
			return ctx.Err() == nil
		}
		select {
		case <-resume:
		case <-ctx.Done():
			return false
		}
	}
}

// start runs the task's loop in a goroutine and reports its states.
func (t *task) start(parent context.Context) {
	ctx, cancel := context.WithCancel(parent)
	t.cancel = cancel
	t.done = make(chan struct{})
	var r runner
	switch t.kind {
	case sdk.TypeSource:
		r = &sourceTask{task: t}
	case sdk.TypeSink:
		r = &sinkTask{task: t}
	case sdk.TypeTransform:
		r = &transformTask{task: t}
	}
	state := StateRunning
	if t.gate.isPaused() {
		state = StatePaused
	}
	t.w.reportTask(t.id, state, "")
	t.metrics.Starts.Inc()
	t.log.Info("task started")
	go func() {
		defer close(t.done)
		err := t.runSafely(ctx, r)
		if err != nil && ctx.Err() == nil && isFenced(err) {
			t.log.Warn("task fenced by a newer producer; waiting to be stopped", "err", err, "grace", fencedGrace)
			select {
			case <-ctx.Done():
				return // superseded, as expected: its successor reports
			case <-time.After(fencedGrace):
			}
		}
		if err != nil && ctx.Err() == nil {
			t.log.Error("task failed", "err", err)
			t.reportMu.Lock()
			t.failed = true
			t.w.reportTask(t.id, StateFailed, trace(err))
			t.reportMu.Unlock()
			return
		}
		if err != nil && !errors.Is(err, context.Canceled) {
			t.log.Warn("task stopped with error", "err", err)
		}
	}()
}

// runSafely turns a panic of a plugin into a task failure with its stack.
func (t *task) runSafely(ctx context.Context, r runner) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = &failure{err: fmt.Errorf("panic: %v", p), stack: debug.Stack()}
		}
	}()
	return r.run(ctx)
}
