package api

import (
	"context"

	"github.com/tributarydata/tributary/bus/worker"
	"github.com/tributarydata/tributary/plugins/sdk"
)

// Controller is what the REST API needs from a worker. Methods taking a
// context get the request's context, bounded by Options.RequestTimeout.
//
// Configs returned (ConnectorInfo.Config, TaskInfo.Config) must have their
// secret values masked already: api does not know which keys are secret.
type Controller interface {
	// ServerInfo describes this worker and the Kafka cluster it runs against.
	ServerInfo() worker.ServerInfo

	// Connectors lists the names of all connectors of the cluster.
	Connectors(ctx context.Context) ([]string, error)
	// ConnectorInfo returns a connector's config (masked) and tasks.
	ConnectorInfo(ctx context.Context, name string) (worker.ConnectorInfo, error)
	// CreateConnector creates a connector, failing with worker.ErrConflict
	// when it exists. cfg["name"] is always set to name.
	CreateConnector(ctx context.Context, name string, cfg map[string]string) (worker.ConnectorInfo, error)
	// PutConnectorConfig creates or replaces a connector's config and reports
	// whether it created the connector. cfg["name"] is always set to name.
	PutConnectorConfig(ctx context.Context, name string, cfg map[string]string) (info worker.ConnectorInfo, created bool, err error)
	DeleteConnector(ctx context.Context, name string) error

	ConnectorStatus(ctx context.Context, name string) (worker.ConnectorStatus, error)
	TaskStatus(ctx context.Context, name string, task int) (worker.TaskState, error)
	// Tasks returns the task configs (masked) of a connector.
	Tasks(ctx context.Context, name string) ([]worker.TaskInfo, error)

	// RestartConnector restarts a connector and, with includeTasks, its tasks;
	// onlyFailed limits the restart to instances that are FAILED. It returns
	// the status with the instances it restarts in state RESTARTING.
	RestartConnector(ctx context.Context, name string, includeTasks, onlyFailed bool) (worker.ConnectorStatus, error)
	RestartTask(ctx context.Context, name string, task int) error
	PauseConnector(ctx context.Context, name string) error
	ResumeConnector(ctx context.Context, name string) error
	StopConnector(ctx context.Context, name string) error

	Offsets(ctx context.Context, name string) (worker.Offsets, error)
	// AlterOffsets sets the given offsets; a nil Offset resets its partition.
	// Kafka Connect only allows this on a STOPPED connector: refuse with a
	// *worker.BadRequestError otherwise. Numbers in partitions and offsets
	// arrive as float64, as encoding/json decodes them.
	AlterOffsets(ctx context.Context, name string, o worker.Offsets) error
	ResetOffsets(ctx context.Context, name string) error

	// Plugins lists the installed plugins, transforms included.
	Plugins() []worker.PluginInfo
	// PluginConfig returns a plugin's config definition (class may be an alias).
	PluginConfig(class string) ([]sdk.ConfigKey, error)
	// ValidateConfig validates cfg against plugin class. It returns the
	// definitions of the keys to show (in display order) and the errors per
	// key; err is for requests that cannot be validated at all (worker.ErrNotFound
	// for an unknown class, *worker.BadRequestError when cfg["connector.class"]
	// names another plugin than class). api sets cfg["connector.class"] to
	// class when the caller left it out.
	ValidateConfig(ctx context.Context, class string, cfg map[string]string) (keys []sdk.ConfigKey, errs map[string][]string, err error)

	// TaskMetrics samples the counters of the tasks this worker runs.
	TaskMetrics() (worker.TaskMetrics, error)
	// DeadLetters returns up to limit of the newest records of a connector's
	// dead-letter topic (worker.ErrNotFound for an unknown connector).
	DeadLetters(ctx context.Context, name string, limit int) (worker.DeadLetters, error)

	// Workers lists the live workers of the cluster.
	Workers(ctx context.Context) ([]worker.WorkerInfo, error)
	// Ready returns nil once the worker has finished starting. While it is
	// starting, return an error with a method `Starting() bool` that reports
	// true (GET /health then says "starting"); any other error is "unhealthy".
	Ready() error
}
