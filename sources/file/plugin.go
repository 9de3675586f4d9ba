package file

import "github.com/tributarydata/tributary/plugins/sdk"

// Plugin registers the file source.
var Plugin = sdk.Plugin{
	Class: "tributary.sources.file",
	Aliases: []string{
		"FileStreamSource",
		"org.apache.kafka.connect.file.FileStreamSourceConnector",
	},
	Type:      sdk.TypeSource,
	Version:   "0.1.0",
	Summary:   "Tails a text file and writes each line to a topic, resuming at the last delivered byte.",
	Config:    &Config{},
	NewSource: func() sdk.Source { return &Source{} },
	// One file is one stream; two tasks would read every line twice.
	Singleton: true,
}
