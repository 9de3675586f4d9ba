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
		out = out[:0]
		err := ReadToEnd(ctx, c, topic, assign, ends, func(m *ckafka.Message) error {
			out = append(out, m)
			return nil
		})
		if err != nil && ctx.Err() == nil {
			return nil, fmt.Errorf("tail %s: %w", topic, err)
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

// ReadToEnd reads topic from the offsets in assign up to ends (partition →
// end offset, exclusive), handing each record to fn, until every partition
// is read to its end; then it returns nil, or ctx.Err() when ctx ends first.
// A partition read to its end is paused, so records written after the ends
// were taken neither reach fn nor keep the polls from going quiet. Aborted
// transactions and their markers can end a partition without a record to
// read: the consumer's position tells. ends is emptied as it goes.
func ReadToEnd(ctx context.Context, c *ckafka.Consumer, topic string, assign []ckafka.TopicPartition, ends map[int32]int64, fn func(*ckafka.Message) error) error {
	if len(ends) == 0 {
		return nil
	}
	if err := c.Assign(assign); err != nil {
		return fmt.Errorf("assign: %w", err)
	}
	// A consumer that read before (Tail widening its window) may hold
	// these partitions paused.
	if err := c.Resume(assign); err != nil {
		return fmt.Errorf("resume: %w", err)
	}
	done := func(p int32) {
		delete(ends, p)
		_ = c.Pause([]ckafka.TopicPartition{{Topic: &topic, Partition: p}})
	}
	for ctx.Err() == nil {
		switch e := c.Poll(100).(type) {
		case *ckafka.Message:
			p := e.TopicPartition.Partition
			if e.TopicPartition.Error != nil {
				return fmt.Errorf("partition %d: %w", p, e.TopicPartition.Error)
			}
			end, reading := ends[p]
			if !reading || int64(e.TopicPartition.Offset) >= end {
				continue // past the end the read started with
			}
			if err := fn(e); err != nil {
				return err
			}
			if int64(e.TopicPartition.Offset)+1 >= end {
				done(p)
			}
		case nil:
			var pending []ckafka.TopicPartition
			for p := range ends {
				pending = append(pending, ckafka.TopicPartition{Topic: &topic, Partition: p})
			}
			if pos, err := c.Position(pending); err == nil {
				for _, tp := range pos {
					if tp.Offset >= 0 && int64(tp.Offset) >= ends[tp.Partition] {
						done(tp.Partition)
					}
				}
			}
		case ckafka.Error:
			if e.IsFatal() {
				return e
			}
		}
		if len(ends) == 0 {
			return nil
		}
	}
	return ctx.Err()
}
