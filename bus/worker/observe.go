package worker

import (
	"context"
	"fmt"
	"unicode/utf8"

	"github.com/tributarydata/tributary/bus/kafka"
	"github.com/tributarydata/tributary/bus/metrics"
)

// TaskMetrics is one worker's answer of GET /api/v1/metrics/tasks: the
// counters of the tasks it runs (and ran since it started).
type TaskMetrics struct {
	Worker string `json:"worker"`
	// Broker is the bootstrap servers the worker talks to.
	Broker string               `json:"broker"`
	Tasks  []metrics.TaskSample `json:"tasks"`
}

// TaskMetrics samples the counters of this worker's tasks.
func (w *Worker) TaskMetrics() (TaskMetrics, error) {
	samples, err := w.metrics.Snapshot()
	if err != nil {
		return TaskMetrics{}, err
	}
	return TaskMetrics{Worker: w.cfg.ID, Broker: w.cfg.Kafka.Bootstrap(), Tasks: samples}, nil
}

// DeadLetter is one record of a connector's dead-letter topic, as the
// dashboard shows it.
type DeadLetter struct {
	Partition   int32             `json:"partition"`
	Offset      int64             `json:"offset"`
	TimestampMs int64             `json:"timestamp_ms"`
	Key         *string           `json:"key"`
	Value       string            `json:"value"`
	ValueBytes  int               `json:"value_bytes"`
	Headers     map[string]string `json:"headers"`
}

// DeadLetters is the answer of GET /api/v1/connectors/{name}/dlq.
type DeadLetters struct {
	// Topic is the connector's dead-letter topic; empty when it has none.
	Topic   string       `json:"topic"`
	Records []DeadLetter `json:"records"`
}

// deadLetterPreview bounds the payload returned per record: the page is a
// preview, and a dead-lettered record may be up to max.record.bytes.
const deadLetterPreview = 4096

// DeadLetters returns the newest limit records of the connector's
// dead-letter topic, newest first.
func (w *Worker) DeadLetters(ctx context.Context, name string, limit int) (DeadLetters, error) {
	props, ok := w.connectorConfig(name)
	if !ok {
		return DeadLetters{}, fmt.Errorf("connector %s %w", name, ErrNotFound)
	}
	out := DeadLetters{Topic: props["errors.deadletterqueue.topic.name"], Records: []DeadLetter{}}
	if out.Topic == "" {
		return out, nil
	}
	msgs, err := kafka.Tail(ctx, w.cfg.Kafka, out.Topic, limit)
	if err != nil {
		return DeadLetters{}, err
	}
	for _, m := range msgs {
		d := DeadLetter{
			Partition: m.TopicPartition.Partition, Offset: int64(m.TopicPartition.Offset),
			TimestampMs: m.Timestamp.UnixMilli(), Value: preview(m.Value), ValueBytes: len(m.Value),
			Headers: map[string]string{},
		}
		if m.Key != nil {
			k := preview(m.Key)
			d.Key = &k
		}
		for _, h := range m.Headers {
			d.Headers[h.Key] = preview(h.Value)
		}
		out.Records = append(out.Records, d)
	}
	return out, nil
}

// preview returns b as text, cut to deadLetterPreview bytes without splitting
// a character; encoding/json shows invalid UTF-8 (a binary payload) as U+FFFD.
func preview(b []byte) string {
	if len(b) <= deadLetterPreview {
		return string(b)
	}
	b = b[:deadLetterPreview]
	for i := 0; i < utf8.UTFMax-1 && len(b) > 0; i++ {
		if r, _ := utf8.DecodeLastRune(b); r != utf8.RuneError {
			break
		}
		b = b[:len(b)-1]
	}
	return string(b)
}
