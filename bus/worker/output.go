package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	ckafka "github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/tributarydata/tributary/bus/kafka"
	"github.com/tributarydata/tributary/bus/metrics"
	"github.com/tributarydata/tributary/plugins/sdk"
)

// txnTimeout bounds each transactional call: confluent-kafka-go only honours a
// context's deadline, and a task context has none.
const txnTimeout = time.Minute

// send produces one output record of a source or transform task to its topic
// (defaultTopic when it names none). A record over max.record.bytes is a bad
// record, refused before it can fail a whole batch or transaction at the
// broker. It reports whether the record was produced, and records its topic
// in m for the pipeline graph.
func send(r *sdk.Record, defaultTopic string, c *ConnectorConfig, dlq *deadLetters, m *metrics.Task, produce func(*ckafka.Message) error) (bool, error) {
	if r.Topic == "" && defaultTopic == "" {
		return false, fail(errors.New("record names no topic and the connector has no `topic`"))
	}
	if size := kafka.Size(r); size > c.MaxRecordBytes {
		if r.Topic == "" {
			r.Topic = defaultTopic
		}
		return false, dlq.handle(r, StageKafkaProduce, fmt.Errorf("record of %d bytes exceeds max.record.bytes=%d", size, c.MaxRecordBytes))
	}
	msg := kafka.ToMessage(r, defaultTopic)
	if err := produce(msg); err != nil {
		return false, produceError(r, defaultTopic, err)
	}
	m.Wrote(*msg.TopicPartition.Topic)
	return true, nil
}

// produceError explains a refused produce; a missing topic will not appear
// by retrying, so it fails the task at once.
func produceError(r *sdk.Record, defaultTopic string, err error) error {
	topic := r.Topic
	if topic == "" {
		topic = defaultTopic
	}
	var kerr ckafka.Error
	if errors.As(err, &kerr) && (kerr.Code() == ckafka.ErrUnknownTopic || kerr.Code() == ckafka.ErrUnknownTopicOrPart) {
		return fail(fmt.Errorf("topic %q does not exist and the broker does not create topics on first use: create it first: %w", topic, err))
	}
	return fmt.Errorf("produce to %s: %w", topic, err)
}

// abortTransaction rolls back the open transaction so the batch can be
// retried, or the task can fail without leaving it open, and returns cause.
func abortTransaction(ctx context.Context, p *ckafka.Producer, log *slog.Logger, cause error) error {
	abortCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := p.AbortTransaction(abortCtx); err != nil {
		var kerr ckafka.Error
		if errors.As(err, &kerr) && kerr.IsFatal() {
			return fail(fmt.Errorf("%w (and the transaction could not be aborted: %v)", cause, err))
		}
		log.Warn("abort transaction", "err", err)
	}
	return cause
}
