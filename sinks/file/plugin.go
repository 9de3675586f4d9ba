package file

import (
	"maps"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// Plugin registers the file sink.
var Plugin = sdk.Plugin{
	Class: "tributary.sinks.file",
	Aliases: []string{
		"FileStreamSink",
		"org.apache.kafka.connect.file.FileStreamSinkConnector",
	},
	Type:        sdk.TypeSink,
	Version:     "0.1.0",
	Summary:     "Appends record values to a file, one per line, exactly once.",
	Config:      &Config{},
	NewSink:     func() sdk.Sink { return &Sink{} },
	TaskConfigs: taskConfigs,
}

// taskConfigs always gives one task, whatever tasks.max says: tasks would
// share the one output file and its offsets, and interleaved appends from
// several writers could not be truncated back to a consistent state.
func taskConfigs(cfg sdk.Config, _ int) ([]sdk.Config, error) {
	return []sdk.Config{maps.Clone(cfg)}, nil
}
