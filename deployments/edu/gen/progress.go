package gen

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync/atomic"
	"time"
)

// printProgress writes a line every opts.ProgressEvery until done closes:
// the simulated time delivered, events a second by kind (wall time), rows
// written, and the HTTP attempts.
func printProgress(opts Options, cfg Config, sink EventSink, tl *tally, generated *atomic.Int64, done <-chan struct{}) {
	ticker := time.NewTicker(opts.ProgressEvery)
	defer ticker.Stop()
	prevKinds, prevRows, _ := tl.snapshot()
	prevWall := time.Now()
	for {
		select {
		case <-done:
			return
		case now := <-ticker.C:
			byKind, rows, delivered := tl.snapshot()
			secs := now.Sub(prevWall).Seconds()
			var b strings.Builder
			if delivered.IsZero() {
				delivered = cfg.Start
			}
			fmt.Fprintf(&b, "gen: sim %s +%s", delivered.UTC().Format(time.DateTime), delivered.Sub(cfg.Start).Round(time.Second))
			if cfg.Duration > 0 {
				fmt.Fprintf(&b, " of %s", cfg.Duration)
			}
			if behind := time.UnixMilli(generated.Load()).Sub(delivered); behind > 0 {
				fmt.Fprintf(&b, " (%s queued)", behind.Round(time.Second))
			}
			b.WriteString(" | events/s")
			for k := range kinds {
				fmt.Fprintf(&b, " %s %.0f", k, float64(byKind[k]-prevKinds[k])/secs)
			}
			fmt.Fprintf(&b, " | rows %d (%.1f/s)", rows, float64(rows-prevRows)/secs)
			if tc, ok := sink.(TransportCounter); ok {
				t := tc.Transport()
				fmt.Fprintf(&b, " | http posts %d retries %d errors %d", t.Posts, t.Retries, t.Errors)
			}
			b.WriteByte('\n')
			_, _ = io.WriteString(opts.Progress, b.String())
			prevKinds, prevRows, prevWall = byKind, rows, now
		}
	}
}

// Summary is the report in a few lines, for people.
func Summary(r *Report) string {
	var b strings.Builder
	state := "stopped early"
	if r.Complete {
		state = "complete"
	}
	fmt.Fprintf(&b, "gen: simulated %s to %s (%s, seed %d)\n", r.Start.UTC().Format(time.RFC3339), r.Reached.UTC().Format(time.RFC3339), state, r.Seed)
	fmt.Fprintf(&b, "  events     %s\n", counts(r.Events))
	fmt.Fprintf(&b, "  signals    %s\n", counts(r.Signals))
	fmt.Fprintf(&b, "  fates      %s\n", counts(r.Fates))
	fmt.Fprintf(&b, "  late       %s\n", counts(r.Late))
	fmt.Fprintf(&b, "  malformed  %s\n", counts(r.Malformed))
	fmt.Fprintf(&b, "  rows       %s\n", counts(r.Rows))
	fmt.Fprintf(&b, "  http       posts %d, retries %d, errors %d, refused mismatches %d\n", r.Transport.Posts, r.Transport.Retries, r.Transport.Errors, r.Transport.RefusedMismatch)
	if n := r.Uncertain["events"]; n > 0 {
		fmt.Fprintf(&b, "  uncertain  %s (may have arrived twice, or not at all if cut off)\n", counts(r.Uncertain))
	}
	return b.String()
}

func counts(m map[string]int64) string {
	if len(m) == 0 {
		return "none"
	}
	parts := make([]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}
