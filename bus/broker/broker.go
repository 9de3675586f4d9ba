package broker

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
)

// Config says how to run the embedded broker.
type Config struct {
	// DataDir keeps the broker's state; empty runs it in memory only.
	DataDir string
	// Listen is host:port; port 0 picks a free one.
	Listen string
	// AutoCreateTopics creates a topic on first use, as Kafka's
	// auto.create.topics.enable=true default does.
	AutoCreateTopics bool
	// DefaultPartitions is the partition count of auto-created topics (Kafka's num.partitions).
	DefaultPartitions int
	// CompactionInterval is how often compacted topics are cleaned
	// (log.cleaner.backoff.ms); the worker's internal topics are compacted.
	CompactionInterval time.Duration
	// SyncWrites fsyncs every batch. Off by default, like Kafka's own flush
	// policy: a killed process loses nothing (the page cache survives), only a
	// machine crash can.
	SyncWrites bool
	// ClusterID is returned in metadata; stable across restarts of a data dir.
	ClusterID string
	Logger    *slog.Logger
}

// DefaultConfig returns Kafka's defaults where they apply.
func DefaultConfig() Config {
	return Config{
		Listen:             "127.0.0.1:9092",
		AutoCreateTopics:   true,
		DefaultPartitions:  1,
		CompactionInterval: 30 * time.Second,
		ClusterID:          "tributary-dev",
	}
}

// Broker is a running embedded broker.
type Broker struct {
	cluster *kfake.Cluster
	lock    *dirLock
	addr    string
}

// Start runs the broker until Close.
func Start(cfg Config) (*Broker, error) {
	host, portText, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("broker listen address %q: %w", cfg.Listen, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil || port < 0 || port > 65535 {
		return nil, fmt.Errorf("broker listen address %q: bad port", cfg.Listen)
	}
	if port == 0 {
		// kfake treats port 0 in Ports as "pick one", but only per broker; ask
		// the kernel here so the address is known before the cluster starts.
		if port, err = freePort(host); err != nil {
			return nil, err
		}
	}
	b := &Broker{}
	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.Ports(port),
		// kfake listens on 127.0.0.1; honour the configured host instead.
		kfake.ListenFn(func(network, _ string) (net.Listener, error) {
			return net.Listen(network, net.JoinHostPort(host, strconv.Itoa(port)))
		}),
		kfake.BrokerConfigs(map[string]string{
			"log.cleaner.backoff.ms": strconv.FormatInt(cfg.CompactionInterval.Milliseconds(), 10),
		}),
	}
	if cfg.ClusterID != "" {
		opts = append(opts, kfake.ClusterID(cfg.ClusterID))
	}
	if cfg.DefaultPartitions > 0 {
		opts = append(opts, kfake.DefaultNumPartitions(cfg.DefaultPartitions))
	}
	if cfg.SyncWrites {
		opts = append(opts, kfake.SyncWrites())
	}
	if cfg.Logger != nil {
		opts = append(opts, kfake.WithLogger(slogLogger{cfg.Logger}))
	}
	if cfg.DataDir != "" {
		if b.lock, err = lockDir(cfg.DataDir); err != nil {
			return nil, err
		}
		opts = append(opts, kfake.DataDir(filepath.Join(cfg.DataDir, "kafka")))
	}
	b.cluster, err = kfake.NewCluster(opts...)
	if err != nil {
		b.lock.release()
		return nil, fmt.Errorf("start embedded broker: %w", err)
	}
	if cfg.AutoCreateTopics {
		installAutoCreate(b.cluster, cfg.DefaultPartitions)
	}
	b.addr = b.cluster.ListenAddrs()[0]
	if b.lock != nil && b.lock.crashed {
		log := cfg.Logger
		if log == nil {
			log = slog.Default()
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		n, err := abortCrashedTransactions(ctx, b.addr, time.Now())
		cancel()
		if err != nil {
			b.Close()
			return nil, fmt.Errorf("the previous broker on %s died; aborting the transactions it left open: %w", cfg.DataDir, err)
		}
		if n > 0 {
			log.Warn("the previous broker on this data directory died; aborted the transactions it left open",
				"data_dir", cfg.DataDir, "transactions", n)
		}
	}
	return b, nil
}

// Addr is the bootstrap address clients connect to.
func (b *Broker) Addr() string { return b.addr }

// Close stops the broker, writes its state to the data directory and releases the lock.
func (b *Broker) Close() {
	b.cluster.Close()
	b.lock.release()
}

// Run starts the broker and blocks until ctx ends, then closes it.
func Run(ctx context.Context, cfg Config, ready func(*Broker)) error {
	b, err := Start(cfg)
	if err != nil {
		return err
	}
	if ready != nil {
		ready(b)
	}
	<-ctx.Done()
	b.Close()
	return nil
}

// handedOut holds every port freePort returned in this process.
var handedOut struct {
	sync.Mutex
	ports map[int]bool
}

// freePort asks the kernel for a free port, never one it already gave a
// broker of this process. A client of an earlier broker that is closed but
// still reconnecting (a worker a test left behind, a producer not yet closed)
// would otherwise reach the new broker on the same address and carry on with
// producer ids, transactions and group members it has no record of.
func freePort(host string) (int, error) {
	handedOut.Lock()
	defer handedOut.Unlock()
	if handedOut.ports == nil {
		handedOut.ports = map[int]bool{}
	}
	for range 100 {
		ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return 0, fmt.Errorf("find a free port on %s: %w", host, err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		if !handedOut.ports[port] {
			handedOut.ports[port] = true
			return port, nil
		}
	}
	return 0, fmt.Errorf("find a free port on %s: the kernel offered only ports given out before", host)
}

// slogLogger adapts kfake's logger to slog.
type slogLogger struct{ l *slog.Logger }

func (s slogLogger) Logf(level kfake.LogLevel, msg string, args ...any) {
	text := fmt.Sprintf(msg, args...)
	switch level {
	case kfake.LogLevelError:
		s.l.Error(text, "component", "broker")
	case kfake.LogLevelWarn:
		s.l.Warn(text, "component", "broker")
	default:
		// kfake logs every request at info level: that is debug detail here.
		s.l.Debug(text, "component", "broker")
	}
}
