package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/tributarydata/tributary/deployments/edu/bootstrap"
)

// runBootstrap loads a dimension table of the serving store from a Parquet
// snapshot through a pipeline file's own connectors.
func runBootstrap(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("tributary bootstrap", flag.ExitOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), `usage: tributary bootstrap -f PIPELINE.json --into SINK --from PARQUET [--overwrite] [--json]

Loads a dimension table in full from the offline side before (or while)
the stream applies its updates: the Parquet snapshot's rows go through the
transforms of PIPELINE.json that feed the sink connector SINK, then into it,
in this process. Only keys the table lacks are inserted unless --overwrite.
${VAR} placeholders in the file come from the environment.

Example (the channel dimension job 6 looks levels up in):
  tributary bootstrap -f deployments/pipelines/edu/registration-level.json \
    --into registration-level-serving --from "$BACKUP_DIR/ods_channel_name_dictionary"

`)
		fs.PrintDefaults()
	}
	file := fs.String("f", "", "pipeline file holding the sink and the transforms before it")
	into := fs.String("into", "", "name of the sink connector in the file")
	from := fs.String("from", "", "Parquet snapshot: a directory (every *.parquet under it) or a glob")
	overwrite := fs.Bool("overwrite", false, "load with the sink's own mutate.type, deletes included, replacing rows the table holds")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	_ = fs.Parse(args)
	if *file == "" || *into == "" || *from == "" || fs.NArg() > 0 {
		fs.Usage()
		os.Exit(2)
	}
	res, err := bootstrap.Run(ctx, bootstrap.Options{
		Pipeline:  *file,
		Into:      *into,
		From:      *from,
		Env:       os.LookupEnv,
		Overwrite: *overwrite,
		Warn:      func(f string, a ...any) { fmt.Fprintf(os.Stderr, "warning: "+f+"\n", a...) },
	})
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(os.Stdout).Encode(res)
	}
	fmt.Printf("loaded %s through %v: %d rows read, %d written, %d superseded by a later row of their key, %d deletes %s, %d dropped by the pipeline, %d refused\n",
		res.Topic, res.Chain, res.Read, res.Written, res.Superseded, res.Deletes, map[bool]string{true: "applied", false: "left alone"}[*overwrite], res.Dropped, res.Faulted)
	return nil
}
