package hologres

import "github.com/tributarydata/tributary/plugins/sdk"

// Plugin registers the Hologres sink.
var Plugin = sdk.Plugin{
	Class:   "tributary.sinks.hologres",
	Type:    sdk.TypeSink,
	Version: "0.1.0",
	Summary: "Upserts, deletes or appends records as rows of Hologres or PostgreSQL tables, deduplicated by primary key.",
	Config:  &Config{},
	NewSink: func() sdk.Sink { return &Sink{} },
}
