// Package kafka wires confluent-kafka-go (librdkafka) clients for the runtime:
// client property maps built from the worker config plus Kafka Connect's
// per-connector `producer.override.*` / `consumer.override.*`, conversion
// between Kafka messages and records, topic administration, and delivery
// waiting.
//
// Any librdkafka property passes through unchanged, so SASL, TLS and tuning for
// a real cluster need no code here; the runtime only pins the properties its
// delivery guarantees depend on (idempotence, manual commits, read_committed).
package kafka
