package validate

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	"github.com/jackc/pgx/v5"
)

// jobFile is a job file of deployments/pipelines/edu.
type jobFile struct {
	Connectors []struct {
		Name   string            `json:"name"`
		Config map[string]string `json:"config"`
	} `json:"connectors"`
}

func readJobFile(t *testing.T, name string) jobFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "pipelines", "edu", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var f jobFile
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s.json: %v", name, err)
	}
	return f
}

// connector returns the config of the job file's connector of class
// whose key equals value.
func (f jobFile) connector(t *testing.T, class, key, value string) map[string]string {
	t.Helper()
	for _, c := range f.Connectors {
		if c.Config["connector.class"] == class && c.Config[key] == value {
			return c.Config
		}
	}
	t.Fatalf("no %s connector with %s = %s", class, key, value)
	return nil
}

// sinkConfig is the config of the sink that writes job's result table.
func sinkConfig(t *testing.T, job *Job) map[string]string {
	t.Helper()
	class := map[Store]string{StoreRDS: "tributary.sinks.rds", StoreServing: "tributary.sinks.hologres"}[job.Store]
	return readJobFile(t, job.Name).connector(t, class, "table.name.format", job.Table)
}

// schemaColumn is one column of a sink's table.schema.columns.
type schemaColumn struct{ name, decl string }

func schemaColumns(t *testing.T, job *Job) []schemaColumn {
	t.Helper()
	var cols []schemaColumn
	for _, part := range strings.Split(sinkConfig(t, job)["table.schema.columns"], ",") {
		part = strings.TrimSpace(part)
		name, _, _ := strings.Cut(part, " ")
		cols = append(cols, schemaColumn{name: name, decl: part})
	}
	return cols
}

// createResultTable creates job's result table as its sink's auto.create
// would: the job file's columns and primary key.
func createResultTable(t *testing.T, job *Job, rds *client.Conn, serving string) {
	t.Helper()
	var decls []string
	for _, c := range schemaColumns(t, job) {
		decls = append(decls, c.decl)
	}
	ddl := fmt.Sprintf("CREATE TABLE %s (%s, PRIMARY KEY (%s))", job.Table, strings.Join(decls, ", "), sinkConfig(t, job)["pk.fields"])
	if job.Store == StoreRDS {
		if _, err := rds.Execute(ddl); err != nil {
			t.Fatalf("%s: %v", ddl, err)
		}
		return
	}
	execServing(t, serving, ddl)
}

func execServing(t *testing.T, url, sql string, args ...any) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// fillResultTable replaces the rows of job's result table by rows, as the
// real-time sink would have written them; columns the comparison ignores
// get the wall clock (create_time, update_time), as the jobs write them.
func fillResultTable(t *testing.T, job *Job, rds *client.Conn, serving string, rows []Row) {
	t.Helper()
	if job.Store == StoreRDS {
		if _, err := rds.Execute("DELETE FROM " + job.Table); err != nil {
			t.Fatal(err)
		}
	} else {
		execServing(t, serving, "DELETE FROM "+job.Table)
	}
	var names, marks []string
	for _, c := range job.Columns {
		names = append(names, c.Name)
		marks = append(marks, "?")
	}
	for _, c := range schemaColumns(t, job) {
		if job.column(c.name) < 0 {
			names = append(names, c.name)
			marks = append(marks, "NOW(3)")
		}
	}
	for _, r := range rows {
		args := make([]any, len(r))
		for i, v := range r {
			if tm, ok := v.(time.Time); ok {
				v = tm.In(shanghai).Format(wallClockLayout)
			}
			args[i] = v
		}
		if job.Store == StoreRDS {
			q := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", job.Table, strings.Join(names, ", "), strings.Join(marks, ", "))
			if _, err := rds.Execute(q, args...); err != nil {
				t.Fatalf("%s %v: %v", q, args, err)
			}
			continue
		}
		pgMarks := make([]string, len(names))
		for i := range pgMarks {
			pgMarks[i] = fmt.Sprintf("$%d", i+1)
			if i >= len(job.Columns) {
				pgMarks[i] = "now()"
			}
		}
		q := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", job.Table, strings.Join(names, ", "), strings.Join(pgMarks, ", "))
		execServing(t, serving, q, args...)
	}
}

// checkRecomputed compares recomputed rows with the hand-computed ones,
// in any order.
func checkRecomputed(t *testing.T, job *Job, got, want []Row) {
	t.Helper()
	text := func(rows []Row) []string {
		var out []string
		for _, r := range rows {
			var parts []string
			for i, c := range job.Columns {
				parts = append(parts, c.Name+"="+valueText(r[i]))
			}
			out = append(out, strings.Join(parts, " "))
		}
		slices.Sort(out)
		return out
	}
	g, w := text(got), text(want)
	if !slices.Equal(g, w) {
		t.Errorf("%s recomputed:\n  %s\nwant:\n  %s", job, strings.Join(g, "\n  "), strings.Join(w, "\n  "))
	}
}

