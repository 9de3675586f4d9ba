// Package brokertest starts the embedded broker for tests, in a temp data
// directory on a free loopback port, gives client configs pointing at it, and
// produces and reads records the way a test checks them (confluent-kafka-go).
// Tests run against this real broker rather than a mock of the Kafka client.
package brokertest

import (
	"testing"
	"time"

	ckafka "github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/tributarydata/tributary/bus/broker"
	"github.com/tributarydata/tributary/bus/kafka"
)

// Start runs a broker for the test's lifetime.
func Start(t testing.TB) *broker.Broker {
	t.Helper()
	cfg := broker.DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	b, err := broker.Start(cfg)
	if err != nil {
		t.Fatalf("start embedded broker: %v", err)
	}
	t.Cleanup(b.Close)
	return b
}

// Client returns a client config for the broker, quiet and quick to notice
// new topics, as tests want.
func Client(b *broker.Broker) kafka.ClientConfig {
	return kafka.ClientConfig{
		Common: kafka.Props{
			"bootstrap.servers":                  b.Addr(),
			"topic.metadata.refresh.interval.ms": "1000",
			"log_level":                          "3",
		},
	}
}

// Produce writes values to topic (no key) and waits until each is delivered.
func Produce(t testing.TB, bootstrap, topic string, values ...string) {
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

// Consume reads the first n committed records of topic (read_committed, in a
// group of its own), failing the test when they do not arrive within a minute.
func Consume(t testing.TB, bootstrap, topic string, n int) []*ckafka.Message {
	t.Helper()
	return consume(t, bootstrap, topic, n, 0)
}

// ConsumeAll reads at least n committed records of topic, and then whatever
// else arrives until the topic has been quiet for quiet: a test that must
// see no record beyond the n it expects compares the length.
func ConsumeAll(t testing.TB, bootstrap, topic string, n int, quiet time.Duration) []*ckafka.Message {
	t.Helper()
	return consume(t, bootstrap, topic, n, quiet)
}

func consume(t testing.TB, bootstrap, topic string, n int, quiet time.Duration) []*ckafka.Message {
	t.Helper()
	c, err := ckafka.NewConsumer(&ckafka.ConfigMap{
		// Nothing committed: every call reads the topic from its start.
		"bootstrap.servers": bootstrap, "group.id": "check-" + topic, "auto.offset.reset": "earliest",
		"enable.auto.commit": false, "isolation.level": "read_committed", "log_level": 3,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Subscribe(topic, nil); err != nil {
		t.Fatal(err)
	}
	var out []*ckafka.Message
	deadline := time.Now().Add(time.Minute)
	for len(out) < n && time.Now().Before(deadline) {
		if m, ok := c.Poll(100).(*ckafka.Message); ok && m.TopicPartition.Error == nil {
			out = append(out, m)
		}
	}
	if len(out) < n {
		t.Fatalf("read %d records from %s, want %d", len(out), topic, n)
	}
	for last := time.Now(); quiet > 0 && time.Since(last) < quiet; {
		if m, ok := c.Poll(100).(*ckafka.Message); ok && m.TopicPartition.Error == nil {
			out = append(out, m)
			last = time.Now()
		}
	}
	return out
}
