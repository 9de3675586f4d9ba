package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"sort"
	"time"

	ckafka "github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/tributarydata/tributary/bus/cluster"
	"github.com/tributarydata/tributary/bus/kafka"
	"github.com/tributarydata/tributary/bus/record"
	"github.com/tributarydata/tributary/plugins/sdk"
)

// This file holds what the REST API calls (api.Controller).

// ServerInfo describes the worker and its Kafka cluster.
func (w *Worker) ServerInfo() ServerInfo {
	return ServerInfo{Version: Version, Commit: Commit, KafkaClusterID: w.clusterID}
}

// Connectors lists connector names, sorted.
func (w *Worker) Connectors(ctx context.Context) ([]string, error) {
	if err := w.configs.Sync(ctx); err != nil {
		return nil, err
	}
	return sortedNames(w.connectorConfigs()), nil
}

// ConnectorInfo returns a connector's masked config and tasks.
func (w *Worker) ConnectorInfo(ctx context.Context, name string) (ConnectorInfo, error) {
	props, ok := w.connectorConfig(name)
	if !ok {
		return ConnectorInfo{}, fmt.Errorf("connector %s %w", name, ErrNotFound)
	}
	return w.info(name, props), nil
}

func (w *Worker) info(name string, props map[string]string) ConnectorInfo {
	typ := ""
	masked := props
	if p, ok := w.plugins.Lookup(props["connector.class"]); ok {
		typ = string(p.Type)
		masked = p.Mask(sdk.Config(props))
	}
	ids := w.taskIDs(name)
	if len(ids) == 0 {
		if _, _, tasks, err := w.plan(props); err == nil && w.targetState(name) != TargetStopped {
			for i := range tasks {
				ids = append(ids, TaskID{Connector: name, Task: i})
			}
		}
	}
	return ConnectorInfo{Name: name, Config: masked, Tasks: ids, Type: typ}
}

// validate checks a connector config against the runtime's keys and its plugin's.
func (w *Worker) validate(name string, props map[string]string) error {
	errs := w.validationErrors(props)
	if len(errs) == 0 {
		return nil
	}
	return &ConfigError{Connector: name, Fields: errs}
}

func (w *Worker) validationErrors(props map[string]string) map[string][]string {
	cfg := sdk.Config(props)
	errs := sdk.Validate(&ConnectorConfig{}, cfg)
	if class := props["connector.class"]; class != "" {
		p, ok := w.plugins.Lookup(class)
		if !ok {
			errs["connector.class"] = append(errs["connector.class"], fmt.Sprintf("no plugin with class %q is installed (GET /connector-plugins lists them)", class))
		} else {
			for k, v := range p.Problems(cfg) {
				errs[k] = append(errs[k], v...)
			}
			if p.Type != sdk.TypeSource && props["topics"] == "" && props["topics.regex"] == "" {
				errs["topics"] = append(errs["topics"], "a sink or transform needs topics or topics.regex")
			}
		}
	}
	if props["topics"] != "" && props["topics.regex"] != "" {
		errs["topics.regex"] = append(errs["topics.regex"], "set topics or topics.regex, not both")
	}
	for _, prefix := range []string{kafka.ProducerOverridePrefix, kafka.ConsumerOverridePrefix} {
		if _, err := kafka.Overrides(props, prefix); err != nil {
			errs[prefix+"*"] = append(errs[prefix+"*"], err.Error())
		}
	}
	for k, v := range errs {
		if len(v) == 0 {
			delete(errs, k)
		}
	}
	return errs
}

// CreateConnector creates a connector; ErrConflict when the name is taken.
func (w *Worker) CreateConnector(ctx context.Context, name string, cfg map[string]string) (ConnectorInfo, error) {
	if err := w.configs.Sync(ctx); err != nil {
		return ConnectorInfo{}, err
	}
	if _, exists := w.connectorConfig(name); exists {
		return ConnectorInfo{}, fmt.Errorf("connector %s already exists: %w", name, ErrConflict)
	}
	info, _, err := w.PutConnectorConfig(ctx, name, cfg)
	return info, err
}

