package gen

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/tributarydata/tributary/api/ctl"
	"github.com/tributarydata/tributary/test/edu"
)

// TestDefaultBoundsAreThePipelines holds the built-in copy of the jobs'
// event-time settings to the pipeline files: a job whose window, lateness
// or late topic changes must change the generator's idea of late too.
func TestDefaultBoundsAreThePipelines(t *testing.T) {
	got, err := LoadBounds(edu.PipelineDir())
	if err != nil {
		t.Fatal(err)
	}
	if want := DefaultBounds(); got != want {
		t.Fatalf("the pipeline files say %+v, DefaultBounds %+v", got, want)
	}
}

// TestTopicsAreThePipelines holds the collector's routes and the
// dead-letter topics the report names to the pipeline files.
func TestTopicsAreThePipelines(t *testing.T) {
	conns, err := ctl.LoadConnectors(edu.PipelineDir(), func(string) (string, bool) { return "x", true })
	if err != nil {
		t.Fatal(err)
	}
	config := map[string]map[string]string{}
	for _, c := range conns {
		config[c.Name] = c.Config
	}
	routes := map[string]string{}
	for _, pair := range strings.Split(config["app-events"]["route.topics"], ",") {
		value, topic, _ := strings.Cut(pair, ":")
		routes[value] = topic
	}
	for k := range kinds {
		if routes[k.String()] != odsTopics[k] {
			t.Errorf("collector.json routes %s to %q, the report counts it in %q", k, routes[k.String()], odsTopics[k])
		}
	}
	for connector, want := range map[string]string{
		"app-events":         collectorDeadLetters,
		"signal-etl":         signalDeadLetters,
		"av-quality-state":   avDeadLetters,
		"study-time-by-user": studyDeadLetters,
		"study-time":         studyDeadLetters,
	} {
		if got := config[connector]["errors.deadletterqueue.topic.name"]; got != want {
			t.Errorf("%s dead-letters to %q, the report counts %q", connector, got, want)
		}
	}
	if _, err := LoadBounds(filepath.Join(edu.PipelineDir(), "no-such-dir")); err == nil {
		t.Error("LoadBounds read a directory that is not there")
	}
}
