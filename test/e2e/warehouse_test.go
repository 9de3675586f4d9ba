package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tributarydata/tributary/deployments/edu/validate"
	"github.com/tributarydata/tributary/deployments/local"
	"github.com/tributarydata/tributary/test/edu"
)

// genReport is the part of `tributary gen --report` this test holds the
// warehouse to.
type genReport struct {
	Complete  bool             `json:"complete"`
	Topics    map[string]int64 `json:"topics"`
	Late      map[string]int64 `json:"late"`
	Uncertain map[string]int64 `json:"uncertain"`
	Rows      map[string]int64 `json:"rows"`
}

// validateReport is the part of `tributary validate --json` read here.
type validateReport struct {
	Jobs []struct {
		Job          int     `json:"job"`
		Name         string  `json:"name"`
		Matched      int     `json:"matched"`
		Missing      int     `json:"missing"`
		Extra        int     `json:"extra"`
		Different    int     `json:"different"`
		Accuracy     float64 `json:"accuracy"`
		LateRecords  int64   `json:"late_records"`
		LateExcluded int64   `json:"late_excluded"`
		Pass         bool    `json:"pass"`
		Loaded       *struct {
			Table string `json:"table"`
			View  string `json:"view"`
			Rows  int    `json:"rows"`
		} `json:"loaded"`
	} `json:"jobs"`
}

// lateTopics is each validated job's late topic, by the job's file name.
var lateTopics = map[string]string{
	"classroom-performance": "late.classroom-performance",
	"study-time":            "late.study-time",
	"av-quality":            "late.av-quality",
}

