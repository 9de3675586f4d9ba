package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/tributarydata/tributary/deployments/edu/validate"
)

const validateUsage = `usage: tributary validate [--job N|NAME|all] [--backup DIR] [--rds DSN] [--serving URL]
                         [--from T] [--to T] [--show N] [--threshold PCT] [--json] [--load]

Recomputes jobs 3-7 of deployments/pipelines/edu from the Parquet backup with
DuckDB and compares them key by key with the real-time result tables.
With --load, the recomputed rows of the range (which then ends before today,
Asia/Shanghai, by default) replace those of an earlier load in the serving
store's <table>_offline, and the view <table>_all merges them with the
real-time rows of the times no load covers.
Exit status: 0 every job reached the threshold, 1 a job is below it, 2 usage
or an error.

`

// runValidate parses the flags and runs the validation. It exits itself,
// since its status says more than success or failure (see validateUsage).
func runValidate(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("tributary validate", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), validateUsage)
		fs.PrintDefaults()
	}
	jobs := fs.String("job", "all", "job to validate: 3 to 7, a job file name (classroom-performance), all, or a comma separated list")
	backup := fs.String("backup", os.Getenv("BACKUP_DIR"), "root of the Parquet backup (default $BACKUP_DIR)")
	rds := fs.String("rds", os.Getenv("RDS_URL"), "DSN of the RDS results database, user:pass@tcp(host:port)/db (default $RDS_URL)")
	serving := fs.String("serving", os.Getenv("SERVING_URL"), "PostgreSQL URL of the serving store (default $SERVING_URL)")
	from := fs.String("from", "", "first time of the job's time key to compare, Asia/Shanghai (2024-05-01, 2024-05-01 10:00, 2024050110) or RFC 3339; default: everything")
	to := fs.String("to", "", "end (exclusive) of the compared times, as --from; default: everything")
	show := fs.Int("show", 10, "differing keys to list per job")
	threshold := fs.Float64("threshold", 100, "accuracy in percent every job must reach, else exit status 1")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	load := fs.Bool("load", false, "load the recomputed rows into <table>_offline in the serving store and create the merged view <table>_all")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			os.Exit(0)
		}
		os.Exit(2)
	}
	fail := func(err error) error {
		fmt.Fprintln(os.Stderr, "tributary validate:", err)
		os.Exit(2)
		return err
	}
	if fs.NArg() > 0 {
		return fail(fmt.Errorf("unexpected arguments %q", fs.Args()))
	}
	selected, err := validate.ParseJobs(*jobs)
	if err != nil {
		return fail(err)
	}
	rng, err := validate.NewRange(*from, *to)
	if err != nil {
		return fail(err)
	}
	rep, err := validate.Run(ctx, validate.Options{
		Jobs:      selected,
		Backup:    *backup,
		Endpoints: validate.Endpoints{RDS: *rds, Serving: *serving},
		Range:     rng,
		Show:      *show,
		Threshold: *threshold,
		Load:      *load,
	})
	if err != nil {
		return fail(err)
	}
	if *asJSON {
		err = rep.WriteJSON(os.Stdout)
	} else {
		err = rep.WriteText(os.Stdout)
	}
	if err != nil {
		return fail(err)
	}
	os.Exit(rep.ExitStatus())
	return nil
}
