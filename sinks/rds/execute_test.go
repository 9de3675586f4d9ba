package rds

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/tributarydata/tributary/sinks/row"
)

// Times are written as time.Format writes them, in UTC: dates as
// YYYY-MM-DD, the others to the microsecond without trailing zeros.
func TestAppendTime(t *testing.T) {
	dt, d := &row.Column{Kind: row.KindTimestamp}, &row.Column{Kind: row.KindDate}
	times := []time.Time{
		time.Date(2024, 5, 1, 8, 30, 0, 0, time.UTC),
		time.Date(2024, 5, 1, 8, 30, 0, 120000000, time.UTC),
		time.Date(2024, 5, 1, 8, 30, 0, 999999999, time.UTC), // nanoseconds cut, not rounded
		time.Date(2024, 5, 1, 8, 30, 0, 1000, time.FixedZone("+08", 8*3600)),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC),
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 10000 {
		tm := time.Unix(r.Int64N(253402300800+62135596800)-62135596800, r.Int64N(1e9)).UTC()
		switch r.IntN(3) {
		case 0:
			tm = tm.Truncate(time.Second)
		case 1:
			tm = tm.Truncate(time.Millisecond)
		}
		times = append(times, tm)
	}
	for _, tm := range times {
		if got, want := string(appendTime(nil, dt, tm)), tm.UTC().Format("2006-01-02 15:04:05.999999"); got != want {
			t.Fatalf("%v as a datetime: %q, want %q", tm, got, want)
		}
		if got, want := string(appendTime(nil, d, tm)), tm.UTC().Format(time.DateOnly); got != want {
			t.Fatalf("%v as a date: %q, want %q", tm, got, want)
		}
	}
}

func TestStmtRows(t *testing.T) {
	for n, want := range map[int]int{1: 1, 2: 2, 3: 2, 100: 64, 127: 64, 128: 128, 129: 128, 1000: 896, 1488: 1408, 2000: 1920, 8191: 8064} {
		if got := stmtRows(n); got != want {
			t.Errorf("stmtRows(%d) = %d, want %d", n, got, want)
		}
	}
}
