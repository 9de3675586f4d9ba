package worker_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tributarydata/tributary/bus/broker"
	"github.com/tributarydata/tributary/bus/broker/brokertest"
	"github.com/tributarydata/tributary/bus/worker"
	"github.com/tributarydata/tributary/bus/worker/workertest"
	"github.com/tributarydata/tributary/sources/datagen"
)

const testSession = 6 * time.Second // kfake's minimum group session

// clusterWorker starts a worker of group "c" on broker b.
func clusterWorker(ctx context.Context, t *testing.T, b *broker.Broker, id string, adjust func(*worker.Config)) *worker.Worker {
	t.Helper()
	cfg := worker.DefaultConfig()
	cfg.Kafka = brokertest.Client(b)
	cfg.Group = "c"
	cfg.ID = id
	cfg.Listen = "127.0.0.1:0"
	cfg.AdvertisedURL = "http://" + id
	cfg.SessionTimeout = testSession
	cfg.HeartbeatInterval = 500 * time.Millisecond
	cfg.OffsetFlushInterval = 300 * time.Millisecond
	if adjust != nil {
		adjust(&cfg)
	}
	return workertest.Start(ctx, t, cfg, datagen.Plugin)
}

func createGenerators(ctx context.Context, t *testing.T, w *worker.Worker, prefix string, n int) {
	t.Helper()
	for i := range n {
		name := fmt.Sprintf("%s-%d", prefix, i)
		if _, err := w.CreateConnector(ctx, name, map[string]string{
			"connector.class": datagen.Plugin.Class, "topic": name, "rate": "200", "batch.size": "50",
		}); err != nil {
			t.Fatal(err)
		}
	}
}

// overlapWatch samples what each worker runs and records any task running
// on two workers at once.
type overlapWatch struct {
	mu       sync.Mutex
	overlaps []string
	stop     chan struct{}
	done     chan struct{}
}

func watchOverlap(workers map[string]*worker.Worker) *overlapWatch {
	o := &overlapWatch{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(o.done)
		for {
			select {
			case <-o.stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
			where := map[worker.TaskID]string{}
			for id, w := range workers {
				for _, task := range w.Running() {
					if other, dup := where[task]; dup {
						o.mu.Lock()
						o.overlaps = append(o.overlaps, fmt.Sprintf("%v on %s and %s", task, other, id))
						o.mu.Unlock()
					}
					where[task] = id
				}
			}
		}
	}()
	return o
}

func (o *overlapWatch) check(t *testing.T) {
	t.Helper()
	close(o.stop)
	<-o.done
	if len(o.overlaps) > 0 {
		t.Fatalf("tasks ran on two workers at once: %v", o.overlaps[:min(5, len(o.overlaps))])
	}
}

// waitRunning waits until the workers run the given numbers of tasks.
func waitRunning(t *testing.T, within time.Duration, want map[*worker.Worker]int) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ok := true
		var state []string
		for w, n := range want {
			running := w.Running()
			ok = ok && len(running) == n
			state = append(state, fmt.Sprintf("%s runs %d, want %d", w.Config().ID, len(running), n))
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %v", within, state)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestPartitionedWorkerNeverRunsTasksAnotherOwns cuts a worker off the
// group's coordinator for 30 s. It must stop its tasks before its session
// can expire, the other worker takes them over, and when it comes back it
// rejoins and gets its share again; at no moment does a task run twice.
func TestPartitionedWorkerNeverRunsTasksAnotherOwns(t *testing.T) {
	ctx := context.Background()
	b := brokertest.Start(t)
	a := clusterWorker(ctx, t, b, "a", nil)
	dial := &brokertest.Partition{}
	p := clusterWorker(ctx, t, b, "p", func(c *worker.Config) { c.Dial = dial.Dial })
	watch := watchOverlap(map[string]*worker.Worker{"a": a, "p": p})
	createGenerators(ctx, t, a, "gen", 4)
	waitRunning(t, 30*time.Second, map[*worker.Worker]int{a: 2, p: 2})

	dial.Cut()
	cut := time.Now()
	waitRunning(t, testSession+5*time.Second, map[*worker.Worker]int{a: 4, p: 0})
	t.Logf("the survivor runs every task %v after the partition began", time.Since(cut).Round(time.Millisecond))
	time.Sleep(30*time.Second - time.Since(cut))
	if n := len(p.Running()); n != 0 {
		t.Fatalf("the partitioned worker runs %d tasks", n)
	}
	dial.Heal()
	waitRunning(t, 30*time.Second, map[*worker.Worker]int{a: 2, p: 2})
	watch.check(t)
}

// TestConfigWrittenDuringARebalance creates connectors while a worker joins
// and another leaves; every task ends up running once, spread evenly.
func TestConfigWrittenDuringARebalance(t *testing.T) {
	ctx := context.Background()
	b := brokertest.Start(t)
	a := clusterWorker(ctx, t, b, "a", nil)
	createGenerators(ctx, t, a, "first", 2)
	leaving := clusterWorker(ctx, t, b, "leaving", nil)
	waitRunning(t, 30*time.Second, map[*worker.Worker]int{a: 1, leaving: 1})

	workers := map[string]*worker.Worker{"a": a, "leaving": leaving}
	var joined *worker.Worker
	started := make(chan struct{})
	go func() {
		defer close(started)
		joined = clusterWorker(ctx, t, b, "joined", nil)
	}()
	createGenerators(ctx, t, a, "during", 4)
	<-started
	leaving.Close()
	if _, _, err := a.PutConnectorConfig(ctx, "during-0", map[string]string{
		"connector.class": datagen.Plugin.Class, "topic": "during-0", "rate": "100",
	}); err != nil {
		t.Fatal(err)
	}
	workers = map[string]*worker.Worker{"a": a, "joined": joined}
	watch := watchOverlap(workers)
	waitRunning(t, 30*time.Second, map[*worker.Worker]int{a: 3, joined: 3})
	watch.check(t)
}

// TestSkewedClockWorker runs a worker whose wall clock is an hour ahead: it
// takes part like any other, its heartbeats are judged by the reader's
// clock, and the skew is shown.
func TestSkewedClockWorker(t *testing.T) {
	ctx := context.Background()
	b := brokertest.Start(t)
	a := clusterWorker(ctx, t, b, "a", nil)
	skewed := clusterWorker(ctx, t, b, "skewed", func(c *worker.Config) {
		c.Now = func() time.Time { return time.Now().Add(time.Hour) }
	})
	createGenerators(ctx, t, a, "gen", 2)
	waitRunning(t, 30*time.Second, map[*worker.Worker]int{a: 1, skewed: 1})
	deadline := time.Now().Add(10 * time.Second)
	for {
		ws, err := a.Workers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var seen *worker.WorkerInfo
		for i := range ws {
			if ws[i].ID == "skewed" {
				seen = &ws[i]
			}
		}
		if seen != nil && seen.LastHeartbeat != 0 {
			if d := time.Duration(seen.ClockSkewMs) * time.Millisecond; d < 59*time.Minute || d > 61*time.Minute {
				t.Fatalf("clock skew shown as %v, want about 1h", d)
			}
			if age := time.Duration(seen.HeartbeatAgeMs) * time.Millisecond; age > 5*time.Second {
				t.Fatalf("heartbeat age %v: the skewed worker looks stale", age)
			}
			if len(seen.Tasks) != 1 {
				t.Fatalf("the skewed worker holds %v", seen.Tasks)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no heartbeat of the skewed worker in %+v", ws)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
