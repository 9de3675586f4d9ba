package worker

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	ckafka "github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/tributarydata/tributary/bus/kafka"
	"github.com/tributarydata/tributary/plugins/sdk"
)

// stateLog is the changelog topic of a stateful transform (sdk.Stateful):
// each transaction carries the state writes its batch made.
type stateLog struct {
	topic string
	st    sdk.Stateful
}

// write produces the transform's state changes since the last call, each to
// the changelog partition of the input partition its state belongs to.
func (s *stateLog) write(produce func(*ckafka.Message) error) error {
	for _, c := range s.st.Changes() {
		m := &ckafka.Message{
			TopicPartition: ckafka.TopicPartition{Topic: &s.topic, Partition: c.Partition},
			Key:            c.Key,
			Value:          c.Value,
		}
		if err := produce(m); err != nil {
			return fmt.Errorf("write state changelog %s[%d]: %w", s.topic, c.Partition, err)
		}
	}
	return nil
}

// changelogTopic names the changelog of a connector's state.
func (x *transformTask) changelogTopic() string {
	if x.common.StateChangelog != "" {
		return x.common.StateChangelog
	}
	return fmt.Sprintf("%s-%s-changelog", x.w.cfg.Group, x.id.Connector)
}

// openState places a stateful transform's input statically (partition p of
// every input topic to task p mod tasks.max), makes sure the changelog topic
// has a partition for every input partition, and restores the state of the
// partitions this task reads. It returns the partitions to consume.
func (x *transformTask) openState(ctx context.Context, st sdk.Stateful) (*stateLog, *staticPlacement, error) {
	if x.common.TopicsRegex != "" || len(x.common.Topics) == 0 {
		return nil, nil, fail(errors.New("a stateful transform reads named topics (topics), not topics.regex: its state is placed by input partition"))
	}
	counts := make([]int, len(x.common.Topics))
	most := 0
	for i, topic := range x.common.Topics {
		n, err := x.waitForTopic(ctx, topic)
		if err != nil {
			return nil, nil, err
		}
		counts[i] = n
		most = max(most, n)
	}
	if slices.Min(counts) != most {
		x.log.Warn("input topics have different partition counts: records of one key meet only when every topic is partitioned alike",
			"topics", x.common.Topics, "partitions", counts)
	}
	tasks, self := int32(x.common.TasksMax), int32(x.id.Task)
	var owned []sdk.TopicPartition
	var indexes []int32
	for i, topic := range x.common.Topics {
		for p := int32(0); p < int32(counts[i]); p++ {
			if p%tasks == self {
				owned = append(owned, sdk.TopicPartition{Topic: topic, Partition: p})
				if !slices.Contains(indexes, p) {
					indexes = append(indexes, p)
				}
			}
		}
	}
	slices.Sort(indexes)

	topic := x.changelogTopic()
	err := kafka.EnsureTopic(ctx, x.w.admin, kafka.TopicSpec{
		Name: topic, Partitions: most, Replication: x.common.StateReplication,
		Configs: map[string]string{"cleanup.policy": "compact"},
	})
	if err != nil {
		return nil, nil, fail(fmt.Errorf("state changelog: %w", err))
	}
	have, err := kafka.Partitions(x.w.admin, topic, 10*time.Second)
	if err != nil {
		return nil, nil, fail(fmt.Errorf("state changelog: %w", err))
	}
	if have < most {
		return nil, nil, fail(fmt.Errorf("state changelog %s has %d partitions and the input %d: add partitions to it (kafka-topics --alter) so each input partition has its own", topic, have, most))
	}
	x.placedCounts = map[string]int{}
	for i, topic := range x.common.Topics {
		x.placedCounts[topic] = counts[i]
	}
	if err := st.Assign(owned); err != nil {
		return nil, nil, fail(fmt.Errorf("assign partitions to the transform: %w", err))
	}
	if err := x.restore(ctx, topic, indexes, st); err != nil {
		return nil, nil, err
	}
	return &stateLog{topic: topic, st: st}, &staticPlacement{parts: owned}, nil
}

