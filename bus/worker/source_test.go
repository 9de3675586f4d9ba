package worker_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tributarydata/tributary/bus/broker/brokertest"
	"github.com/tributarydata/tributary/bus/worker"
	"github.com/tributarydata/tributary/bus/worker/workertest"
	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/sources/datagen"
)

// Both delivery modes of source tasks store the position of the last record
// delivered, and every record arrives once.
func TestSourceTaskStoresPositionsAfterDelivery(t *testing.T) {
	for _, exactlyOnce := range []bool{true, false} {
		t.Run(fmt.Sprintf("exactly.once.source=%v", exactlyOnce), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			w := workertest.StartAlone(ctx, t, func(c *worker.Config) { c.ExactlyOnceSource = exactlyOnce }, datagen.Plugin)
			cfg := w.Config()
			const n = 500
			if _, _, err := w.PutConnectorConfig(ctx, "gen", map[string]string{
				"connector.class": datagen.Plugin.Class, "topic": "gen", "count": strconv.Itoa(n), "batch.size": "100",
			}); err != nil {
				t.Fatal(err)
			}
			got := brokertest.Consume(t, cfg.Kafka.Bootstrap(), "gen", n)
			for i, m := range got {
				if string(m.Key) != strconv.Itoa(i) {
					t.Fatalf("record %d has key %q: lost or duplicated records", i, m.Key)
				}
			}
			deadline := time.Now().Add(30 * time.Second)
			for {
				offs, err := w.Offsets(ctx, "gen")
				if err == nil && len(offs.Offsets) == 1 && fmt.Sprint(offs.Offsets[0].Offset["next"]) == strconv.Itoa(n) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("stored positions %+v %v, want next=%d", offs, err, n)
				}
				time.Sleep(100 * time.Millisecond)
			}
		})
	}
}

// faultySource emits "0".."count-1", marking every third record as input it
// could not read.
type faultySource struct {
	sdk.UnimplementedSource
	next, count int
}

func (s *faultySource) Open(_ context.Context, cfg sdk.Config, last []sdk.Position) error {
	s.count, _ = strconv.Atoi(cfg["count"])
	for _, p := range last {
		n, err := sdk.OffsetInt(p.Offset["next"])
		if err != nil {
			return err
		}
		s.next = int(n)
	}
	return nil
}

func (s *faultySource) Read(ctx context.Context) ([]sdk.Record, error) {
	if s.next >= s.count {
		<-ctx.Done()
		return nil, nil
	}
	var recs []sdk.Record
	for ; s.next < s.count && len(recs) < 4; s.next++ {
		r := sdk.Record{
			Key: []byte(strconv.Itoa(s.next)), Value: []byte(strconv.Itoa(s.next)), Partition: -1,
			Position: sdk.Position{Partition: map[string]any{"src": "faulty"}, Offset: map[string]any{"next": s.next + 1}},
		}
		if s.next%3 == 2 {
			r.Fault = fmt.Errorf("record %d is malformed", s.next)
		}
		recs = append(recs, r)
	}
	return recs, nil
}

var faultyPlugin = sdk.Plugin{
	Class: "test.faulty", Type: sdk.TypeSource, Config: &struct{}{},
	NewSource: func() sdk.Source { return &faultySource{} },
}

// A record a source marks as faulty goes to the dead-letter topic with its
// reason under errors.tolerance=all, and fails the task under none; the good
// records around it are delivered either way.
func TestSourceFaultsGoToTheDeadLetterTopic(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	w := workertest.StartAlone(ctx, t, nil, faultyPlugin)
	cfg := w.Config()
	if _, _, err := w.PutConnectorConfig(ctx, "tolerant", map[string]string{
		"connector.class": faultyPlugin.Class, "topic": "good", "count": "30",
		"errors.tolerance": "all", "errors.deadletterqueue.topic.name": "good.dlq",
	}); err != nil {
		t.Fatal(err)
	}
	good := brokertest.Consume(t, cfg.Kafka.Bootstrap(), "good", 20)
	for i, m := range good {
		if want := strconv.Itoa(i + i/2); string(m.Key) != want {
			t.Fatalf("good record %d has key %q, want %s", i, m.Key, want)
		}
	}
	bad := brokertest.Consume(t, cfg.Kafka.Bootstrap(), "good.dlq", 10)
	for i, m := range bad {
		n := 3*i + 2
		if string(m.Key) != strconv.Itoa(n) {
			t.Fatalf("dead letter %d has key %q, want %d", i, m.Key, n)
		}
		headers := map[string]string{}
		for _, h := range m.Headers {
			headers[h.Key] = string(h.Value)
		}
		if headers[worker.HeaderErrorStage] != worker.StageTaskPoll || headers[worker.HeaderErrorTopic] != "good" ||
			headers[worker.HeaderErrorMessage] != fmt.Sprintf("record %d is malformed", n) {
			t.Fatalf("dead letter %d headers %v do not say why", i, headers)
		}
	}

	if _, _, err := w.PutConnectorConfig(ctx, "strict", map[string]string{
		"connector.class": faultyPlugin.Class, "topic": "strict", "count": "30",
	}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, err := w.ConnectorStatus(ctx, "strict")
		if err == nil && len(st.Tasks) == 1 && st.Tasks[0].State.State == worker.StateFailed {
			if !strings.Contains(st.Tasks[0].State.Trace, "record 2 is malformed") {
				t.Fatalf("failed task's trace %q does not name the bad record", st.Tasks[0].State.Trace)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("strict connector status %+v %v, want its task FAILED", st, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
