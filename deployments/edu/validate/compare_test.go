package validate

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestCompareFloatTolerance(t *testing.T) {
	job := Jobs[2] // event_avg is a float
	w0, w1 := wall(t, "2024-05-01 10:00:00"), wall(t, "2024-05-01 10:00:30")
	row := func(avg float64) Row {
		return Row{w0, int64(1), int64(100), "r1", "student", int64(8), "join_VIDEO_STATE", w1, int64(7), avg, int64(3)}
	}
	for _, tc := range []struct {
		batch, realtime float64
		same            bool
	}{
		{7.0 / 3, 7.0 / 3, true},
		{7.0 / 3, 2.33333333333333, true}, // a DOUBLE printed to 15 digits
		{7.0 / 3, 2.3333, false},
		{1e12 / 3, 1e12/3 + 1e-4, true}, // relative for large values
		{0.5, 0.5 + 2e-9, false},        // absolute below 1
	} {
		c, err := Compare(job, []Row{row(tc.batch)}, []Row{row(tc.realtime)}, Range{}, 10)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Matched == 1; got != tc.same {
			t.Errorf("%v vs %v: matched %v, want %v (%+v)", tc.batch, tc.realtime, got, tc.same, c)
		}
	}
}

func TestCompareCountsAndOrder(t *testing.T) {
	job := Jobs[4] // cc_id, type, attribution_time → cc_index
	r := func(cc int64, day string, n int64) Row { return Row{cc, int64(1), day, n} }
	batch := []Row{r(300, "2024-05-01", 1), r(100, "2024-05-01", 2), r(200, "2024-05-02", 2), r(100, "2024-05-02", 5)}
	realtime := []Row{r(100, "2024-05-01", 2), r(200, "2024-05-02", 3), r(50, "2024-05-03", 1), r(100, "2024-05-02", 5)}
	c, err := Compare(job, batch, realtime, Range{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if c.Matched != 2 || c.Missing != 1 || c.Extra != 1 || c.Different != 1 || c.BatchRows != 4 || c.RealtimeRows != 4 {
		t.Fatalf("%+v", c)
	}
	if acc := c.Accuracy(); acc != 40 {
		t.Errorf("accuracy %v, want 40", acc)
	}
	var got []string
	for _, d := range c.Diffs {
		got = append(got, d.Kind+" "+valueText(d.Key["cc_id"]))
	}
	// In key order: cc_id 50, 200, 300.
	if want := []string{"extra 50", "different 200", "missing 300"}; !slices.Equal(got, want) {
		t.Errorf("diffs %v, want %v", got, want)
	}
	d := c.Diffs[1]
	if !slices.Equal(d.Columns, []string{"cc_index"}) || d.Batch["cc_index"] != int64(2) || d.Realtime["cc_index"] != int64(3) {
		t.Errorf("different: %+v", d)
	}
	if c, _ := Compare(job, batch, realtime, Range{}, 2); len(c.Diffs) != 2 || c.Diffs[0].Kind != DiffExtra {
		t.Errorf("--show 2 lists %+v", c.Diffs)
	}
}

func TestCompareBothEmpty(t *testing.T) {
	c, err := Compare(Jobs[0], nil, nil, Range{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if c.Accuracy() != 100 || c.Matched+c.Missing+c.Extra+c.Different != 0 {
		t.Errorf("%+v accuracy %v", c, c.Accuracy())
	}
}

func TestCompareDuplicateKeyIsAnError(t *testing.T) {
	r := Row{int64(1), int64(1), "2024-05-01", int64(1)}
	if _, err := Compare(Jobs[4], []Row{r, r}, nil, Range{}, 10); err == nil {
		t.Error("two recomputed rows with one key compared without an error")
	}
}

// TestCompareRange selects rows by each kind of time key: a window start
// (instant), job 6's hour, job 7's day.
func TestCompareRange(t *testing.T) {
	rng, err := NewRange("2024-05-01 10:30", "2024-05-02")
	if err != nil {
		t.Fatal(err)
	}
	// Job 3: only the window at 11:00 is in the range; the one at 10:00 differs but is not compared.
	w := func(s string) time.Time { return wall(t, s) }
	perf := func(start string, n int64) Row {
		return Row{w(start), int64(10), int64(1), int64(2), "E", w(start).Add(time.Minute), n}
	}
	c, err := Compare(Jobs[0], []Row{perf("2024-05-01 10:00:00", 1), perf("2024-05-01 11:00:00", 2), perf("2024-05-02 00:00:00", 3)},
		[]Row{perf("2024-05-01 10:00:00", 9), perf("2024-05-01 11:00:00", 2), perf("2024-05-01 10:29:59.999", 4)}, rng, 10)
	if err != nil {
		t.Fatal(err)
	}
	if c.Matched != 1 || c.Missing+c.Extra+c.Different != 0 {
		t.Errorf("job 3 in %s: %+v", rng, c)
	}
	// Job 6: hours 2024050110 (before 10:30) out, 2024050111 in, 2024050200 out.
	reg := func(hour int64, n int64) Row { return Row{"x" + valueText(hour), hour, "A", n} }
	c, err = Compare(Jobs[3], []Row{reg(2024050110, 1), reg(2024050111, 2), reg(2024050200, 3)}, []Row{reg(2024050111, 2)}, rng, 10)
	if err != nil {
		t.Fatal(err)
	}
	if c.Matched != 1 || c.Missing+c.Extra+c.Different != 0 {
		t.Errorf("job 6 in %s: %+v", rng, c)
	}
	// Job 7: the day 2024-05-01 starts before 10:30: out; from the day on, in.
	day := func(d string, n int64) Row { return Row{int64(1), int64(1), d, n} }
	c, err = Compare(Jobs[4], []Row{day("2024-05-01", 1), day("2024-05-02", 2)}, nil, rng, 10)
	if err != nil {
		t.Fatal(err)
	}
	if c.BatchRows != 0 {
		t.Errorf("job 7 in %s compared %d rows", rng, c.BatchRows)
	}
	dayRange, _ := NewRange("2024-05-01", "2024-05-02")
	if c, _ := Compare(Jobs[4], []Row{day("2024-05-01", 1), day("2024-05-02", 2)}, nil, dayRange, 10); c.Missing != 1 {
		t.Errorf("job 7 in %s: %+v", dayRange, c)
	}
}

func TestReportText(t *testing.T) {
	job := Jobs[4]
	r := func(cc int64, n int64) Row { return Row{cc, int64(1), "2024-05-01", n} }
	c, err := Compare(job, []Row{r(1, 1), r(2, 2)}, []Row{r(2, 3), r(3, 1)}, Range{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	rep := &Report{Range: "all", Threshold: 100, Jobs: []JobReport{{
		Job: 7, Name: job.Name, Table: job.Table, Store: job.Store, TimeKey: job.TimeKey,
		BatchRows: c.BatchRows, RealtimeRows: c.RealtimeRows, Matched: c.Matched, Missing: c.Missing,
		Extra: c.Extra, Different: c.Different, Accuracy: c.Accuracy(), Differences: c.Diffs, job: job,
	}}}
	var buf bytes.Buffer
	if err := rep.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"job 7 cc-daily: edu.crm.data_pack_order_info -> staff_index (rds)",
		"missing   cc_id=1 type=1 attribution_time=2024-05-01",
		"recomputed: cc_index=2",
		"real-time:  cc_index=3",
		"extra     cc_id=3",
		"0.00%",
		"FAIL",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the report lacks %q:\n%s", want, out)
		}
	}
}

// TestReportJSONFields holds the JSON field names the end-to-end tests
// read.
func TestReportJSONFields(t *testing.T) {
	rep := &Report{Range: "all", Threshold: 100, Jobs: []JobReport{{Job: 3, Differences: []Diff{{Kind: DiffMissing, Key: map[string]any{"k": 1}}}}}}
	var buf bytes.Buffer
	if err := rep.WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"range", "threshold", "pass", "jobs"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("report lacks %q: %s", k, buf.String())
		}
	}
	job := doc["jobs"].([]any)[0].(map[string]any)
	for _, k := range []string{"job", "name", "table", "matched", "missing", "extra", "different", "accuracy", "both_empty",
		"pass", "late_excluded", "late_records", "input_records", "differences", "realtime_table_missing"} {
		if _, ok := job[k]; !ok {
			t.Errorf("job report lacks %q: %s", k, buf.String())
		}
	}
	diff := job["differences"].([]any)[0].(map[string]any)
	for _, k := range []string{"kind", "key", "batch", "realtime"} {
		if _, ok := diff[k]; !ok {
			t.Errorf("difference lacks %q: %s", k, buf.String())
		}
	}
}

// TestRunEmpty validates a job whose backup holds nothing and whose table
// does not exist: 100 %, both empty, and notes saying so.
func TestRunEmpty(t *testing.T) {
	dsn, _ := rdsDatabase(t)
	rep, err := Run(context.Background(), Options{Jobs: []*Job{Jobs[4]}, Backup: t.TempDir(),
		Endpoints: Endpoints{RDS: dsn}, Show: 10, Threshold: 100, Now: validationNow})
	if err != nil {
		t.Fatal(err)
	}
	jr := rep.Jobs[0]
	if jr.Accuracy != 100 || !jr.BothEmpty || !jr.RealtimeTableMissing || !jr.Pass || rep.ExitStatus() != 0 || len(jr.Notes) != 2 {
		t.Errorf("%+v", jr)
	}
	var buf bytes.Buffer
	if err := rep.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "100.00% (both empty)") {
		t.Errorf("the report does not say both sides are empty:\n%s", buf.String())
	}
}

func TestRunRefusesBadOptions(t *testing.T) {
	ctx := context.Background()
	for name, opts := range map[string]Options{
		"no backup":    {Jobs: Jobs[4:], Endpoints: Endpoints{RDS: "u:p@tcp(127.0.0.1:1)/results"}, Threshold: 100},
		"no rds":       {Jobs: Jobs[4:], Backup: t.TempDir(), Threshold: 100},
		"no serving":   {Jobs: Jobs[3:4], Backup: t.TempDir(), Threshold: 100},
		"threshold":    {Jobs: Jobs[4:], Backup: t.TempDir(), Endpoints: Endpoints{RDS: "u:p@tcp(127.0.0.1:1)/results"}, Threshold: 101},
		"no such dir":  {Jobs: Jobs[4:], Backup: "/nonexistent/backup", Endpoints: Endpoints{RDS: "u:p@tcp(127.0.0.1:1)/results"}, Threshold: 100},
		"no jobs":      {Backup: t.TempDir(), Threshold: 100},
		"bad rds form": {Jobs: Jobs[4:], Backup: t.TempDir(), Endpoints: Endpoints{RDS: "u:p@tcp(127.0.0.1:1)"}, Threshold: 100},
	} {
		if _, err := Run(ctx, opts); err == nil {
			t.Errorf("%s: Run accepted %+v", name, opts)
		}
	}
}

// TestReadServingTimes reads a result table with wall-clock times from the
// serving store, as classroom-performance.json's serving copy creates it:
// a timestamp(3) is the Asia/Shanghai reading it holds.
func TestReadServingTimes(t *testing.T) {
	url := servingSchema(t)
	cfg := readJobFile(t, "classroom-performance").connector(t, "tributary.sinks.hologres", "table.name.format", "timeline_signal_analysis")
	execServing(t, url, "CREATE TABLE timeline_signal_analysis ("+cfg["table.schema.columns"]+")")
	execServing(t, url, `INSERT INTO timeline_signal_analysis VALUES
		('2024-05-01 10:00:00', '2024-05-01 10:01:00.000', 10, 1, 2, 'E', 4, now())`)
	job := *Jobs[0]
	job.Store = StoreServing
	rt, err := ReadRealtime(context.Background(), &job, Endpoints{Serving: url})
	if err != nil {
		t.Fatal(err)
	}
	w0, w1 := wall(t, "2024-05-01 10:00:00"), wall(t, "2024-05-01 10:01:00")
	want := []Row{{w0, int64(10), int64(1), int64(2), "E", w1, int64(4)}}
	c, err := Compare(&job, want, rt.Rows, Range{}, 10)
	if err != nil {
		t.Fatal(err)
	}
	if c.Matched != 1 || c.Missing+c.Extra+c.Different != 0 {
		t.Errorf("read %v, compared %+v", rt.Rows, c)
	}
}
