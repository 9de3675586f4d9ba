package api

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/tributarydata/tributary/bus/record"
	"github.com/tributarydata/tributary/bus/worker"
	"github.com/tributarydata/tributary/plugins/sdk"
)

// fakeController is an in-memory Controller. It keeps connectors in a map,
// validates that connector.class names a known plugin, and lets a test make
// any method fail (fail) or panic (panics), and see the arguments of the last
// call (calls).
type fakeController struct {
	mu         sync.Mutex
	connectors map[string]*fakeConnector
	offsets    map[string]worker.Offsets
	fail       map[string]error
	panics     map[string]bool
	calls      map[string][]any
	ready      error
	workers    []worker.WorkerInfo
	metrics    worker.TaskMetrics
	dlq        map[string]worker.DeadLetters
}

type fakeConnector struct {
	config map[string]string
	target string
	tasks  int
}

func newFake() *fakeController {
	return &fakeController{
		connectors: map[string]*fakeConnector{},
		offsets:    map[string]worker.Offsets{},
		fail:       map[string]error{},
		panics:     map[string]bool{},
		calls:      map[string][]any{},
		workers: []worker.WorkerInfo{{ID: "w1", URL: "http://w1:8083",
			Tasks: []worker.TaskID{{Connector: "a", Task: 0}}, LastHeartbeat: 1700000000000}},
	}
}

var fakePlugins = []worker.PluginInfo{
	{Class: "mysql", Type: "source", Version: "1.0.0"},
	{Class: "hologres", Type: "sink", Version: "1.0.0"},
	{Class: "flatten", Type: "transform", Version: "1.0.0"},
}

func strptr(s string) *string { return &s }

var fakeKeys = []sdk.ConfigKey{
	{Name: "connector.class", Type: "CLASS", Required: true, Importance: "HIGH", Group: "Common", Order: 1, Dependents: []string{}},
	{Name: "tasks.max", Type: "INT", DefaultValue: strptr("1"), Importance: "HIGH", Group: "Common", Order: 2, Dependents: []string{}},
	{Name: "database.password", Type: "PASSWORD", Required: true, Importance: "HIGH", Group: "Connection", Order: 3, Dependents: []string{}},
	{Name: "snapshot.mode", Type: "STRING", DefaultValue: strptr("initial"), Importance: "LOW", Group: "Connection", Order: 4,
		Enum: []string{"initial", "never"}},
}

// enter records a call and applies injected failures; the caller holds no lock.
func (f *fakeController) enter(method string, args ...any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[method] = args
	if f.panics[method] {
		panic("fake: " + method + " panics")
	}
	return f.fail[method]
}

func (f *fakeController) lastCall(method string) []any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[method]
}

func (f *fakeController) add(name, class string, tasks int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.connectors[name] = &fakeConnector{
		config: map[string]string{"name": name, "connector.class": class, "tasks.max": fmt.Sprint(tasks)},
		target: worker.TargetStarted, tasks: tasks,
	}
}

func pluginType(class string) (string, bool) {
	for _, p := range fakePlugins {
		if p.Class == class {
			return p.Type, true
		}
	}
	return "", false
}

func (f *fakeController) info(name string, c *fakeConnector) worker.ConnectorInfo {
	typ, _ := pluginType(c.config["connector.class"])
	info := worker.ConnectorInfo{Name: name, Config: maps.Clone(c.config), Type: typ}
	for i := range c.tasks {
		info.Tasks = append(info.Tasks, worker.TaskID{Connector: name, Task: i})
	}
	return info
}

func (f *fakeController) status(name string, c *fakeConnector) worker.ConnectorStatus {
	typ, _ := pluginType(c.config["connector.class"])
	state := worker.StateRunning
	switch c.target {
	case worker.TargetPaused:
		state = worker.StatePaused
	case worker.TargetStopped:
		state = worker.StateStopped
	}
	st := worker.ConnectorStatus{Name: name, Type: typ, Connector: worker.State{State: state, WorkerID: "w1"}}
	for i := range c.tasks {
		st.Tasks = append(st.Tasks, worker.TaskState{ID: i, State: worker.State{State: state, WorkerID: "w1"}})
	}
	return st
}

func checkConfig(name string, cfg map[string]string) error {
	if _, ok := pluginType(cfg["connector.class"]); !ok {
		return &worker.ConfigError{Connector: name, Fields: map[string][]string{
			"connector.class": {fmt.Sprintf("unknown plugin %q", cfg["connector.class"])}}}
	}
	return nil
}

