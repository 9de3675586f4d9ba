package probe

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Report is what a run measured; --json prints it as it is.
type Report struct {
	Seconds    float64     `json:"seconds"`
	Latency    Latency     `json:"latency"`
	Connectors []Connector `json:"connectors"`
	Workers    []Worker    `json:"workers"`
	// Errors are what went wrong on the way, each kind once with a count.
	Errors []string `json:"errors,omitempty"`
}

// WriteJSON writes the report as one indented JSON document.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes the report for a person.
func (r *Report) WriteText(w io.Writer) error {
	var sb strings.Builder
	fmt.Fprintf(&sb, "probed for %.0f s\n\n", r.Seconds)
	l := r.Latency
	fmt.Fprintf(&sb, "end-to-end latency, collector POST → %s row in the serving store:\n", DictionaryTable)
	if l.Seen > 0 {
		fmt.Fprintf(&sb, "  p50 %.1f ms   p99 %.1f ms   max %.1f ms   mean %.1f ms\n", l.P50Ms, l.P99Ms, l.MaxMs, l.MeanMs)
	}
	fmt.Fprintf(&sb, "  %d probes sent, %d seen, %d lost, %d unfinished\n\n", l.Sent, l.Seen, l.Lost, l.Unfinished)

	fmt.Fprintln(&sb, "worker memory (resident):")
	for _, wk := range r.Workers {
		fmt.Fprintf(&sb, "  %s %s: %s at the end, %s at most\n", wk.ID, wk.URL, mib(wk.RSSBytes), mib(wk.PeakBytes))
	}
	sb.WriteByte('\n')

	tw := tabwriter.NewWriter(&sb, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "connector\ttasks\trecords in\tin/s\tpeak in/s\trecords out\tout/s\tpeak out/s\tdlq\t")
	for _, c := range r.Connectors {
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.1f\t%.1f\t%.0f\t%.1f\t%.1f\t%.0f\t\n", c.Name, c.Tasks,
			c.RecordsIn, c.InPerSec, c.PeakInPerSec, c.RecordsOut, c.OutPerSec, c.PeakOutPerSec, c.DLQ)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, e := range r.Errors {
		fmt.Fprintf(&sb, "error: %s\n", e)
	}
	_, err := io.WriteString(w, sb.String())
	return err
}
