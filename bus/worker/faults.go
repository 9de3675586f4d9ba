package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
	"time"

	ckafka "github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/tributarydata/tributary/bus/kafka"
	"github.com/tributarydata/tributary/bus/metrics"
	"github.com/tributarydata/tributary/bus/record"
	"github.com/tributarydata/tributary/plugins/sdk"
)

// Stages where a record can fail, with Kafka Connect's names (they appear in
// the __connect.errors.stage header).
const (
	StageValueConverter = "VALUE_CONVERTER"
	StageTransformation = "TRANSFORMATION"
	StageTaskPoll       = "TASK_POLL"
	StageTaskPut        = "TASK_PUT"
	StageKafkaProduce   = "KAFKA_PRODUCE"
)

// Dead-letter headers, as Kafka Connect's DeadLetterQueueReporter writes them.
const (
	HeaderErrorTopic     = "__connect.errors.topic"
	HeaderErrorPartition = "__connect.errors.partition"
	HeaderErrorOffset    = "__connect.errors.offset"
	HeaderErrorConnector = "__connect.errors.connector.name"
	HeaderErrorTask      = "__connect.errors.task.id"
	HeaderErrorStage     = "__connect.errors.stage"
	HeaderErrorClass     = "__connect.errors.class.name"
	HeaderErrorException = "__connect.errors.exception.class.name"
	HeaderErrorMessage   = "__connect.errors.exception.message"
)

// failure is an error that stops a task; it carries the stack where the task
// gave up, which the status API shows as the task's trace.
type failure struct {
	err   error
	stack []byte
}

func (f *failure) Error() string { return f.err.Error() }
func (f *failure) Unwrap() error { return f.err }

// fail wraps err as a task failure, capturing the current stack.
func fail(err error) error {
	var f *failure
	if errors.As(err, &f) {
		return err
	}
	return &failure{err: err, stack: debug.Stack()}
}

// trace renders an error for the status API: the message, then the stack.
func trace(err error) string {
	var f *failure
	if errors.As(err, &f) {
		return fmt.Sprintf("%v\n\n%s", f.err, f.stack)
	}
	return err.Error()
}

// deadLetters applies a connector's errors.* policy to bad records.
type deadLetters struct {
	cfg       *ConnectorConfig
	id        TaskID
	class     string
	log       *slog.Logger
	metrics   *metrics.Task
	produce   func(*ckafka.Message) error // nil when no dead-letter topic is set
	skipped   int64
	delivered int64
}

// handle decides the fate of a bad record: nil when it was tolerated (sent to
// the dead-letter topic or skipped), a task failure otherwise.
func (d *deadLetters) handle(rec *record.Record, stage string, cause error) error {
	d.metrics.Error(stage)
	if !d.cfg.Tolerant() {
		return fail(fmt.Errorf("%s failed for record %s-%d@%d and errors.tolerance=none: %w", stage, rec.Topic, rec.Partition, rec.Offset, cause))
	}
	if d.cfg.ErrorsLog {
		attrs := []any{"connector", d.id.Connector, "task", d.id.Task, "stage", stage, "err", cause}
		if d.cfg.ErrorsLogMessages {
			attrs = append(attrs, "topic", rec.Topic, "partition", rec.Partition, "offset", rec.Offset)
		}
		d.log.Warn("tolerated bad record", attrs...)
	}
	if d.produce == nil {
		d.skipped++
		return nil
	}
	msg := kafka.ToMessage(rec, d.cfg.DLQTopic)
	topic := d.cfg.DLQTopic
	msg.TopicPartition.Topic = &topic
	if d.cfg.DLQHeaders {
		msg.Headers = append(msg.Headers,
			ckafka.Header{Key: HeaderErrorTopic, Value: []byte(rec.Topic)},
			ckafka.Header{Key: HeaderErrorPartition, Value: []byte(strconv.Itoa(int(rec.Partition)))},
			ckafka.Header{Key: HeaderErrorOffset, Value: []byte(strconv.FormatInt(rec.Offset, 10))},
			ckafka.Header{Key: HeaderErrorConnector, Value: []byte(d.id.Connector)},
			ckafka.Header{Key: HeaderErrorTask, Value: []byte(strconv.Itoa(d.id.Task))},
			ckafka.Header{Key: HeaderErrorStage, Value: []byte(stage)},
			ckafka.Header{Key: HeaderErrorClass, Value: []byte(d.class)},
			ckafka.Header{Key: HeaderErrorException, Value: []byte(fmt.Sprintf("%T", rootCause(cause)))},
			ckafka.Header{Key: HeaderErrorMessage, Value: []byte(cause.Error())},
		)
	}
	if err := d.produce(msg); err != nil {
		return fail(fmt.Errorf("dead-letter record %s-%d@%d: %w", rec.Topic, rec.Partition, rec.Offset, err))
	}
	d.delivered++
	d.metrics.DLQ.Inc()
	return nil
}

// ensureDLQ creates the dead-letter topic when it does not exist yet, with the
// replication the connector asks for, so dead letters do not depend on the
// broker creating topics on first use.
func (w *Worker) ensureDLQ(ctx context.Context, c *ConnectorConfig) error {
	if c.DLQTopic == "" {
		return nil
	}
	err := kafka.EnsureTopic(ctx, w.admin, kafka.TopicSpec{Name: c.DLQTopic, Partitions: 1, Replication: c.DLQReplication})
	if err != nil {
		return fmt.Errorf("dead-letter topic: %w", err)
	}
	return nil
}

// rootCause is the innermost wrapped error, whose type names the fault best.
func rootCause(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}

// openRetryTimeout is how long a task's open is retried while it fails
// with a Retriable error, when errors.retry.timeout is 0.
const openRetryTimeout = 2 * time.Minute

// open opens the task's plugin instance with newAndOpen. A task may start
// before something it needs is there: a lookup table that a sink of the
// same pipeline creates when it starts, a database or a cluster still
// coming up. A Retriable error is tried again, on a fresh instance (the
// runtime never closes one that failed to open, so none is reused half
// open), for errors.retry.timeout, or openRetryTimeout when that is 0
// (which means "do not retry records", not "fail at start"). Any other
// error fails the task at once.
func (t *task) open(ctx context.Context, what string, newAndOpen func() error) error {
	r := retrier{timeout: t.common.ErrorsRetry, maxDelay: t.common.ErrorsRetryMax, log: t.log}
	if r.timeout == 0 {
		r.timeout = openRetryTimeout
	}
	if err := r.do(ctx, newAndOpen); err != nil {
		return fmt.Errorf("open %s: %w", what, err)
	}
	return nil
}

// retrier retries operations that fail with sdk.Retriable errors, with
// exponential backoff, until errors.retry.timeout runs out.
type retrier struct {
	timeout  time.Duration // <0: forever
	maxDelay time.Duration
	log      *slog.Logger // when set, each retry is logged with its cause
}

func (r retrier) do(ctx context.Context, op func() error) error {
	deadline := time.Now().Add(r.timeout)
	delay := 100 * time.Millisecond
	for {
		err := op()
		if err == nil || !sdk.IsRetriable(err) {
			return err
		}
		if r.timeout >= 0 && time.Now().Add(delay).After(deadline) {
			return fmt.Errorf("retries exhausted after %v: %w", r.timeout, err)
		}
		if r.log != nil {
			r.log.Warn("retriable failure; retrying", "in", delay, "err", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay = min(2*delay, max(r.maxDelay, 100*time.Millisecond))
	}
}
