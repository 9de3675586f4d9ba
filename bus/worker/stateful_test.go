package worker_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	ckafka "github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/tributarydata/tributary/bus/broker/brokertest"
	"github.com/tributarydata/tributary/bus/worker"
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
	failLeft int
}

var countersOpened atomic.Int64

type counterConfig struct {
	Topic string `json:"topic" validate:"required"`
	// FailFirst makes the first calls of Process fail with a retriable
	// error, leaving the state as it was (a store that is down).
	FailFirst int `json:"fail.first"`
}

func (c *counter) Open(_ context.Context, cfg sdk.Config) error {
	countersOpened.Add(1)
	c.counts, c.owner = map[string]int64{}, map[string]int32{}
	var conf counterConfig
	if err := sdk.Decode(cfg, &conf); err != nil {
		return err
	}
	c.failLeft = conf.FailFirst
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

var countersFailed atomic.Int64

func (c *counter) Process(_ context.Context, recs []sdk.Record) ([]sdk.Record, error) {
	if c.failLeft > 0 && len(recs) > 0 {
		c.failLeft--
		countersFailed.Add(1)
		return nil, sdk.Retriable(errors.New("the store is down"))
	}
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

// startCounting starts a worker with the counter plugin and creates topic
// with the given partitions; it returns the worker, its bootstrap address
// and an admin client.
func startCounting(ctx context.Context, t *testing.T, topic string, partitions int) (*worker.Worker, string, *ckafka.AdminClient) {
	t.Helper()
	w := workertest.StartAlone(ctx, t, nil, counterPlugin)
	bootstrap := w.Config().Kafka.Bootstrap()
	admin, err := ckafka.NewAdminClient(&ckafka.ConfigMap{"bootstrap.servers": bootstrap})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(admin.Close)
	if _, err := admin.CreateTopics(ctx, []ckafka.TopicSpecification{{Topic: topic, NumPartitions: partitions, ReplicationFactor: 1}}); err != nil {
		t.Fatal(err)
	}
	return w, bootstrap, admin
}

// TestStatefulTransformRestoresStateExactlyOnce runs a stateful transform
// with four tasks over a three-partition topic (one task reads nothing and
// must not read anything either): each key's count goes up by one per
// record with no gap or repeat, across a restart of every task that
// restores the counts from the changelog topic.
func TestStatefulTransformRestoresStateExactlyOnce(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	w, bootstrap, _ := startCounting(ctx, t, "clicks", 3)
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

// TestStatefulTaskCountChangeFencesOldGeneration changes tasks.max of a
// running stateful connector from 2 to 3, which moves partition 2 from task
// 0 to task 2, while a stale copy of the 2-task generation's task 0 (a
// worker that has not noticed the change) holds an open transaction: the new
// generation must fence it before reading partition 2, so its commit fails,
// and the counts continue from
// the state the old generation left, with no gap or repeat.
func TestStatefulTaskCountChangeFencesOldGeneration(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	w, bootstrap, admin := startCounting(ctx, t, "scores", 3)
	keys := func(round int) []string {
		var out []string
		for i := range 40 {
			out = append(out, fmt.Sprintf("pupil-%d", (i*5+round)%13))
		}
		return out
	}
	config := func(tasks string) map[string]string {
		return map[string]string{
			"connector.class": "test.counter", "topics": "scores", "topic": "scores.counts", "tasks.max": tasks,
		}
	}
	produceKeyed(t, bootstrap, "scores", keys(0))
	if _, _, err := w.PutConnectorConfig(ctx, "scaled", config("2")); err != nil {
		t.Fatal(err)
	}
	brokertest.Consume(t, bootstrap, "scores.counts", 40)

	// The stale task 0 of the 2-task generation, mid-transaction.
	if _, err := admin.CreateTopics(ctx, []ckafka.TopicSpecification{{Topic: "scores.stale", NumPartitions: 1, ReplicationFactor: 1}}); err != nil {
		t.Fatal(err)
	}
	stale, err := ckafka.NewProducer(&ckafka.ConfigMap{
		"bootstrap.servers": bootstrap, "log_level": 3,
		"transactional.id": worker.StatefulTransactionalID(w.Config().Group, "scaled", 0, 2),
		// Longer than the test: only a fence may end this transaction.
		"transaction.timeout.ms": 300000,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer stale.Close()
	if err := stale.InitTransactions(ctx); err != nil {
		t.Fatal(err)
	}
	if err := stale.BeginTransaction(); err != nil {
		t.Fatal(err)
	}
	// To a topic of its own, so its open transaction holds back no reader
	// of scores.counts.
	out := "scores.stale"
	if err := stale.Produce(&ckafka.Message{TopicPartition: ckafka.TopicPartition{Topic: &out, Partition: 0}, Value: []byte("stale=1")}, nil); err != nil {
		t.Fatal(err)
	}
	stale.Flush(10000)

	if _, _, err := w.PutConnectorConfig(ctx, "scaled", config("3")); err != nil {
		t.Fatal(err)
	}
	produceKeyed(t, bootstrap, "scores", keys(1))
	msgs := brokertest.ConsumeAll(t, bootstrap, "scores.counts", 80, 2*time.Second)

	commitCtx, cancelCommit := context.WithTimeout(ctx, 30*time.Second)
	defer cancelCommit()
	if err := stale.CommitTransaction(commitCtx); err == nil {
		t.Error("the stale producer of the 2-task generation committed after the 3-task generation started: it was not fenced")
	}
	want := map[string]int64{}
	for _, k := range append(keys(0), keys(1)...) {
		want[k]++
	}
	got := map[string][]int64{}
	for _, m := range msgs {
		if string(m.Value) == "ticked" {
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
		ok := int64(len(seq)) == total
		for i := range seq {
			ok = ok && seq[i] == int64(i+1)
		}
		if !ok {
			t.Errorf("%s: counts %v, want 1..%d (the new generation continues from the old one's state)", k, seq, total)
		}
	}
	// The real task 0 of the old generation was fenced too; it must not
	// leave a FAILED status behind its successor.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(200 * time.Millisecond) {
		st, err := w.ConnectorStatus(ctx, "scaled")
		running := 0
		for _, task := range st.Tasks {
			if task.State.State == worker.StateRunning && task.Trace == "" {
				running++
			}
		}
		if err == nil && running == 3 && len(st.Tasks) == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("tasks not all RUNNING: %+v %v", st.Tasks, err)
		}
	}
}

// TestStatefulTaskFailsWhenInputGainsPartitions: partitions added to the
// input of a running stateful transform would be read by no task, and keys
// would move away from their state; the task must fail and say so.
func TestStatefulTaskFailsWhenInputGainsPartitions(t *testing.T) {
	defer worker.SetPartitionCheckInterval(100 * time.Millisecond)()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	w, bootstrap, admin := startCounting(ctx, t, "grows", 2)
	produceKeyed(t, bootstrap, "grows", []string{"a", "b", "c", "d"})
	if _, _, err := w.PutConnectorConfig(ctx, "growing", map[string]string{
		"connector.class": "test.counter", "topics": "grows", "topic": "grows.counts", "tasks.max": "1",
	}); err != nil {
		t.Fatal(err)
	}
	brokertest.Consume(t, bootstrap, "grows.counts", 4)
	res, err := admin.CreatePartitions(ctx, []ckafka.PartitionsSpecification{{Topic: "grows", IncreaseTo: 3}})
	if err != nil || res[0].Error.Code() != ckafka.ErrNoError {
		t.Fatal(err, res)
	}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		st, err := w.TaskStatus(ctx, "growing", 0)
		if err == nil && st.State.State == worker.StateFailed {
			if !strings.Contains(st.Trace, "input topic grows grew from 2 to 3 partitions") {
				t.Errorf("trace does not say what happened:\n%s", st.Trace)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the task did not fail after its input gained a partition: %+v %v", st, err)
		}
	}
}

// TestStatefulRetriableErrorRetriesTheBatch: a stateful transform's
// retriable error (its state untouched) is retried within
// errors.retry.timeout, in a new transaction each time, and every record
// still counts exactly once; the task never fails.
func TestStatefulRetriableErrorRetriesTheBatch(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	w, bootstrap, _ := startCounting(ctx, t, "flaky", 1)
	keys := []string{"a", "b", "a", "c", "a"}
	produceKeyed(t, bootstrap, "flaky", keys)
	failed := countersFailed.Load()
	if _, _, err := w.PutConnectorConfig(ctx, "retrying", map[string]string{
		"connector.class": "test.counter", "topics": "flaky", "topic": "flaky.counts", "tasks.max": "1",
		"fail.first": "3", "errors.retry.timeout": "60000", "errors.retry.delay.max.ms": "200",
	}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range brokertest.ConsumeAll(t, bootstrap, "flaky.counts", len(keys), 2*time.Second) {
		if string(m.Value) != "ticked" {
			got = append(got, string(m.Value))
		}
	}
	slices.Sort(got)
	if want := []string{"a=1", "a=2", "a=3", "b=1", "c=1"}; !slices.Equal(got, want) {
		t.Errorf("outputs %v, want %v: each record once, counted from the untouched state", got, want)
	}
	if n := countersFailed.Load() - failed; n != 3 {
		t.Errorf("Process failed %d times, want 3", n)
	}
	st, err := w.TaskStatus(ctx, "retrying", 0)
	if err != nil || st.State.State != worker.StateRunning {
		t.Errorf("task %+v %v, want RUNNING", st, err)
	}
}
