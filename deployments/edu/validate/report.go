package validate

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Report is the outcome of a validation; --json prints it as it is.
type Report struct {
	Range     string      `json:"range"` // the --from/--to range, "all" when open
	Threshold float64     `json:"threshold"`
	Pass      bool        `json:"pass"` // every job's accuracy is at least the threshold
	Jobs      []JobReport `json:"jobs"`
}

// JobReport is one job's comparison.
type JobReport struct {
	Job     int    `json:"job"`
	Name    string `json:"name"`
	Table   string `json:"table"`
	Store   Store  `json:"store"`
	TimeKey string `json:"time_key"`

	BatchRows    int `json:"batch_rows"`    // recomputed rows in the range
	RealtimeRows int `json:"realtime_rows"` // real-time rows in the range
	Matched      int `json:"matched"`
	Missing      int `json:"missing"`   // recomputed, not in the real-time table
	Extra        int `json:"extra"`     // in the real-time table only
	Different    int `json:"different"` // same key, a value differs
	// Accuracy is matched / (matched + missing + extra + different) in
	// percent; 100 when both sides are empty (BothEmpty).
	Accuracy  float64 `json:"accuracy"`
	BothEmpty bool    `json:"both_empty"`
	Pass      bool    `json:"pass"`

	InputRecords int64  `json:"input_records"` // backed-up records of the job's inputs
	LateTopic    string `json:"late_topic,omitempty"`
	LateRecords  int64  `json:"late_records"`  // backed-up records of the late topic
	LateExcluded int64  `json:"late_excluded"` // input records left out as late (see Batch.LateExcluded)
	// RealtimeTableMissing: the result table does not exist, compared as
	// empty.
	RealtimeTableMissing bool     `json:"realtime_table_missing"`
	Notes                []string `json:"notes,omitempty"`
	// Differences are the first --show differing keys, in key order.
	Differences []Diff `json:"differences"`
	// Loaded is what --load wrote to the serving store.
	Loaded *Loaded `json:"loaded,omitempty"`

	job *Job
}

// ExitStatus is the process's exit status for the report: 0 when every job
// reached the threshold, 1 otherwise.
func (r *Report) ExitStatus() int {
	if r.Pass {
		return 0
	}
	return 1
}

// WriteJSON writes the report as one indented JSON document.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes the report for a person: a table per job and its first
// differing keys with both sides' values.
func (r *Report) WriteText(w io.Writer) error {
	var sb strings.Builder
	fmt.Fprintf(&sb, "range: %s   threshold: %s%%\n", r.Range, formatPercent(r.Threshold))
	for i := range r.Jobs {
		jr := &r.Jobs[i]
		sb.WriteByte('\n')
		var inputs []string
		for _, in := range jr.job.Inputs {
			inputs = append(inputs, in.Topic)
		}
		fmt.Fprintf(&sb, "job %d %s: %s -> %s (%s), time key %s\n", jr.Job, jr.Name, strings.Join(inputs, ", "), jr.Table, jr.Store, jr.TimeKey)
		fmt.Fprintf(&sb, "  backup records: %d", jr.InputRecords)
		if jr.LateTopic != "" {
			fmt.Fprintf(&sb, "   late excluded: %d (%d records in %s)", jr.LateExcluded, jr.LateRecords, jr.LateTopic)
		}
		sb.WriteByte('\n')
		for _, n := range jr.Notes {
			fmt.Fprintf(&sb, "  note: %s\n", n)
		}
		if l := jr.Loaded; l != nil {
			fmt.Fprintf(&sb, "  loaded: %d rows into %s for %s", l.Rows, l.Table, l.Range)
			if l.View != "" {
				fmt.Fprintf(&sb, "; merged view %s", l.View)
			}
			sb.WriteByte('\n')
		}
		tw := tabwriter.NewWriter(&sb, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  recomputed\treal-time\tmatched\tmissing\textra\tdifferent\taccuracy\t")
		verdict := "PASS"
		if !jr.Pass {
			verdict = "FAIL"
		}
		acc := formatPercent(jr.Accuracy) + "%"
		if jr.BothEmpty {
			acc += " (both empty)"
		}
		fmt.Fprintf(tw, "  %d\t%d\t%d\t%d\t%d\t%d\t%s\t%s\n", jr.BatchRows, jr.RealtimeRows, jr.Matched, jr.Missing, jr.Extra, jr.Different, acc, verdict)
		if err := tw.Flush(); err != nil {
			return err
		}
		if len(jr.Differences) > 0 {
			fmt.Fprintf(&sb, "  first differing keys:\n")
			for _, d := range jr.Differences {
				fmt.Fprintf(&sb, "    %-9s %s\n", d.Kind, jr.formatValues(d.Key, true))
				fmt.Fprintf(&sb, "      recomputed: %s\n", jr.formatValues(d.Batch, false))
				fmt.Fprintf(&sb, "      real-time:  %s\n", jr.formatValues(d.Realtime, false))
			}
		}
	}
	fmt.Fprintf(&sb, "\n%s\n", map[bool]string{true: "PASS: every job reached the threshold", false: "FAIL: a job is below the threshold"}[r.Pass])
	_, err := io.WriteString(w, sb.String())
	return err
}

// formatValues prints the key or the value columns of m in the job's
// column order; "-" for a side without the row.
func (jr *JobReport) formatValues(m map[string]any, key bool) string {
	if m == nil {
		return "-"
	}
	var parts []string
	for _, c := range jr.job.Columns {
		if c.Key != key {
			continue
		}
		v := m[c.Name]
		if v == nil {
			v = "NULL"
		}
		parts = append(parts, fmt.Sprintf("%s=%v", c.Name, v))
	}
	return strings.Join(parts, " ")
}

// formatPercent prints a percentage to two places, without rounding a
// value below 100 up to "100.00".
func formatPercent(p float64) string {
	s := fmt.Sprintf("%.2f", p)
	if s == "100.00" && p < 100 {
		return "99.99"
	}
	return s
}
