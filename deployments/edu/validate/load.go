package validate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// RangesTable is the serving store's record of what Load has loaded: for
// each result table, the [from_time, to_time) ranges of its time key (wall
// clock, Asia/Shanghai) whose rows its offline table holds. The merged
// views read it to know which layer answers for which time.
const RangesTable = "tributary_offline_ranges"

// Loaded says what Load wrote.
type Loaded struct {
	Table string `json:"table"` // the offline table, <result table>_offline
	// View is the merged view, <result table>_all; "" when the real-time
	// table does not exist yet to merge with (a later load creates it).
	View  string `json:"view,omitempty"`
	Rows  int    `json:"rows"`  // rows written for the range
	Range string `json:"range"` // the loaded range, as the report prints ranges
}

// OfflineTable is where Load puts a job's recomputed rows.
func (j *Job) OfflineTable() string { return j.Table + "_offline" }

// MergedView is the view that serves a job's results from both layers.
func (j *Job) MergedView() string { return j.Table + "_all" }

// Load writes the batch's rows whose time key is within rng into the job's
// offline table in the serving store, replacing whatever an earlier load
// wrote for that range, records the range in RangesTable, and creates or
// replaces the merged view, all in one transaction: a reader sees the old
// load or the new one, never a range half loaded.
//
// The merged view <table>_all holds every row of the offline table, and
// every row of the real-time table whose time no loaded range covers: the
// batch answers for the days it recomputed, the stream for the rest
// (today). Its columns are the job's compared columns with the offline
// table's types, plus layer ('offline' or 'realtime').
//
// rng must be closed above (To set): the offline layer is for finished
// days, and an open end would hand it times the backup has not caught up
// with.
func Load(ctx context.Context, batch *Batch, rng Range, servingURL string) (*Loaded, error) {
	job := batch.Job
	if rng.To.IsZero() {
		return nil, errors.New("load: the range has no end")
	}
	if strings.TrimSpace(servingURL) == "" {
		return nil, errors.New("load: no serving store URL: set SERVING_URL or --serving")
	}
	conn, err := pgx.Connect(ctx, servingURL)
	if err != nil {
		return nil, fmt.Errorf("load: connect to the serving store: %w", err)
	}
	defer conn.Close(context.Background())

	var rows [][]any
	for _, r := range batch.Rows {
		if t, ok := job.rangeTime(r); ok && rng.Contains(t) {
			rows = append(rows, offlineValues(job, r))
		}
	}
	from, to := "-infinity", wallClock(rng.To)
	if !rng.From.IsZero() {
		from = wallClock(rng.From)
	}
	offline := pgx.Identifier{job.OfflineTable()}.Sanitize()
	out := &Loaded{Table: job.OfflineTable(), Rows: len(rows), Range: rng.String()}
	err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		for _, stmt := range []string{offlineDDL(job), rangesDDL} {
			if _, err := tx.Exec(ctx, stmt); err != nil {
				return err
			}
		}
		del := fmt.Sprintf("DELETE FROM %s t WHERE %s >= $1::timestamp AND %[2]s < $2::timestamp", offline, timeKeyExpr(job, "t"))
		if _, err := tx.Exec(ctx, del, from, to); err != nil {
			return fmt.Errorf("delete the range's rows: %w", err)
		}
		cols := make([]string, len(job.Columns))
		for i, c := range job.Columns {
			cols[i] = c.Name
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{job.OfflineTable()}, cols, pgx.CopyFromRows(rows)); err != nil {
			return fmt.Errorf("copy the rows: %w", err)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO "+RangesTable+" (table_name, from_time, to_time, rows) VALUES ($1, $2::timestamp, $3::timestamp, $4)",
			job.Table, from, to, len(rows)); err != nil {
			return fmt.Errorf("record the range: %w", err)
		}
		var realtime *string
		if err := tx.QueryRow(ctx, "SELECT to_regclass($1)::text", pgx.Identifier{job.Table}.Sanitize()).Scan(&realtime); err != nil {
			return fmt.Errorf("find the real-time table: %w", err)
		}
		if realtime == nil {
			return nil
		}
		if _, err := tx.Exec(ctx, mergedViewDDL(job)); err != nil {
			return err
		}
		out.View = job.MergedView()
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", job.OfflineTable(), err)
	}
	return out, nil
}

// rangesDDL creates RangesTable. Ranges may overlap: a time is offline
// when any loaded range covers it, and each load replaced the offline rows
// of its own range.
const rangesDDL = `CREATE TABLE IF NOT EXISTS ` + RangesTable + ` (
	table_name text NOT NULL,
	from_time timestamp NOT NULL,
	to_time timestamp NOT NULL,
	rows bigint NOT NULL,
	loaded_at timestamptz NOT NULL DEFAULT now()
)`

