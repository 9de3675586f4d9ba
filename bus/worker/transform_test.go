package worker_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	ckafka "github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/tributarydata/tributary/bus/broker/brokertest"
	"github.com/tributarydata/tributary/bus/metrics"
	"github.com/tributarydata/tributary/bus/worker"
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
	w := startWorker(ctx, t, nil, upperPlugin)
	client := w.Config().Kafka

	produce(t, client.Bootstrap(), "words", "alpha", "poison", "drop", "beta")
	if _, _, err := w.PutConnectorConfig(ctx, "upper", map[string]string{
		"connector.class": "test.upper", "topics": "words", "topic": "words.upper",
		"errors.tolerance": "all", "errors.deadletterqueue.topic.name": "words.dlq",
	}); err != nil {
		t.Fatal(err)
	}
	got := consume(t, client.Bootstrap(), "words.upper", 2)
	if string(got[0].Value) != "ALPHA" || string(got[1].Value) != "BETA" {
		t.Fatalf("outputs %q, %q; want ALPHA, BETA", got[0].Value, got[1].Value)
	}
	dead := consume(t, client.Bootstrap(), "words.dlq", 1)
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

// startWorker runs an in-process worker with plugins against a fresh
// embedded broker; adjust, when set, changes its config first.
func startWorker(ctx context.Context, t *testing.T, adjust func(*worker.Config), plugins ...sdk.Plugin) *worker.Worker {
	t.Helper()
	b := brokertest.Start(t)
	reg, err := worker.NewRegistry(plugins...)
	if err != nil {
		t.Fatal(err)
	}
	cfg := worker.DefaultConfig()
	cfg.Kafka = brokertest.Client(b)
	cfg.Listen = "127.0.0.1:0"
	if adjust != nil {
		adjust(&cfg)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	w, err := worker.New(cfg, reg, log, metrics.New())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	return w
}

func produce(t *testing.T, bootstrap, topic string, values ...string) {
	t.Helper()
	p, err := ckafka.NewProducer(&ckafka.ConfigMap{"bootstrap.servers": bootstrap, "log_level": 3})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	delivered := make(chan ckafka.Event, len(values))
	for _, v := range values {
		if err := p.Produce(&ckafka.Message{TopicPartition: ckafka.TopicPartition{Topic: &topic, Partition: ckafka.PartitionAny}, Value: []byte(v)}, delivered); err != nil {
			t.Fatal(err)
		}
	}
	for range values {
		if m := (<-delivered).(*ckafka.Message); m.TopicPartition.Error != nil {
			t.Fatal(m.TopicPartition.Error)
		}
	}
}

func consume(t *testing.T, bootstrap, topic string, n int) []*ckafka.Message {
	t.Helper()
	c, err := ckafka.NewConsumer(&ckafka.ConfigMap{
		"bootstrap.servers": bootstrap, "group.id": "check-" + topic, "auto.offset.reset": "earliest",
		"isolation.level": "read_committed", "log_level": 3,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Subscribe(topic, nil); err != nil {
		t.Fatal(err)
	}
	var out []*ckafka.Message
	deadline := time.Now().Add(60 * time.Second)
	for len(out) < n && time.Now().Before(deadline) {
		if m, ok := c.Poll(100).(*ckafka.Message); ok && m.TopicPartition.Error == nil {
			out = append(out, m)
		}
	}
	if len(out) < n {
		t.Fatalf("read %d records from %s, want %d", len(out), topic, n)
	}
	return out
}
