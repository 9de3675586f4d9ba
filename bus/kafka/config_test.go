package kafka

import (
	"strings"
	"testing"
)

func TestOverridesLayerOverWorkerProps(t *testing.T) {
	conn := map[string]string{
		"producer.override.compression.type": "zstd",
		"producer.override.linger.ms":        "20",
		"consumer.override.fetch.max.bytes":  "1024",
		"topic":                              "ignored",
	}
	prod, err := Overrides(conn, ProducerOverridePrefix)
	if err != nil {
		t.Fatal(err)
	}
	if len(prod) != 2 || prod["compression.type"] != "zstd" {
		t.Fatalf("producer overrides %v", prod)
	}
	worker := ClientConfig{
		Common:   Props{"bootstrap.servers": "b:9092", "security.protocol": "SASL_SSL"},
		Producer: Props{"compression.type": "lz4", "acks": "1"},
	}
	cm := worker.ProducerMap(prod, Props{"acks": "all"})
	want := map[string]string{"bootstrap.servers": "b:9092", "security.protocol": "SASL_SSL", "compression.type": "zstd", "linger.ms": "20", "acks": "all"}
	for k, v := range want {
		if got, _ := cm.Get(k, nil); got != v {
			t.Errorf("%s = %v, want %s", k, got, v)
		}
	}
}

func TestOverridesRefuseWhatTheRuntimeControls(t *testing.T) {
	for _, key := range []string{"consumer.override.enable.auto.commit", "consumer.override.group.id", "producer.override.transactional.id"} {
		prefix := ConsumerOverridePrefix
		if strings.HasPrefix(key, ProducerOverridePrefix) {
			prefix = ProducerOverridePrefix
		}
		if _, err := Overrides(map[string]string{key: "x"}, prefix); err == nil || !strings.Contains(err.Error(), "cannot be overridden") {
			t.Errorf("%s: err = %v, want a refusal", key, err)
		}
	}
}
