package kafka

import ckafka "github.com/confluentinc/confluent-kafka-go/v2/kafka"

// DrainEvents consumes a producer's event channel until the producer closes,
// so librdkafka's queue never fills. Callers that need delivery reports pass
// their own channel to Produce; reports of messages produced without one
// (inside a transaction, where failures surface at commit) end here.
func DrainEvents(p *ckafka.Producer) {
	for range p.Events() {
	}
}
