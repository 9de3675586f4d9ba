package datagen

import "github.com/tributarydata/tributary/plugins/sdk"

// Plugin registers the generator.
var Plugin = sdk.Plugin{
	Class:     "tributary.sources.datagen",
	Type:      sdk.TypeSource,
	Version:   "0.1.0",
	Summary:   "Generates JSON records at a given rate, deterministically, for demos and load tests.",
	Config:    &Config{},
	NewSource: func() sdk.Source { return &Source{} },
}