// PutConnectorConfig creates or replaces a connector's config.
func (w *Worker) PutConnectorConfig(ctx context.Context, name string, cfg map[string]string) (ConnectorInfo, bool, error) {
	props := maps.Clone(cfg)
	props["name"] = name
	if err := w.validate(name, props); err != nil {
		return ConnectorInfo{}, false, err
	}
	if err := w.configs.Sync(ctx); err != nil {
		return ConnectorInfo{}, false, err
	}
	_, existed := w.connectorConfig(name)
	data, err := json.Marshal(connectorRecord{Properties: props})
	if err != nil {
		return ConnectorInfo{}, false, err
	}
	if !existed {
		if err := w.putTargetState(ctx, name, TargetStarted); err != nil {
			return ConnectorInfo{}, false, err
		}
	}
	if err := w.configs.Put(ctx, connectorKeyPrefix+name, data); err != nil {
		return ConnectorInfo{}, false, err
	}
	w.log.Info("connector config written", "connector", name, "created", !existed)
	return w.info(name, props), !existed, nil
}

// DeleteConnector removes a connector; its tasks stop. Source offsets are
// kept, as in Kafka Connect, so a connector created again resumes.
func (w *Worker) DeleteConnector(ctx context.Context, name string) error {
	if _, ok := w.connectorConfig(name); !ok {
		return fmt.Errorf("connector %s %w", name, ErrNotFound)
	}
	if err := w.configs.Put(ctx, connectorKeyPrefix+name, nil); err != nil {
		return err
	}
	return w.configs.Put(ctx, targetKeyPrefix+name, nil)
}

// ConnectorStatus returns the state of a connector and its tasks.
func (w *Worker) ConnectorStatus(ctx context.Context, name string) (ConnectorStatus, error) {
	props, ok := w.connectorConfig(name)
	if !ok {
		return ConnectorStatus{}, fmt.Errorf("connector %s %w", name, ErrNotFound)
	}
	st := ConnectorStatus{Name: name, Tasks: []TaskState{}}
	if p, ok := w.plugins.Lookup(props["connector.class"]); ok {
		st.Type = string(p.Type)
	}
	if rec, ok := w.readStatus(statusConnPrefix + name); ok {
		st.Connector = State{State: rec.State, WorkerID: rec.WorkerID, Trace: rec.Trace}
	} else {
		st.Connector = State{State: StateUnassigned}
	}
	for _, id := range w.taskIDs(name) {
		st.Tasks = append(st.Tasks, w.taskState(id))
	}
	return st, nil
}

func (w *Worker) taskState(id TaskID) TaskState {
	if rec, ok := w.readStatus(taskStatusKey(id)); ok {
		return TaskState{ID: id.Task, State: State{State: rec.State, WorkerID: rec.WorkerID, Trace: rec.Trace}}
	}
	return TaskState{ID: id.Task, State: State{State: StateUnassigned}}
}

// TaskStatus returns one task's state.
func (w *Worker) TaskStatus(ctx context.Context, name string, task int) (TaskState, error) {
	if err := w.checkTask(name, task); err != nil {
		return TaskState{}, err
	}
	return w.taskState(TaskID{name, task}), nil
}

func (w *Worker) checkTask(name string, task int) error {
	if _, ok := w.connectorConfig(name); !ok {
		return fmt.Errorf("connector %s %w", name, ErrNotFound)
	}
	if task < 0 || task >= len(w.taskIDs(name)) {
		return fmt.Errorf("task %s-%d %w", name, task, ErrNotFound)
	}
	return nil
}

// Tasks returns the masked task configs of a connector.
func (w *Worker) Tasks(ctx context.Context, name string) ([]TaskInfo, error) {
	props, ok := w.connectorConfig(name)
	if !ok {
		return nil, fmt.Errorf("connector %s %w", name, ErrNotFound)
	}
	w.mu.Lock()
	cfgs := w.taskCfgs[name]
	w.mu.Unlock()
	out := []TaskInfo{}
	p, known := w.plugins.Lookup(props["connector.class"])
	for i, c := range cfgs {
		masked := map[string]string(c)
		if known {
			masked = p.Mask(c)
		}
		out = append(out, TaskInfo{ID: TaskID{name, i}, Config: masked})
	}
	return out, nil
}

