package main

import (
	"context"
	"flag"
	"path/filepath"

	"github.com/tributarydata/tributary/bus/broker"
)

// runDev runs the embedded broker and one worker in one process. Connector
// configs, offsets and statuses live in the broker's topics, so a restart on
// the same data directory resumes everything.
func runDev(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("tributary dev", flag.ExitOnError)
	bcfg := brokerFlags(fs, "broker")
	config := workerFlags(fs)
	logger := logFlags(fs)
	_ = fs.Parse(args)
	log := logger()
	cfg, err := config()
	if err != nil {
		return err
	}
	if bcfg.DataDir != "" {
		bcfg.DataDir, _ = filepath.Abs(bcfg.DataDir)
	}
	bcfg.Logger = log
	b, err := broker.Start(*bcfg)
	if err != nil {
		return err
	}
	defer b.Close()
	log.Info("embedded broker listening", "addr", b.Addr(), "data_dir", bcfg.DataDir)
	cfg.Kafka.Common["bootstrap.servers"] = b.Addr()
	if _, set := cfg.Kafka.Common["log_level"]; !set {
		// librdkafka's notices (reconnects while the broker starts) are noise here.
		cfg.Kafka.Common["log_level"] = "3"
	}
	return serveWorker(ctx, cfg, log)
}
