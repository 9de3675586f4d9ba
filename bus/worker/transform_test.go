package worker_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	ckafka "github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/tributarydata/tributary/bus/broker/brokertest"
	"github.com/tributarydata/tributary/bus/worker"
	"github.com/tributarydata/tributary/bus/worker/workertest"
	"github.com/tributarydata/tributary/plugins/sdk"
)

// upper is a test transform: it upper-cases values, drops "drop" (counting
// it), refuses "poison" with a RecordError and rejects "faulty" through
// Record.Fault.
type upper struct {
	sdk.UnimplementedTransform
	dropped int64
}

func (u *upper) Counts() map[string]int64 { return map[string]int64{"dropped": u.dropped} }

type upperConfig struct {
	Topic string `json:"topic" validate:"required"`
}

func (u *upper) Process(_ context.Context, recs []sdk.Record) ([]sdk.Record, error) {
	out := make([]sdk.Record, 0, len(recs))
	for i, r := range recs {
		switch string(r.Value) {
		case "poison":
			return nil, &sdk.RecordError{Index: i, Err: errors.New("poison value")}
		case "drop":
			u.dropped++
			continue
		case "faulty":
			r.Fault = errors.New("faulty value")
			out = append(out, r)
			continue
		}
		r.Value = bytes.ToUpper(r.Value)
		r.Topic = ""
		out = append(out, r)
	}
	return out, nil
}

var upperPlugin = sdk.Plugin{
	Class: "test.upper", Type: sdk.TypeTransform, Version: "0", Config: &upperConfig{},
	NewTransform: func() sdk.Transform { return &upper{} },
}

// TestTransformTaskExactlyOnce runs a transform connector on an in-process
// worker: outputs and input offsets are committed in one transaction, bad
// records go to the dead-letter topic, dropped ones only advance the offset.
func TestTransformTaskExactlyOnce(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	w := workertest.StartAlone(ctx, t, nil, upperPlugin)
	client := w.Config().Kafka

	brokertest.Produce(t, client.Bootstrap(), "words", "alpha", "poison", "drop", "faulty", "beta")
	if _, _, err := w.PutConnectorConfig(ctx, "upper", map[string]string{
		"connector.class": "test.upper", "topics": "words", "topic": "words.upper",
		"errors.tolerance": "all", "errors.deadletterqueue.topic.name": "words.dlq",
	}); err != nil {
		t.Fatal(err)
	}
	got := brokertest.Consume(t, client.Bootstrap(), "words.upper", 2)
	if string(got[0].Value) != "ALPHA" || string(got[1].Value) != "BETA" {
		t.Fatalf("outputs %q, %q; want ALPHA, BETA", got[0].Value, got[1].Value)
	}
	dead := brokertest.Consume(t, client.Bootstrap(), "words.dlq", 2)
	if string(dead[0].Value) != "poison" || string(dead[1].Value) != "faulty" {
		t.Fatalf("dead letters %q, %q; want poison, faulty", dead[0].Value, dead[1].Value)
	}
	for i, why := range []string{"poison value", "faulty value"} {
		msg, stage := header(dead[i], worker.HeaderErrorMessage), header(dead[i], worker.HeaderErrorStage)
		if string(msg) != why || string(stage) != worker.StageTransformation {
			t.Errorf("dead letter %d says %q at %q; want %q at %s", i, msg, stage, why, worker.StageTransformation)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		offs, err := w.Offsets(ctx, "upper")
		if err == nil && len(offs.Offsets) == 1 && fmt.Sprint(offs.Offsets[0].Offset["kafka_offset"]) == "5" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("committed input offsets %+v %v, want words-0 at 5", offs, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got := counterValue(t, w, "tributary_task_events_total", "event", "dropped"); got != 1 {
		t.Errorf("tributary_task_events_total{event=dropped} = %v, want 1", got)
	}
	st, err := w.ConnectorStatus(ctx, "upper")
	if err != nil || st.Tasks[0].State.State != worker.StateRunning {
		t.Fatalf("status %+v %v, want the task RUNNING", st, err)
	}

	// The dashboard's views of the same: the dead letters newest first, read
	// past the transaction markers, and the task's counters and topics.
	letters, err := w.DeadLetters(ctx, "upper", 10)
	if err != nil {
		t.Fatal(err)
	}
	if letters.Topic != "words.dlq" || len(letters.Records) != 2 ||
		letters.Records[0].Value != "faulty" || letters.Records[1].Value != "poison" ||
		letters.Records[0].Headers[worker.HeaderErrorMessage] != "faulty value" {
		t.Fatalf("dead letters %+v, want faulty then poison with their reasons", letters)
	}
	if letters, err = w.DeadLetters(ctx, "upper", 1); err != nil || len(letters.Records) != 1 || letters.Records[0].Value != "faulty" {
		t.Fatalf("newest dead letter %+v %v, want faulty alone", letters, err)
	}
	sampled, err := w.TaskMetrics()
	if err != nil {
		t.Fatal(err)
	}
	if len(sampled.Tasks) != 1 {
		t.Fatalf("task samples %+v, want one", sampled.Tasks)
	}
	s := sampled.Tasks[0]
	if s.Connector != "upper" || s.RecordsIn != 5 || s.RecordsOut != 2 || s.DLQ != 2 ||
		fmt.Sprint(s.TopicsIn) != "[words]" || fmt.Sprint(s.TopicsOut) != "[words.upper]" {
		t.Fatalf("task sample %+v", s)
	}
}

// counterValue reads one counter of the worker's metrics by a label's value.
func counterValue(t *testing.T, w *worker.Worker, name, label, value string) float64 {
	t.Helper()
	families, err := w.Metrics().Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label && l.GetValue() == value {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

func header(m *ckafka.Message, key string) string {
	for _, h := range m.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}
