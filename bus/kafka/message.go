package kafka

import (
	ckafka "github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/tributarydata/tributary/bus/record"
)

// ToRecord converts a consumed message. The record shares the message's byte slices.
func ToRecord(m *ckafka.Message) record.Record {
	r := record.Record{
		Key:       m.Key,
		Value:     m.Value,
		Partition: m.TopicPartition.Partition,
		Offset:    int64(m.TopicPartition.Offset),
		Timestamp: m.Timestamp,
	}
	if m.TopicPartition.Topic != nil {
		r.Topic = *m.TopicPartition.Topic
	}
	if len(m.Headers) > 0 {
		r.Headers = make([]record.Header, len(m.Headers))
		for i, h := range m.Headers {
			r.Headers[i] = record.Header{Key: h.Key, Value: h.Value}
		}
	}
	return r
}

// ToMessage converts a record for producing to topic (the record's own Topic
// when set). A zero Partition with no explicit choice lets the partitioner
// decide by key.
func ToMessage(r *record.Record, topic string) *ckafka.Message {
	if r.Topic != "" {
		topic = r.Topic
	}
	m := &ckafka.Message{
		TopicPartition: ckafka.TopicPartition{Topic: &topic, Partition: ckafka.PartitionAny},
		Key:            r.Key,
		Value:          r.Value,
	}
	if !r.Timestamp.IsZero() {
		m.Timestamp = r.Timestamp
	}
	if len(r.Headers) > 0 {
		m.Headers = make([]ckafka.Header, len(r.Headers))
		for i, h := range r.Headers {
			m.Headers[i] = ckafka.Header{Key: h.Key, Value: h.Value}
		}
	}
	return m
}

// Size approximates a record's size on the wire, to refuse records the broker
// would reject (message.max.bytes) before they poison a batch or transaction.
func Size(r *record.Record) int {
	n := len(r.Key) + len(r.Value) + 64
	for _, h := range r.Headers {
		n += len(h.Key) + len(h.Value) + 8
	}
	return n
}
