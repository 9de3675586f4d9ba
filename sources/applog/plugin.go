package applog

import (
	"maps"
	"strconv"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// taskKey numbers a task in its task config; the source partition of its
// positions holds it, so tasks never share one.
const taskKey = "applog.task"

// Plugin registers the collector.
var Plugin = sdk.Plugin{
	Class:       "tributary.sources.applog",
	Type:        sdk.TypeSource,
	Version:     "0.1.0",
	Summary:     "HTTP collector for app events: answers 200 once Kafka has every event of a batch, routes events to topics by a field.",
	Config:      &Config{},
	NewSource:   func() sdk.Source { return &Source{} },
	TaskConfigs: taskConfigs,
}

// taskConfigs gives tasks.max tasks, numbered, on Linux, where they share
// the listen port of a host through SO_REUSEPORT: each task has its own
// producer and delivers its own batches, so more tasks take more events per
// second. Elsewhere it gives one, since a second task on the same host could
// not bind the port. Tasks are independent (no shared state or position), so
// the connector need not be a Singleton.
func taskConfigs(cfg sdk.Config, maxTasks int) ([]sdk.Config, error) {
	n := max(maxTasks, 1)
	if !reusePort {
		n = 1
	}
	tasks := make([]sdk.Config, n)
	for i := range tasks {
		tasks[i] = maps.Clone(cfg)
		tasks[i][taskKey] = strconv.Itoa(i)
	}
	return tasks, nil
}
