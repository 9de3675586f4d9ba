package worker

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
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
	// SessionTimeout is how long the group waits for a silent worker before
	// its tasks move; it is also the default session of sink consumers.
	SessionTimeout time.Duration `yaml:"session.timeout"`
	// HeartbeatInterval is how often the worker heartbeats to the group.
	HeartbeatInterval time.Duration `yaml:"heartbeat.interval"`
	// RebalanceTimeout bounds how long workers get to stop revoked tasks.
	RebalanceTimeout time.Duration `yaml:"rebalance.timeout"`
	// PluginPath lists directories of external plugin binaries, Kafka
	// Connect's plugin.path: a YAML list or one comma-separated string.
	PluginPath []string `yaml:"plugin.path"`

	// Now is the wall clock statuses and heartbeats are stamped with (tests
	// skew it); durations always use the monotonic clock.
	Now func() time.Time `yaml:"-"`
	// Dial, when set, opens the group member's broker connections (tests
	// cut it to partition a worker from the cluster).
	Dial func(ctx context.Context, network, address string) (net.Conn, error) `yaml:"-"`
}

// DefaultConfig returns the defaults of every field.
func DefaultConfig() Config {
	return Config{
		Group:               "tributary",
		OffsetFlushInterval: 5 * time.Second,
		ExactlyOnceSource:   true,
		Listen:              "127.0.0.1:8083",
		ShutdownTimeout:     30 * time.Second,
		SessionTimeout:      10 * time.Second,
		HeartbeatInterval:   time.Second,
		RebalanceTimeout:    time.Minute,
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

// UnmarshalYAML reads the fields by their tags, and plugin.path also from
// one comma-separated string, as Kafka Connect's properties write it.
func (c *Config) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, value := n.Content[i], n.Content[i+1]
			if key.Value != "plugin.path" || value.Kind != yaml.ScalarNode {
				continue
			}
			list := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
			if value.Tag != "!!null" {
				for _, dir := range SplitPluginPath(value.Value) {
					list.Content = append(list.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: dir})
				}
			}
			n.Content[i+1] = list
		}
	}
	type fields Config // without this method
	return n.Decode((*fields)(c))
}

// SplitPluginPath splits a comma-separated plugin.path, dropping blanks.
func SplitPluginPath(s string) []string {
	var dirs []string
	for dir := range strings.SplitSeq(s, ",") {
		if dir = strings.TrimSpace(dir); dir != "" {
			dirs = append(dirs, dir)
		}
	}
	return dirs
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
	// On a wildcard address (a container), other workers reach this one
	// by its host name, and the id must differ between hosts.
	reachable := c.Listen
	if host, port, err := net.SplitHostPort(c.Listen); err == nil {
		if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
			if name, err := os.Hostname(); err == nil {
				reachable = net.JoinHostPort(name, port)
			}
		}
	}
	if c.AdvertisedURL == "" {
		c.AdvertisedURL = "http://" + reachable
	}
	if c.ID == "" {
		c.ID = reachable
	}
	if c.SessionTimeout <= 0 {
		c.SessionTimeout = 10 * time.Second
	}
	if c.HeartbeatInterval <= 0 {
		c.HeartbeatInterval = min(time.Second, c.SessionTimeout/3)
	}
	if c.HeartbeatInterval >= c.SessionTimeout/2 {
		return c, fmt.Errorf("worker config: heartbeat.interval %v must be under half of session.timeout %v", c.HeartbeatInterval, c.SessionTimeout)
	}
	if c.RebalanceTimeout <= 0 {
		c.RebalanceTimeout = time.Minute
	}
	if c.ShutdownTimeout >= c.RebalanceTimeout {
		// A worker still stopping revoked tasks when the rebalance times out
		// is dropped from the group while they run.
		return c, fmt.Errorf("worker config: shutdown.timeout %v must be under rebalance.timeout %v", c.ShutdownTimeout, c.RebalanceTimeout)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	// Every client says which worker it belongs to, so the broker's logs
	// and group listings can tell workers apart.
	c.Kafka = c.Kafka.Clone()
	if _, set := c.Kafka.Common["client.id"]; !set {
		c.Kafka.Common["client.id"] = "tributary-" + c.ID
	}
	// A sink task moving off a dead worker waits for the dead consumer's
	// session in its connector's group: keep that session as short as the
	// worker's own, unless configured.
	if _, set := c.Kafka.Consumer["session.timeout.ms"]; !set {
		c.Kafka.Consumer["session.timeout.ms"] = strconv.FormatInt(c.SessionTimeout.Milliseconds(), 10)
	}
	return c, nil
}
