package rds

import "github.com/tributarydata/tributary/plugins/sdk"

// Plugin registers the rds sink. Tasks share one consumer group; each has
// its own connection.
var Plugin = sdk.Plugin{
	Class:   "tributary.sinks.rds",
	Type:    sdk.TypeSink,
	Version: "0.1.0",
	Summary: "Upserts records into MySQL/MariaDB (RDS) tables with INSERT … ON DUPLICATE KEY UPDATE: batches deduplicated by key, deletes from change events, Hologres write modes.",
	Config:  &Config{},
	NewSink: func() sdk.Sink { return &Sink{} },
}