// TestWarehouseLambdaExact runs the whole warehouse as make run does —
// every file of deployments/pipelines/edu on `tributary dev`, with
// PostgreSQL as the serving store and MariaDB as the business and result
// database — and plays two simulated hours of a school day into it with
// `tributary gen` at 120 times real speed: signals, audio/video and
// recorded-course reports through the HTTP collector, registrations and
// orders through CDC, with out-of-order, late, duplicated and malformed
// events among them. Then `tributary validate` recomputes jobs 3 to 7 from
// the Parquet backup with DuckDB and must find every row of the real-time
// tables right (100 %) on the on-time data, and must have left out exactly
// the late records the generator says it sent. Last, the channel dimension
// is emptied and `tributary bootstrap` loads it back from the backup.
func TestWarehouseLambdaExact(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end warehouse test")
	}
	ctx := context.Background()
	dir := t.TempDir()
	pg := startPostgres(ctx, t, dir)
	my := startMariaDB(ctx, t, dir)
	loadSchoolSchema(ctx, t, my)
	dev := startDev(t, filepath.Join(dir, "data"), freePort(t), freePort(t))
	for topic, partitions := range map[string]int{"dwd.student_signal": 3, "dwd.av_state": 3, "dwd.qos_log": 2} {
		createTopic(t, dev.broker, topic, partitions)
	}

	collector := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	backup := filepath.Join(dir, "backup")
	env := map[string]string{
		"SERVING_URL": pg.URL(),
		"RDS_URL":     fmt.Sprintf("%s:%s@tcp(%s)/results", my.User, my.Password, my.Addr()),
		"MYSQL_HOST":  "127.0.0.1", "MYSQL_PORT": fmt.Sprint(my.Port), "MYSQL_USER": my.User, "MYSQL_PASSWORD": my.Password,
		"APPLOG_LISTEN": collector,
		"BACKUP_DIR":    backup,
		// Files every 2 s rather than every minute: the check below reads
		// them as soon as the pipelines are through.
		"BACKUP_FLUSH_MS": "2000",
	}
	conns := applyPipeline(ctx, t, dev, ".", env)
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		// What each connector's tasks are doing, and the worker's log, for
		// the failure message.
		c := dev.client(t)
		for _, conn := range conns {
			st, err := c.ConnectorStatus(ctx, conn.Name)
			t.Logf("%s: %+v %v", conn.Name, st, err)
		}
		t.Logf("tributary dev log:\n%s", dev.tail())
	})

	// Two simulated hours from 08:00 Beijing time, at 120x: about a minute.
	start := time.Date(2026, 11, 20, 8, 0, 0, 0, time.FixedZone("CST", 8*3600))
	end := start.Add(2 * time.Hour)
	genCtx, cancel := context.WithTimeout(ctx, 6*time.Minute)
	defer cancel()
	runGen := func(report string, args ...string) string {
		cmd := exec.CommandContext(genCtx, binary, append([]string{"gen", "--seed", "7",
			"--classrooms", "3", "--students-per-class", "6", "--signals-per-minute", "6", "--av-interval", "20s",
			"--recorded-sessions", "4", "--registrations-per-hour", "90", "--orders-per-hour", "90",
			"--pipelines", edu.PipelineDir(),
			"--collector", "http://" + collector + "/v1/events",
			"--mysql", my.Addr(), "--mysql-user", my.User, "--mysql-password", my.Password,
			"--report", report, "--progress", "10s"}, args...)...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			t.Fatalf("tributary gen: %v\n%s\n%s", err, out.String(), dev.tail())
		}
		return out.String()
	}
	// The channel dimension is in place before the first registration, as
	// in a warehouse that has run for a while (or was bootstrapped): job 6
	// looks levels up when a student arrives, and a student who arrives
	// before its channel would be counted as "other" for good, which the
	// batch, reading the dictionary as of the student's time, would not.
	// A second of the day an hour before it posts the dictionary.
	runGen(filepath.Join(dir, "gen-dictionary.json"), "--start", start.Add(-time.Hour).Format(time.RFC3339), "--duration", "1s", "--no-db")
	channels := func() string {
		out, _ := pg.Query(ctx, "SELECT count(*) FROM channel_name_dictionary")
		return strings.TrimSpace(out)
	}
	previous := ""
	eventually(t, time.Minute, "the dictionary reaches the serving store and stays", func() (bool, string) {
		n := channels()
		settled := n == previous && n != "" && n != "0"
		previous = n
		time.Sleep(time.Second)
		return settled, n + " channels"
	})
	reportFile := filepath.Join(dir, "gen-report.json")
	genOut := runGen(reportFile, "--start", start.Format(time.RFC3339), "--duration", "2h", "--speedup", "120")
	t.Logf("tributary gen:\n%s", genOut)
	var gen genReport
	raw, err := os.ReadFile(reportFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &gen); err != nil {
		t.Fatal(err)
	}
	if !gen.Complete {
		t.Fatalf("the generator did not play the whole two hours: %s", raw)
	}
	for topic, n := range gen.Uncertain {
		if n != 0 {
			t.Fatalf("the generator is unsure of %d records of %s (a retried batch): the counts below would not be exact: %s", n, topic, raw)
		}
	}
	for _, topic := range lateTopics {
		if gen.Late[topic] == 0 {
			t.Fatalf("the generator sent nothing late for %s: the late check proves nothing: %s", topic, raw)
		}
	}

	// The windows of the last minutes stay open: no later event moves
	// their watermark past them. Compare the windowed jobs up to ten
	// simulated minutes before the end; jobs 6 and 7 keep no windows and
	// are compared whole.
	windowed := []string{"--job", "classroom-performance,study-time,av-quality",
		"--from", start.Add(-3 * time.Hour).Format(time.RFC3339), "--to", end.Add(-10 * time.Minute).Format(time.RFC3339)}
	whole := []string{"--job", "hourly-registrations,cc-daily"}
	validate := func(args []string) (validateReport, string) {
		cmd := exec.CommandContext(ctx, binary, append([]string{"validate", "--json", "--show", "5",
			"--backup", backup, "--rds", env["RDS_URL"], "--serving", env["SERVING_URL"]}, args...)...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		var rep validateReport
		if jerr := json.Unmarshal(stdout.Bytes(), &rep); jerr != nil {
			return rep, fmt.Sprintf("validate: %v %v\n%s%s", err, jerr, stdout.String(), stderr.String())
		}
		return rep, stdout.String()
	}
	var last string
	passed := func(args []string, jobs int) (bool, string) {
		rep, out := validate(args)
		last = out
		if len(rep.Jobs) != jobs {
			return false, out
		}
		for _, j := range rep.Jobs {
			if j.Accuracy != 100 || j.Matched == 0 {
				return false, out
			}
			// What reached the late topic, and what the batch left out
			// for it, is what the generator sent late.
			topic, ok := lateTopics[j.Name]
			if !ok {
				continue
			}
			sent := gen.Late[topic]
			// Job 5's audio and video records leave one connector in
			// the order of their reports (tributary.transforms.fanout), so
			// no on-time record of one is late behind the other's.
			exact := j.LateRecords == sent && j.LateExcluded == sent
			if !exact {
				return false, fmt.Sprintf("%s: %d late records, %d left out, the generator sent %d\n%s", j.Name, j.LateRecords, j.LateExcluded, sent, out)
			}
		}
		return true, out
	}
	// The pipelines finish what the generator sent, and the backup flushes
	// it, a little after the generator returns.
	eventually(t, 4*time.Minute, "the windowed jobs (3, 4, 5) validate at 100 % with the late records the generator sent left out", func() (bool, string) {
		return passed(windowed, 3)
	})
	t.Logf("windowed jobs:\n%s", last)
	eventually(t, 2*time.Minute, "jobs 6 and 7 validate at 100 %", func() (bool, string) {
		return passed(whole, 2)
	})
	t.Logf("jobs 6 and 7:\n%s", last)

	checkMergedViews(ctx, t, pg, func(args []string) (validateReport, string) { return validate(append(args, "--load")) }, windowed, whole)

	// The channel dimension, emptied, comes back in full from the backup.
	dictionary := func() string {
		out, err := pg.Query(ctx, "SELECT string_agg(rowkey || '=' || coalesce(level, 'NULL'), ',' ORDER BY rowkey) FROM channel_name_dictionary")
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(out)
	}
	before := dictionary()
	if before == "" {
		t.Fatal("the channel dimension is empty: the generator posted no dictionary")
	}
	if err := pg.Exec(ctx, "TRUNCATE channel_name_dictionary"); err != nil {
		t.Fatal(err)
	}
	boot := exec.CommandContext(ctx, binary, "bootstrap", "-f", filepath.Join(edu.PipelineDir(), "registration-level.json"),
		"--into", "registration-level-serving", "--from", filepath.Join(backup, "ods_channel_name_dictionary"))
	boot.Env = append(os.Environ(), "SERVING_URL="+env["SERVING_URL"])
	if out, err := boot.CombinedOutput(); err != nil {
		t.Fatalf("tributary bootstrap: %v\n%s", err, out)
	} else {
		t.Logf("tributary bootstrap: %s", out)
	}
	if after := dictionary(); after != before {
		t.Errorf("after bootstrap the dimension holds\n%s\nwant\n%s", after, before)
	}
}

