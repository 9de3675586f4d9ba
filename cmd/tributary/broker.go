package main

import (
	"context"
	"flag"

	"github.com/tributarydata/tributary/bus/broker"
)

// brokerFlags adds the embedded broker's flags to fs.
func brokerFlags(fs *flag.FlagSet, listenFlag string) *broker.Config {
	cfg := broker.DefaultConfig()
	fs.StringVar(&cfg.DataDir, "data-dir", "", "directory keeping the broker's (and in dev mode the worker's) state; empty keeps it in memory")
	fs.StringVar(&cfg.Listen, listenFlag, cfg.Listen, "broker listen address host:port")
	fs.BoolVar(&cfg.AutoCreateTopics, "auto-create-topics", cfg.AutoCreateTopics, "create a topic on first use, like Kafka's auto.create.topics.enable")
	fs.IntVar(&cfg.DefaultPartitions, "partitions", cfg.DefaultPartitions, "partitions of auto-created topics (num.partitions)")
	fs.BoolVar(&cfg.SyncWrites, "sync-writes", cfg.SyncWrites, "fsync every batch (survives machine crashes, slower)")
	return &cfg
}

func runBroker(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("tributary broker", flag.ExitOnError)
	cfg := brokerFlags(fs, "listen")
	logger := logFlags(fs)
	_ = fs.Parse(args)
	log := logger()
	cfg.Logger = log
	return broker.Run(ctx, *cfg, func(b *broker.Broker) {
		log.Info("embedded broker listening", "addr", b.Addr(), "data_dir", cfg.DataDir)
	})
}
