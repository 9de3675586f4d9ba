package worker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	ckafka "github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/tributarydata/tributary/bus/cluster"
	"github.com/tributarydata/tributary/bus/kvlog"
	"github.com/tributarydata/tributary/bus/metrics"
	"github.com/tributarydata/tributary/plugins/sdk"
)

// Version is the worker's version, reported by GET /.
var Version = "0.1.0"

// Commit is the source revision, set at build time with -ldflags.
var Commit = "dev"

// Worker runs connectors and answers the REST API.
type Worker struct {
	cfg     Config
	plugins *Registry
	log     *slog.Logger
	metrics *metrics.Metrics

	configs  *kvlog.Log
	statuses *kvlog.Log
	offsets  *kvlog.Log
	admin    *ckafka.AdminClient

	clusterID string
	started   time.Time

	ctx        context.Context
	cancel     context.CancelFunc
	wake       chan struct{}
	loopDone   chan struct{}
	member     *cluster.Member
	memberDone chan struct{}
	rejoin     chan struct{}
	// configsLive is set once the configs topic was replayed: restart
	// requests read after that are new.
	configsLive atomic.Bool
	closeOnce   sync.Once
	// reconcileMu makes reconcile passes (from config changes and from the
	// group's assignments) run one at a time.
	reconcileMu sync.Mutex

	mu           sync.Mutex
	tasks        map[TaskID]*task
	stopping     map[TaskID]*task        // stopped but not yet done flushing and committing
	taskCfgs     map[string][]sdk.Config // per connector, as last split
	restarts     map[TaskID]bool
	connRestarts map[string]bool
	ready        bool
	// The cluster's latest plan and this worker's part of it.
	groupPlan cluster.Plan
	placed    bool // a plan arrived
	mine      map[cluster.Unit]bool
	refusal   string              // why the group refused this worker, if it did
	seen      map[string]sighting // heartbeats of the workers, by worker id
}

// New makes a worker; Start connects it.
func New(cfg Config, plugins *Registry, log *slog.Logger, m *metrics.Metrics) (*Worker, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	if m == nil {
		m = metrics.New()
	}
	return &Worker{
		cfg: cfg, plugins: plugins, log: log.With("worker", cfg.ID), metrics: m,
		tasks: map[TaskID]*task{}, stopping: map[TaskID]*task{}, taskCfgs: map[string][]sdk.Config{},
		restarts: map[TaskID]bool{}, connRestarts: map[string]bool{}, mine: map[cluster.Unit]bool{}, seen: map[string]sighting{},
		wake: make(chan struct{}, 1), loopDone: make(chan struct{}), memberDone: make(chan struct{}), rejoin: make(chan struct{}, 1),
	}, nil
}

// Config returns the worker's effective config.
func (w *Worker) Config() Config { return w.cfg }

// Start opens the internal topics, replays them and joins the cluster, which
// assigns the worker its share of the connectors and tasks.
func (w *Worker) Start(ctx context.Context) error {
	w.started = time.Now()
	w.ctx, w.cancel = context.WithCancel(context.WithoutCancel(ctx))
	var err error
	if w.admin, w.clusterID, err = w.reachCluster(ctx); err != nil {
		return fmt.Errorf("reach Kafka at %s: %w", w.cfg.Kafka.Bootstrap(), err)
	}
	open := func(topic string, partitions int, onUpdate func(kvlog.Update)) (*kvlog.Log, error) {
		return kvlog.Open(ctx, kvlog.Config{Topic: topic, Partitions: partitions, Client: w.cfg.Kafka, OnUpdate: onUpdate, Logger: w.log})
	}
	if w.offsets, err = open(w.cfg.OffsetTopic, 5, nil); err != nil {
		return err
	}
	if w.statuses, err = open(w.cfg.StatusTopic, 5, w.onStatusUpdate); err != nil {
		return err
	}
	if w.configs, err = open(w.cfg.ConfigTopic, 1, w.onConfigUpdate); err != nil {
		return err
	}
	w.configsLive.Store(true)
	if w.member, err = cluster.NewMember(cluster.Config{
		Brokers: strings.Split(w.cfg.Kafka.Bootstrap(), ","), ClientID: w.cfg.Kafka.Common["client.id"], Group: w.cfg.Group,
		SessionTimeout: w.cfg.SessionTimeout, HeartbeatInterval: w.cfg.HeartbeatInterval, RebalanceTimeout: w.cfg.RebalanceTimeout,
		Logger: w.log, Security: w.cfg.Kafka.Common, Dial: w.cfg.Dial,
	}); err != nil {
		return err
	}
	go w.loop()
	go func() {
		defer close(w.memberDone)
		w.member.Run(w.ctx, membership{w}, w.rejoin)
	}()
	w.poke()
	w.mu.Lock()
	w.ready = true
	w.mu.Unlock()
	w.log.Info("worker started", "group", w.cfg.Group, "kafka", w.cfg.Kafka.Bootstrap(), "cluster", w.clusterID)
	return nil
}

