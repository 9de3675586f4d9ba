package validate

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// floatTolerance is how far apart (relative, or absolute below 1) two
// averages may be and still be equal: the real-time path computes them in
// float64 and the result table's DOUBLE may print them to 15 digits.
const floatTolerance = 1e-9

// Diff kinds.
const (
	DiffMissing   = "missing"   // in the batch, not in the real-time table
	DiffExtra     = "extra"     // in the real-time table only
	DiffDifferent = "different" // the same key, some value differs
)

// Diff is one key on which the two sides disagree. Values are as the
// report prints them (times as wall-clock text in Asia/Shanghai).
type Diff struct {
	Kind string         `json:"kind"`
	Key  map[string]any `json:"key"`
	// Batch and Realtime are the row's other columns on each side; nil
	// for the side that lacks the row.
	Batch    map[string]any `json:"batch"`
	Realtime map[string]any `json:"realtime"`
	// Columns are the value columns that differ (kind different).
	Columns []string `json:"columns,omitempty"`

	key Row // for sorting
}

// Comparison is the key-by-key outcome of one job.
type Comparison struct {
	BatchRows, RealtimeRows            int
	Matched, Missing, Extra, Different int
	// Diffs are the first of the differing keys, in key order.
	Diffs []Diff
}

// Accuracy is Matched / (Matched + Missing + Extra + Different) in
// percent, and 100 when both sides are empty (nothing to get wrong).
func (c *Comparison) Accuracy() float64 {
	total := c.Matched + c.Missing + c.Extra + c.Different
	if total == 0 {
		return 100
	}
	return float64(c.Matched) * 100 / float64(total)
}

// Compare compares the rows of both sides within rng key by key, and
// keeps the first show differing keys.
func Compare(job *Job, batch, realtime []Row, rng Range, show int) (*Comparison, error) {
	c := &Comparison{}
	index := func(rows []Row, side string) (map[string]Row, error) {
		m := make(map[string]Row, len(rows))
		for _, r := range rows {
			if len(r) != len(job.Columns) {
				return nil, fmt.Errorf("%s: a %s row has %d values for %d columns", job, side, len(r), len(job.Columns))
			}
			if !rng.All() {
				if t, ok := job.rangeTime(r); !ok || !rng.Contains(t) {
					continue
				}
			}
			k := keyText(job, r)
			if _, dup := m[k]; dup {
				return nil, fmt.Errorf("%s: two %s rows have the key %s", job, side, k)
			}
			m[k] = r
		}
		return m, nil
	}
	b, err := index(batch, "recomputed")
	if err != nil {
		return nil, err
	}
	rt, err := index(realtime, "real-time")
	if err != nil {
		return nil, err
	}
	c.BatchRows, c.RealtimeRows = len(b), len(rt)
	var diffs []Diff
	for k, br := range b {
		rr, ok := rt[k]
		if !ok {
			c.Missing++
			diffs = append(diffs, job.diff(DiffMissing, br, nil, nil))
			continue
		}
		if cols := differing(job, br, rr); len(cols) > 0 {
			c.Different++
			diffs = append(diffs, job.diff(DiffDifferent, br, rr, cols))
			continue
		}
		c.Matched++
	}
	for k, rr := range rt {
		if _, ok := b[k]; !ok {
			c.Extra++
			diffs = append(diffs, job.diff(DiffExtra, nil, rr, nil))
		}
	}
	slices.SortFunc(diffs, func(x, y Diff) int { return compareKeys(job, x.key, y.key) })
	c.Diffs = diffs[:min(len(diffs), max(show, 0))]
	return c, nil
}

// keyText is a row's key as one string, for matching rows of both sides.
func keyText(job *Job, r Row) string {
	var sb strings.Builder
	for i, col := range job.Columns {
		if col.Key {
			sb.WriteString(valueText(r[i]))
			sb.WriteByte(0)
		}
	}
	return sb.String()
}

// valueText prints a value the one way both sides' values of a kind print.
func valueText(v any) string {
	switch v := v.(type) {
	case nil:
		return "NULL"
	case time.Time:
		return v.In(shanghai).Format(wallClockLayout)
	case int64:
		return strconv.FormatInt(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case string:
		return v
	}
	return fmt.Sprint(v)
}

// differing returns the value columns whose values differ.
func differing(job *Job, b, r Row) []string {
	var cols []string
	for i, col := range job.Columns {
		if !col.Key && !sameValue(col.Kind, b[i], r[i]) {
			cols = append(cols, col.Name)
		}
	}
	return cols
}

func sameValue(kind Kind, a, b any) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if kind == KindFloat {
		x, okx := a.(float64)
		y, oky := b.(float64)
		if !okx || !oky {
			return false
		}
		return math.Abs(x-y) <= floatTolerance*max(1, math.Abs(x), math.Abs(y))
	}
	return valueText(a) == valueText(b)
}

// compareKeys orders rows by their key columns: numbers and times by
// value, text byte-wise, null first.
func compareKeys(job *Job, x, y Row) int {
	for i, col := range job.Columns {
		if !col.Key {
			continue
		}
		if c := compareValues(x[i], y[i]); c != 0 {
			return c
		}
	}
	return 0
}

func compareValues(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	switch a := a.(type) {
	case int64:
		if b, ok := b.(int64); ok {
			return cmp.Compare(a, b)
		}
	case float64:
		if b, ok := b.(float64); ok {
			return cmp.Compare(a, b)
		}
	case time.Time:
		if b, ok := b.(time.Time); ok {
			return a.Compare(b)
		}
	case string:
		if b, ok := b.(string); ok {
			return strings.Compare(a, b)
		}
	}
	return strings.Compare(fmt.Sprint(a), fmt.Sprint(b))
}

// diff describes a differing key with both sides' values.
func (j *Job) diff(kind string, batch, realtime Row, cols []string) Diff {
	d := Diff{Kind: kind, Key: map[string]any{}, Columns: cols}
	some := batch
	if some == nil {
		some = realtime
	}
	d.key = some
	values := func(r Row) map[string]any {
		if r == nil {
			return nil
		}
		m := map[string]any{}
		for i, col := range j.Columns {
			if !col.Key {
				m[col.Name] = reportValue(r[i])
			}
		}
		return m
	}
	for i, col := range j.Columns {
		if col.Key {
			d.Key[col.Name] = reportValue(some[i])
		}
	}
	d.Batch, d.Realtime = values(batch), values(realtime)
	return d
}

// reportValue is a value as the report shows it: times as wall-clock text,
// everything else as it is.
func reportValue(v any) any {
	if t, ok := v.(time.Time); ok {
		return t.In(shanghai).Format(wallClockLayout)
	}
	return v
}
