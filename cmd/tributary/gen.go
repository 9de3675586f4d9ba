package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/tributarydata/tributary/deployments/edu/gen"
)

const genUsage = `usage: tributary gen [flags]

Plays a simulated school day into the education pipelines: classroom
signals, audio/video (agora) and recorded-course (qos) reports and the
channel dictionary posted to the app collector; registrations and
course-pack orders written to the business database, which CDC carries
on. Times in events and rows are simulated: the same --seed and --start
make the same events, rows and report.

Flags:
`

// runGen runs the load generator until its simulated duration is played or
// it is interrupted.
func runGen(ctx context.Context, args []string) error {
	def := gen.DefaultConfig()
	fs := flag.NewFlagSet("tributary gen", flag.ExitOnError)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), genUsage)
		fs.PrintDefaults()
	}
	seed := fs.Uint64("seed", def.Seed, "seed of the simulation")
	start := fs.String("start", "now", "simulated start: RFC 3339 (2024-03-01T08:00:00+08:00) or now")
	duration := fs.Duration("duration", 0, "simulated length, e.g. 2h; 0 runs until interrupted")
	speedup := fs.Float64("speedup", def.Speedup, "simulated seconds per wall second (1: real time); 0 sends as fast as the collector and database take it")
	classrooms := fs.Int("classrooms", def.Classrooms, "live classes at once")
	students := fs.Int("students-per-class", def.StudentsPerClass, "students in a live class (plus a teacher)")
	signals := fs.Float64("signals-per-minute", def.SignalsPerMinute, "classroom signals a student sends a minute")
	avInterval := fs.Duration("av-interval", def.AVInterval, "how often everyone in a live class reports audio/video quality")
	recorded := fs.Int("recorded-sessions", def.RecordedSessions, "students playing a recorded course at once")
	registrations := fs.Float64("registrations-per-hour", def.RegistrationsPerHour, "new students an hour")
	orders := fs.Float64("orders-per-hour", def.OrdersPerHour, "new course-pack orders an hour")
	outOfOrder := fs.Float64("out-of-order", def.OutOfOrder, "share of events held back within their job's out-of-orderness")
	late := fs.Float64("late", def.Late, "share of the events a job counts sent far too late for it (to its late topic)")
	duplicate := fs.Float64("duplicate", def.Duplicate, "share of events posted twice, as an app's retry does")
	malformed := fs.Float64("malformed", def.Malformed, "share of events followed by a malformed line (not JSON, not an object, a field of the wrong type)")
	lateMargin := fs.Duration("late-margin", def.LateMargin, "how much further than its job's bound a late event is behind the clock; divided by --speedup, the pipeline lag it tolerates")
	lateAfter := fs.Duration("late-after", def.LateAfter, "simulated time before the first late event")
	pipelines := fs.String("pipelines", "", "read the jobs' windows, out-of-orderness and lateness from this directory (deployments/pipelines/edu) instead of the built-in copy")
	collector := fs.String("collector", "http://127.0.0.1:9099/v1/events", "the app collector's URL")
	mysqlAddr := fs.String("mysql", net.JoinHostPort(envOr("MYSQL_HOST", "127.0.0.1"), envOr("MYSQL_PORT", "3307")), "host:port of the business database; MYSQL_HOST and MYSQL_PORT set the default")
	mysqlUser := fs.String("mysql-user", envOr("MYSQL_USER", "tributary"), "user of the business database; MYSQL_USER sets the default")
	mysqlPassword := fs.String("mysql-password", envOr("MYSQL_PASSWORD", "tributary"), "password of the business database; MYSQL_PASSWORD sets the default")
	noDB := fs.Bool("no-db", false, "write no registrations and orders")
	report := fs.String("report", "", "write a JSON report of what was delivered to this file")
	progress := fs.Duration("progress", 5*time.Second, "wall time between progress lines")
	logger := logFlags(fs)
	_ = fs.Parse(args)
	log := logger()
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q\n%s", fs.Args(), genUsage)
	}

	cfg := def
	cfg.Seed, cfg.Duration, cfg.Speedup = *seed, *duration, *speedup
	cfg.Classrooms, cfg.StudentsPerClass, cfg.SignalsPerMinute, cfg.AVInterval = *classrooms, *students, *signals, *avInterval
	cfg.RecordedSessions, cfg.RegistrationsPerHour, cfg.OrdersPerHour = *recorded, *registrations, *orders
	cfg.OutOfOrder, cfg.Late, cfg.Duplicate, cfg.Malformed = *outOfOrder, *late, *duplicate, *malformed
	cfg.LateMargin, cfg.LateAfter = *lateMargin, *lateAfter
	cfg.Start = time.Now().UTC()
	if *start != "now" {
		t, err := time.Parse(time.RFC3339Nano, *start)
		if err != nil {
			return fmt.Errorf("--start: %w", err)
		}
		cfg.Start = t
	}
	if *pipelines != "" {
		b, err := gen.LoadBounds(*pipelines)
		if err != nil {
			return err
		}
		cfg.Bounds = b
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	// The jobs refuse event times more than event.time.max.ahead.ms (a day)
	// past the wall clock.
	if cfg.Speedup == 0 || cfg.Speedup > 1 {
		if cfg.Duration == 0 || cfg.Start.Add(cfg.Duration).After(time.Now().Add(24*time.Hour)) {
			log.Warn("simulated time may run more than a day ahead of the wall clock; the jobs refuse such event times (event.time.max.ahead.ms)")
		}
	}

	var rows gen.RowSink
	database := "none"
	if !*noDB {
		db, err := gen.OpenDatabase(ctx, *mysqlAddr, *mysqlUser, *mysqlPassword)
		if err != nil {
			return err
		}
		defer db.Close()
		if cfg.FirstStudentID, err = db.NextStudentID(ctx); err != nil {
			return err
		}
		rows, database = db, *mysqlAddr
	}
	log.Info("generating", "collector", *collector, "database", database,
		"start", cfg.Start.Format(time.RFC3339), "duration", cfg.Duration, "speedup", cfg.Speedup, "first_student_id", cfg.FirstStudentID)
	r, err := gen.Run(ctx, cfg, gen.NewCollector(*collector, time.Minute), rows, gen.Options{Progress: os.Stderr, ProgressEvery: *progress})
	if *report != "" {
		if werr := r.WriteFile(*report); werr != nil && err == nil {
			err = werr
		}
	}
	return err
}

func envOr(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}
