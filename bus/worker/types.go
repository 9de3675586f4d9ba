package worker

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/tributarydata/tributary/bus/record"
)

// Connector and task states, as Kafka Connect names them.
const (
	StateUnassigned = "UNASSIGNED"
	StateRunning    = "RUNNING"
	StatePaused     = "PAUSED"
	StateStopped    = "STOPPED"
	StateFailed     = "FAILED"
	StateRestarting = "RESTARTING"
)

// Target states a user sets through pause/resume/stop.
const (
	TargetStarted = "STARTED"
	TargetPaused  = "PAUSED"
	TargetStopped = "STOPPED"
)

// ConnectorInfo is the answer of GET /connectors/{name}.
type ConnectorInfo struct {
	Name   string            `json:"name"`
	Config map[string]string `json:"config"`
	Tasks  []TaskID          `json:"tasks"`
	Type   string            `json:"type"`
}

// TaskID names one task of a connector.
type TaskID struct {
	Connector string `json:"connector"`
	Task      int    `json:"task"`
}

// TaskInfo is one element of GET /connectors/{name}/tasks.
type TaskInfo struct {
	ID     TaskID            `json:"id"`
	Config map[string]string `json:"config"`
}

// State is the state of a connector or task and the worker it runs on.
type State struct {
	State    string `json:"state"`
	WorkerID string `json:"worker_id"`
	// Trace is the error and stack of a FAILED connector or task.
	Trace string `json:"trace,omitempty"`
}

// TaskState is a task's State with its id.
type TaskState struct {
	ID int `json:"id"`
	State
}

// ConnectorStatus is the answer of GET /connectors/{name}/status.
type ConnectorStatus struct {
	Name      string      `json:"name"`
	Connector State       `json:"connector"`
	Tasks     []TaskState `json:"tasks"`
	Type      string      `json:"type"`
}

// Offsets is the body of GET/PATCH /connectors/{name}/offsets. For sink
// connectors a partition is {"kafka_topic","kafka_partition"} and an offset
// {"kafka_offset"}, as in Kafka Connect.
type Offsets struct {
	Offsets []record.Position `json:"offsets"`
}

// PluginInfo is one element of GET /connector-plugins.
type PluginInfo struct {
	Class   string `json:"class"`
	Type    string `json:"type"`
	Version string `json:"version,omitempty"`
}

// WorkerInfo describes one worker of the cluster (GET /api/v1/workers).
type WorkerInfo struct {
	ID  string `json:"id"`
	URL string `json:"url"`
	// Leader is the worker that computed the current assignment.
	Leader     bool     `json:"leader"`
	Connectors []string `json:"connectors,omitempty"`
	Tasks      []TaskID `json:"tasks"`
	// LastHeartbeat is when this worker last saw the worker's heartbeat, by
	// its own clock; HeartbeatAgeMs is how long ago that was.
	LastHeartbeat  int64 `json:"last_heartbeat_ms,omitempty"`
	HeartbeatAgeMs int64 `json:"heartbeat_age_ms,omitempty"`
	// ClockSkewMs is how far the worker's clock is ahead of this one's.
	ClockSkewMs int64 `json:"clock_skew_ms,omitempty"`
	// Error says why the group refused the worker (a duplicate id or URL).
	Error string `json:"error,omitempty"`
}

// ServerInfo is the answer of GET /.
type ServerInfo struct {
	Version        string `json:"version"`
	Commit         string `json:"commit"`
	KafkaClusterID string `json:"kafka_cluster_id"`
}

// Errors the controller returns; the REST API maps them to status codes.
var (
	// ErrNotFound: no such connector, task or plugin (404).
	ErrNotFound = errors.New("not found")
	// ErrConflict: the connector exists already, or a rebalance is under way (409).
	ErrConflict = errors.New("conflict")
)

// ConfigError is an invalid connector config (400); Fields names each bad field.
type ConfigError struct {
	Connector string
	Fields    map[string][]string
}

func (e *ConfigError) Error() string {
	return fmt.Sprintf("connector configuration is invalid and contains %d error(s): %s", countErrors(e.Fields), formatFieldErrors(e.Fields))
}

// BadRequestError is a request the controller refuses for a reason other than
// the config (400), e.g. altering offsets of a connector that is not stopped.
type BadRequestError struct{ Msg string }

func (e *BadRequestError) Error() string { return e.Msg }

func countErrors(fields map[string][]string) int {
	n := 0
	for _, errs := range fields {
		n += len(errs)
	}
	return n
}

// formatFieldErrors lists the errors sorted by field, so messages are stable.
func formatFieldErrors(fields map[string][]string) string {
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	sort.Strings(names)
	var b strings.Builder
	for i, name := range names {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(name + ": " + strings.Join(fields[name], ", "))
	}
	return b.String()
}
