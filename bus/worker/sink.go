package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	ckafka "github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/tributarydata/tributary/bus/kafka"
	"github.com/tributarydata/tributary/plugins/sdk"
)

// Batch bounds of a consuming task: it hands over what it has after
// maxBatchRecords records or maxBatchWait since the first one.
const (
	maxBatchRecords = 2000
	maxBatchWait    = 50 * time.Millisecond
)

// sinkTask runs a Sink: consume → Write → Flush → commit offsets.
type sinkTask struct {
	*task
	input    *input
	sink     sdk.Sink
	dlq      *deadLetters
	dlqProd  *dlqProducer
	retry    retrier
	lastSave time.Time
}

func (s *sinkTask) run(ctx context.Context) error {
	// A sink's retriable faults (a lost connection, a deadlock, HTTP 503)
	// are retried until they pass, as Kafka Connect retries a
	// RetriableException from put: the task keeps its place and loses
	// nothing. errors.retry.timeout > 0 bounds that.
	retryFor := s.common.ErrorsRetry
	if retryFor == 0 {
		retryFor = -1
	}
	s.retry = retrier{timeout: retryFor, maxDelay: s.common.ErrorsRetryMax, log: s.log}
	s.dlq = &deadLetters{cfg: &s.common, id: s.id, class: s.plugin.Class, log: s.log, metrics: s.metrics}
	if err := s.w.ensureDLQ(ctx, &s.common); err != nil {
		return fail(err)
	}
	if s.common.DLQTopic != "" {
		p, err := newDLQProducer(s.w, s.config)
		if err != nil {
			return fail(err)
		}
		defer p.close()
		s.dlqProd = p
		s.dlq.produce = p.produce
	}
	if err := s.open(ctx, "sink", func() error {
		s.sink = s.plugin.NewSink()
		return s.sink.Open(ctx, s.config)
	}); err != nil {
		return fail(err)
	}
	defer func() {
		if err := s.sink.Close(); err != nil {
			s.log.Warn("close sink", "err", err)
		}
	}()
	in, err := openInput(ctx, s.task, nil, s.onRevoke, s.storedOffsets, nil)
	if err != nil {
		return fail(err)
	}
	s.input = in
	defer in.close()
	s.lastSave = time.Now()

	for {
		if ctx.Err() != nil {
			return s.finalSave(ctx)
		}
		in.pause(s.gate.isPaused())
		batch, err := in.poll(ctx)
		if err != nil {
			return fail(err)
		}
		if len(batch) > 0 {
			s.metrics.In.Add(float64(len(batch)))
			if err := s.write(ctx, batch); err != nil {
				if ctx.Err() != nil {
					// Stopping: the interrupted batch is not marked done;
					// what was done before it is saved.
					return s.finalSave(ctx)
				}
				return err
			}
		}
		if time.Since(s.lastSave) >= s.flushInterval() {
			if err := s.save(ctx); err != nil {
				if ctx.Err() != nil {
					return s.finalSave(ctx)
				}
				return err
			}
		}
	}
}

// flushInterval is the connector's offset.flush.interval.ms, or the worker's.
func (s *sinkTask) flushInterval() time.Duration {
	if s.common.OffsetFlush > 0 {
		return s.common.OffsetFlush
	}
	return s.w.cfg.OffsetFlushInterval
}

// storedOffsets asks a sink that keeps its own offsets where to resume.
func (s *sinkTask) storedOffsets(ctx context.Context) (map[sdk.TopicPartition]int64, error) {
	keeper, ok := s.sink.(sdk.OffsetKeeper)
	if !ok {
		return nil, nil
	}
	return keeper.StoredOffsets(ctx)
}

// onRevoke saves everything before partitions go to another task.
func (s *sinkTask) onRevoke(ctx context.Context) error { return s.save(ctx) }

