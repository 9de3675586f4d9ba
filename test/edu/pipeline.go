package edu

import (
	"fmt"
	"path/filepath"
	"runtime"

	"github.com/tributarydata/tributary/api/ctl"
	"github.com/tributarydata/tributary/plugins/sdk"
)

// PipelineDir is deployments/pipelines/edu of this checkout, found from
// this source file so that tests in any package read the same files.
func PipelineDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "deployments", "pipelines", "edu")
}

// PipelineConfig is the config of connector name in the warehouse pipeline
// file (classroom-performance.json), its ${VAR} placeholders filled with
// "x", checked against plugin's spec: golden tests run the jobs exactly as
// they are deployed.
func PipelineConfig(file, name string, plugin sdk.Plugin) (map[string]string, error) {
	conns, err := ctl.LoadConnectors(filepath.Join(PipelineDir(), file), func(string) (string, bool) { return "x", true })
	if err != nil {
		return nil, err
	}
	for _, c := range conns {
		if c.Name != name {
			continue
		}
		if problems := plugin.Problems(sdk.Config(c.Config)); len(problems) > 0 {
			return nil, fmt.Errorf("%s in %s is invalid: %v", name, file, problems)
		}
		return c.Config, nil
	}
	return nil, fmt.Errorf("no connector %s in %s", name, file)
}
