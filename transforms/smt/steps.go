package smt

import (
	"slices"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// stepType is one kind of step: its config struct (the source of its docs)
// and how to build it from its keys.
type stepType struct {
	summary string
	config  any
	build   func(cfg sdk.Config, chain Config) (step, error)
}

var stepTypes = map[string]stepType{
	"extract":   {extractSummary, &extractConfig{}, buildExtract},
	"flatten":   {flattenSummary, &flattenConfig{}, buildFlatten},
	"classify":  {classifySummary, &classifyConfig{}, buildClassify},
	"filter":    {filterSummary, &filterConfig{}, buildFilter},
	"project":   {projectSummary, &projectConfig{}, buildProject},
	"rename":    {renameSummary, &renameConfig{}, buildRename},
	"mask":      {maskSummary, &maskConfig{}, buildMask},
	"hash":      {hashSummary, &hashConfig{}, buildHash},
	"route":     {routeSummary, &routeConfig{}, buildRoute},
	"set":       {setSummary, &setConfig{}, buildSet},
	"timestamp": {timestampSummary, &timestampConfig{}, buildTimestamp},
	"unwrap":    {unwrapSummary, &unwrapConfig{}, buildUnwrap},
}

func stepTypeNames() []string {
	names := make([]string, 0, len(stepTypes))
	for n := range stepTypes {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// decode reads a step's keys into its config struct.
func decode[T any](cfg sdk.Config) (*T, error) {
	c := new(T)
	if err := sdk.Decode(cfg, c); err != nil {
		return nil, err
	}
	return c, nil
}
