package worker_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tributarydata/tributary/bus/broker/brokertest"
	"github.com/tributarydata/tributary/bus/worker"
	"github.com/tributarydata/tributary/bus/worker/workertest"
	"github.com/tributarydata/tributary/plugins/sdk"
)

// countingSink records how many records and flushes each connector's sink saw.
type countingSink struct {
	sdk.UnimplementedSink
	name string
}

type countingConfig struct {
	Label string `json:"label" validate:"required"`
}

var counts = struct {
	sync.Mutex
	records, flushes map[string]int
}{records: map[string]int{}, flushes: map[string]int{}}

func (s *countingSink) Open(_ context.Context, cfg sdk.Config) error {
	s.name = cfg["label"]
	return nil
}

func (s *countingSink) Write(_ context.Context, recs []sdk.Record) (int, error) {
	counts.Lock()
	defer counts.Unlock()
	counts.records[s.name] += len(recs)
	return len(recs), nil
}

func (s *countingSink) Flush(context.Context) error {
	counts.Lock()
	defer counts.Unlock()
	counts.flushes[s.name]++
	return nil
}

var countingPlugin = sdk.Plugin{
	Class: "test.counting", Type: sdk.TypeSink, Version: "0", Config: &countingConfig{},
	NewSink: func() sdk.Sink { return &countingSink{} },
}

// TestSinkFlushIntervalPerConnector runs two sinks on a worker that flushes
// every 100 ms: the one with offset.flush.interval.ms of an hour neither
// flushes nor commits while the other does both.
func TestSinkFlushIntervalPerConnector(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	w := workertest.StartAlone(ctx, t, func(c *worker.Config) { c.OffsetFlushInterval = 100 * time.Millisecond }, countingPlugin)
	brokertest.Produce(t, w.Config().Kafka.Bootstrap(), "flushes", "a", "b", "c")
	for name, extra := range map[string]string{"fast": "0", "slow": "3600000"} {
		if _, _, err := w.PutConnectorConfig(ctx, name, map[string]string{
			"connector.class": "test.counting", "topics": "flushes", "label": name, "offset.flush.interval.ms": extra,
		}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		counts.Lock()
		fast, slow := counts.records["fast"], counts.records["slow"]
		counts.Unlock()
		if fast == 3 && slow == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sinks got %d and %d records, want 3 each", fast, slow)
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(time.Second)
	counts.Lock()
	fastFlushes, slowFlushes := counts.flushes["fast"], counts.flushes["slow"]
	counts.Unlock()
	if fastFlushes == 0 || slowFlushes != 0 {
		t.Fatalf("flushes: fast %d, slow %d; want fast > 0 and slow 0", fastFlushes, slowFlushes)
	}
	fastOffs, err := w.Offsets(ctx, "fast")
	if err != nil || len(fastOffs.Offsets) != 1 || fmt.Sprint(fastOffs.Offsets[0].Offset["kafka_offset"]) != "3" {
		t.Errorf("fast committed %+v %v, want flushes-0 at 3", fastOffs, err)
	}
	slowOffs, err := w.Offsets(ctx, "slow")
	if err != nil || len(slowOffs.Offsets) != 0 {
		t.Errorf("slow committed %+v %v before any flush, want nothing", slowOffs, err)
	}
}

// flakySink refuses its first writes as retriable, as a sink does while its
// database restarts.
type flakySink struct {
	sdk.UnimplementedSink
	name string
}

var flaky = struct {
	sync.Mutex
	failures map[string]int
	written  map[string][]string
}{failures: map[string]int{}, written: map[string][]string{}}

func (s *flakySink) Open(_ context.Context, cfg sdk.Config) error {
	s.name = cfg["label"]
	return nil
}

func (s *flakySink) Write(_ context.Context, recs []sdk.Record) (int, error) {
	flaky.Lock()
	defer flaky.Unlock()
	if flaky.failures[s.name] < 3 {
		flaky.failures[s.name]++
		return 0, sdk.Retriable(errors.New("database restarting"))
	}
	for _, r := range recs {
		flaky.written[s.name] = append(flaky.written[s.name], string(r.Value))
	}
	return len(recs), nil
}

var flakyPlugin = sdk.Plugin{
	Class: "test.flaky", Type: sdk.TypeSink, Version: "0", Config: &countingConfig{},
	NewSink: func() sdk.Sink { return &flakySink{} },
}

// TestSinkRetriesRetriableFaultsByDefault: with the default
// errors.retry.timeout a sink's retriable faults are retried until they pass
// (Kafka Connect's RetriableException from put), and nothing is lost.
func TestSinkRetriesRetriableFaultsByDefault(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	w := workertest.StartAlone(ctx, t, nil, flakyPlugin)
	brokertest.Produce(t, w.Config().Kafka.Bootstrap(), "flaky", "a", "b")
	if _, _, err := w.PutConnectorConfig(ctx, "flaky", map[string]string{
		"connector.class": "test.flaky", "topics": "flaky", "label": "flaky",
	}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		flaky.Lock()
		got := slices.Clone(flaky.written["flaky"])
		failures := flaky.failures["flaky"]
		flaky.Unlock()
		if len(got) == 2 {
			if got[0] != "a" || got[1] != "b" || failures != 3 {
				t.Fatalf("written %q after %d failures, want [a b] after 3", got, failures)
			}
			break
		}
		if st, err := w.ConnectorStatus(ctx, "flaky"); err == nil && len(st.Tasks) > 0 && st.Tasks[0].State.State == worker.StateFailed {
			t.Fatalf("the task failed on a retriable fault: %s", st.Tasks[0].State.Trace)
		}
		if time.Now().After(deadline) {
			t.Fatalf("written %q after %d failures", got, failures)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestRegexSubscriptionFindsNewTopics: a sink subscribed by topics.regex
// reads a matching topic created after it started within seconds, not at
// librdkafka's default five-minute metadata refresh.
func TestRegexSubscriptionFindsNewTopics(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	w := workertest.StartAlone(ctx, t, nil, countingPlugin)
	if _, _, err := w.PutConnectorConfig(ctx, "regex", map[string]string{
		"connector.class": "test.counting", "topics.regex": `late\..*`, "label": "regex",
	}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for len(w.Running()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the sink task never started")
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(2 * time.Second) // subscribed, with no topic matching yet
	brokertest.Produce(t, w.Config().Kafka.Bootstrap(), "late.one", "x", "y")
	start := time.Now()
	for {
		counts.Lock()
		n := counts.records["regex"]
		counts.Unlock()
		if n == 2 {
			t.Logf("the new topic was read %v after it was created", time.Since(start).Round(100*time.Millisecond))
			return
		}
		if time.Since(start) > 45*time.Second {
			t.Fatalf("%d records of a topic created after the subscription, want 2 within 45 s", n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
