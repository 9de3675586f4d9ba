package backup

import "github.com/tributarydata/tributary/plugins/sdk"

// Plugin registers the backup sink.
var Plugin = sdk.Plugin{
	Class:   "tributary.sinks.backup",
	Type:    sdk.TypeSink,
	Version: "0.1.0",
	Summary: "Backs topics up as hourly partitioned Parquet files (ds=YYYYMMDD/hh=HH) on a local disk or S3, exactly once.",
	Config:  &Config{},
	NewSink: func() sdk.Sink { return &Sink{} },
}