// waitForTopic returns the partition count of an input topic, waiting for
// the topic to exist: an upstream connector may not have written it yet.
func (x *transformTask) waitForTopic(ctx context.Context, topic string) (int, error) {
	logged := false
	for {
		n, err := kafka.Partitions(x.w.admin, topic, 10*time.Second)
		if err == nil {
			return n, nil
		}
		if !errors.Is(err, kafka.ErrTopicMissing) {
			return 0, fail(fmt.Errorf("input topic: %w", err))
		}
		if !logged {
			x.log.Info("waiting for input topic to exist", "topic", topic)
			logged = true
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

// restore replays the changelog partitions of the task's input partitions
// into the transform, reading only committed transactions, each up to the
// end it had when the restore started, with one consumer for them all (and
// the connector's consumer.override.* settings, which may be what it takes
// to reach the cluster at all).
// By now the task's own producer has fenced earlier incarnations of the same
// task, and fenceOtherGenerations those of other task counts, so no other
// producer can still commit to these partitions.
func (x *transformTask) restore(ctx context.Context, topic string, partitions []int32, st sdk.Stateful) error {
	start := time.Now()
	overrides, err := kafka.Overrides(x.config, kafka.ConsumerOverridePrefix)
	if err != nil {
		return fail(err)
	}
	c, err := ckafka.NewConsumer(x.w.cfg.Kafka.ConsumerMap(overrides, kafka.Props{
		"group.id":           GroupID(x.id.Connector) + "-restore",
		"client.id":          fmt.Sprintf("connector-restore-%s-%d", x.id.Connector, x.id.Task),
		"enable.auto.commit": "false",
		"isolation.level":    "read_committed",
		"auto.offset.reset":  "earliest",
	}))
	if err != nil {
		return fail(fmt.Errorf("restore consumer: %w", err))
	}
	defer c.Close()
	ends := map[int32]int64{} // partitions still to read → their end
	var assign []ckafka.TopicPartition
	for _, p := range partitions {
		low, high, err := c.QueryWatermarkOffsets(topic, p, 10000)
		if err != nil {
			return fail(fmt.Errorf("changelog %s[%d] offsets: %w", topic, p, err))
		}
		if high > low {
			ends[p] = high
			assign = append(assign, ckafka.TopicPartition{Topic: &topic, Partition: p, Offset: ckafka.OffsetBeginning})
		}
	}
	entries := 0
	err = kafka.ReadToEnd(ctx, c, topic, assign, ends, func(m *ckafka.Message) error {
		if err := st.Restore(m.TopicPartition.Partition, m.Key, m.Value); err != nil {
			return fmt.Errorf("partition %d at offset %d: %w", m.TopicPartition.Partition, m.TopicPartition.Offset, err)
		}
		entries++
		return nil
	})
	switch {
	case err != nil && ctx.Err() != nil:
		return ctx.Err()
	case err != nil:
		return fail(fmt.Errorf("restore %s%v: %w", topic, partitions, err))
	}
	if len(assign) > 0 { // a changelog with nothing in it restores silently
		x.log.Info("state restored", "changelog", topic, "partitions", partitions, "entries", entries, "took", time.Since(start).Round(time.Millisecond))
	}
	return nil
}

// partitionCheckInterval is how often a stateful task asks whether its input
// topics gained partitions.
var partitionCheckInterval = 30 * time.Second

// watchPartitionCounts reports, once, an input topic that has more
// partitions than when the task placed its state. The task cannot go on:
// the new partitions have no task reading them (their records would wait
// unread with no sign), and a producer that partitions by key now sends
// some keys to another partition than the one holding their state, so
// reading them would split a key's state over two tasks and corrupt its
// results.
func (x *transformTask) watchPartitionCounts(ctx context.Context, grown chan<- error) {
	ticker := time.NewTicker(partitionCheckInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		for _, topic := range slices.Sorted(maps.Keys(x.placedCounts)) {
			was := x.placedCounts[topic]
			n, err := kafka.Partitions(x.w.admin, topic, 10*time.Second)
			if err != nil || n <= was {
				continue // a failed lookup is retried at the next tick
			}
			grown <- fmt.Errorf("input topic %s grew from %d to %d partitions while this stateful transform ran: "+
				"its state is placed by input partition, records in the new partitions have no task reading them, and keys "+
				"that a producer now hashes to another partition would have their state split. To go on, stop the connector, "+
				"add partitions to its changelog %s to match, and either accept that keys written before and after the "+
				"change are counted apart, or reset its offsets and delete the changelog to rebuild the state from the input",
				topic, was, n, x.changelogTopic())
			return
		}
	}
}
