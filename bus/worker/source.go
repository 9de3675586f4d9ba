package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	ckafka "github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/tributarydata/tributary/bus/kafka"
	"github.com/tributarydata/tributary/bus/record"
	"github.com/tributarydata/tributary/plugins/sdk"
)

// sourceTask runs a Source: Read → produce → commit positions → Ack.
type sourceTask struct {
	*task
	producer *ckafka.Producer
	txn      bool
	dlq      *deadLetters
	retry    retrier
	topic    string // default topic for records that name none

	// Without transactions, a batch's delivery reports come back here.
	deliveries *kafka.Deliveries
}

func (s *sourceTask) run(ctx context.Context) error {
	w := s.w
	s.topic = s.config["topic"]
	s.retry = retrier{timeout: s.common.ErrorsRetry, maxDelay: s.common.ErrorsRetryMax}
	s.txn = w.cfg.ExactlyOnceSource
	if err := s.openProducer(ctx); err != nil {
		return fail(err)
	}
	defer s.producer.Close()
	s.dlq = &deadLetters{cfg: &s.common, id: s.id, class: s.plugin.Class, log: s.log, metrics: s.metrics}
	if err := s.w.ensureDLQ(ctx, &s.common); err != nil {
		return fail(err)
	}
	if s.common.DLQTopic != "" {
		s.dlq.produce = s.produce
	}

	if err := w.offsets.Sync(ctx); err != nil {
		return fail(fmt.Errorf("read stored source offsets: %w", err))
	}
	var src sdk.Source
	if err := s.open(ctx, "source", func() error {
		src = s.plugin.NewSource()
		return src.Open(ctx, s.config, w.sourcePositions(s.id.Connector))
	}); err != nil {
		return fail(err)
	}
	defer func() {
		if err := src.Close(); err != nil {
			s.log.Warn("close source", "err", err)
		}
	}()

	for s.gate.wait(ctx) {
		var recs []sdk.Record
		err := s.retry.do(ctx, func() (err error) {
			recs, err = src.Read(ctx)
			return err
		})
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			s.metrics.Error(StageTaskPoll)
			return fail(fmt.Errorf("read from source: %w", err))
		}
		if len(recs) == 0 {
			continue
		}
		start := time.Now()
		s.metrics.In.Add(float64(len(recs)))
		positions, err := s.deliver(ctx, recs)
		if err != nil {
			if ctx.Err() != nil {
				// Stopping: the batch was aborted and its positions not
				// stored, so the next run reads it again.
				return nil
			}
			return err
		}
		s.metrics.Out.Add(float64(len(recs)))
		s.metrics.Batches.Inc()
		s.metrics.Latency.Observe(time.Since(start).Seconds())
		if err := src.Ack(ctx, positions); err != nil && ctx.Err() == nil {
			return fail(fmt.Errorf("ack source: %w", err))
		}
	}
	return nil
}

func (s *sourceTask) openProducer(ctx context.Context) error {
	overrides, err := kafka.Overrides(s.config, kafka.ProducerOverridePrefix)
	if err != nil {
		return err
	}
	own := kafka.Props{"enable.idempotence": "true", "acks": "all", "linger.ms": "5"}
	if s.txn {
		// One transactional id per task: a zombie copy of the task (a worker
		// that lost its session) is fenced when the new one initialises.
		own["transactional.id"] = fmt.Sprintf("%s-%s-%d", s.w.cfg.Group, s.id.Connector, s.id.Task)
	}
	s.producer, err = ckafka.NewProducer(s.w.cfg.Kafka.ProducerMap(overrides, own))
	if err != nil {
		return fmt.Errorf("create producer: %w", err)
	}
	go kafka.DrainEvents(s.producer)
	if s.txn {
		initCtx, cancel := context.WithTimeout(ctx, txnTimeout)
		defer cancel()
		if err := s.producer.InitTransactions(initCtx); err != nil {
			s.producer.Close()
			return fmt.Errorf("init transactions: %w", err)
		}
	}
	return nil
}

// produce enqueues a message. Inside a transaction, delivery failures
// surface at commit; without one, s.deliveries collects their reports.
func (s *sourceTask) produce(m *ckafka.Message) error {
	if s.txn {
		return kafka.Produce(s.producer, m, nil)
	}
	return s.deliveries.Produce(s.producer, m)
}

// deliver writes a batch and the positions it reaches, atomically when
// transactions are on, and returns the positions to ack.
func (s *sourceTask) deliver(ctx context.Context, recs []sdk.Record) ([]record.Position, error) {
	const attempts = 3
	var lastErr error
	for range attempts {
		positions, err := s.deliverOnce(ctx, recs)
		if err == nil {
			return positions, nil
		}
		var f *failure
		if errors.As(err, &f) || ctx.Err() != nil {
			return nil, err
		}
		lastErr = err
		s.log.Warn("source batch not delivered, retrying", "err", err)
	}
	return nil, fail(fmt.Errorf("deliver source batch: %w", lastErr))
}

func (s *sourceTask) deliverOnce(ctx context.Context, recs []sdk.Record) ([]record.Position, error) {
	if s.txn {
		if err := s.producer.BeginTransaction(); err != nil {
			return nil, fail(fmt.Errorf("begin transaction: %w", err))
		}
	} else {
		s.deliveries = kafka.NewDeliveries(len(recs) + 1)
	}
	latest := map[string]record.Position{}
	var order []string
	for i := range recs {
		r := &recs[i]
		if !r.Position.IsZero() {
			key := r.Position.PartitionKey()
			if _, seen := latest[key]; !seen {
				order = append(order, key)
			}
			latest[key] = r.Position
		}
		if r.Fault != nil {
			if r.Topic == "" {
				r.Topic = s.topic
			}
			if err := s.dlq.handle(r, StageTaskPoll, r.Fault); err != nil {
				return nil, s.abort(ctx, err)
			}
			continue
		}
		if _, err := send(r, s.topic, &s.common, s.dlq, s.metrics, s.produce); err != nil {
			return nil, s.abort(ctx, err)
		}
	}
	positions := make([]record.Position, 0, len(order))
	for _, key := range order {
		positions = append(positions, latest[key])
	}
	if s.txn {
		for _, p := range positions {
			m, err := s.w.offsetMessage(s.id.Connector, p)
			if err != nil {
				return nil, s.abort(ctx, fail(err))
			}
			if err := s.produce(m); err != nil {
				return nil, s.abort(ctx, fmt.Errorf("produce offsets: %w", err))
			}
		}
		commitCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), txnTimeout)
		defer cancel()
		if err := s.producer.CommitTransaction(commitCtx); err != nil {
			return nil, s.abort(ctx, fmt.Errorf("commit transaction: %w", err))
		}
		return positions, nil
	}
	// Without transactions: every record must be in Kafka before its
	// position is stored, or a crash could skip records. A stop does not
	// interrupt this: records already sent get their positions stored, or
	// the next run would send them again.
	finish, cancel := context.WithTimeout(context.WithoutCancel(ctx), txnTimeout)
	defer cancel()
	if err := s.deliveries.Wait(finish); err != nil {
		return nil, err
	}
	for _, p := range positions {
		if err := s.w.storeSourcePosition(finish, s.id.Connector, p); err != nil {
			return nil, err
		}
	}
	return positions, nil
}

// abort rolls back the open transaction, if any, and returns cause.
func (s *sourceTask) abort(ctx context.Context, cause error) error {
	if !s.txn {
		return cause
	}
	return abortTransaction(ctx, s.producer, s.log, cause)
}
