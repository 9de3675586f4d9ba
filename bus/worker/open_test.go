package worker_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tributarydata/tributary/bus/broker/brokertest"
	"github.com/tributarydata/tributary/bus/worker"
	"github.com/tributarydata/tributary/bus/worker/workertest"
	"github.com/tributarydata/tributary/plugins/sdk"
)

// opens counts, by connector label, the instances each plugin made and
// opened: a plugin of this file refuses its first open.failures opens
// (Retriable, or for good with open.fatal=true), as one does while the
// database or table it needs is not there yet.
var opens = struct {
	sync.Mutex
	n map[string]int
}{n: map[string]int{}}

type openConfig struct {
	Label    string `json:"label" validate:"required"`
	Failures int    `json:"open.failures"`
	Fatal    bool   `json:"open.fatal"`
	Topic    string `json:"topic"`
}

// refuseOpen counts an open of cfg's connector and refuses it while the
// connector has failures left. opened marks the instance: a retry must use
// a fresh one.
func refuseOpen(cfg sdk.Config, opened *bool) error {
	if *opened {
		return errors.New("an instance was opened twice")
	}
	*opened = true
	failures, _ := strconv.Atoi(cfg["open.failures"])
	opens.Lock()
	defer opens.Unlock()
	opens.n[cfg["label"]]++
	if opens.n[cfg["label"]] > failures {
		return nil
	}
	err := errors.New("the database is not there yet")
	if cfg["open.fatal"] == "true" {
		return err
	}
	return sdk.Retriable(err)
}

func openCount(label string) int {
	opens.Lock()
	defer opens.Unlock()
	return opens.n[label]
}

type refusingSink struct {
	sdk.UnimplementedSink
	opened bool
}

func (s *refusingSink) Open(_ context.Context, cfg sdk.Config) error {
	return refuseOpen(cfg, &s.opened)
}
func (s *refusingSink) Write(_ context.Context, recs []sdk.Record) (int, error) {
	return len(recs), nil
}
func (s *refusingSink) Flush(context.Context) error { return nil }

type refusingSource struct {
	sdk.UnimplementedSource
	opened, sent bool
}

func (s *refusingSource) Open(_ context.Context, cfg sdk.Config, _ []sdk.Position) error {
	return refuseOpen(cfg, &s.opened)
}

func (s *refusingSource) Read(ctx context.Context) ([]sdk.Record, error) {
	if s.sent {
		<-ctx.Done()
		return nil, nil
	}
	s.sent = true
	return []sdk.Record{{Value: []byte("opened"), Partition: -1,
		Position: sdk.Position{Partition: map[string]any{"p": "0"}, Offset: map[string]any{"n": 1}}}}, nil
}

type refusingTransform struct {
	sdk.UnimplementedTransform
	opened bool
}

func (x *refusingTransform) Open(_ context.Context, cfg sdk.Config) error {
	return refuseOpen(cfg, &x.opened)
}

func (x *refusingTransform) Process(_ context.Context, recs []sdk.Record) ([]sdk.Record, error) {
	for i := range recs {
		recs[i].Topic = ""
	}
	return recs, nil
}

var refusingPlugins = []sdk.Plugin{
	{Class: "test.refusing.sink", Type: sdk.TypeSink, Version: "0", Config: &openConfig{},
		NewSink: func() sdk.Sink { return &refusingSink{} }},
	{Class: "test.refusing.source", Type: sdk.TypeSource, Version: "0", Config: &openConfig{},
		NewSource: func() sdk.Source { return &refusingSource{} }},
	{Class: "test.refusing.transform", Type: sdk.TypeTransform, Version: "0", Config: &openConfig{},
		NewTransform: func() sdk.Transform { return &refusingTransform{} }},
}

// TestEveryTaskKindRetriesARetriableOpen: a source, a sink and a transform
// whose open fails as Retriable run once it passes, each attempt on a
// fresh instance; one that fails for good, or past errors.retry.timeout,
// goes FAILED with the cause.
func TestEveryTaskKindRetriesARetriableOpen(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	w := workertest.StartAlone(ctx, t, nil, refusingPlugins...)
	brokertest.Produce(t, w.Config().Kafka.Bootstrap(), "refused.in", "x")
	connectors := map[string]map[string]string{
		"source":    {"connector.class": "test.refusing.source", "topic": "refused.source"},
		"sink":      {"connector.class": "test.refusing.sink", "topics": "refused.in"},
		"transform": {"connector.class": "test.refusing.transform", "topics": "refused.in", "topic": "refused.out"},
		"fatal":     {"connector.class": "test.refusing.sink", "topics": "refused.in", "open.fatal": "true"},
		"exhausted": {"connector.class": "test.refusing.sink", "topics": "refused.in", "open.failures": "1000", "errors.retry.timeout": "500"},
	}
	for name, cfg := range connectors {
		cfg["label"] = name
		if cfg["open.failures"] == "" {
			cfg["open.failures"] = "3"
		}
		if _, _, err := w.PutConnectorConfig(ctx, name, cfg); err != nil {
			t.Fatal(err)
		}
	}
	if got := brokertest.Consume(t, w.Config().Kafka.Bootstrap(), "refused.source", 1); string(got[0].Value) != "opened" {
		t.Errorf("the source wrote %q", got[0].Value)
	}
	if got := brokertest.Consume(t, w.Config().Kafka.Bootstrap(), "refused.out", 1); string(got[0].Value) != "x" {
		t.Errorf("the transform wrote %q", got[0].Value)
	}
	state := func(name string) (string, string) {
		st, err := w.ConnectorStatus(ctx, name)
		if err != nil || len(st.Tasks) == 0 {
			return "", ""
		}
		return st.Tasks[0].State.State, st.Tasks[0].State.Trace
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		sink, _ := state("sink")
		fatal, fatalTrace := state("fatal")
		exhausted, exhaustedTrace := state("exhausted")
		if sink == worker.StateRunning && fatal == worker.StateFailed && exhausted == worker.StateFailed {
			if !strings.Contains(fatalTrace, "open sink: the database is not there yet") {
				t.Errorf("the fatal open's trace does not say why: %s", fatalTrace)
			}
			if !strings.Contains(exhaustedTrace, "retries exhausted") {
				t.Errorf("the exhausted open's trace does not say so: %s", exhaustedTrace)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("states: sink %s, fatal %s, exhausted %s", sink, fatal, exhausted)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, name := range []string{"source", "sink", "transform"} {
		if n := openCount(name); n != 4 {
			t.Errorf("%s opened %d times, want 3 refused and 1 that passed", name, n)
		}
	}
	if n := openCount("fatal"); n != 1 {
		t.Errorf("the fatal open was tried %d times, want once", n)
	}
	if n := openCount("exhausted"); n < 2 {
		t.Errorf("the exhausted open was tried %d times, want retries", n)
	}
}