// RestartConnector restarts a connector and, with includeTasks, its tasks,
// on whichever workers run them: the request goes through the configs topic
// and each owner acts on its part.
func (w *Worker) RestartConnector(ctx context.Context, name string, includeTasks, onlyFailed bool) (ConnectorStatus, error) {
	st, err := w.ConnectorStatus(ctx, name)
	if err != nil {
		return st, err
	}
	if err := w.requestRestart(ctx, name, restartRecord{IncludeTasks: includeTasks, OnlyFailed: onlyFailed}); err != nil {
		return st, err
	}
	if !onlyFailed || st.Connector.State == StateFailed {
		st.Connector.State = StateRestarting
	}
	if includeTasks {
		for i := range st.Tasks {
			if !onlyFailed || st.Tasks[i].State.State == StateFailed {
				st.Tasks[i].State.State = StateRestarting
			}
		}
	}
	return st, nil
}

// RestartTask restarts one task on the worker that runs it.
func (w *Worker) RestartTask(ctx context.Context, name string, task int) error {
	if err := w.checkTask(name, task); err != nil {
		return err
	}
	return w.requestRestart(ctx, name, restartRecord{Task: &task})
}

// PauseConnector pauses a connector's tasks.
func (w *Worker) PauseConnector(ctx context.Context, name string) error {
	return w.setTarget(ctx, name, TargetPaused)
}

// ResumeConnector resumes a paused or stopped connector.
func (w *Worker) ResumeConnector(ctx context.Context, name string) error {
	return w.setTarget(ctx, name, TargetStarted)
}

// StopConnector stops a connector's tasks, keeping its config; offsets can then be altered.
func (w *Worker) StopConnector(ctx context.Context, name string) error {
	return w.setTarget(ctx, name, TargetStopped)
}

func (w *Worker) setTarget(ctx context.Context, name, state string) error {
	if _, ok := w.connectorConfig(name); !ok {
		return fmt.Errorf("connector %s %w", name, ErrNotFound)
	}
	return w.putTargetState(ctx, name, state)
}

// Offsets returns a connector's offsets: stored source positions, or the
// consumer group's committed offsets for sinks and transforms.
func (w *Worker) Offsets(ctx context.Context, name string) (Offsets, error) {
	props, ok := w.connectorConfig(name)
	if !ok {
		return Offsets{}, fmt.Errorf("connector %s %w", name, ErrNotFound)
	}
	p, known := w.plugins.Lookup(props["connector.class"])
	if known && p.Type == sdk.TypeSource {
		if err := w.offsets.Sync(ctx); err != nil {
			return Offsets{}, err
		}
		pos := w.sourcePositions(name)
		sort.Slice(pos, func(i, j int) bool { return pos[i].PartitionKey() < pos[j].PartitionKey() })
		return Offsets{Offsets: nonNil(pos)}, nil
	}
	out := Offsets{Offsets: []record.Position{}}
	res, err := w.admin.ListConsumerGroupOffsets(ctx, []ckafka.ConsumerGroupTopicPartitions{{Group: GroupID(name)}})
	var kerr ckafka.Error
	if errors.As(err, &kerr) && kerr.Code() == ckafka.ErrGroupIDNotFound {
		return out, nil // never committed, or reset
	}
	if err != nil {
		return Offsets{}, fmt.Errorf("list offsets of group %s: %w", GroupID(name), err)
	}
	for _, g := range res.ConsumerGroupsTopicPartitions {
		for _, tp := range g.Partitions {
			if tp.Offset < 0 {
				continue
			}
			out.Offsets = append(out.Offsets, record.Position{
				Partition: map[string]any{"kafka_topic": *tp.Topic, "kafka_partition": tp.Partition},
				Offset:    map[string]any{"kafka_offset": int64(tp.Offset)},
			})
		}
	}
	sort.Slice(out.Offsets, func(i, j int) bool { return out.Offsets[i].PartitionKey() < out.Offsets[j].PartitionKey() })
	return out, nil
}

func nonNil(p []record.Position) []record.Position {
	if p == nil {
		return []record.Position{}
	}
	return p
}

