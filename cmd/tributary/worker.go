package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"slices"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/tributarydata/tributary/api"
	"github.com/tributarydata/tributary/api/dashboard"
	"github.com/tributarydata/tributary/bus/metrics"
	"github.com/tributarydata/tributary/bus/worker"
	"github.com/tributarydata/tributary/plugins/builtin"
	"github.com/tributarydata/tributary/plugins/host"
)

// workerFlags adds the worker's flags; the returned function applies them
// over the config file (flags win).
func workerFlags(fs *flag.FlagSet) func() (worker.Config, error) {
	file := fs.String("c", "", "worker config file (YAML)")
	bootstrap := fs.String("bootstrap", "", "Kafka bootstrap servers (kafka.common.bootstrap.servers)")
	group := fs.String("group", "", "cluster group name (default tributary)")
	rest := fs.String("rest", "", "REST listen address host:port (default 127.0.0.1:8083)")
	token := fs.String("token", "", "bearer token required for write calls (env TRIBUTARY_TOKEN)")
	flush := fs.Duration("offset-flush-interval", 0, "how often sink tasks flush and commit (offset.flush.interval; default 5s)")
	id := fs.String("id", "", "worker id shown in statuses; unique in the group (default the REST address)")
	advertised := fs.String("advertised-url", "", "URL other workers and clients reach this worker's REST API at (default http://<rest>)")
	session := fs.Duration("session-timeout", 0, "how long the group waits for a silent worker before moving its tasks (session.timeout; default 10s)")
	pluginPath := fs.String("plugin-path", "", "comma-separated directories of external plugin binaries (plugin.path)")
	return func() (worker.Config, error) {
		cfg := worker.DefaultConfig()
		if *file != "" {
			var err error
			if cfg, err = worker.LoadConfig(*file); err != nil {
				return cfg, err
			}
		}
		if cfg.Kafka.Common == nil {
			cfg.Kafka.Common = map[string]string{}
		}
		if *bootstrap != "" {
			cfg.Kafka.Common["bootstrap.servers"] = *bootstrap
		}
		if *group != "" {
			cfg.Group = *group
		}
		if *rest != "" {
			cfg.Listen = *rest
		}
		if *flush > 0 {
			cfg.OffsetFlushInterval = *flush
		}
		if *id != "" {
			cfg.ID = *id
		}
		if *advertised != "" {
			cfg.AdvertisedURL = *advertised
		}
		if *session > 0 {
			cfg.SessionTimeout = *session
		}
		if *pluginPath != "" {
			cfg.PluginPath = worker.SplitPluginPath(*pluginPath)
		}
		if *token != "" {
			cfg.Token = *token
		} else if t, ok := os.LookupEnv("TRIBUTARY_TOKEN"); ok && cfg.Token == "" {
			cfg.Token = t
		}
		return cfg, nil
	}
}

func runWorker(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("tributary worker", flag.ExitOnError)
	config := workerFlags(fs)
	logger := logFlags(fs)
	_ = fs.Parse(args)
	log := logger()
	cfg, err := config()
	if err != nil {
		return err
	}
	if _, set := cfg.Kafka.Common["log_level"]; !set {
		// librdkafka's informational notices (telemetry, reconnects) are
		// noise beside the worker's own log; warnings stay.
		cfg.Kafka.Common["log_level"] = "4"
	}
	return serveWorker(ctx, cfg, log)
}

// registry holds the built-in plugins and the external ones on plugin.path.
// A binary that does not load, or a plugin whose class is built in, is
// skipped with a warning: one bad file must not keep the worker down.
func registry(ctx context.Context, pluginPath []string, log *slog.Logger) (*worker.Registry, error) {
	plugins := builtin.Plugins()
	taken := map[string]bool{}
	for _, p := range plugins {
		for _, name := range append([]string{p.Class}, p.Aliases...) {
			taken[name] = true
		}
	}
	external, errs := host.Discover(ctx, pluginPath, host.Options{Logger: log})
	for _, err := range errs {
		log.Warn("plugin skipped", "err", err)
	}
	for _, p := range external {
		if slices.ContainsFunc(append([]string{p.Class}, p.Aliases...), func(name string) bool { return taken[name] }) {
			log.Warn("plugin skipped: a built-in plugin has its class", "class", p.Class)
			continue
		}
		log.Info("external plugin", "class", p.Class, "type", p.Type, "version", p.Version)
		plugins = append(plugins, p)
	}
	return worker.NewRegistry(plugins...)
}

// serveWorker runs a worker and its REST API until ctx ends, then shuts both
// down: the API first, so no call lands on a stopping worker, then the tasks,
// which flush and commit.
func serveWorker(ctx context.Context, cfg worker.Config, log *slog.Logger) error {
	// Bind the REST address first: a second worker given the same address
	// fails here, clearly, before it joins the cluster.
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("REST listen address %s is not available (is another worker using it? give each worker its own --rest): %w", cfg.Listen, err)
	}
	reg, err := registry(ctx, cfg.PluginPath, log)
	if err != nil {
		ln.Close()
		return err
	}
	m := metrics.New()
	w, err := worker.New(cfg, reg, log, m)
	if err != nil {
		ln.Close()
		return err
	}
	srv := api.NewServer(w, api.Options{
		Token:   cfg.Token,
		Logger:  log,
		Metrics: promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{}),
		UI:      dashboard.Handler(),
	})
	apiCtx, stopAPI := context.WithCancel(context.WithoutCancel(ctx))
	served := make(chan error, 1)
	go func() { served <- srv.Serve(apiCtx, ln) }()

	if err := w.Start(ctx); err != nil {
		stopAPI()
		<-served
		return err
	}
	select {
	case <-ctx.Done():
	case err = <-served:
		err = fmt.Errorf("REST server stopped: %w", err)
	}
	log.Info("shutting down")
	stopAPI()
	if serr := <-served; serr != nil && !errors.Is(serr, context.Canceled) && err == nil {
		log.Warn("REST server shutdown", "err", serr)
	}
	w.Close()
	return err
}
