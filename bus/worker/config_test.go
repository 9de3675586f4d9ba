package worker

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestLoadConfigPassesLibrdkafkaPropertiesThrough(t *testing.T) {
	path := filepath.Join(t.TempDir(), "worker.yaml")
	yaml := `
group: edu
listen: 127.0.0.1:18083
offset.flush.interval: 2s
kafka:
  common: {bootstrap.servers: "k1:9092,k2:9092", security.protocol: SASL_SSL, sasl.mechanisms: SCRAM-SHA-512}
  producer: {compression.type: lz4}
`
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err = cfg.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Kafka.Bootstrap() != "k1:9092,k2:9092" || cfg.Kafka.Common["sasl.mechanisms"] != "SCRAM-SHA-512" || cfg.Kafka.Producer["compression.type"] != "lz4" {
		t.Fatalf("kafka props %+v", cfg.Kafka)
	}
	if cfg.ConfigTopic != "edu-configs" || cfg.StatusTopic != "edu-status" || cfg.OffsetTopic != "edu-offsets" {
		t.Fatalf("internal topics %s %s %s", cfg.ConfigTopic, cfg.StatusTopic, cfg.OffsetTopic)
	}
	if cfg.OffsetFlushInterval != 2*time.Second || !cfg.ExactlyOnceSource || cfg.ID != "127.0.0.1:18083" {
		t.Fatalf("derived fields %+v", cfg)
	}
}

func TestConfigNeedsBootstrap(t *testing.T) {
	if _, err := DefaultConfig().withDefaults(); err == nil {
		t.Fatal("a config without bootstrap.servers was accepted")
	}
}

func TestWildcardListenAdvertisesTheHostName(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Kafka.Common["bootstrap.servers"] = "k:9092"
	cfg.Listen = "0.0.0.0:8083"
	cfg, err := cfg.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	if cfg.ID != host+":8083" || cfg.AdvertisedURL != "http://"+host+":8083" {
		t.Fatalf("id %q url %q, want the host name %q", cfg.ID, cfg.AdvertisedURL, host)
	}
	if cfg.Kafka.Consumer["session.timeout.ms"] != "10000" || cfg.Kafka.Common["client.id"] != "tributary-"+cfg.ID {
		t.Fatalf("derived client props %+v", cfg.Kafka)
	}
	bad := DefaultConfig()
	bad.Kafka.Common["bootstrap.servers"] = "k:9092"
	bad.SessionTimeout, bad.HeartbeatInterval = 6*time.Second, 4*time.Second
	if _, err := bad.withDefaults(); err == nil {
		t.Fatal("a heartbeat interval over half the session was accepted")
	}
}

// TestPluginPathReadsAListOrACommaSeparatedString: plugin.path as Kafka
// Connect's properties write it and as a YAML list give the same dirs.
func TestPluginPathReadsAListOrACommaSeparatedString(t *testing.T) {
	dir := t.TempDir()
	for text, want := range map[string][]string{
		"plugin.path: /opt/a, /opt/b ,,\n":      {"/opt/a", "/opt/b"},
		"plugin.path: [/opt/a, /opt/b]\n":       {"/opt/a", "/opt/b"},
		"plugin.path:\n  - /opt/a\n":            {"/opt/a"},
		"group: g\nplugin.path:\nlisten: x:1\n": nil,
	} {
		path := filepath.Join(dir, "w.yaml")
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg, err := LoadConfig(path)
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		if !slices.Equal(cfg.PluginPath, want) {
			t.Errorf("%q: plugin.path %q, want %q", text, cfg.PluginPath, want)
		}
	}
}
