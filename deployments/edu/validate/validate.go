package validate

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Options say what to validate.
type Options struct {
	Jobs      []*Job
	Backup    string // the backup root (BACKUP_DIR)
	Endpoints Endpoints
	Range     Range
	Show      int     // how many differing keys to list per job
	Threshold float64 // accuracy in percent a job must reach
	// Load writes each job's recomputed rows into its offline table in the
	// serving store and creates its merged view (see Load). The range is
	// then the load's (see loadRange) for the comparison too.
	Load bool
	// Now is the clock the max-ahead rule of the jobs is applied with (see
	// Recompute), and the day --load ends before; zero: time.Now().
	Now time.Time
}

// Run recomputes each job from the backup, reads its real-time table and
// compares them. An error is a failure to validate (unreadable backup,
// unreachable database), not a job below the threshold, which the report
// says.
func Run(ctx context.Context, opts Options) (*Report, error) {
	if err := opts.check(); err != nil {
		return nil, err
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	rng := opts.Range
	if opts.Load {
		var err error
		if rng, err = loadRange(rng, now); err != nil {
			return nil, err
		}
	}
	rep := &Report{Range: rng.String(), Threshold: opts.Threshold, Pass: true}
	for _, job := range opts.Jobs {
		batch, err := Recompute(ctx, job, opts.Backup, now)
		if err != nil {
			return nil, fmt.Errorf("%s: recompute: %w", job, err)
		}
		rt, err := ReadRealtime(ctx, job, opts.Endpoints)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", job, err)
		}
		cmp, err := Compare(job, batch.Rows, rt.Rows, rng, opts.Show)
		if err != nil {
			return nil, err
		}
		jr := JobReport{
			Job: job.Number, Name: job.Name, Table: job.Table, Store: job.Store, TimeKey: job.TimeKey,
			BatchRows: cmp.BatchRows, RealtimeRows: cmp.RealtimeRows,
			Matched: cmp.Matched, Missing: cmp.Missing, Extra: cmp.Extra, Different: cmp.Different,
			Accuracy: cmp.Accuracy(), BothEmpty: cmp.BatchRows == 0 && cmp.RealtimeRows == 0,
			InputRecords: batch.InputRecords, LateTopic: job.LateTopic(),
			LateRecords: batch.LateRecords, LateExcluded: batch.LateExcluded,
			RealtimeTableMissing: rt.Missing, Notes: batch.Notes,
			Differences: cmp.Diffs, job: job,
		}
		if jr.Differences == nil {
			jr.Differences = []Diff{}
		}
		if rt.Missing {
			jr.Notes = append(jr.Notes, fmt.Sprintf("the real-time table %s does not exist: compared as empty", job.Table))
		}
		if opts.Load {
			if jr.Loaded, err = Load(ctx, batch, rng, opts.Endpoints.Serving); err != nil {
				return nil, fmt.Errorf("%s: %w", job, err)
			}
			if jr.Loaded.View == "" {
				jr.Notes = append(jr.Notes, fmt.Sprintf("no merged view: the real-time table %s is not in the serving store", job.Table))
			}
		}
		jr.Pass = jr.Accuracy >= opts.Threshold
		rep.Pass = rep.Pass && jr.Pass
		rep.Jobs = append(rep.Jobs, jr)
	}
	return rep, nil
}

// check refuses options that cannot work before anything is read.
func (o *Options) check() error {
	if len(o.Jobs) == 0 {
		return errors.New("no job to validate")
	}
	if o.Backup == "" {
		return errors.New("no backup directory: set BACKUP_DIR or --backup")
	}
	if o.Threshold < 0 || o.Threshold > 100 {
		return fmt.Errorf("threshold %v is not a percentage from 0 to 100", o.Threshold)
	}
	if o.Load && o.Endpoints.Serving == "" {
		return errors.New("--load: no serving store URL: set SERVING_URL or --serving")
	}
	for _, j := range o.Jobs {
		switch j.Store {
		case StoreRDS:
			if _, err := parseMySQLDSN(o.Endpoints.RDS); err != nil {
				return fmt.Errorf("%s: %w", j, err)
			}
		case StoreServing:
			if o.Endpoints.Serving == "" {
				return fmt.Errorf("%s: no serving store URL: set SERVING_URL or --serving", j)
			}
		}
	}
	return nil
}
