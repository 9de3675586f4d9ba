// Package brokertest starts the embedded broker for tests, in a temp data
// directory on a free loopback port, and gives client configs pointing at it.
// Tests run against this real broker rather than a mock of the Kafka client.
package brokertest

import (
	"testing"
	"time"

	"github.com/tributarydata/tributary/bus/broker"
	"github.com/tributarydata/tributary/bus/kafka"
)

// Start runs a broker for the test's lifetime.
func Start(t testing.TB) *broker.Broker {
	t.Helper()
	cfg := broker.DefaultConfig()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.CompactionInterval = time.Second
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
