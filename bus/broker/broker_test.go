package broker_test

import (
	"errors"
	"testing"
	"time"

	ckafka "github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/tributarydata/tributary/bus/broker"
)

func start(t *testing.T, dir, listen string) *broker.Broker {
	t.Helper()
	cfg := broker.DefaultConfig()
	cfg.DataDir, cfg.Listen = dir, listen
	b, err := broker.Start(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDataDirIsLocked(t *testing.T) {
	dir := t.TempDir()
	b := start(t, dir, "127.0.0.1:0")
	cfg := broker.DefaultConfig()
	cfg.DataDir, cfg.Listen = dir, "127.0.0.1:0"
	if _, err := broker.Start(cfg); !errors.Is(err, broker.ErrLocked) {
		t.Fatalf("second broker on the same data dir: err = %v, want ErrLocked", err)
	}
	b.Close()
	// Released on close: a new broker may take it.
	start(t, dir, "127.0.0.1:0").Close()
}

// A topic created on first use, its records and a group's committed offset
// survive a restart on the same data directory and address.
func TestRestartKeepsTopicsRecordsAndOffsets(t *testing.T) {
	dir := t.TempDir()
	b := start(t, dir, "127.0.0.1:0")
	addr := b.Addr()
	topic := "auto.created"

	p, err := ckafka.NewProducer(&ckafka.ConfigMap{"bootstrap.servers": addr, "log_level": 3})
	if err != nil {
		t.Fatal(err)
	}
	delivered := make(chan ckafka.Event, 10)
	for i := range 10 {
		if err := p.Produce(&ckafka.Message{TopicPartition: ckafka.TopicPartition{Topic: &topic, Partition: ckafka.PartitionAny}, Value: []byte{byte('0' + i)}}, delivered); err != nil {
			t.Fatal(err)
		}
	}
	for range 10 {
		select {
		case ev := <-delivered:
			if m := ev.(*ckafka.Message); m.TopicPartition.Error != nil {
				t.Fatalf("delivery: %v", m.TopicPartition.Error)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("records not delivered within 30s")
		}
	}
	p.Close()

	c := consumer(t, addr)
	if err := c.Subscribe(topic, nil); err != nil {
		t.Fatal(err)
	}
	got := poll(t, c, 4)
	if _, err := c.CommitOffsets([]ckafka.TopicPartition{{Topic: &topic, Partition: 0, Offset: got[len(got)-1].TopicPartition.Offset + 1}}); err != nil {
		t.Fatal(err)
	}
	c.Close()
	b.Close()

	b = start(t, dir, addr)
	defer b.Close()
	c = consumer(t, addr)
	defer c.Close()
	if err := c.Subscribe(topic, nil); err != nil {
		t.Fatal(err)
	}
	rest := poll(t, c, 6)
	if string(rest[0].Value) != "4" || string(rest[5].Value) != "9" {
		t.Fatalf("after restart read %q…%q, want 4…9 from the committed offset", rest[0].Value, rest[5].Value)
	}
}

func consumer(t *testing.T, addr string) *ckafka.Consumer {
	t.Helper()
	c, err := ckafka.NewConsumer(&ckafka.ConfigMap{
		"bootstrap.servers": addr, "group.id": "g", "auto.offset.reset": "earliest",
		"enable.auto.commit": false, "log_level": 3,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func poll(t *testing.T, c *ckafka.Consumer, n int) []*ckafka.Message {
	t.Helper()
	var out []*ckafka.Message
	deadline := time.Now().Add(30 * time.Second)
	for len(out) < n && time.Now().Before(deadline) {
		if m, ok := c.Poll(100).(*ckafka.Message); ok && m.TopicPartition.Error == nil {
			out = append(out, m)
		}
	}
	if len(out) < n {
		t.Fatalf("read %d records, want %d", len(out), n)
	}
	return out
}
