// Command tributary is the single binary of Tributary: worker, embedded
// broker, development mode (both in one process) and the REST client.
// It only reads flags and config, wires the packages together and forwards
// signals; the work happens in bus/, api/ and the connector packages.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

const usage = `tributary — CDC and event bus for real-time warehouses

Usage:
  tributary broker --data-dir DIR --listen HOST:PORT    run the embedded Kafka-compatible broker
  tributary dev --data-dir DIR --rest HOST:PORT --broker HOST:PORT
                                                       the embedded broker and one worker in one process
  tributary worker [-c worker.yaml] [--bootstrap HOST:PORT] [--group NAME] [--rest HOST:PORT]
                                                       a worker against a Kafka cluster
  tributary ctl [--url URL] COMMAND …                  REST client (tributary ctl -h)
  tributary local mariadb --dir DIR --port PORT        a MariaDB for the demo, binlog set up for CDC
  tributary local postgres --dir DIR --port PORT       a PostgreSQL 15 for the demo and sink tests
  tributary gen [--seed N] [--speedup X] [--duration D] a school day for the education pipelines (tributary gen -h)
  tributary validate --job N [--from T --to T]         recompute a job from the Parquet backup and compare (Lambda check)
  tributary bootstrap -f FILE --into SINK --from DIR   load a dimension table in full from a Parquet snapshot
  tributary probe [--duration D] [--json]              end-to-end latency, events/s per connector, worker memory
  tributary version

Run 'tributary COMMAND -h' for a command's flags.
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	args := os.Args[2:]
	switch os.Args[1] {
	case "broker":
		err = runBroker(ctx, args)
	case "dev":
		err = runDev(ctx, args)
	case "worker":
		err = runWorker(ctx, args)
	case "local":
		err = runLocal(ctx, args)
	case "gen":
		err = runGen(ctx, args)
	case "validate":
		err = runValidate(ctx, args)
	case "bootstrap":
		err = runBootstrap(ctx, args)
	case "probe":
		err = runProbe(ctx, args)
	case "ctl":
		stop()
		os.Exit(runCtl(args))
	case "version":
		fmt.Println(versionString())
	case "-h", "--help", "help":
		fmt.Print(usage)
	default:
		fmt.Fprintf(os.Stderr, "tributary: unknown command %q\n\n%s", os.Args[1], usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tributary:", err)
		os.Exit(1)
	}
}
