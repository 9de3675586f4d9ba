package broker_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	ckafka "github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

// A transaction left open by a broker that died (a SIGKILLed `tributary
// dev`) is aborted when the broker starts again, with an abort marker, so
// read_committed consumers skip it and still receive what the same
// transactional producer commits afterwards.
func TestOpenTransactionOfACrashedBrokerIsAborted(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	live := filepath.Join(t.TempDir(), "live")
	b := start(t, live, "127.0.0.1:0")
	topic := "txn.topic"

	committed := func(addr string, values ...string) {
		t.Helper()
		p := txnProducer(ctx, t, addr)
		defer p.Close()
		if err := p.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		produceAll(t, p, topic, values...)
		if err := p.CommitTransaction(ctx); err != nil {
			t.Fatal(err)
		}
	}
	committed(b.Addr(), "a")

	// Open a transaction, get its record into the log, and copy the data
	// directory while the broker runs: the copy is what a killed broker
	// leaves behind.
	p := txnProducer(ctx, t, b.Addr())
	if err := p.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	produceAll(t, p, topic, "in-flight")
	crashed := filepath.Join(t.TempDir(), "crashed")
	if out, err := exec.Command("cp", "-a", live, crashed).CombinedOutput(); err != nil {
		t.Fatalf("copy data dir: %v\n%s", err, out)
	}
	p.Close()
	b.Close()

	b = start(t, crashed, "127.0.0.1:0")
	defer b.Close()
	committed(b.Addr(), "c")

	c, err := ckafka.NewConsumer(&ckafka.ConfigMap{
		"bootstrap.servers": b.Addr(), "group.id": "check", "auto.offset.reset": "earliest",
		"isolation.level": "read_committed", "log_level": 3,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Assign([]ckafka.TopicPartition{{Topic: &topic, Partition: 0, Offset: ckafka.OffsetBeginning}}); err != nil {
		t.Fatal(err)
	}
	var got []string
	deadline := time.Now().Add(20 * time.Second)
	for len(got) < 2 && time.Now().Before(deadline) {
		if m, ok := c.Poll(100).(*ckafka.Message); ok {
			got = append(got, string(m.Value))
		}
	}
	if len(got) != 2 || got[0] != "a" || got[1] != "c" {
		t.Fatalf("read_committed consumer got %q, want [a c]: the crashed transaction hid the later commit", got)
	}
	_, high, err := c.QueryWatermarkOffsets(topic, 0, 5000)
	if err != nil {
		t.Fatal(err)
	}
	// The consumer's position reaches the end of the partition, so a reader
	// waiting to catch up (kvlog.Sync) does not wait forever.
	deadline = time.Now().Add(10 * time.Second)
	for {
		c.Poll(50)
		pos, err := c.Position([]ckafka.TopicPartition{{Topic: &topic, Partition: 0}})
		if err == nil && int64(pos[0].Offset) >= high {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("consumer position %v never reached the end offset %d", pos, high)
		}
	}
}

func txnProducer(ctx context.Context, t *testing.T, addr string) *ckafka.Producer {
	t.Helper()
	p, err := ckafka.NewProducer(&ckafka.ConfigMap{"bootstrap.servers": addr, "transactional.id": "crash-test", "log_level": 3})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.InitTransactions(ctx); err != nil {
		p.Close()
		t.Fatal(err)
	}
	return p
}

func produceAll(t *testing.T, p *ckafka.Producer, topic string, values ...string) {
	t.Helper()
	delivered := make(chan ckafka.Event, len(values))
	for _, v := range values {
		if err := p.Produce(&ckafka.Message{TopicPartition: ckafka.TopicPartition{Topic: &topic, Partition: 0}, Value: []byte(v)}, delivered); err != nil {
			t.Fatal(err)
		}
	}
	for range values {
		if m := (<-delivered).(*ckafka.Message); m.TopicPartition.Error != nil {
			t.Fatal(m.TopicPartition.Error)
		}
	}
}
