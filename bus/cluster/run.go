package cluster

import (
	"context"
	"errors"
	"slices"
	"sync"
	"time"
)

// Handler is the worker's side of a membership.
type Handler interface {
	// Metadata is what the worker owns now: what it was assigned (it may
	// start it any moment), runs, or still stops.
	Metadata() Metadata
	// Assign computes the plan of a generation this worker leads.
	Assign(ctx context.Context, members []Joined) (Plan, error)
	// Apply makes the worker run its placement: it stops revoked units and
	// starts assigned ones. Once ctx is cancelled (the member was fenced
	// meanwhile), it must start nothing.
	Apply(ctx context.Context, plan Plan, me Placement)
	// Release stops every unit the worker runs, flushing what it can; reason
	// says why (shutting down, membership lost, coordinator unreachable). It
	// may run while Apply does, and must win: nothing runs after it.
	Release(reason string)
}

// ReasonShutdown is the reason Release is given when the worker stops.
const ReasonShutdown = "shutting down"

// Run keeps the member in the group until ctx ends, applying each
// generation's plan. A value on rejoin asks for a new generation (the
// leader's view of the units changed). When ctx ends, Run releases every
// unit with heartbeats still going, so that in-flight work is committed while
// the coordinator still counts the member, and then leaves the group so the
// others take over at once.
func (m *Member) Run(ctx context.Context, h Handler, rejoin <-chan struct{}) {
	defer m.shutdown(h)
	lastRefusal := ""
	for ctx.Err() == nil {
		drain(rejoin) // this join sees every change made so far
		plan, err := m.Join(ctx, h.Metadata(), h.Assign)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			switch {
			case errors.Is(err, ErrLost):
				h.Release("group membership lost: " + err.Error())
			case m.FenceDue():
				h.Release(m.noContact() + ": " + err.Error())
			}
			m.log.Warn("join group", "group", m.cfg.Group, "err", err)
			_ = sleep(ctx, min(m.cfg.HeartbeatInterval, time.Second))
			continue
		}
		memberID, gen := m.ID()
		me, _ := plan.For(memberID)
		if me.Error != lastRefusal {
			if me.Error != "" {
				m.log.Error("the group refused this worker; it runs nothing until the conflict is gone", "reason", me.Error)
			}
			lastRefusal = me.Error
		}
		m.log.Info("joined group", "group", m.cfg.Group, "generation", gen, "leader", plan.Leader,
			"members", len(plan.Workers), "assigned", len(me.Assigned), "revoked", len(me.Revoked))

		g := m.startGeneration(ctx, h)
		h.Apply(g.applyCtx, plan, me)
		m.await(ctx, h, me, rejoin, g)
		g.end()
	}
}

// generation runs a generation's heartbeats and fence watch.
type generation struct {
	events   chan error    // the latest heartbeat result
	fenced   chan struct{} // closed once the member released everything
	applyCtx context.Context
	end      func()
}

func (m *Member) startGeneration(ctx context.Context, h Handler) *generation {
	genCtx, cancel := context.WithCancel(ctx)
	applyCtx, stopApply := context.WithCancel(genCtx)
	g := &generation{events: make(chan error, 1), fenced: make(chan struct{}), applyCtx: applyCtx}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); m.heartbeats(genCtx, g.events) }()
	go func() {
		defer wg.Done()
		// The fence is watched on its own clock, not on heartbeat answers,
		// which may take long to fail, and also while Apply runs.
		t := time.NewTicker(min(m.cfg.HeartbeatInterval/2, 250*time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-genCtx.Done():
				return
			case <-t.C:
			}
			if m.FenceDue() {
				stopApply()
				h.Release(m.noContact())
				close(g.fenced)
				return
			}
		}
	}()
	g.end = func() {
		stopApply()
		cancel()
		wg.Wait()
	}
	return g
}

// await heartbeats in the current generation until something asks for a
// new one.
func (m *Member) await(ctx context.Context, h Handler, me Placement, rejoin <-chan struct{}, g *generation) {
	revoking := len(me.Revoked) > 0
	revokeDeadline := time.Now().Add(m.cfg.RebalanceTimeout / 2)
	poll := time.NewTicker(100 * time.Millisecond)
	defer poll.Stop()
	released := false
	for {
		if revoking && (!ownsAny(h.Metadata(), me.Revoked) || time.Now().After(revokeDeadline)) {
			// The revoked units stopped (or one is stuck, and stays listed
			// as owned, so nobody else gets it): rejoin so the next
			// generation can place them.
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-rejoin:
			if !revoking && !released {
				return
			}
		case <-g.fenced:
			released, revoking = true, false
		case err := <-g.events:
			switch {
			case err == nil:
				if released {
					// Back in touch after fencing: rejoin to get units again.
					return
				}
			case errors.Is(err, ErrRebalance):
				if !revoking {
					return
				}
			case errors.Is(err, ErrLost):
				h.Release("group membership lost: " + err.Error())
				return
			}
		case <-poll.C:
		}
	}
}

// noContact is the reason a member fences itself.
func (m *Member) noContact() string {
	return "no contact with the group coordinator for " + m.SinceContact().Round(time.Millisecond).String()
}

func ownsAny(meta Metadata, units []Unit) bool {
	for _, u := range units {
		if slices.Contains(meta.Owned, u) {
			return true
		}
	}
	return false
}

func drain[T any](ch <-chan T) {
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		default:
			return
		}
	}
}

// heartbeats sends heartbeats until ctx ends and keeps the latest result in
// events, never blocking on a reader that is busy.
func (m *Member) heartbeats(ctx context.Context, events chan error) {
	t := time.NewTicker(m.cfg.HeartbeatInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := m.Heartbeat(ctx)
		if ctx.Err() != nil {
			return
		}
		drain(events)
		events <- err
	}
}

// shutdown releases every unit while heartbeats go on, then leaves.
func (m *Member) shutdown(h Handler) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); m.heartbeats(ctx, make(chan error, 1)) }()
	h.Release(ReasonShutdown)
	cancel()
	<-done
	leaveCtx, cancelLeave := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancelLeave()
	if err := m.Leave(leaveCtx); err != nil {
		m.log.Warn("leave group", "err", err)
	}
}
