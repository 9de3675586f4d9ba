package validate

import (
	"fmt"
	"strings"
	"time"
)

// Range selects result rows by their job's time key: From <= key < To,
// each bound optional (zero: open). A key that is an hour (job 6's
// reg_date) or a day (job 7's attribution_time) is taken at its start.
type Range struct {
	From, To time.Time
}

// All reports whether the range selects every row.
func (r Range) All() bool { return r.From.IsZero() && r.To.IsZero() }

// Contains reports whether t is in the range.
func (r Range) Contains(t time.Time) bool {
	return (r.From.IsZero() || !t.Before(r.From)) && (r.To.IsZero() || t.Before(r.To))
}

// String says the range as the report prints it.
func (r Range) String() string {
	if r.All() {
		return "all"
	}
	bound := func(t time.Time) string {
		if t.IsZero() {
			return "…"
		}
		return t.In(shanghai).Format("2006-01-02 15:04:05.000")
	}
	return fmt.Sprintf("[%s, %s) Asia/Shanghai", bound(r.From), bound(r.To))
}

// NewRange reads --from and --to (ParseTime; empty: open) and checks that
// from is before to.
func NewRange(from, to string) (Range, error) {
	var r Range
	var err error
	if from != "" {
		if r.From, err = ParseTime(from); err != nil {
			return Range{}, fmt.Errorf("--from: %w", err)
		}
	}
	if to != "" {
		if r.To, err = ParseTime(to); err != nil {
			return Range{}, fmt.Errorf("--to: %w", err)
		}
	}
	if !r.From.IsZero() && !r.To.IsZero() && !r.From.Before(r.To) {
		return Range{}, fmt.Errorf("--from %s is not before --to %s", from, to)
	}
	return r, nil
}

// timeLayouts are the forms ParseTime reads in Asia/Shanghai: a day, an
// hour as job 6 writes it, and a wall-clock time to the minute, second or
// fraction, with a space or a T.
var timeLayouts = []string{
	"2006-01-02",
	"20060102",
	"2006010215",
	"2006-01-02 15:04",
	"2006-01-02 15:04:05",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04",
	"2006-01-02T15:04:05",
	"2006-01-02T15:04:05.999999999",
}

// ParseTime reads a bound of --from or --to: RFC 3339 with an offset
// (2024-05-01T02:00:00Z), or a wall-clock time in Asia/Shanghai, the zone
// of the results: 2024-05-01, 2024-05-01 10:00[:00[.000]] (or with a T),
// 20240501, or 2024050110 (an hour, as job 6's reg_date).
// Times before 1970 are refused: no event time of the jobs is (they
// dead-letter such events), and before 1901 Asia/Shanghai is local mean
// time, an offset of seconds no RFC 3339 text can give back.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	t, err := time.Parse(time.RFC3339Nano, s)
	for _, layout := range timeLayouts {
		if err == nil {
			break
		}
		t, err = time.ParseInLocation(layout, s, shanghai)
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a time: want 2024-05-01, 2024-05-01 10:00[:00], 2024050110 (Asia/Shanghai) or RFC 3339", s)
	}
	if t.Year() < 1970 {
		return time.Time{}, fmt.Errorf("%q is before 1970", s)
	}
	return t, nil
}

// rangeTime is the instant a row's time key stands for, and false when it
// has none (null, or text that is not a day).
func (j *Job) rangeTime(row Row) (time.Time, bool) {
	v := row[j.column(j.TimeKey)]
	switch j.timeRange {
	case rangeInstant:
		t, ok := v.(time.Time)
		return t, ok
	case rangeHour:
		n, ok := v.(int64)
		if !ok {
			return time.Time{}, false
		}
		t, err := time.ParseInLocation("2006010215", fmt.Sprint(n), shanghai)
		return t, err == nil
	case rangeDay:
		s, ok := v.(string)
		if !ok {
			return time.Time{}, false
		}
		t, err := time.ParseInLocation("2006-01-02", s, shanghai)
		return t, err == nil
	}
	return time.Time{}, false
}
