package kafka

import (
	"context"
	"fmt"
	"slices"
	"time"

	ckafka "github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

// Tail returns up to limit of the last records of topic, newest first (by
// timestamp, then offset). It reads without joining a consumer group and
// commits nothing; records of aborted transactions are skipped, as a
// transactional task writes its dead letters in its transaction.
func Tail(ctx context.Context, cfg ClientConfig, topic string, limit int) ([]*ckafka.Message, error) {
	if limit <= 0 {
		return nil, nil
	}
	c, err := ckafka.NewConsumer(cfg.ConsumerMap(nil, Props{
		// librdkafka wants a group id even for manual assignment; nothing is
		// committed under it.
		"group.id":           "tributary-tail",
		"enable.auto.commit": "false",
		"auto.offset.reset":  "earliest",
		"fetch.wait.max.ms":  "50",
	}))
	if err != nil {
		return nil, fmt.Errorf("tail %s: consumer: %w", topic, err)
	}
	defer c.Close()
	timeout := 5 * time.Second
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d)
	}
	md, err := c.GetMetadata(&topic, false, int(timeout.Milliseconds()))
	if err != nil {
		return nil, fmt.Errorf("tail %s: metadata: %w", topic, err)
	}
	t, ok := md.Topics[topic]
	if !ok || t.Error.Code() == ckafka.ErrUnknownTopicOrPart {
		return nil, nil // nothing was dead-lettered yet
	}
	type bounds struct{ low, high int64 }
	parts := map[int32]bounds{}
	for _, p := range t.Partitions {
		low, high, err := c.QueryWatermarkOffsets(topic, p.ID, int(timeout.Milliseconds()))
		if err != nil {
			return nil, fmt.Errorf("tail %s[%d]: offsets: %w", topic, p.ID, err)
		}
		if high > low {
			parts[p.ID] = bounds{low, high}
		}
	}
	// Offsets are not all records: transaction markers take offsets too, so
	// the last limit offsets of a partition may hold fewer than limit
	// records. Read back a window, and widen it until it holds enough or
	// reaches the start of every partition.
	var out []*ckafka.Message
	for window := int64(2*limit + 2); ; window *= 4 {
		var assign []ckafka.TopicPartition
		ends := map[int32]int64{}
		whole := true
		for id, b := range parts {
			from := max(b.low, b.high-window)
			whole = whole && from == b.low
			assign = append(assign, ckafka.TopicPartition{Topic: &topic, Partition: id, Offset: ckafka.Offset(from)})
			ends[id] = b.high
		}
		if len(assign) == 0 {
			return nil, nil
		}
		var err error
		if out, err = readUntil(ctx, c, topic, assign, ends); err != nil {
			return nil, err
		}
		if len(out) >= limit || whole || ctx.Err() != nil {
			break
		}
	}
	slices.SortFunc(out, func(a, b *ckafka.Message) int {
		if c := b.Timestamp.Compare(a.Timestamp); c != 0 {
			return c
		}
		return int(int64(b.TopicPartition.Offset) - int64(a.TopicPartition.Offset))
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// readUntil reads the assigned partitions until each reaches its end offset
// (or ctx ends: a partial page beats none).
func readUntil(ctx context.Context, c *ckafka.Consumer, topic string, assign []ckafka.TopicPartition, ends map[int32]int64) ([]*ckafka.Message, error) {
	if err := c.Assign(assign); err != nil {
		return nil, fmt.Errorf("tail %s: assign: %w", topic, err)
	}
	var out []*ckafka.Message
	for len(ends) > 0 && ctx.Err() == nil {
		switch e := c.Poll(100).(type) {
		case *ckafka.Message:
			if e.TopicPartition.Error != nil {
				continue
			}
			out = append(out, e)
			if int64(e.TopicPartition.Offset)+1 >= ends[e.TopicPartition.Partition] {
				delete(ends, e.TopicPartition.Partition)
			}
		case ckafka.Error:
			if e.IsFatal() {
				return nil, fmt.Errorf("tail %s: %w", topic, e)
			}
		case nil:
			// The last offsets may be transaction markers or aborted
			// records, which are never delivered: the position says
			// when a partition is read to its end.
			pos, err := c.Position(assign)
			if err != nil {
				continue
			}
			for _, p := range pos {
				if p.Offset >= 0 && int64(p.Offset) >= ends[p.Partition] {
					delete(ends, p.Partition)
				}
			}
		}
	}
	return out, nil
}
