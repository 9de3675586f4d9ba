package worker

import (
	"fmt"
	"os"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/tributarydata/tributary/bus/kafka"
)

// Config is a worker's configuration (the YAML file given with -c).
type Config struct {
	// ID names the worker in statuses; default host:restPort.
	ID string `yaml:"id"`
	// Group is the cluster's name; workers with the same group share connectors.
	Group string `yaml:"group"`
	// Kafka holds librdkafka properties for every client the worker makes.
	Kafka kafka.ClientConfig `yaml:"kafka"`
	// Topics of the cluster's state; default <group>-configs, -status, -offsets.
	ConfigTopic string `yaml:"config.storage.topic"`
	StatusTopic string `yaml:"status.storage.topic"`
	OffsetTopic string `yaml:"offset.storage.topic"`
	// OffsetFlushInterval is how often sink tasks flush and commit.
	OffsetFlushInterval time.Duration `yaml:"offset.flush.interval"`
	// ExactlyOnceSource writes source records and positions in one transaction.
	ExactlyOnceSource bool `yaml:"exactly.once.source"`
	// REST listen address and the URL other workers and clients use.
	Listen        string `yaml:"listen"`
	AdvertisedURL string `yaml:"advertised.url"`
	// Token, when set, is required as a bearer token on every write call.
	Token string `yaml:"token"`
	// ShutdownTimeout bounds how long tasks get to flush and commit on shutdown.
	ShutdownTimeout time.Duration `yaml:"shutdown.timeout"`
}

// DefaultConfig returns the defaults of every field.
func DefaultConfig() Config {
	return Config{
		Group:               "tributary",
		OffsetFlushInterval: 5 * time.Second,
		ExactlyOnceSource:   true,
		Listen:              "127.0.0.1:8083",
		ShutdownTimeout:     30 * time.Second,
		Kafka:               kafka.ClientConfig{Common: kafka.Props{}},
	}
}

// LoadConfig reads a YAML worker config over the defaults.
func LoadConfig(path string) (Config, error) {
	cfg := DefaultConfig()
	data, err := os.ReadFile(path)
	if err != nil {
		return cfg, fmt.Errorf("read worker config: %w", err)
	}
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		return cfg, fmt.Errorf("parse worker config %s: %w", path, err)
	}
	return cfg, nil
}

// withDefaults fills derived fields.
func (c Config) withDefaults() (Config, error) {
	if c.Group == "" {
		c.Group = "tributary"
	}
	if c.Kafka.Bootstrap() == "" {
		return c, fmt.Errorf("worker config: kafka bootstrap.servers is required")
	}
	if c.ConfigTopic == "" {
		c.ConfigTopic = c.Group + "-configs"
	}
	if c.StatusTopic == "" {
		c.StatusTopic = c.Group + "-status"
	}
	if c.OffsetTopic == "" {
		c.OffsetTopic = c.Group + "-offsets"
	}
	if c.OffsetFlushInterval <= 0 {
		c.OffsetFlushInterval = 5 * time.Second
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = 30 * time.Second
	}
	if c.AdvertisedURL == "" {
		c.AdvertisedURL = "http://" + c.Listen
	}
	if c.ID == "" {
		c.ID = c.Listen
	}
	return c, nil
}
