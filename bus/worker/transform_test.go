package worker_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/tributarydata/tributary/bus/broker/brokertest"
	"github.com/tributarydata/tributary/bus/worker"
	"github.com/tributarydata/tributary/bus/worker/workertest"
	"github.com/tributarydata/tributary/plugins/sdk"
)

// upper is a test transform: it upper-cases values, drops "drop" and refuses "poison".
type upper struct{ sdk.UnimplementedTransform }

type upperConfig struct {
	Topic string `json:"topic" validate:"required"`
}

func (upper) Process(_ context.Context, recs []sdk.Record) ([]sdk.Record, error) {
	out := make([]sdk.Record, 0, len(recs))
	for i, r := range recs {
		switch string(r.Value) {
		case "poison":
			return nil, &sdk.RecordError{Index: i, Err: errors.New("poison value")}
		case "drop":
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
	NewTransform: func() sdk.Transform { return upper{} },
}

// TestTransformTaskExactlyOnce runs a transform connector on an in-process
// worker: outputs and input offsets are committed in one transaction, bad
// records go to the dead-letter topic, dropped ones only advance the offset.
func TestTransformTaskExactlyOnce(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	w := workertest.StartAlone(ctx, t, nil, upperPlugin)
	client := w.Config().Kafka

	brokertest.Produce(t, client.Bootstrap(), "words", "alpha", "poison", "drop", "beta")
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
	dead := brokertest.Consume(t, client.Bootstrap(), "words.dlq", 1)
	if string(dead[0].Value) != "poison" {
		t.Fatalf("dead letter %q, want poison", dead[0].Value)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		offs, err := w.Offsets(ctx, "upper")
		if err == nil && len(offs.Offsets) == 1 && fmt.Sprint(offs.Offsets[0].Offset["kafka_offset"]) == "4" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("committed input offsets %+v %v, want words-0 at 4", offs, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	st, err := w.ConnectorStatus(ctx, "upper")
	if err != nil || st.Tasks[0].State.State != worker.StateRunning {
		t.Fatalf("status %+v %v, want the task RUNNING", st, err)
	}
}
