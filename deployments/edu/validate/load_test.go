package validate

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// servingCopy is job as its serving-store sink writes it: jobs 3, 4, 5
// and 7 keep their results in RDS and a copy of the same table in the
// serving store, which the merged view reads.
func servingCopy(job *Job) *Job {
	j := *job
	j.Store = StoreServing
	return &j
}

// todayRow is row moved to the hour 10:00 of now's day: a result of the
// real-time layer, which no load covers.
func todayRow(job *Job, row Row, now time.Time) Row {
	out := slices.Clone(row)
	n := now.In(shanghai)
	at := time.Date(n.Year(), n.Month(), n.Day(), 10, 0, 0, 0, shanghai)
	i := job.column(job.TimeKey)
	switch job.timeRange {
	case rangeInstant:
		out[i] = at
	case rangeHour:
		out[i] = int64(at.Year())*1000000 + int64(at.Month())*10000 + int64(at.Day())*100 + 10
	case rangeDay:
		out[i] = at.Format("2006-01-02")
	}
	if k := job.column("uk"); k >= 0 { // job 6's key is made of its hour and level
		out[k] = fmt.Sprint(out[i], out[job.column("level")])
	}
	return out
}

// layers counts the merged view's rows by layer.
func layers(t *testing.T, url string, job *Job) map[string]int {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, "SELECT layer, count(*) FROM "+pgx.Identifier{job.MergedView()}.Sanitize()+" GROUP BY layer")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for rows.Next() {
		var layer string
		var n int
		if err := rows.Scan(&layer, &n); err != nil {
			t.Fatal(err)
		}
		out[layer] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestLoadMergesOfflineDaysWithToday loads jobs of each kind of time key
// (a window start, an hour, a day) and reads their merged views: the
// recomputed rows answer for the days before today even where the
// real-time table lost or changed a row, the real-time rows for today, and
// a second load of the same range replaces the first.
func TestLoadMergesOfflineDaysWithToday(t *testing.T) {
	for _, tc := range []struct {
		job     *Job
		fixture func(*testing.T) (string, []Row)
	}{
		{Jobs[0], classroomBackup},
		{Jobs[3], registrationsBackup},
		{Jobs[4], ccDailyBackup},
	} {
		t.Run(tc.job.Name, func(t *testing.T) {
			root, want := tc.fixture(t)
			serving := servingSchema(t)
			job := servingCopy(tc.job)
			createResultTable(t, job, nil, serving)

			today := time.Date(2024, 5, 2, 0, 0, 0, 0, shanghai) // validationNow's day
			var past []int
			for i, r := range want {
				if at, _ := job.rangeTime(r); at.Before(today) {
					past = append(past, i)
				}
			}
			if len(past) < 2 {
				t.Fatalf("the fixture has %d rows before %s, want 2 or more", len(past), today)
			}
			// The real-time table lost a past row, holds another with a
			// wrong count, and holds a row of today.
			now := todayRow(job, want[past[1]], validationNow)
			realtime := []Row{now}
			for i, r := range want {
				switch i {
				case past[0]:
					continue
				case past[1]:
					r = slices.Clone(r)
					last := len(r) - 1
					r[last] = otherValue(job.Columns[last].Kind, r[last])
				}
				realtime = append(realtime, r)
			}
			fillResultTable(t, job, nil, serving, realtime)

			opts := Options{Jobs: []*Job{tc.job}, Backup: root, Endpoints: Endpoints{Serving: serving},
				Show: 10, Threshold: 0, Now: validationNow, Load: true}
			if tc.job.Store == StoreRDS {
				opts.Endpoints.RDS, _ = rdsDatabase(t)
			}
			for round := range 2 {
				rep, err := Run(context.Background(), opts)
				if err != nil {
					t.Fatal(err)
				}
				jr := rep.Jobs[0]
				if jr.Loaded == nil || jr.Loaded.Rows != len(past) || jr.Loaded.View != tc.job.MergedView() || jr.Loaded.Table != tc.job.OfflineTable() {
					t.Fatalf("round %d: loaded %+v, want %d rows into %s and the view %s", round, jr.Loaded, len(past), tc.job.OfflineTable(), tc.job.MergedView())
				}
				if !strings.Contains(rep.Range, "…, 2024-05-02 00:00:00.000)") {
					t.Errorf("round %d: the range %q does not end at the start of the validation's day", round, rep.Range)
				}

				wantLayers := map[string]int{"offline": len(past), "realtime": len(want) - len(past) + 1}
				if got := layers(t, serving, tc.job); !maps.Equal(got, wantLayers) {
					t.Errorf("round %d: the view's rows by layer %v, want %v", round, got, wantLayers)
				}
				view := *job
				view.Table = tc.job.MergedView()
				merged, err := ReadRealtime(context.Background(), &view, Endpoints{Serving: serving})
				if err != nil {
					t.Fatal(err)
				}
				cmp, err := Compare(tc.job, append(slices.Clone(want), now), merged.Rows, Range{}, 5)
				if err != nil {
					t.Fatal(err)
				}
				if cmp.Accuracy() != 100 {
					t.Errorf("round %d: the merged view differs from the recomputed days and today's real-time row: %+v", round, cmp)
				}
			}
		})
	}
}

// TestLoadWithoutRealtimeTable loads before the real-time table exists:
// the offline rows are kept and the view waits for a later load.
func TestLoadWithoutRealtimeTable(t *testing.T) {
	root, want := ccDailyBackup(t)
	serving := servingSchema(t)
	dsn, _ := rdsDatabase(t)
	opts := Options{Jobs: []*Job{Jobs[4]}, Backup: root, Endpoints: Endpoints{RDS: dsn, Serving: serving},
		Show: 10, Threshold: 0, Now: validationNow, Load: true}
	rep, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	jr := rep.Jobs[0]
	if jr.Loaded == nil || jr.Loaded.View != "" || jr.Loaded.Rows == 0 || jr.Loaded.Rows >= len(want) {
		t.Fatalf("loaded %+v: want the rows before 2024-05-02 and no view", jr.Loaded)
	}
	if !slices.ContainsFunc(jr.Notes, func(n string) bool { return strings.Contains(n, "no merged view") }) {
		t.Errorf("the report does not say why there is no view: %q", jr.Notes)
	}
	job := servingCopy(Jobs[4])
	createResultTable(t, job, nil, serving)
	if rep, err = Run(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if l := rep.Jobs[0].Loaded; l.View != Jobs[4].MergedView() || l.Rows != jr.Loaded.Rows {
		t.Errorf("the second load: %+v", l)
	}
	if got := layers(t, serving, Jobs[4]); got["offline"] != jr.Loaded.Rows || got["realtime"] != 0 {
		t.Errorf("the view's rows by layer %v, want %d offline and none real-time", got, jr.Loaded.Rows)
	}
}

// TestLoadRange: --load ends before today by default and refuses a range
// that reaches into it.
func TestLoadRange(t *testing.T) {
	today := time.Date(2024, 5, 2, 0, 0, 0, 0, shanghai)
	got, err := loadRange(Range{}, validationNow)
	if err != nil || !got.From.IsZero() || !got.To.Equal(today) {
		t.Errorf("open range: %v %v, want […, %s)", got, err, today)
	}
	from := today.Add(-48 * time.Hour)
	if got, err := loadRange(Range{From: from, To: today.Add(-time.Hour)}, validationNow); err != nil || !got.To.Equal(today.Add(-time.Hour)) || !got.From.Equal(from) {
		t.Errorf("a closed past range: %v %v", got, err)
	}
	for name, rng := range map[string]Range{
		"into today":    {To: today.Add(time.Minute)},
		"starts today":  {From: today},
		"after today":   {From: today.Add(24 * time.Hour)},
		"not from past": {From: today.Add(time.Hour), To: today.Add(2 * time.Hour)},
	} {
		if got, err := loadRange(rng, validationNow); err == nil {
			t.Errorf("%s: loadRange accepted %v as %v", name, rng, got)
		}
	}
}
