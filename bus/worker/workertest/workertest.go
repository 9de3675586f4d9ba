package workertest

import (
	"context"
	"log/slog"
	"os"
	"testing"

	"github.com/tributarydata/tributary/bus/broker/brokertest"
	"github.com/tributarydata/tributary/bus/metrics"
	"github.com/tributarydata/tributary/bus/worker"
	"github.com/tributarydata/tributary/plugins/sdk"
)

// Start starts a worker with cfg and plugins and closes it when the test
// ends. It logs warnings and errors, or more with TRIBUTARY_TEST_LOG=info or
// debug.
func Start(ctx context.Context, t testing.TB, cfg worker.Config, plugins ...sdk.Plugin) *worker.Worker {
	t.Helper()
	reg, err := worker.NewRegistry(plugins...)
	if err != nil {
		t.Fatal(err)
	}
	level := slog.LevelWarn
	switch os.Getenv("TRIBUTARY_TEST_LOG") {
	case "info":
		level = slog.LevelInfo
	case "debug":
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level})).With("test", t.Name())
	w, err := worker.New(cfg, reg, log, metrics.New())
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Close)
	return w
}

// StartAlone starts a worker with plugins on an embedded broker of its own,
// its REST address on a free port; adjust, when set, changes its config
// first. w.Config().Kafka reaches the broker.
func StartAlone(ctx context.Context, t testing.TB, adjust func(*worker.Config), plugins ...sdk.Plugin) *worker.Worker {
	t.Helper()
	cfg := worker.DefaultConfig()
	cfg.Kafka = brokertest.Client(brokertest.Start(t))
	cfg.Listen = "127.0.0.1:0"
	if adjust != nil {
		adjust(&cfg)
	}
	return Start(ctx, t, cfg, plugins...)
}
