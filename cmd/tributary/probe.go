package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/tributarydata/tributary/deployments/edu/probe"
)

const probeUsage = `usage: tributary probe [--collector URL] [--serving URL] [--api URL] [--interval D]
                      [--duration D] [--progress D] [--json] [--report FILE]

Measures a running education warehouse (deployments/pipelines/edu): the
end-to-end latency from a collector POST to its row in the serving store,
the records each connector moves per second, and each worker's resident
memory. Ctrl-C ends the run and prints the report.

`

func runProbe(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("tributary probe", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), probeUsage)
		fs.PrintDefaults()
	}
	listen := os.Getenv("APPLOG_LISTEN")
	if listen == "" {
		listen = "127.0.0.1:9099"
	}
	api := os.Getenv("TRIBUTARY_URL")
	if api == "" {
		api = "http://127.0.0.1:8083"
	}
	var opts probe.Options
	fs.StringVar(&opts.Collector, "collector", "http://"+listen+"/v1/events", "the app collector's POST URL (default from $APPLOG_LISTEN)")
	fs.StringVar(&opts.Serving, "serving", os.Getenv("SERVING_URL"), "PostgreSQL URL of the serving store (default $SERVING_URL)")
	fs.StringVar(&opts.API, "api", api, "a worker's REST URL (default $TRIBUTARY_URL)")
	fs.DurationVar(&opts.Interval, "interval", time.Second, "time between probes")
	fs.DurationVar(&opts.SampleInterval, "sample", 10*time.Second, "time between reads of the workers' metrics")
	fs.DurationVar(&opts.Timeout, "timeout", time.Minute, "a probe not seen by then counts as lost")
	fs.DurationVar(&opts.Duration, "duration", 0, "how long to probe; 0: until Ctrl-C")
	progress := fs.Bool("progress", true, "print a summary line at every metrics read")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	reportFile := fs.String("report", "", "also write the JSON report to this file")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *progress {
		opts.Progress = os.Stderr
	}
	rep, err := probe.Run(ctx, opts)
	if err != nil {
		return err
	}
	if *reportFile != "" {
		f, err := os.Create(*reportFile)
		if err != nil {
			return err
		}
		if err := rep.WriteJSON(f); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	if *asJSON {
		return rep.WriteJSON(os.Stdout)
	}
	return rep.WriteText(os.Stdout)
}