// Close stops every task, letting each flush and commit, then leaves the
// group, so the other workers take the tasks over at once.
func (w *Worker) Close() {
	w.closeOnce.Do(w.close)
}

func (w *Worker) close() {
	if w.cancel == nil {
		return
	}
	w.cancel()
	if w.member != nil {
		<-w.memberDone
		w.member.Close()
		<-w.loopDone
		// Gone, not silent: the workers list drops it at once.
		w.writeStatus(heartbeatKeyPrefix+w.cfg.ID, nil)
	}
	for _, l := range []*kvlog.Log{w.configs, w.statuses, w.offsets} {
		if l != nil {
			l.Close()
		}
	}
	if w.admin != nil {
		w.admin.Close()
	}
}

// Metrics returns the worker's metrics.
func (w *Worker) Metrics() *metrics.Metrics { return w.metrics }

// poke asks the reconcile loop to run.
func (w *Worker) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// loop reconciles running tasks with the configs topic when it changes and
// heartbeats into the status topic. Stopping the tasks at shutdown is the
// group member's job (it keeps the membership alive meanwhile).
func (w *Worker) loop() {
	defer close(w.loopDone)
	beat := time.NewTicker(max(w.cfg.HeartbeatInterval, 2*time.Second))
	defer beat.Stop()
	for {
		select {
		case <-w.ctx.Done():
			return
		case <-w.wake:
			w.reconcile()
		case <-beat.C:
			w.writeHeartbeat()
		}
	}
}

// desiredTask is a task the configs say should run.
type desiredTask struct {
	config sdk.Config
	hash   string
	paused bool
	plugin sdk.Plugin
	common ConnectorConfig
}

// connectorState is what a connector's owner reports for it.
type connectorState struct{ state, trace string }

// desiredState is what the configs topic asks the whole cluster to run.
type desiredState struct {
	connectors map[string]connectorState
	tasks      map[TaskID]desiredTask
	splits     map[string][]sdk.Config
}

// units lists the connectors and tasks to place, sorted.
func (d desiredState) units() []cluster.Unit {
	out := make([]cluster.Unit, 0, len(d.connectors)+len(d.tasks))
	for name := range d.connectors {
		out = append(out, cluster.ConnectorUnit(name))
	}
	for id := range d.tasks {
		out = append(out, cluster.TaskUnit(id.Connector, id.Task))
	}
	cluster.SortUnits(out)
	return out
}

// desired plans every connector of the configs into its tasks.
func (w *Worker) desired(configs map[string]map[string]string) desiredState {
	d := desiredState{connectors: map[string]connectorState{}, tasks: map[TaskID]desiredTask{}, splits: map[string][]sdk.Config{}}
	for name, props := range configs {
		target := w.targetState(name)
		plugin, common, tasks, err := w.plan(props)
		if err != nil {
			d.connectors[name] = connectorState{StateFailed, trace(err)}
			continue
		}
		if target == TargetStopped {
			// A stopped connector has no tasks, as in Kafka Connect.
			d.connectors[name] = connectorState{StateStopped, ""}
			continue
		}
		d.splits[name] = tasks
		d.connectors[name] = connectorState{StateRunning, ""}
		if target == TargetPaused {
			d.connectors[name] = connectorState{StatePaused, ""}
		}
		for i, tc := range tasks {
			d.tasks[TaskID{name, i}] = desiredTask{config: tc, hash: hashConfig(plugin.Class, tc), paused: target == TargetPaused, plugin: plugin, common: common}
		}
	}
	return d
}

