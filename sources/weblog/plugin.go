package weblog

import "github.com/tributarydata/tributary/plugins/sdk"

// Plugin registers the weblog source.
var Plugin = sdk.Plugin{
	Class:     "tributary.sources.weblog",
	Type:      sdk.TypeSource,
	Version:   "0.1.0",
	Summary:   "Tails web server access logs (nginx combined, JSON or a custom log_format) through rotation and writes each request as a JSON record, with tracking-beacon query strings decoded.",
	Config:    &Config{},
	NewSource: func() sdk.Source { return &Source{} },
	// The files are one stream with one position; two tasks would read
	// every line twice.
	Singleton: true,
}