// offlineTypes are the serving store's types of the column kinds, in the
// offline table and in the merged view.
var offlineTypes = map[Kind]string{
	KindInt:   "bigint",
	KindFloat: "double precision",
	KindText:  "text",
	KindTime:  "timestamp(3)",
}

// offlineDDL creates the job's offline table: its compared columns, and
// when each row was loaded. No primary key: it is the batch's, which
// groups by it already, and a key column the data leaves NULL would refuse
// the load.
func offlineDDL(job *Job) string {
	var cols []string
	for _, c := range job.Columns {
		cols = append(cols, pgx.Identifier{c.Name}.Sanitize()+" "+offlineTypes[c.Kind])
	}
	cols = append(cols, "loaded_at timestamptz NOT NULL DEFAULT now()")
	return fmt.Sprintf("CREATE TABLE IF NOT EXISTS %s (%s)", pgx.Identifier{job.OfflineTable()}.Sanitize(), strings.Join(cols, ", "))
}

// mergedViewDDL creates or replaces the job's merged view. The real-time
// columns are cast to the offline types so that the view's columns do not
// depend on the DDL of whichever sink created the real-time table.
func mergedViewDDL(job *Job) string {
	var offline, realtime []string
	for _, c := range job.Columns {
		col := pgx.Identifier{c.Name}.Sanitize()
		offline = append(offline, "o."+col)
		realtime = append(realtime, fmt.Sprintf("r.%s::%s AS %[1]s", col, offlineTypes[c.Kind]))
	}
	return fmt.Sprintf(`CREATE OR REPLACE VIEW %s AS
SELECT %s, 'offline'::text AS layer FROM %s o
UNION ALL
SELECT %s, 'realtime'::text AS layer FROM %s r
WHERE NOT EXISTS (SELECT 1 FROM %s g WHERE g.table_name = %s AND %[8]s >= g.from_time AND %[8]s < g.to_time)`,
		pgx.Identifier{job.MergedView()}.Sanitize(),
		strings.Join(offline, ", "), pgx.Identifier{job.OfflineTable()}.Sanitize(),
		strings.Join(realtime, ", "), pgx.Identifier{job.Table}.Sanitize(),
		RangesTable, sqlString(job.Table), timeKeyExpr(job, "r"))
}

// timeKeyExpr is the SQL of the instant (a wall-clock timestamp) a row's
// time key stands for, as rangeTime reads it: an hour yyyyMMddHH and a day
// yyyy-MM-dd at their start.
func timeKeyExpr(job *Job, alias string) string {
	col := alias + "." + pgx.Identifier{job.TimeKey}.Sanitize()
	switch job.timeRange {
	case rangeHour:
		return fmt.Sprintf("make_timestamp((%[1]s / 1000000)::int, (%[1]s / 10000 %% 100)::int, (%[1]s / 100 %% 100)::int, (%[1]s %% 100)::int, 0, 0)", col)
	case rangeDay:
		return col + "::date::timestamp"
	}
	return col
}

// offlineValues is a recomputed row as the offline table's columns take
// it: a time as its wall clock in Asia/Shanghai, which the timestamp
// column keeps as written.
func offlineValues(job *Job, r Row) []any {
	out := make([]any, len(job.Columns))
	for i, c := range job.Columns {
		out[i] = r[i]
		if t, ok := r[i].(time.Time); ok && c.Kind == KindTime {
			w := t.In(shanghai)
			out[i] = time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), time.UTC)
		}
	}
	return out
}

// wallClock prints t as a timestamp literal of its wall clock in
// Asia/Shanghai.
func wallClock(t time.Time) string { return t.In(shanghai).Format("2006-01-02 15:04:05.999999") }

// loadRange is the range --load writes: the compared range, ended at the
// start of today (Asia/Shanghai) when it has no end. A range reaching into
// today is refused: today belongs to the real-time layer, whose day is not
// over.
func loadRange(rng Range, now time.Time) (Range, error) {
	n := now.In(shanghai)
	today := time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, shanghai)
	if rng.To.IsZero() {
		rng.To = today
	}
	if rng.To.After(today) {
		return Range{}, fmt.Errorf("--load: --to %s reaches into today (from %s, Asia/Shanghai), which the real-time layer serves", wallClock(rng.To), wallClock(today))
	}
	if !rng.From.IsZero() && !rng.From.Before(rng.To) {
		return Range{}, fmt.Errorf("--load: nothing to load before %s from %s", wallClock(rng.To), wallClock(rng.From))
	}
	return rng, nil
}
