package cluster

import (
	"context"
	"log/slog"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tributarydata/tributary/bus/broker/brokertest"
)

// ledger records which worker runs each unit, and fails the test the moment
// a unit would run on two workers at once.
type ledger struct {
	t     *testing.T
	mu    sync.Mutex
	owner map[Unit]string
}

func (l *ledger) claim(u Unit, w string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if o, ok := l.owner[u]; ok && o != w {
		l.t.Errorf("%v started on %s while %s still runs it", u, w, o)
	}
	l.owner[u] = w
}

func (l *ledger) release(u Unit, w string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.owner[u] == w {
		delete(l.owner, u)
	}
}

func (l *ledger) holdings() map[string]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]int{}
	for _, w := range l.owner {
		out[w]++
	}
	return out
}

// fakeWorker runs units by writing them into the ledger.
type fakeWorker struct {
	id     string
	units  []Unit
	ledger *ledger

	mu       sync.Mutex
	owned    map[Unit]bool
	released []string
}

func (f *fakeWorker) Metadata() Metadata {
	f.mu.Lock()
	defer f.mu.Unlock()
	var owned []Unit
	for u := range f.owned {
		owned = append(owned, u)
	}
	return Metadata{WorkerID: f.id, URL: "http://" + f.id, Owned: owned}
}

func (f *fakeWorker) Assign(_ context.Context, members []Joined) (Plan, error) {
	plan := Assign(members, f.units)
	plan.Leader = f.id
	return plan, nil
}

func (f *fakeWorker) Apply(_ context.Context, _ Plan, me Placement) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, u := range me.Revoked {
		delete(f.owned, u)
		f.ledger.release(u, f.id)
	}
	for u := range f.owned {
		if !slices.Contains(me.Assigned, u) {
			delete(f.owned, u)
			f.ledger.release(u, f.id)
		}
	}
	for _, u := range me.Assigned {
		if !f.owned[u] {
			f.ledger.claim(u, f.id)
			f.owned[u] = true
		}
	}
}

func (f *fakeWorker) Release(reason string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for u := range f.owned {
		f.ledger.release(u, f.id)
	}
	f.owned = map[Unit]bool{}
	f.released = append(f.released, reason)
}

type harness struct {
	t      *testing.T
	addr   string
	group  string
	units  []Unit
	ledger *ledger
}

func newHarness(t *testing.T, units []Unit) *harness {
	b := brokertest.Start(t)
	return &harness{t: t, addr: b.Addr(), group: "g-" + t.Name(), units: units, ledger: &ledger{t: t, owner: map[Unit]string{}}}
}

// start runs a member until the returned stop is called (a clean leave).
func (h *harness) start(id string, dial *brokertest.Partition) (*fakeWorker, *Member, func()) {
	f := &fakeWorker{id: id, units: h.units, ledger: h.ledger, owned: map[Unit]bool{}}
	cfg := Config{Brokers: []string{h.addr}, ClientID: id, Group: h.group, SessionTimeout: 6 * time.Second,
		HeartbeatInterval: 500 * time.Millisecond, RebalanceTimeout: 20 * time.Second,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})).With("worker", id)}
	if dial != nil {
		cfg.Dial = dial.Dial
	}
	m, err := NewMember(cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		m.Run(ctx, f, nil)
	}()
	stop := func() {
		cancel()
		<-done
		m.Close()
	}
	h.t.Cleanup(func() {
		select {
		case <-done:
		default:
			stop()
		}
	})
	return f, m, stop
}

// waitHoldings waits until the workers hold the given numbers of units, in
// any order among them.
func (h *harness) waitHoldings(want map[string]int, within time.Duration) time.Duration {
	h.t.Helper()
	start := time.Now()
	for {
		got := h.ledger.holdings()
		if sameCounts(got, want) {
			return time.Since(start)
		}
		if time.Since(start) > within {
			h.t.Fatalf("holdings %v, want %v after %v", got, want, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sameCounts compares the multisets of counts: which worker leads (and so
// which holds the odd connector) is up to the coordinator.
func sameCounts(got, want map[string]int) bool {
	if len(got) != len(want) {
		return false
	}
	var g, w []int
	for k, n := range got {
		if _, ok := want[k]; !ok {
			return false
		}
		g = append(g, n)
	}
	for _, n := range want {
		w = append(w, n)
	}
	slices.Sort(g)
	slices.Sort(w)
	return slices.Equal(g, w)
}

func TestMembersSpreadUnitsAndHandOverOnLeave(t *testing.T) {
	h := newHarness(t, append(connector("a", 3), connector("b", 3)...))
	h.start("w1", nil)
	h.waitHoldings(map[string]int{"w1": 8}, 20*time.Second)
	_, _, stop2 := h.start("w2", nil)
	h.waitHoldings(map[string]int{"w1": 4, "w2": 4}, 30*time.Second)
	// A clean leave hands over at once, not after the session timeout.
	stop2()
	took := h.waitHoldings(map[string]int{"w1": 8}, 5*time.Second)
	t.Logf("handover after a clean leave took %v", took)
}

func TestSilentMemberIsReplacedAfterItsSession(t *testing.T) {
	h := newHarness(t, connector("a", 4))
	h.start("w1", nil)
	dial := &brokertest.Partition{}
	w2, m2, _ := h.start("w2", dial)
	h.waitHoldings(map[string]int{"w1": 3, "w2": 2}, 30*time.Second)

	// w2 loses the broker but keeps running: it must stop its units before
	// w1 may take them.
	dial.Cut()
	cut := time.Now()
	h.waitHoldings(map[string]int{"w1": 5}, m2.Config().SessionTimeout+10*time.Second)
	t.Logf("w1 holds everything %v after w2 was cut off (session timeout %v)", time.Since(cut), m2.Config().SessionTimeout)
	w2.mu.Lock()
	reasons := slices.Clone(w2.released)
	w2.mu.Unlock()
	if len(reasons) == 0 {
		t.Fatal("w2 never released its units while partitioned")
	}
	t.Logf("w2 released: %q", reasons[0])

	// Back after 2 session timeouts: it rejoins and gets its share again,
	// never running a unit w1 runs (the ledger checks every claim).
	time.Sleep(2*m2.Config().SessionTimeout - time.Since(cut))
	dial.Heal()
	h.waitHoldings(map[string]int{"w1": 3, "w2": 2}, 30*time.Second)
}
