package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	ckafka "github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/tributarydata/tributary/bus/kafka"
	"github.com/tributarydata/tributary/plugins/sdk"
)

// transformTask runs a Transform: consume → Process → produce the outputs and
// commit the input offsets in one Kafka transaction, as Kafka Streams does, so
// each input record affects the output topics exactly once.
type transformTask struct {
	*task
	input    *input
	producer *ckafka.Producer
	dlq      *deadLetters
	retry    retrier
	topic    string
	tr       sdk.Transform
	state    *stateLog // of a stateful transform, nil for a stateless one
	// placedCounts are the partition counts of the input topics a stateful
	// transform's state was placed for.
	placedCounts map[string]int
}

func (x *transformTask) run(ctx context.Context) error {
	x.topic = x.config["topic"]
	x.retry = retrier{timeout: x.common.ErrorsRetry, maxDelay: x.common.ErrorsRetryMax, log: x.log}
	if err := x.open(ctx, "transform", func() error {
		x.tr = x.plugin.NewTransform()
		return x.tr.Open(ctx, x.config)
	}); err != nil {
		return fail(err)
	}
	defer func() {
		if err := x.tr.Close(); err != nil {
			x.log.Warn("close transform", "err", err)
		}
	}()
	stateful, _ := x.tr.(sdk.Stateful)
	txnID := fmt.Sprintf("%s-%s-%d", x.w.cfg.Group, x.id.Connector, x.id.Task)
	if stateful != nil {
		if x.plugin.TaskConfigs != nil {
			return fail(errors.New("a stateful transform cannot split its own task configs: its state is placed on tasks.max tasks by input partition"))
		}
		txnID = StatefulTransactionalID(x.w.cfg.Group, x.id.Connector, x.id.Task, x.common.TasksMax)
	}
	overrides, err := kafka.Overrides(x.config, kafka.ProducerOverridePrefix)
	if err != nil {
		return fail(err)
	}
	x.producer, err = ckafka.NewProducer(x.w.cfg.Kafka.ProducerMap(overrides, kafka.Props{
		"transactional.id":   txnID,
		"enable.idempotence": "true",
		"acks":               "all",
		"linger.ms":          "5",
	}))
	if err != nil {
		return fail(fmt.Errorf("create producer: %w", err))
	}
	defer x.producer.Close()
	go kafka.DrainEvents(x.producer)
	initCtx, cancelInit := context.WithTimeout(ctx, txnTimeout)
	defer cancelInit()
	if err := x.producer.InitTransactions(initCtx); err != nil {
		return fail(fmt.Errorf("init transactions: %w", err))
	}
	x.dlq = &deadLetters{cfg: &x.common, id: x.id, class: x.plugin.Class, log: x.log, metrics: x.metrics}
	if err := x.w.ensureDLQ(ctx, &x.common); err != nil {
		return fail(err)
	}
	if x.common.DLQTopic != "" {
		x.dlq.produce = x.produce
	}
	var placement *staticPlacement
	if stateful != nil {
		if err := x.fenceOtherGenerations(ctx, x.common.TasksMax); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fail(err)
		}
		if x.state, placement, err = x.openState(ctx, stateful); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
	}
	// Offsets are committed through the transaction, so a revoke needs no
	// commit of its own: an open transaction is never left across it.
	noStored := func(context.Context) (map[sdk.TopicPartition]int64, error) { return nil, nil }
	x.input, err = openInput(ctx, x.task, nil, nil, noStored, placement)
	if err != nil {
		return fail(err)
	}
	defer x.input.close()

	grown := make(chan error, 1)
	if stateful != nil {
		watchCtx, stopWatch := context.WithCancel(ctx)
		defer stopWatch()
		go x.watchPartitionCounts(watchCtx, grown)
	}
	lastTick := time.Now()
	for ctx.Err() == nil {
		select {
		case err := <-grown:
			return fail(err)
		default:
		}
		paused := x.gate.isPaused()
		x.input.pause(paused)
		batch, err := x.input.poll(ctx)
		if err != nil {
			return fail(err)
		}
		if stateful != nil && !paused && time.Since(lastTick) >= x.common.StateTick {
			lastTick = time.Now()
			now := lastTick
			err := x.transact(ctx, nil, func([]sdk.Record) ([]sdk.Record, error) { return stateful.Tick(ctx, now) })
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
		}
		if len(batch) == 0 {
			continue
		}
		start := time.Now()
		x.metrics.In.Add(float64(len(batch)))
		if err := x.processBatch(ctx, batch); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		x.metrics.Batches.Inc()
		x.metrics.Latency.Observe(time.Since(start).Seconds())
		x.input.updateLag(x.metrics.Lag)
	}
	return nil
}

func (x *transformTask) produce(m *ckafka.Message) error {
	return kafka.Produce(x.producer, m, nil)
}