func (f *fakeController) get(name string) (*fakeConnector, error) {
	c, ok := f.connectors[name]
	if !ok {
		return nil, worker.ErrNotFound
	}
	return c, nil
}

func (f *fakeController) ServerInfo() worker.ServerInfo {
	return worker.ServerInfo{Version: "0.1.0", Commit: "abc123", KafkaClusterID: "cluster-1"}
}

func (f *fakeController) Connectors(ctx context.Context) ([]string, error) {
	if err := f.enter("Connectors"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Collect(maps.Keys(f.connectors)), nil
}

func (f *fakeController) ConnectorInfo(ctx context.Context, name string) (worker.ConnectorInfo, error) {
	if err := f.enter("ConnectorInfo", name); err != nil {
		return worker.ConnectorInfo{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.get(name)
	if err != nil {
		return worker.ConnectorInfo{}, err
	}
	return f.info(name, c), nil
}

func (f *fakeController) CreateConnector(ctx context.Context, name string, cfg map[string]string) (worker.ConnectorInfo, error) {
	if err := f.enter("CreateConnector", name, cfg); err != nil {
		return worker.ConnectorInfo{}, err
	}
	if err := checkConfig(name, cfg); err != nil {
		return worker.ConnectorInfo{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.connectors[name]; ok {
		return worker.ConnectorInfo{}, worker.ErrConflict
	}
	c := &fakeConnector{config: maps.Clone(cfg), target: worker.TargetStarted, tasks: 1}
	f.connectors[name] = c
	return f.info(name, c), nil
}

func (f *fakeController) PutConnectorConfig(ctx context.Context, name string, cfg map[string]string) (worker.ConnectorInfo, bool, error) {
	if err := f.enter("PutConnectorConfig", name, cfg); err != nil {
		return worker.ConnectorInfo{}, false, err
	}
	if err := checkConfig(name, cfg); err != nil {
		return worker.ConnectorInfo{}, false, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c, exists := f.connectors[name]
	if !exists {
		c = &fakeConnector{target: worker.TargetStarted, tasks: 1}
		f.connectors[name] = c
	}
	c.config = maps.Clone(cfg)
	return f.info(name, c), !exists, nil
}

func (f *fakeController) DeleteConnector(ctx context.Context, name string) error {
	if err := f.enter("DeleteConnector", name); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.get(name); err != nil {
		return err
	}
	delete(f.connectors, name)
	return nil
}

func (f *fakeController) ConnectorStatus(ctx context.Context, name string) (worker.ConnectorStatus, error) {
	if err := f.enter("ConnectorStatus", name); err != nil {
		return worker.ConnectorStatus{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.get(name)
	if err != nil {
		return worker.ConnectorStatus{}, err
	}
	return f.status(name, c), nil
}

func (f *fakeController) TaskStatus(ctx context.Context, name string, task int) (worker.TaskState, error) {
	if err := f.enter("TaskStatus", name, task); err != nil {
		return worker.TaskState{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.get(name)
	if err != nil {
		return worker.TaskState{}, err
	}
	if task >= c.tasks {
		return worker.TaskState{}, fmt.Errorf("task %s-%d: %w", name, task, worker.ErrNotFound)
	}
	return f.status(name, c).Tasks[task], nil
}

func (f *fakeController) Tasks(ctx context.Context, name string) ([]worker.TaskInfo, error) {
	if err := f.enter("Tasks", name); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.get(name)
	if err != nil {
		return nil, err
	}
	var out []worker.TaskInfo
	for i := range c.tasks {
		cfg := maps.Clone(c.config)
		cfg["task.id"] = fmt.Sprint(i)
		out = append(out, worker.TaskInfo{ID: worker.TaskID{Connector: name, Task: i}, Config: cfg})
	}
	return out, nil
}

func (f *fakeController) RestartConnector(ctx context.Context, name string, includeTasks, onlyFailed bool) (worker.ConnectorStatus, error) {
	if err := f.enter("RestartConnector", name, includeTasks, onlyFailed); err != nil {
		return worker.ConnectorStatus{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.get(name)
	if err != nil {
		return worker.ConnectorStatus{}, err
	}
	st := f.status(name, c)
	st.Connector.State = worker.StateRestarting
	if includeTasks {
		for i := range st.Tasks {
			st.Tasks[i].State.State = worker.StateRestarting
		}
	}
	return st, nil
}

func (f *fakeController) RestartTask(ctx context.Context, name string, task int) error {
	if err := f.enter("RestartTask", name, task); err != nil {
		return err
	}
	_, err := f.TaskStatus(ctx, name, task)
	return err
}

func (f *fakeController) setTarget(method, name, target string) error {
	if err := f.enter(method, name); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.get(name)
	if err != nil {
		return err
	}
	c.target = target
	return nil
}

func (f *fakeController) PauseConnector(ctx context.Context, name string) error {
	return f.setTarget("PauseConnector", name, worker.TargetPaused)
}

func (f *fakeController) ResumeConnector(ctx context.Context, name string) error {
	return f.setTarget("ResumeConnector", name, worker.TargetStarted)
}

func (f *fakeController) StopConnector(ctx context.Context, name string) error {
	return f.setTarget("StopConnector", name, worker.TargetStopped)
}

func (f *fakeController) Offsets(ctx context.Context, name string) (worker.Offsets, error) {
	if err := f.enter("Offsets", name); err != nil {
		return worker.Offsets{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.get(name); err != nil {
		return worker.Offsets{}, err
	}
	return f.offsets[name], nil
}

func (f *fakeController) AlterOffsets(ctx context.Context, name string, o worker.Offsets) error {
	if err := f.enter("AlterOffsets", name, o); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	c, err := f.get(name)
	if err != nil {
		return err
	}
	if c.target != worker.TargetStopped {
		return &worker.BadRequestError{Msg: "connectors must be in the STOPPED state before their offsets can be modified"}
	}
	f.offsets[name] = o
	return nil
}

func (f *fakeController) ResetOffsets(ctx context.Context, name string) error {
	if err := f.enter("ResetOffsets", name); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.get(name); err != nil {
		return err
	}
	f.offsets[name] = worker.Offsets{Offsets: []record.Position{}}
	return nil
}

func (f *fakeController) Plugins() []worker.PluginInfo { return slices.Clone(fakePlugins) }

func (f *fakeController) PluginConfig(class string) ([]sdk.ConfigKey, error) {
	if err := f.enter("PluginConfig", class); err != nil {
		return nil, err
	}
	if _, ok := pluginType(class); !ok {
		return nil, worker.ErrNotFound
	}
	return slices.Clone(fakeKeys), nil
}

// ValidateConfig reports a missing required key, a value outside an enum and,
// for unknown keys, an error without definition.
func (f *fakeController) ValidateConfig(ctx context.Context, class string, cfg map[string]string) ([]sdk.ConfigKey, map[string][]string, error) {
	if err := f.enter("ValidateConfig", class, cfg); err != nil {
		return nil, nil, err
	}
	if _, ok := pluginType(class); !ok {
		return nil, nil, worker.ErrNotFound
	}
	if cfg["connector.class"] != class {
		return nil, nil, &worker.BadRequestError{Msg: fmt.Sprintf("included connector type %s does not match request type %s", cfg["connector.class"], class)}
	}
	errs := map[string][]string{}
	known := map[string]bool{"name": true}
	for _, k := range fakeKeys {
		known[k.Name] = true
		v, ok := cfg[k.Name]
		if k.Required && !ok {
			errs[k.Name] = append(errs[k.Name], "Missing required configuration \""+k.Name+"\" which has no default value.")
		}
		if ok && len(k.Enum) > 0 && !slices.Contains(k.Enum, v) {
			errs[k.Name] = append(errs[k.Name], "must be one of "+fmt.Sprint(k.Enum))
		}
	}
	for k := range cfg {
		if !known[k] {
			errs[k] = append(errs[k], "unknown configuration key")
		}
	}
	return slices.Clone(fakeKeys), errs, nil
}

func (f *fakeController) Workers(ctx context.Context) ([]worker.WorkerInfo, error) {
	if err := f.enter("Workers"); err != nil {
		return nil, err
	}
	return slices.Clone(f.workers), nil
}

func (f *fakeController) TaskMetrics() (worker.TaskMetrics, error) {
	if err := f.enter("TaskMetrics"); err != nil {
		return worker.TaskMetrics{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.metrics, nil
}

func (f *fakeController) DeadLetters(ctx context.Context, name string, limit int) (worker.DeadLetters, error) {
	if err := f.enter("DeadLetters", name, limit); err != nil {
		return worker.DeadLetters{}, err
	}
	if _, err := f.get(name); err != nil {
		return worker.DeadLetters{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	d := f.dlq[name]
	if len(d.Records) > limit {
		d.Records = d.Records[:limit]
	}
	return d, nil
}

type startingError struct{}

func (startingError) Error() string  { return "worker is joining the cluster" }
func (startingError) Starting() bool { return true }

func (f *fakeController) Ready() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ready
}

var _ Controller = (*fakeController)(nil)
