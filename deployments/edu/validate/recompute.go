package validate

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"strings"
	"time"

	// The DuckDB driver, registered as "duckdb".
	_ "github.com/duckdb/duckdb-go/v2"
)

//go:embed sql/*.sql
var sqlFiles embed.FS

// Row is one result row: a value per column of its job (Job.Columns, in
// order), each an int64 (KindInt), a float64 (KindFloat), a string
// (KindText), a time.Time in Asia/Shanghai (KindTime), or nil for SQL NULL.
type Row []any

// Batch is a job's results recomputed from the backup: the rows its result
// table should hold, and what was left out on the way.
type Batch struct {
	Job  *Job
	Rows []Row
	// InputRecords counts the backed-up records of the job's inputs, and
	// LateRecords those of its late topic.
	InputRecords, LateRecords int64
	// LateExcluded counts the records the job would have counted but whose
	// value its late topic holds: the real-time path did not count them,
	// so neither does the batch. Each copy in the late topic takes one
	// copy of the record out, so a duplicated event late once still counts
	// once. For job 5 these are audio/video (dwd.av_state) records, two per
	// agora record at most.
	LateExcluded int64
	// Notes say what else the recomputation met (missing backups, rows a
	// result table could not hold).
	Notes []string
}

// shanghai is the zone of every wall-clock time of the warehouse's results
// (time.zone Asia/Shanghai). It has had no daylight saving since 1991, so
// should the system lack its zone data, +08:00 is the same.
var shanghai = func() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*60*60)
}()

// step is one statement of a SQL file: files are cut at lines
// "-- step: name", so an error names the step that failed.
type step struct {
	name, sql string
}

func readSteps(file string) ([]step, error) {
	b, err := sqlFiles.ReadFile("sql/" + file)
	if err != nil {
		return nil, err
	}
	var steps []step
	for i, part := range strings.Split(string(b), "-- step: ") {
		if i == 0 {
			continue // the file's header comment
		}
		name, body, _ := strings.Cut(part, "\n")
		steps = append(steps, step{name: strings.TrimSpace(name), sql: strings.TrimSpace(body)})
	}
	if len(steps) == 0 {
		return nil, fmt.Errorf("sql/%s has no steps", file)
	}
	return steps, nil
}

// lateStep is run after a job's contributions step when it has a late
// topic. contributions holds every record the job would count, input and
// late alike (from_late), with tuple: the fields the job reads, as JSON
// text. Records of equal tuples count alike, so taking out one input
// record per late record of its tuple is EXCEPT ALL over the records. The
// copies taken out are the ones read last in their partition: of a
// duplicated event, the retry that came later is the one that can have
// been late.
const lateStep = `CREATE TEMP TABLE counted AS
WITH numbered AS (
  SELECT *, row_number() OVER (PARTITION BY tuple ORDER BY part DESC, off DESC) AS copy
  FROM contributions WHERE NOT from_late
), late_copies AS (
  SELECT tuple, count(*) AS copies FROM contributions WHERE from_late GROUP BY tuple
)
SELECT numbered.* EXCLUDE (copy), numbered.copy <= coalesce(late_copies.copies, 0) AS late
FROM numbered LEFT JOIN late_copies USING (tuple)`

