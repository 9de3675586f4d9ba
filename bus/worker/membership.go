package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/tributarydata/tributary/bus/cluster"
	"github.com/tributarydata/tributary/bus/kvlog"
)

// This file joins the worker to its cluster: the group member's callbacks,
// the placement the worker runs, heartbeats in the status topic and restart
// requests that reach the worker owning a task.

// membership is the worker's side of the group protocol (cluster.Handler).
type membership struct{ w *Worker }

// Metadata lists what the worker was assigned (a reconcile pass may start
// it any moment), runs, or still stops, so the leader neither moves it away
// needlessly nor hands it to another worker too early.
func (m membership) Metadata() cluster.Metadata {
	w := m.w
	w.mu.Lock()
	defer w.mu.Unlock()
	owned := maps.Clone(w.mine)
	for _, tasks := range []map[TaskID]*task{w.tasks, w.stopping} {
		for id := range tasks {
			owned[cluster.TaskUnit(id.Connector, id.Task)] = true
		}
	}
	return cluster.Metadata{WorkerID: w.cfg.ID, URL: w.cfg.AdvertisedURL, Owned: slices.Collect(maps.Keys(owned))}
}

// Assign places every unit the configs ask for; only the leader calls it.
func (m membership) Assign(ctx context.Context, members []cluster.Joined) (cluster.Plan, error) {
	w := m.w
	// Bounded well under the session: the other members wait meanwhile.
	syncCtx, cancel := context.WithTimeout(ctx, w.cfg.SessionTimeout/3)
	defer cancel()
	if err := w.configs.Sync(syncCtx); err != nil {
		return cluster.Plan{}, fmt.Errorf("read the configs topic: %w", err)
	}
	plan := cluster.Assign(members, w.desired(w.connectorConfigs()).units())
	plan.Leader, plan.LeaderURL = w.cfg.ID, w.cfg.AdvertisedURL
	return plan, nil
}

// Apply runs the worker's placement of a new generation.
func (m membership) Apply(ctx context.Context, plan cluster.Plan, me cluster.Placement) {
	w := m.w
	// The leader placed what its view of the configs held; catch up with
	// it before starting anything, so no task starts with an older config.
	syncCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	if err := w.configs.Sync(syncCtx); err != nil {
		w.log.Warn("read the configs topic before applying the assignment", "err", err)
	}
	cancel()
	mine := map[cluster.Unit]bool{}
	if me.Error == "" {
		for _, u := range me.Assigned {
			mine[u] = true
		}
	}
	w.mu.Lock()
	if ctx.Err() != nil {
		// Fenced while catching up: Release has the last word.
		w.mu.Unlock()
		return
	}
	w.groupPlan, w.placed = plan, true
	w.mine = mine
	w.refusal = me.Error
	w.mu.Unlock()
	// A rejoin asked for while this generation formed compared the configs
	// with the previous plan; the pass below compares them with this one.
	select {
	case <-w.rejoin:
	default:
	}
	w.reconcile()
}

// Release stops every task of the worker at once. It does not wait for a
// reconcile pass that may be running: it takes the placement away, which a
// pass checks before starting anything, and cancels every task itself.
func (m membership) Release(reason string) {
	w := m.w
	w.mu.Lock()
	w.mine = map[cluster.Unit]bool{}
	var stop []*task
	for id, t := range w.tasks {
		stop = append(stop, t)
		delete(w.tasks, id)
		w.stopping[id] = t
	}
	w.mu.Unlock()
	switch {
	case len(stop) == 0:
	case reason == cluster.ReasonShutdown:
		w.log.Info("stopping every task of this worker", "tasks", len(stop), "reason", reason)
	default:
		w.log.Warn("stopping every task of this worker", "tasks", len(stop), "reason", reason)
	}
	w.stopTasks(stop)
	w.poke()
}

// Running lists the tasks this worker runs now, including those still
// stopping (flushing and committing), sorted.
func (w *Worker) Running() []TaskID {
	w.mu.Lock()
	ids := map[TaskID]bool{}
	for _, tasks := range []map[TaskID]*task{w.tasks, w.stopping} {
		for id := range tasks {
			ids[id] = true
		}
	}
	w.mu.Unlock()
	out := slices.Collect(maps.Keys(ids))
	sortTaskIDs(out)
	return nonNilTasks(out)
}

