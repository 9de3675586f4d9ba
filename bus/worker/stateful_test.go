package worker_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	ckafka "github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/tributarydata/tributary/bus/broker/brokertest"
	"github.com/tributarydata/tributary/bus/worker/workertest"
	"github.com/tributarydata/tributary/plugins/sdk"
)

// counter is a stateful test transform: a running count per record key,
// emitted as "key=n" on every record, kept in state that the runtime logs and
// restores. Tick emits "ticked" once per task when state changed since the
// last tick, so a test sees that the runtime ticks and commits its output.
type counter struct {
	sdk.UnimplementedTransform
	counts   map[string]int64
	owner    map[string]int32
	changes  []sdk.StateChange
	assigned []sdk.TopicPartition
	dirty    bool
}

var countersOpened atomic.Int64

type counterConfig struct {
	Topic string `json:"topic" validate:"required"`
}

func (c *counter) Open(context.Context, sdk.Config) error {
	countersOpened.Add(1)
	c.counts, c.owner = map[string]int64{}, map[string]int32{}
	return nil
}

func (c *counter) Assign(parts []sdk.TopicPartition) error { c.assigned = parts; return nil }

func (c *counter) Restore(partition int32, key, value []byte) error {
	if value == nil {
		delete(c.counts, string(key))
		return nil
	}
	n, err := strconv.ParseInt(string(value), 10, 64)
	if err != nil {
		return err
	}
	c.counts[string(key)] = n
	c.owner[string(key)] = partition
	return nil
}

func (c *counter) Changes() []sdk.StateChange {
	out := c.changes
	c.changes = nil
	return out
}

func (c *counter) Process(_ context.Context, recs []sdk.Record) ([]sdk.Record, error) {
	out := make([]sdk.Record, 0, len(recs))
	for _, r := range recs {
		k := string(r.Key)
		if p, ok := c.owner[k]; ok && p != r.Partition {
			return nil, fmt.Errorf("key %s seen in partitions %d and %d", k, p, r.Partition)
		}
		c.owner[k] = r.Partition
		c.counts[k]++
		n := strconv.FormatInt(c.counts[k], 10)
		c.changes = append(c.changes, sdk.StateChange{Partition: r.Partition, Key: []byte(k), Value: []byte(n)})
		out = append(out, sdk.Record{Key: r.Key, Value: []byte(k + "=" + n)})
		c.dirty = true
	}
	return out, nil
}

func (c *counter) Tick(context.Context, time.Time) ([]sdk.Record, error) {
	if !c.dirty {
		return nil, nil
	}
	c.dirty = false
	return []sdk.Record{{Value: []byte("ticked")}}, nil
}

var counterPlugin = sdk.Plugin{
	Class: "test.counter", Type: sdk.TypeTransform, Version: "0", Config: &counterConfig{},
	NewTransform: func() sdk.Transform { return &counter{} },
}

// produceKeyed writes key/value pairs, the keys spread over partitions by
// the default partitioner, and waits for each delivery.
func produceKeyed(t *testing.T, bootstrap, topic string, keys []string) {
	t.Helper()
	p, err := ckafka.NewProducer(&ckafka.ConfigMap{"bootstrap.servers": bootstrap, "log_level": 3})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	done := make(chan ckafka.Event, len(keys))
	for _, k := range keys {
		m := &ckafka.Message{TopicPartition: ckafka.TopicPartition{Topic: &topic, Partition: ckafka.PartitionAny}, Key: []byte(k), Value: []byte(k)}
		if err := p.Produce(m, done); err != nil {
			t.Fatal(err)
		}
	}
	for range keys {
		if m := (<-done).(*ckafka.Message); m.TopicPartition.Error != nil {
			t.Fatal(m.TopicPartition.Error)
		}
	}
}

// TestStatefulTransformRestoresStateExactlyOnce runs a stateful transform
// with four tasks over a three-partition topic (one task reads nothing and
// must not read anything either): each key's count goes up by one per
// record with no gap or repeat, across a restart of every task that
// restores the counts from the changelog topic.
func TestStatefulTransformRestoresStateExactlyOnce(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	w := workertest.StartAlone(ctx, t, nil, counterPlugin)
	bootstrap := w.Config().Kafka.Bootstrap()
	admin, err := ckafka.NewAdminClient(&ckafka.ConfigMap{"bootstrap.servers": bootstrap})
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.CreateTopics(ctx, []ckafka.TopicSpecification{{Topic: "clicks", NumPartitions: 3, ReplicationFactor: 1}}); err != nil {
		t.Fatal(err)
	}
	keys := func(round int) []string {
		var out []string
		for i := range 60 {
			out = append(out, fmt.Sprintf("user-%d", (i*7+round)%11))
		}
		return out
	}
	produceKeyed(t, bootstrap, "clicks", keys(0))
	if _, _, err := w.PutConnectorConfig(ctx, "counts", map[string]string{
		"connector.class": "test.counter", "topics": "clicks", "topic": "clicks.counts", "tasks.max": "4",
		"state.tick.interval.ms": "50",
	}); err != nil {
		t.Fatal(err)
	}
	brokertest.Consume(t, bootstrap, "clicks.counts", 60)
	opened := countersOpened.Load()
	if _, err := w.RestartConnector(ctx, "counts", true, false); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(time.Minute); countersOpened.Load() < opened+4; {
		if time.Now().After(deadline) {
			t.Fatal("the tasks did not restart")
		}
		time.Sleep(50 * time.Millisecond)
	}
	produceKeyed(t, bootstrap, "clicks", keys(1))

	want := map[string]int64{}
	for _, k := range append(keys(0), keys(1)...) {
		want[k]++
	}
	got := map[string][]int64{}
	ticks := 0
	for _, m := range brokertest.ConsumeAll(t, bootstrap, "clicks.counts", 120, 2*time.Second) {
		if string(m.Value) == "ticked" {
			ticks++
			continue
		}
		k, n, ok := strings.Cut(string(m.Value), "=")
		if !ok {
			t.Fatalf("output %q", m.Value)
		}
		v, _ := strconv.ParseInt(n, 10, 64)
		got[k] = append(got[k], v)
	}
	for k, total := range want {
		seq := got[k]
		if int64(len(seq)) != total {
			t.Errorf("%s: %d outputs %v, want %d", k, len(seq), seq, total)
			continue
		}
		for i, v := range seq {
			if v != int64(i+1) {
				t.Errorf("%s: counts %v, want 1..%d (a restart must continue from the restored state)", k, seq, total)
				break
			}
		}
	}
	if ticks == 0 {
		t.Error("no output of Tick arrived")
	}
}
