package kafka

import (
	"context"
	"errors"
	"fmt"

	ckafka "github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

// DrainEvents consumes a producer's event channel until the producer closes,
// so librdkafka's queue never fills. Callers that need delivery reports pass
// their own channel to Produce; reports of messages produced without one
// (inside a transaction, where failures surface at commit) end here.
func DrainEvents(p *ckafka.Producer) {
	for range p.Events() {
	}
}

// Produce enqueues m, waiting while librdkafka's local queue is full rather
// than failing the record. reports may be nil (see DrainEvents).
func Produce(p *ckafka.Producer, m *ckafka.Message, reports chan ckafka.Event) error {
	for {
		err := p.Produce(m, reports)
		var kerr ckafka.Error
		if errors.As(err, &kerr) && kerr.Code() == ckafka.ErrQueueFull {
			p.Flush(100)
			continue
		}
		return err
	}
}

// Deliveries collects the delivery reports of messages produced through it,
// for callers that must know every message is in Kafka before they go on
// (store a position, commit an input offset).
type Deliveries struct {
	reports chan ckafka.Event
	pending int
}

// NewDeliveries tracks up to capacity messages between two Waits.
func NewDeliveries(capacity int) *Deliveries {
	return &Deliveries{reports: make(chan ckafka.Event, capacity)}
}

// Full reports whether Wait must run before the next Produce.
func (d *Deliveries) Full() bool { return d.pending == cap(d.reports) }

// Produce enqueues m and counts it as pending.
func (d *Deliveries) Produce(p *ckafka.Producer, m *ckafka.Message) error {
	if d.Full() {
		return errors.New("kafka: delivery tracker full; Wait first")
	}
	if err := Produce(p, m, d.reports); err != nil {
		return err
	}
	d.pending++
	return nil
}

// Wait blocks until every pending message is reported and returns the first
// delivery failure.
func (d *Deliveries) Wait(ctx context.Context) error {
	var firstErr error
	for ; d.pending > 0; d.pending-- {
		select {
		case ev := <-d.reports:
			if m, ok := ev.(*ckafka.Message); ok && m.TopicPartition.Error != nil && firstErr == nil {
				firstErr = fmt.Errorf("deliver to %s: %w", *m.TopicPartition.Topic, m.TopicPartition.Error)
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return firstErr
}
