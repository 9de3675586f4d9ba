package elasticsearch

import "github.com/tributarydata/tributary/plugins/sdk"

// Plugin registers the Elasticsearch sink.
var Plugin = sdk.Plugin{
	Class:   "tributary.sinks.elasticsearch",
	Type:    sdk.TypeSink,
	Version: "0.1.0",
	Summary: "Indexes rows into Elasticsearch with the bulk API: _id from key fields, daily indices, index or upsert, deletes, per-item retries.",
	Config:  &Config{},
	NewSink: func() sdk.Sink { return &Sink{} },
}