// requireStopped refuses offset changes while tasks could be writing them.
func (w *Worker) requireStopped(name string) (sdk.Plugin, error) {
	props, ok := w.connectorConfig(name)
	if !ok {
		return sdk.Plugin{}, fmt.Errorf("connector %s %w", name, ErrNotFound)
	}
	if w.targetState(name) != TargetStopped {
		return sdk.Plugin{}, &BadRequestError{Msg: fmt.Sprintf("connector %s must be STOPPED (PUT /connectors/%s/stop) before its offsets are altered or reset", name, name)}
	}
	p, ok := w.plugins.Lookup(props["connector.class"])
	if !ok {
		return p, &BadRequestError{Msg: fmt.Sprintf("connector %s has an unknown class", name)}
	}
	if p.Type == sdk.TypeSink {
		if _, keeps := p.NewSink().(sdk.OffsetKeeper); keeps {
			// Its tasks resume from the offsets stored with its data, so a
			// change of the group's offsets would report success and do nothing.
			return p, &BadRequestError{Msg: fmt.Sprintf("connector %s uses %s, which keeps its offsets with its data; change them there", name, p.Class)}
		}
	}
	w.mu.Lock()
	busy := false
	for _, m := range []map[TaskID]*task{w.tasks, w.stopping} {
		for id := range m {
			busy = busy || id.Connector == name
		}
	}
	w.mu.Unlock()
	if busy {
		return p, fmt.Errorf("connector %s still has tasks running or stopping; retry shortly: %w", name, ErrConflict)
	}
	return p, nil
}

// AlterOffsets sets offsets of a stopped connector; a nil offset removes its partition's.
func (w *Worker) AlterOffsets(ctx context.Context, name string, o Offsets) error {
	p, err := w.requireStopped(name)
	if err != nil {
		return err
	}
	if p.Type == sdk.TypeSource {
		for _, pos := range o.Offsets {
			if pos.Partition == nil {
				return &BadRequestError{Msg: "every offset needs a partition"}
			}
			if err := w.storeSourcePosition(ctx, name, pos); err != nil {
				return err
			}
		}
		return nil
	}
	var alter []ckafka.TopicPartition
	var reset []ckafka.TopicPartition
	for _, pos := range o.Offsets {
		topic, _ := pos.Partition["kafka_topic"].(string)
		part, perr := record.OffsetInt(pos.Partition["kafka_partition"])
		if topic == "" || perr != nil {
			return &BadRequestError{Msg: "sink offsets need partitions of the form {\"kafka_topic\": string, \"kafka_partition\": int}"}
		}
		tp := ckafka.TopicPartition{Topic: &topic, Partition: int32(part)}
		if pos.Offset == nil {
			reset = append(reset, tp)
			continue
		}
		off, oerr := record.OffsetInt(pos.Offset["kafka_offset"])
		if oerr != nil || off < 0 {
			return &BadRequestError{Msg: "sink offsets need offsets of the form {\"kafka_offset\": non-negative int}"}
		}
		tp.Offset = ckafka.Offset(off)
		alter = append(alter, tp)
	}
	if len(reset) > 0 {
		// librdkafka has no OffsetDelete; moving the offset to the start of
		// the partition is what a deleted offset with auto.offset.reset=earliest
		// (the runtime's default) means.
		earliest, err := w.earliestOffsets(ctx, reset)
		if err != nil {
			return err
		}
		alter = append(alter, earliest...)
	}
	if len(alter) > 0 {
		if _, err := w.admin.AlterConsumerGroupOffsets(ctx, []ckafka.ConsumerGroupTopicPartitions{{Group: GroupID(name), Partitions: alter}}); err != nil {
			return fmt.Errorf("alter offsets of group %s: %w", GroupID(name), err)
		}
	}
	return nil
}

func (w *Worker) earliestOffsets(ctx context.Context, tps []ckafka.TopicPartition) ([]ckafka.TopicPartition, error) {
	specs := map[ckafka.TopicPartition]ckafka.OffsetSpec{}
	for _, tp := range tps {
		specs[tp] = ckafka.EarliestOffsetSpec
	}
	res, err := w.admin.ListOffsets(ctx, specs)
	if err != nil {
		return nil, fmt.Errorf("earliest offsets: %w", err)
	}
	var out []ckafka.TopicPartition
	for tp, info := range res.ResultInfos {
		if info.Error.Code() != ckafka.ErrNoError {
			return nil, fmt.Errorf("earliest offset of %s-%d: %w", *tp.Topic, tp.Partition, info.Error)
		}
		tp.Offset = info.Offset
		out = append(out, tp)
	}
	return out, nil
}