// write hands records to the sink, dead-lettering bad ones and retrying
// retriable faults, and marks them done for the next commit.
func (s *sinkTask) write(ctx context.Context, batch []sdk.Record) error {
	start := time.Now()
	good := batch[:0:0]
	for i := range batch {
		if err := checkValue(&s.common, &batch[i]); err != nil {
			if herr := s.dlq.handle(&batch[i], StageValueConverter, err); herr != nil {
				return herr
			}
			continue
		}
		good = append(good, batch[i])
	}
	rest := good
	for len(rest) > 0 {
		var n int
		err := s.retry.do(ctx, func() error {
			var werr error
			n, werr = s.sink.Write(ctx, rest)
			if werr != nil && n > 0 && sdk.IsRetriable(werr) {
				// Keep what was accepted; retry only the rest.
				rest, n = rest[n:], 0
			}
			return werr
		})
		var bad *sdk.RecordError
		switch {
		case errors.As(err, &bad) && bad.Index >= 0 && bad.Index < len(rest) && bad.Index >= n:
			if herr := s.dlq.handle(&rest[bad.Index], StageTaskPut, bad.Err); herr != nil {
				return herr
			}
			// Records before the bad one that the sink did not accept
			// (n of them were) are handed over again.
			s.metrics.Out.Add(float64(n))
			rest = append(rest[n:bad.Index:bad.Index], rest[bad.Index+1:]...)
		case err != nil:
			s.metrics.Error(StageTaskPut)
			return fail(fmt.Errorf("write to sink: %w", err))
		case n <= 0:
			return fail(fmt.Errorf("sink accepted none of %d records without an error", len(rest)))
		default:
			s.metrics.Out.Add(float64(min(n, len(rest))))
			rest = rest[min(n, len(rest)):]
		}
	}
	s.input.markDone(batch)
	s.metrics.Batches.Inc()
	s.metrics.Latency.Observe(time.Since(start).Seconds())
	return nil
}

// save flushes the sink and the dead-letter producer, then commits offsets:
// never the other way round.
func (s *sinkTask) save(ctx context.Context) error {
	s.lastSave = time.Now()
	if !s.input.dirty() {
		return nil
	}
	if s.dlqProd != nil {
		if err := s.dlqProd.flush(ctx); err != nil {
			return fail(err)
		}
	}
	if err := s.retry.do(ctx, func() error { return s.sink.Flush(ctx) }); err != nil {
		s.metrics.Error(StageTaskPut)
		return fail(fmt.Errorf("flush sink: %w", err))
	}
	if err := s.input.commit(); err != nil {
		// The data is flushed, so nothing is lost: the offsets stay dirty
		// and the next save commits them (a rebalance in progress, a
		// coordinator moving). A replay meanwhile is absorbed by idempotent sinks.
		s.log.Warn("commit offsets; retrying at the next save", "err", err)
		return nil
	}
	s.input.updateLag(s.metrics.Lag)
	return nil
}

// finalSave saves once more when the task stops, with its own deadline
// since the task's context is already cancelled.
func (s *sinkTask) finalSave(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.w.cfg.ShutdownTimeout)
	defer cancel()
	return s.save(ctx)
}

// checkValue applies value.converter=json: a value must be valid JSON.
func checkValue(c *ConnectorConfig, r *sdk.Record) error {
	if c.ValueConverter != "json" || r.Value == nil || json.Valid(r.Value) {
		return nil
	}
	return fmt.Errorf("value of %d bytes is not valid JSON", len(r.Value))
}

// dlqProducer writes dead letters of consuming tasks; flush waits for them
// so input offsets are committed only after their bad records are safe.
type dlqProducer struct {
	p          *ckafka.Producer
	deliveries *kafka.Deliveries
}

func newDLQProducer(w *Worker, config sdk.Config) (*dlqProducer, error) {
	overrides, err := kafka.Overrides(config, kafka.ProducerOverridePrefix)
	if err != nil {
		return nil, err
	}
	p, err := ckafka.NewProducer(w.cfg.Kafka.ProducerMap(overrides, kafka.Props{"enable.idempotence": "true", "acks": "all"}))
	if err != nil {
		return nil, fmt.Errorf("dead-letter producer: %w", err)
	}
	go kafka.DrainEvents(p)
	return &dlqProducer{p: p, deliveries: kafka.NewDeliveries(1024)}, nil
}

func (d *dlqProducer) produce(m *ckafka.Message) error {
	if d.deliveries.Full() {
		if err := d.flush(context.Background()); err != nil {
			return err
		}
	}
	return d.deliveries.Produce(d.p, m)
}

func (d *dlqProducer) flush(ctx context.Context) error {
	if err := d.deliveries.Wait(ctx); err != nil {
		return fmt.Errorf("dead-letter %w", err)
	}
	return nil
}

func (d *dlqProducer) close() {
	d.p.Flush(5000)
	d.p.Close()
}