// reconcile makes the tasks this worker runs match its placement and the
// configs: it stops what is no longer its own or changed, and starts the rest.
func (w *Worker) reconcile() {
	w.reconcileMu.Lock()
	defer w.reconcileMu.Unlock()
	configs := w.connectorConfigs()
	want := w.desired(configs)

	w.mu.Lock()
	w.taskCfgs = want.splits
	mine := maps.Clone(w.mine)
	connRestarts := w.connRestarts
	w.connRestarts = map[string]bool{}
	leader := w.placed && w.groupPlan.Leader == w.cfg.ID
	w.mu.Unlock()

	for _, name := range slices.Sorted(maps.Keys(want.connectors)) {
		if !mine[cluster.ConnectorUnit(name)] {
			continue
		}
		if connRestarts[name] {
			w.reportConnector(name, StateRestarting, "")
		}
		st := want.connectors[name]
		w.reportConnector(name, st.state, st.trace)
	}
	desired := map[TaskID]desiredTask{}
	for id, d := range want.tasks {
		if mine[cluster.TaskUnit(id.Connector, id.Task)] {
			desired[id] = d
		}
	}

	w.mu.Lock()
	var stop []*task
	for id, t := range w.tasks {
		d, ok := desired[id]
		if !ok || d.hash != t.hash || w.restarts[id] {
			stop = append(stop, t)
			delete(w.tasks, id)
			w.stopping[id] = t
		}
	}
	// Restart requests are consumed here, by the pass that acts on them; a
	// request for a task that is not running needs nothing more.
	for id := range w.restarts {
		if _, running := w.tasks[id]; !running {
			delete(w.restarts, id)
		}
	}
	w.mu.Unlock()
	w.stopTasks(stop)

	for _, t := range stop {
		if _, configured := want.tasks[t.id]; !configured {
			w.forgetTask(t.id)
		}
	}
	if leader {
		w.forgetDeleted(configs)
	}
	w.requestRejoinIfStale(want)

	for id, d := range desired {
		w.mu.Lock()
		t, running := w.tasks[id]
		_, stillStopping := w.stopping[id]
		w.mu.Unlock()
		if stillStopping {
			// Its successor starts once it is done (stopTasks pokes).
			continue
		}
		if running {
			if t.gate.isPaused() != d.paused {
				t.gate.set(d.paused)
				state := StateRunning
				if d.paused {
					state = StatePaused
				}
				t.reportUnlessFailed(state)
			}
			continue
		}
		t = &task{
			id: id, kind: d.plugin.Type, config: d.config, hash: d.hash, common: d.common, plugin: d.plugin, w: w,
			log: w.log.With("connector", id.Connector, "task", id.Task), metrics: w.metrics.Task(id.Connector, id.Task),
			gate: newPauseGate(d.paused),
		}
		w.mu.Lock()
		if !w.mine[cluster.TaskUnit(id.Connector, id.Task)] {
			// Released since this pass read the placement.
			w.mu.Unlock()
			continue
		}
		w.tasks[id] = t
		w.mu.Unlock()
		t.start(w.ctx)
	}
}

// plan resolves a connector's plugin and common config and splits it into task configs.
func (w *Worker) plan(props map[string]string) (sdk.Plugin, ConnectorConfig, []sdk.Config, error) {
	var common ConnectorConfig
	if err := sdk.Decode(sdk.Config(props), &common); err != nil {
		return sdk.Plugin{}, common, nil, err
	}
	plugin, ok := w.plugins.Lookup(common.Class)
	if !ok {
		return plugin, common, nil, fmt.Errorf("no plugin with class %q is installed", common.Class)
	}
	cfg := sdk.Config(maps.Clone(props))
	if plugin.TaskConfigs != nil {
		tasks, err := plugin.TaskConfigs(cfg, common.TasksMax)
		if err != nil {
			return plugin, common, nil, fmt.Errorf("split %s into tasks: %w", common.Name, err)
		}
		if len(tasks) > common.TasksMax {
			tasks = tasks[:common.TasksMax]
		}
		return plugin, common, tasks, nil
	}
	n := common.TasksMax
	if plugin.Type == sdk.TypeSource {
		n = 1
	}
	tasks := make([]sdk.Config, n)
	for i := range tasks {
		tasks[i] = maps.Clone(cfg)
	}
	return plugin, common, tasks, nil
}