// checkAgainstTables runs the validation of job over root against its
// real-time table holding (a) exactly want, (b) want with one row missing,
// one changed and one extra, and checks the counts, the accuracy, the
// exit status and the keys listed.
func checkAgainstTables(t *testing.T, job *Job, root string, want []Row) {
	t.Helper()
	if len(want) < 3 {
		t.Fatalf("%s: the fixture needs at least 3 result rows, has %d", job, len(want))
	}
	var rdsDSN, serving string
	var rds *client.Conn
	if job.Store == StoreRDS {
		rdsDSN, rds = rdsDatabase(t)
	} else {
		serving = servingSchema(t)
	}
	createResultTable(t, job, rds, serving)
	opts := Options{
		Jobs: []*Job{job}, Backup: root, Endpoints: Endpoints{RDS: rdsDSN, Serving: serving},
		Show: 10, Threshold: 100, Now: validationNow,
	}
	run := func() *JobReport {
		t.Helper()
		rep, err := Run(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		return &rep.Jobs[0]
	}

	fillResultTable(t, job, rds, serving, want)
	jr := run()
	if jr.Matched != len(want) || jr.Missing+jr.Extra+jr.Different != 0 || jr.Accuracy != 100 || !jr.Pass {
		t.Errorf("the exact rows: matched %d missing %d extra %d different %d accuracy %v pass %v, want %d matched, 100%%",
			jr.Matched, jr.Missing, jr.Extra, jr.Different, jr.Accuracy, jr.Pass, len(want))
	}
	rep := &Report{Pass: jr.Pass}
	if rep.ExitStatus() != 0 {
		t.Errorf("exit status %d for the exact rows", rep.ExitStatus())
	}

	// One missing (the first), one different (the second: its last
	// column), one extra (the third, under another key).
	missing, changed, extra := want[0], slices.Clone(want[1]), slices.Clone(want[2])
	last := len(job.Columns) - 1
	changed[last] = otherValue(job.Columns[last].Kind, changed[last])
	keyCol := slices.IndexFunc(job.Columns, func(c Column) bool { return c.Key && c.Kind != KindTime })
	extra[keyCol] = otherValue(job.Columns[keyCol].Kind, extra[keyCol])
	rows := append([]Row{changed, extra}, want[2:]...)
	fillResultTable(t, job, rds, serving, rows)
	rep2, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	jr = &rep2.Jobs[0]
	if jr.Matched != len(want)-2 || jr.Missing != 1 || jr.Extra != 1 || jr.Different != 1 || jr.Pass || rep2.ExitStatus() != 1 {
		t.Errorf("one missing, one extra, one different: matched %d missing %d extra %d different %d pass %v exit %d",
			jr.Matched, jr.Missing, jr.Extra, jr.Different, jr.Pass, rep2.ExitStatus())
	}
	wantAcc := float64(len(want)-2) * 100 / float64(len(want)+1)
	if jr.Accuracy != wantAcc {
		t.Errorf("accuracy %v, want %v", jr.Accuracy, wantAcc)
	}
	listed := map[string]string{}
	for _, d := range jr.Differences {
		listed[d.Kind] = fmt.Sprint(d.Key)
		switch d.Kind {
		case DiffMissing:
			if d.Batch == nil || d.Realtime != nil {
				t.Errorf("missing %v: batch %v, real-time %v", d.Key, d.Batch, d.Realtime)
			}
		case DiffExtra:
			if d.Batch != nil || d.Realtime == nil {
				t.Errorf("extra %v: batch %v, real-time %v", d.Key, d.Batch, d.Realtime)
			}
		case DiffDifferent:
			if !slices.Equal(d.Columns, []string{job.Columns[last].Name}) || d.Batch[job.Columns[last].Name] == d.Realtime[job.Columns[last].Name] {
				t.Errorf("different %v: columns %v, batch %v, real-time %v", d.Key, d.Columns, d.Batch, d.Realtime)
			}
		}
	}
	for kind, row := range map[string]Row{DiffMissing: missing, DiffDifferent: changed, DiffExtra: extra} {
		if want := fmt.Sprint(job.diff(kind, row, nil, nil).Key); listed[kind] != want {
			t.Errorf("%s key listed %q, want %q", kind, listed[kind], want)
		}
	}
	if len(jr.Differences) != 3 {
		t.Errorf("%d differences listed, want 3: %+v", len(jr.Differences), jr.Differences)
	}
}

// otherValue is a value of kind that differs from v.
func otherValue(kind Kind, v any) any {
	switch kind {
	case KindInt:
		return v.(int64) + 1000
	case KindFloat:
		return v.(float64) + 0.5
	case KindText:
		return v.(string) + "-other"
	}
	return v.(time.Time).Add(time.Second)
}