// checkMergedViews loads the recomputed results of the validated ranges
// into the serving store with `tributary validate --load` and reads each
// job's merged view: every key of the real-time table once, the loaded
// ones from the offline layer; and once the real-time rows the load covers
// are deleted, the view still holds them all.
func checkMergedViews(ctx context.Context, t *testing.T, pg *local.Postgres, load func([]string) (validateReport, string), windowed, whole []string) {
	t.Helper()
	query := func(sql string) string {
		t.Helper()
		out, err := pg.Query(ctx, sql)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return strings.TrimSpace(out)
	}
	for _, args := range [][]string{windowed, whole} {
		rep, out := load(args)
		if len(rep.Jobs) == 0 {
			t.Fatalf("validate --load: %s", out)
		}
		for _, j := range rep.Jobs {
			job := validate.Jobs[slices.IndexFunc(validate.Jobs, func(v *validate.Job) bool { return v.Name == j.Name })]
			if j.Loaded == nil || j.Loaded.View != job.MergedView() || j.Loaded.Rows != j.Matched || j.Loaded.Rows == 0 {
				t.Fatalf("%s: validate --load wrote %+v, want the %d matched rows and the view %s\n%s", j.Name, j.Loaded, j.Matched, job.MergedView(), out)
			}
			var keys []string
			for _, c := range job.KeyColumns() {
				keys = append(keys, c.Name+"::text")
			}
			key := "concat_ws('|', " + strings.Join(keys, ", ") + ")"
			keySet := func(from string) string {
				return query(fmt.Sprintf("SELECT md5(coalesce(string_agg(k, ',' ORDER BY k), '')) || ' ' || count(*) FROM (SELECT %s AS k FROM %s) s", key, from))
			}
			realtime := keySet(job.Table)
			if merged := keySet(job.MergedView()); merged != realtime {
				t.Errorf("%s: the merged view's keys (digest, count) %s, the real-time table's %s", j.Name, merged, realtime)
			}
			if n := query(fmt.Sprintf("SELECT count(*) FROM %s WHERE layer = 'offline'", job.MergedView())); n != fmt.Sprint(j.Loaded.Rows) {
				t.Errorf("%s: %s offline rows in the view, %d loaded", j.Name, n, j.Loaded.Rows)
			}
			query(fmt.Sprintf("DELETE FROM %s WHERE %s IN (SELECT %[2]s FROM %s WHERE layer = 'offline')", job.Table, key, job.MergedView()))
			if merged := keySet(job.MergedView()); merged != realtime {
				t.Errorf("%s: without the real-time rows of the loaded range, the merged view's keys are %s, want %s", j.Name, merged, realtime)
			}
			t.Logf("%s: %d rows loaded into %s; %s serves %s keys", j.Name, j.Loaded.Rows, j.Loaded.Table, job.MergedView(), realtime)
		}
	}
}