// requestRejoinIfStale asks for a new generation when this worker leads and
// the configs now ask for other units than its plan placed: a connector
// created or deleted, a task count changed, also when the change came in
// while the last rebalance was running.
func (w *Worker) requestRejoinIfStale(want desiredState) {
	w.mu.Lock()
	stale := w.placed && w.groupPlan.Leader == w.cfg.ID && w.refusal == "" && !slices.Equal(w.groupPlan.Units, want.units())
	w.mu.Unlock()
	if stale {
		select {
		case w.rejoin <- struct{}{}:
		default:
		}
	}
}

// heartbeatKeyPrefix keys a worker's heartbeat in the status topic.
const heartbeatKeyPrefix = "worker-"

type heartbeatRecord struct {
	URL        string   `json:"url"`
	Tasks      []TaskID `json:"tasks"`
	Generation int32    `json:"generation"`
	Time       int64    `json:"time_ms"` // the writer's wall clock
}

// sighting is when this worker saw another's heartbeat, by its own clocks,
// so a writer's skewed clock cannot make it look alive or dead.
type sighting struct {
	at      time.Time // local, with the monotonic reading
	claimed int64     // the writer's time_ms
}

// writeHeartbeat publishes this worker's heartbeat in the status topic.
func (w *Worker) writeHeartbeat() {
	w.mu.Lock()
	tasks := slices.Collect(maps.Keys(w.tasks))
	w.mu.Unlock()
	sortTaskIDs(tasks)
	_, gen := w.member.ID()
	data, _ := json.Marshal(heartbeatRecord{URL: w.cfg.AdvertisedURL, Tasks: nonNilTasks(tasks), Generation: gen, Time: w.cfg.Now().UnixMilli()})
	w.writeStatus(heartbeatKeyPrefix+w.cfg.ID, data)
}

// onStatusUpdate notes heartbeats as they arrive.
func (w *Worker) onStatusUpdate(u kvlog.Update) {
	id, ok := strings.CutPrefix(u.Key, heartbeatKeyPrefix)
	if !ok {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if u.Value == nil {
		delete(w.seen, id)
		return
	}
	var rec heartbeatRecord
	if json.Unmarshal(u.Value, &rec) != nil {
		return
	}
	w.seen[id] = sighting{at: time.Now(), claimed: rec.Time}
}

// Keys of restart requests in the configs topic. A worker acts on the ones
// written while it runs, for the tasks it owns, so a restart asked of any
// worker reaches the one running the task.
const restartKeyPrefix = "restart-connector-"

type restartRecord struct {
	IncludeTasks bool `json:"include-tasks"`
	OnlyFailed   bool `json:"only-failed"`
	// Task, when set, restarts that task alone.
	Task *int `json:"task,omitempty"`
	// Nonce makes every request a new record.
	Nonce int64 `json:"nonce"`
}

func (w *Worker) requestRestart(ctx context.Context, name string, req restartRecord) error {
	req.Nonce = time.Now().UnixNano()
	data, _ := json.Marshal(req)
	return w.configs.Put(ctx, restartKeyPrefix+name, data)
}

// onConfigUpdate reacts to the configs topic: restart requests, then a
// reconcile pass for everything else.
func (w *Worker) onConfigUpdate(u kvlog.Update) {
	defer w.poke()
	name, ok := strings.CutPrefix(u.Key, restartKeyPrefix)
	if !ok || u.Value == nil || !w.configsLive.Load() {
		return
	}
	var req restartRecord
	if json.Unmarshal(u.Value, &req) != nil {
		return
	}
	w.mu.Lock()
	var candidates []*task
	for id, t := range w.tasks {
		if id.Connector == name && (req.Task == nil && req.IncludeTasks || req.Task != nil && *req.Task == id.Task) {
			candidates = append(candidates, t)
		}
	}
	ownsConnector := w.mine[cluster.ConnectorUnit(name)]
	w.mu.Unlock()
	// hasFailed waits for a task's status write, which waits for the status
	// reader, which takes w.mu: so it is asked without holding w.mu.
	var restart []TaskID
	for _, t := range candidates {
		if !req.OnlyFailed || t.hasFailed() {
			restart = append(restart, t.id)
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, id := range restart {
		w.restarts[id] = true
	}
	if req.Task == nil && ownsConnector {
		// The connector holds no resources of its own: its restart is the
		// next pass, which plans its tasks anew and reports it again.
		w.connRestarts[name] = true
	}
}

func sortTaskIDs(ids []TaskID) {
	slices.SortFunc(ids, func(a, b TaskID) int {
		return cluster.CompareUnits(cluster.TaskUnit(a.Connector, a.Task), cluster.TaskUnit(b.Connector, b.Task))
	})
}

func nonNilTasks(ids []TaskID) []TaskID {
	if ids == nil {
		return []TaskID{}
	}
	return ids
}