// Recompute recomputes job from the Parquet backup under root with DuckDB.
// now bounds the clock of the real-time run, which refused events too far
// ahead of it (event.time.max.ahead.ms; see tb_time_ok in sql/macros.sql):
// pass the time of the validation.
func Recompute(ctx context.Context, job *Job, root string, now time.Time) (*Batch, error) {
	if err := backupExists(root); err != nil {
		return nil, err
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, fmt.Errorf("open DuckDB: %w", err)
	}
	defer db.Close()
	// Temporary tables and variables belong to a connection.
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("open DuckDB: %w", err)
	}
	defer conn.Close()

	b := &Batch{Job: job}
	macros, err := readSteps("macros.sql")
	if err != nil {
		return nil, err
	}
	setup := append(macros,
		step{"now", fmt.Sprintf("SET VARIABLE now_ms = %d", now.UnixMilli())},
		step{"max_ahead", fmt.Sprintf("SET VARIABLE max_ahead_ms = %d", job.MaxAheadMs)})
	if err := execSteps(ctx, conn, "macros.sql", setup); err != nil {
		return nil, err
	}
	for _, in := range job.Inputs {
		st, err := loadInput(ctx, conn, root, in)
		if err != nil {
			return nil, err
		}
		b.InputRecords += st.records
		b.LateRecords += st.lateRecords
		if st.files == 0 {
			b.Notes = append(b.Notes, fmt.Sprintf("the backup holds no file of %s (%s): read as empty", in.Topic, TableDir(root, in.Topic)))
		}
	}
	steps, err := readSteps(job.sqlFile)
	if err != nil {
		return nil, err
	}
	last := steps[len(steps)-1]
	if last.name != "result" {
		return nil, fmt.Errorf("sql/%s: the last step is %q, not result", job.sqlFile, last.name)
	}
	for _, s := range steps[:len(steps)-1] {
		if err := execSteps(ctx, conn, job.sqlFile, []step{s}); err != nil {
			return nil, err
		}
		if s.name == "contributions" && job.LateTopic() != "" {
			if err := execSteps(ctx, conn, job.sqlFile, []step{{"late", lateStep}}); err != nil {
				return nil, err
			}
			if err := conn.QueryRowContext(ctx, "SELECT count(*) FILTER (WHERE late) FROM counted").Scan(&b.LateExcluded); err != nil {
				return nil, fmt.Errorf("count the late records: %w", err)
			}
		}
	}
	rows, err := conn.QueryContext(ctx, last.sql)
	if err != nil {
		return nil, fmt.Errorf("sql/%s, step result: %w", job.sqlFile, err)
	}
	defer rows.Close()
	nullKeys := 0
	for rows.Next() {
		raw := make([]any, len(job.Columns))
		ptrs := make([]any, len(raw))
		for i := range raw {
			ptrs[i] = &raw[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("sql/%s, step result: %w", job.sqlFile, err)
		}
		row, err := batchRow(job, raw)
		if err != nil {
			return nil, fmt.Errorf("sql/%s, step result: %w", job.sqlFile, err)
		}
		if hasNullKey(job, row) {
			nullKeys++
			continue
		}
		b.Rows = append(b.Rows, row)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sql/%s, step result: %w", job.sqlFile, err)
	}
	if nullKeys > 0 {
		// The result tables' key columns are NOT NULL: the sink
		// dead-letters such a row, so the table cannot hold it.
		b.Notes = append(b.Notes, fmt.Sprintf("%d recomputed rows with a null key column left out: %s cannot hold them", nullKeys, job.Table))
	}
	return b, nil
}

func execSteps(ctx context.Context, conn *sql.Conn, file string, steps []step) error {
	for _, s := range steps {
		if _, err := conn.ExecContext(ctx, s.sql); err != nil {
			return fmt.Errorf("sql/%s, step %s: %w", file, s.name, err)
		}
	}
	return nil
}

// batchRow types the values DuckDB returned for a result row: times come as
// epoch milliseconds.
func batchRow(job *Job, raw []any) (Row, error) {
	row := make(Row, len(raw))
	for i, c := range job.Columns {
		v := raw[i]
		if v == nil {
			continue
		}
		var ok bool
		switch c.Kind {
		case KindInt:
			row[i], ok = v.(int64)
		case KindFloat:
			row[i], ok = v.(float64)
		case KindText:
			row[i], ok = v.(string)
		case KindTime:
			var ms int64
			if ms, ok = v.(int64); ok {
				row[i] = time.UnixMilli(ms).In(shanghai)
			}
		}
		if !ok {
			return nil, fmt.Errorf("column %s: %T %v is not what the job's columns say", c.Name, v, v)
		}
	}
	return row, nil
}

func hasNullKey(job *Job, row Row) bool {
	for i, c := range job.Columns {
		if c.Key && row[i] == nil {
			return true
		}
	}
	return false
}