// processBatch runs one batch through the transform in one transaction.
//
// A stateful transform's Retriable error (its state untouched, see
// sdk.Stateful) aborts the transaction, and the batch is tried again in a
// new one with backoff within errors.retry.timeout: a transaction is never
// held open across the waits, which may outlast its timeout.
func (x *transformTask) processBatch(ctx context.Context, batch []sdk.Record) error {
	once := func() error {
		return x.transact(ctx, batch, func(good []sdk.Record) ([]sdk.Record, error) { return x.process(ctx, good) })
	}
	if x.state == nil {
		return once() // process retries a stateless transform itself
	}
	return x.retry.do(ctx, once)
}

// transact runs one transaction: outputs, dead letters, state changes and
// input offsets commit together or not at all. An aborted transaction fails
// the task; its restart resumes from the last committed offsets and state.
// run gets the batch's records that passed the value converter.
func (x *transformTask) transact(ctx context.Context, batch []sdk.Record, run func([]sdk.Record) ([]sdk.Record, error)) error {
	if err := x.producer.BeginTransaction(); err != nil {
		return fail(fmt.Errorf("begin transaction: %w", err))
	}
	abort := func(cause error) error { return abortTransaction(ctx, x.producer, x.log, cause) }
	good := make([]sdk.Record, 0, len(batch))
	for i := range batch {
		if err := checkValue(&x.common, &batch[i]); err != nil {
			if herr := x.dlq.handle(&batch[i], StageValueConverter, err); herr != nil {
				return abort(herr)
			}
			continue
		}
		good = append(good, batch[i])
	}
	outputs, err := run(good)
	if err != nil {
		return abort(err)
	}
	produced := 0
	for i := range outputs {
		r := &outputs[i]
		if r.Fault != nil {
			// The transform rejected this input: it comes back as it came
			// in, with the reason.
			if err := x.dlq.handle(r, StageTransformation, r.Fault); err != nil {
				return abort(err)
			}
			continue
		}
		sent, err := send(r, x.topic, &x.common, x.dlq, x.metrics, x.produce)
		if err != nil {
			return abort(fail(err))
		}
		if sent {
			produced++
		}
	}
	if x.state != nil {
		if err := x.state.write(x.produce); err != nil {
			return abort(fail(err))
		}
	}
	x.input.markDone(batch)
	offsets := x.input.offsets()
	txnCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), txnTimeout)
	defer cancel()
	if len(offsets) > 0 {
		meta, err := x.input.c.GetConsumerGroupMetadata()
		if err != nil {
			return abort(fail(fmt.Errorf("consumer group metadata: %w", err)))
		}
		if err := x.producer.SendOffsetsToTransaction(txnCtx, offsets, meta); err != nil {
			return abort(fail(fmt.Errorf("send offsets to transaction: %w", err)))
		}
	}
	if err := x.producer.CommitTransaction(txnCtx); err != nil {
		return abort(fail(fmt.Errorf("commit transaction: %w", err)))
	}
	x.input.committed(offsets)
	x.metrics.Out.Add(float64(produced))
	if c, ok := x.tr.(sdk.Counted); ok {
		x.metrics.Counted(c.Counts())
	}
	return nil
}

// process runs the transform; a *sdk.RecordError dead-letters that input
// record and the rest of the batch is processed again without it. A stateful
// transform is run once, never again with the same records, since its state
// has already seen them: it rejects a record with Record.Fault, and any error
// but a retriable one (see processBatch) fails the task, whose restart
// restores the state of the last commit.
func (x *transformTask) process(ctx context.Context, recs []sdk.Record) ([]sdk.Record, error) {
	if x.state != nil {
		out, err := x.tr.Process(ctx, recs)
		if err == nil {
			return out, nil
		}
		x.metrics.Error(StageTransformation)
		if sdk.IsRetriable(err) {
			if n := len(x.state.st.Changes()); n > 0 {
				// %v, not %w: not to be retried.
				return nil, fail(fmt.Errorf("transform: %v (and it recorded %d state changes, which a retriable error promises it did not: its state is no longer that of the last commit)", err, n))
			}
			return nil, fmt.Errorf("transform: %w", err) // processBatch retries
		}
		return nil, fail(fmt.Errorf("transform: %w", err))
	}
	for {
		var out []sdk.Record
		err := x.retry.do(ctx, func() (err error) {
			out, err = x.tr.Process(ctx, recs)
			return err
		})
		var bad *sdk.RecordError
		switch {
		case err == nil:
			return out, nil
		case errors.As(err, &bad) && bad.Index >= 0 && bad.Index < len(recs):
			if herr := x.dlq.handle(&recs[bad.Index], StageTransformation, bad.Err); herr != nil {
				return nil, herr
			}
			recs = append(recs[:bad.Index:bad.Index], recs[bad.Index+1:]...)
		default:
			x.metrics.Error(StageTransformation)
			return nil, fail(fmt.Errorf("transform: %w", err))
		}
	}
}