func hashConfig(class string, cfg sdk.Config) string {
	keys := slices.Sorted(maps.Keys(cfg))
	h := sha256.New()
	h.Write([]byte(class))
	for _, k := range keys {
		fmt.Fprintf(h, "\x00%s=%s", k, cfg[k])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// stopTasks stops tasks in parallel and waits for each at most the shutdown
// timeout. A task that takes longer stays in w.stopping until it is done, so
// no successor runs beside it and its offsets cannot be altered meanwhile.
func (w *Worker) stopTasks(tasks []*task) {
	var wg sync.WaitGroup
	for _, t := range tasks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			t.cancel()
			go func() {
				<-t.done
				w.mu.Lock()
				if w.stopping[t.id] == t {
					delete(w.stopping, t.id)
				}
				w.mu.Unlock()
				w.poke()
			}()
			select {
			case <-t.done:
			case <-time.After(w.cfg.ShutdownTimeout):
				t.log.Error("task did not stop within the shutdown timeout; its successor waits for it", "timeout", w.cfg.ShutdownTimeout)
			}
		}()
	}
	wg.Wait()
}

func (w *Worker) reportConnector(name, state, trace string) {
	w.putStatus(statusConnPrefix+name, state, trace)
}

func (w *Worker) reportTask(id TaskID, state, trace string) {
	w.putStatus(taskStatusKey(id), state, trace)
}

func (w *Worker) putStatus(key, state, trace string) {
	if old, ok := w.readStatus(key); ok && old.State == state && old.Trace == trace && old.WorkerID == w.cfg.ID {
		return
	}
	data, _ := json.Marshal(statusRecord{State: state, Trace: trace, WorkerID: w.cfg.ID, Time: w.cfg.Now().UnixMilli()})
	w.writeStatus(key, data)
}

// writeStatus writes (nil: deletes) a status record. Statuses are reports,
// not state the runtime depends on, so a failed write is logged, not fatal.
func (w *Worker) writeStatus(key string, data []byte) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(w.ctx), 10*time.Second)
	defer cancel()
	if err := w.statuses.Put(ctx, key, data); err != nil {
		w.log.Error("write status", "key", key, "delete", data == nil, "err", err)
	}
}

func (w *Worker) forgetTask(id TaskID) { w.writeStatus(taskStatusKey(id), nil) }

// forgetDeleted removes statuses and metrics of connectors no longer configured.
func (w *Worker) forgetDeleted(configs map[string]map[string]string) {
	for key := range w.statuses.Snapshot() {
		name, ok := strings.CutPrefix(key, statusConnPrefix)
		if !ok {
			continue
		}
		if _, live := configs[name]; !live {
			w.writeStatus(key, nil)
			w.metrics.Forget(name)
		}
	}
}

// taskIDs lists a connector's tasks as last planned.
func (w *Worker) taskIDs(name string) []TaskID {
	w.mu.Lock()
	defer w.mu.Unlock()
	ids := make([]TaskID, len(w.taskCfgs[name]))
	for i := range ids {
		ids[i] = TaskID{Connector: name, Task: i}
	}
	return ids
}

// errStarting is returned by Ready while the worker starts.
type errStarting struct{}

func (errStarting) Error() string  { return "worker is starting" }
func (errStarting) Starting() bool { return true }

// Ready reports whether the worker finished starting.
func (w *Worker) Ready() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.ready {
		return errStarting{}
	}
	if w.refusal != "" {
		return errors.New("the cluster refused this worker: " + w.refusal)
	}
	if w.ctx.Err() != nil {
		return errors.New("worker is shutting down")
	}
	return nil
}

func sortedNames(m map[string]map[string]string) []string {
	names := slices.Collect(maps.Keys(m))
	sort.Strings(names)
	return names
}

// clusterIDAttempt bounds one wait for the cluster id. A metadata request
// that the broker never answers kept Start waiting for good (seen in CI
// with the embedded broker: 13 minutes in AdminClient.ClusterID); a fresh
// admin client asks again on new connections.
var clusterIDAttempt = 15 * time.Second

// reachCluster makes the worker's admin client and learns the cluster id,
// asking again with a new client after every clusterIDAttempt without an
// answer, until ctx ends: a Kafka that is still starting is waited for.
func (w *Worker) reachCluster(ctx context.Context) (*ckafka.AdminClient, string, error) {
	for attempt := 1; ; attempt++ {
		admin, err := ckafka.NewAdminClient(w.cfg.Kafka.AdminMap())
		if err != nil {
			return nil, "", fmt.Errorf("admin client: %w", err)
		}
		actx, cancel := context.WithTimeout(ctx, clusterIDAttempt)
		id, err := admin.ClusterID(actx)
		cancel()
		if err == nil {
			return admin, id, nil
		}
		admin.Close()
		if ctx.Err() != nil {
			return nil, "", err
		}
		w.log.Warn("no cluster id from Kafka yet; asking again with a new client", "attempt", attempt, "err", err)
	}
}
