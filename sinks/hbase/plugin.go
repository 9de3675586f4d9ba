package hbase

import "github.com/tributarydata/tributary/plugins/sdk"

// Plugin registers the HBase sink.
var Plugin = sdk.Plugin{
	Class:   "tributary.sinks.hbase",
	Type:    sdk.TypeSink,
	Version: "0.1.0",
	Summary: "Writes rows to HBase as puts (one cell per field) and deletes, the row key computed by an expression such as md5(id).",
	Config:  &Config{},
	NewSink: func() sdk.Sink { return &Sink{} },
}