// ResetOffsets forgets every offset of a stopped connector.
func (w *Worker) ResetOffsets(ctx context.Context, name string) error {
	p, err := w.requireStopped(name)
	if err != nil {
		return err
	}
	if p.Type == sdk.TypeSource {
		if err := w.offsets.Sync(ctx); err != nil {
			return err
		}
		for _, pos := range w.sourcePositions(name) {
			if err := w.storeSourcePosition(ctx, name, record.Position{Partition: pos.Partition}); err != nil {
				return err
			}
		}
		return nil
	}
	res, err := w.admin.DeleteConsumerGroups(ctx, []string{GroupID(name)}, ckafka.SetAdminRequestTimeout(10*time.Second))
	if err != nil {
		return fmt.Errorf("delete group %s: %w", GroupID(name), err)
	}
	for _, r := range res.ConsumerGroupResults {
		if c := r.Error.Code(); c != ckafka.ErrNoError && c != ckafka.ErrGroupIDNotFound {
			return fmt.Errorf("delete group %s: %w", GroupID(name), r.Error)
		}
	}
	return nil
}

// Plugins lists installed plugins.
func (w *Worker) Plugins() []PluginInfo {
	out := []PluginInfo{}
	for _, p := range w.plugins.Plugins() {
		out = append(out, PluginInfo{Class: p.Class, Type: string(p.Type), Version: p.Version})
	}
	return out
}

// PluginConfig returns the config definition of a plugin: the runtime's keys, then the plugin's.
func (w *Worker) PluginConfig(class string) ([]sdk.ConfigKey, error) {
	p, ok := w.plugins.Lookup(class)
	if !ok {
		return nil, fmt.Errorf("plugin %s %w", class, ErrNotFound)
	}
	return ConfigKeys(p)
}

// ConfigKeys is the config definition of a plugin as the REST API and the docs show
// it: the runtime's keys every connector has, then the plugin's own.
func ConfigKeys(p sdk.Plugin) ([]sdk.ConfigKey, error) {
	common, err := sdk.Spec(&ConnectorConfig{})
	if err != nil {
		return nil, err
	}
	own, err := p.Keys()
	if err != nil {
		return nil, err
	}
	mine := map[string]bool{}
	for _, k := range own {
		mine[k.Name] = true
	}
	var out []sdk.ConfigKey
	for _, k := range common {
		if !mine[k.Name] {
			out = append(out, k)
		}
	}
	return append(out, own...), nil
}

// ValidateConfig validates a config against a plugin.
func (w *Worker) ValidateConfig(ctx context.Context, class string, cfg map[string]string) ([]sdk.ConfigKey, map[string][]string, error) {
	p, ok := w.plugins.Lookup(class)
	if !ok {
		return nil, nil, fmt.Errorf("plugin %s %w", class, ErrNotFound)
	}
	if c := cfg["connector.class"]; c != "" {
		if other, ok := w.plugins.Lookup(c); !ok || other.Class != p.Class {
			return nil, nil, &BadRequestError{Msg: fmt.Sprintf("connector.class %q does not match the plugin %q of the request path", c, class)}
		}
	}
	keys, err := ConfigKeys(p)
	if err != nil {
		return nil, nil, err
	}
	return keys, w.validationErrors(cfg), nil
}

// Workers lists the workers of the cluster's current generation with their
// tasks and heartbeats, as this worker sees them.
func (w *Worker) Workers(ctx context.Context) ([]WorkerInfo, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	placements := w.groupPlan.Workers
	if !w.placed {
		placements = []cluster.Placement{{WorkerID: w.cfg.ID, URL: w.cfg.AdvertisedURL, Error: "not yet in the group"}}
	}
	now := w.cfg.Now()
	out := []WorkerInfo{}
	for _, p := range placements {
		info := WorkerInfo{ID: p.WorkerID, URL: p.URL, Tasks: []TaskID{}, Leader: p.WorkerID == w.groupPlan.Leader, Error: p.Error}
		for _, u := range p.Assigned {
			if !u.IsConnector() {
				info.Tasks = append(info.Tasks, TaskID{u.Connector, u.Task})
			} else {
				info.Connectors = append(info.Connectors, u.Connector)
			}
		}
		if s, ok := w.seen[p.WorkerID]; ok {
			age := time.Since(s.at)
			info.HeartbeatAgeMs = age.Milliseconds()
			info.LastHeartbeat = now.Add(-age).UnixMilli()
			// What the writer's clock said, against this worker's clock
			// when the heartbeat arrived (so it includes the write's delay).
			info.ClockSkewMs = s.claimed - now.Add(-age).UnixMilli()
		}
		out = append(out, info)
	}
	return out, nil
}
