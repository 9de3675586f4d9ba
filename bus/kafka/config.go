package kafka

import (
	"fmt"
	"maps"
	"strings"

	ckafka "github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

// Props are librdkafka properties.
type Props map[string]string

// ClientConfig holds the properties of every client a worker makes.
type ClientConfig struct {
	// Common applies to every client (bootstrap.servers, security.protocol, sasl.*, ssl.*).
	Common Props `yaml:"common" json:"common"`
	// Producer and Consumer apply to producers and consumers only (Kafka
	// Connect's worker-level producer.* and consumer.*).
	Producer Props `yaml:"producer" json:"producer"`
	Consumer Props `yaml:"consumer" json:"consumer"`
}

// Connector config prefixes that override client properties for one
// connector, as in Kafka Connect.
const (
	ProducerOverridePrefix = "producer.override."
	ConsumerOverridePrefix = "consumer.override."
	AdminOverridePrefix    = "admin.override."
)

// pinned are properties the runtime's guarantees rest on; an override may not change them.
var pinned = map[string]bool{
	"enable.auto.commit":       true,
	"enable.auto.offset.store": true,
	"transactional.id":         true,
	"group.id":                 true,
	// Source tasks write offsets inside their transactions and the offsets
	// store writes them outside; both must hash a key to the same partition.
	"partitioner": true,
}

// Overrides extracts the properties under prefix from a connector config.
// It refuses the properties the runtime must control.
func Overrides(connectorConfig map[string]string, prefix string) (Props, error) {
	out := Props{}
	for k, v := range connectorConfig {
		name, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		if pinned[name] {
			return nil, fmt.Errorf("%s%s cannot be overridden: the runtime sets it for its delivery guarantees", prefix, name)
		}
		out[name] = v
	}
	return out, nil
}

// Clone returns a deep copy, with every map allocated.
func (c ClientConfig) Clone() ClientConfig {
	cp := func(p Props) Props {
		if p == nil {
			return Props{}
		}
		return maps.Clone(p)
	}
	return ClientConfig{Common: cp(c.Common), Producer: cp(c.Producer), Consumer: cp(c.Consumer)}
}

// Bootstrap returns the bootstrap servers.
func (c ClientConfig) Bootstrap() string { return c.Common["bootstrap.servers"] }

// ProducerMap builds a producer config: common, then producer, then
// overrides, then the runtime's own settings.
func (c ClientConfig) ProducerMap(overrides, runtime Props) *ckafka.ConfigMap {
	return merge(c.Common, c.Producer, overrides, runtime)
}

// ConsumerMap builds a consumer config the same way.
func (c ClientConfig) ConsumerMap(overrides, runtime Props) *ckafka.ConfigMap {
	return merge(c.Common, c.Consumer, overrides, runtime)
}

// AdminMap builds an admin client config.
func (c ClientConfig) AdminMap() *ckafka.ConfigMap { return merge(c.Common) }

func merge(layers ...Props) *ckafka.ConfigMap {
	all := Props{}
	for _, l := range layers {
		maps.Copy(all, l)
	}
	cm := ckafka.ConfigMap{}
	for k, v := range all {
		cm[k] = v
	}
	return &cm
}
