package backup

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// markers tracks the event-time watermark of the task and the hour
// directories waiting for their _SUCCESS marker.
type markers struct {
	pending map[string]time.Time // hour dir → end of the hour, for hours with rows and no marker yet
	marked  map[string]bool      // hours this sink marked, to warn about rows arriving later
	scanned map[string]bool      // tables whose recent unmarked hours were looked up
	// maxEvent is, per partition, the latest event time it reached, each
	// taken no later than the wall clock when its record came.
	maxEvent map[sdk.TopicPartition]time.Time
	lastSeen map[sdk.TopicPartition]time.Time // wall clock of the partition's last record
	opened   time.Time                        // wall clock when the sink was opened
}

func newMarkers(now time.Time) markers {
	return markers{
		pending: map[string]time.Time{}, marked: map[string]bool{}, scanned: map[string]bool{},
		maxEvent: map[sdk.TopicPartition]time.Time{}, lastSeen: map[sdk.TopicPartition]time.Time{},
		opened: now,
	}
}

// maxAhead is how far past the wall clock an event time may be before a
// warning is logged (a producer whose clock is off).
const maxAhead = time.Hour

// observe advances the partition's event time, taking an event time ahead
// of now as now: a producer whose clock runs ahead must not close the hour
// that is still running. It reports false when the event time was more than
// maxAhead ahead.
func (m *markers) observe(tp sdk.TopicPartition, eventTime, now time.Time) bool {
	m.lastSeen[tp] = now
	if t := minTime(eventTime, now); t.After(m.maxEvent[tp]) {
		m.maxEvent[tp] = t
	}
	return eventTime.Sub(now) <= maxAhead
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// watermark is the smallest event time reached by the partitions that had
// records within the idle timeout (the largest of all when every partition
// is idle), minus the allowed lateness; zero before any record and, since a
// partition of the task may not have delivered its first record yet, until
// the idle timeout has passed since the sink opened. It is never later than
// now minus the delay.
//
// It goes back when a partition comes in behind it: a partition newly
// assigned to the task, or idle and back, holds it at its own event time
// while it fills the hours it reads.
func (m *markers) watermark(now time.Time, idle, delay time.Duration) time.Time {
	if now.Sub(m.opened) < idle {
		return time.Time{}
	}
	var low, high time.Time
	for tp, ev := range m.maxEvent {
		if ev.After(high) {
			high = ev
		}
		if now.Sub(m.lastSeen[tp]) < idle && (low.IsZero() || ev.Before(low)) {
			low = ev
		}
	}
	if low.IsZero() {
		low = high
	}
	if low.IsZero() {
		return low
	}
	return minTime(low, now).Add(-delay)
}

// wrote notes a file written into an hour; rows written after the hour was
// marked are late beyond success.marker.delay.ms, which a batch job that
// already ran on the hour missed.
func (m *markers) wrote(dir hourDir, log *slog.Logger) {
	if m.marked[dir.path] {
		delete(m.marked, dir.path)
		log.Warn("backup sink: rows arrived for an hour already marked _SUCCESS; the marker is rewritten at the next flush", "dir", dir.path)
	}
}

// touch records that the task has rows for an hour. The first time it sees
// a table, it also looks for hours of that day and the day before that have
// data files but no marker: a previous run of the task may have written
// them and stopped before its watermark passed them.
func (s *Sink) touch(ctx context.Context, table string, dir hourDir, local time.Time) error {
	m := &s.marks
	if !m.scanned[table] {
		for _, day := range []time.Time{local.AddDate(0, 0, -1), local} {
			ds := "ds=" + day.Format("20060102")
			files, err := s.store.listTree(ctx, table+"/"+ds)
			if err != nil {
				return fmt.Errorf("backup sink: look for unmarked hours: %w", err)
			}
			data, done := map[string]bool{}, map[string]bool{}
			for _, f := range files {
				hh, name, ok := strings.Cut(f, "/")
				if !ok || strings.Contains(name, "/") {
					continue
				}
				if _, ok := parsePartName(name); ok {
					data[hh] = true
				} else if name == successName {
					done[hh] = true
				}
			}
			for hh := range data {
				if end, ok := parseHourPath(ds+"/"+hh, s.cfg.loc); ok && !done[hh] {
					m.pending[table+"/"+ds+"/"+hh] = end
				}
			}
		}
		m.scanned[table] = true
	}
	if _, ok := m.pending[dir.path]; !ok {
		m.pending[dir.path] = dir.end
	}
	return nil
}

// successBody is the content of a _SUCCESS marker.
type successBody struct {
	Watermark time.Time `json:"watermark"`
	Files     []string  `json:"files"`
}

// writeMarkers writes _SUCCESS in every pending hour the watermark has
// passed. Flush calls it after writing every buffer, so none of those hours
// has unwritten rows in this task.
func (s *Sink) writeMarkers(ctx context.Context, now time.Time) error {
	m := &s.marks
	wm := m.watermark(now, s.cfg.IdleTimeout, s.cfg.SuccessDelay)
	if wm.IsZero() {
		return nil
	}
	for _, dir := range slices.Sorted(maps.Keys(m.pending)) {
		if m.pending[dir].After(wm) {
			continue
		}
		entries, err := s.store.list(ctx, dir)
		if err != nil {
			return fmt.Errorf("backup sink: list %s: %w", dir, err)
		}
		body := successBody{Watermark: wm.In(s.cfg.loc), Files: []string{}}
		for _, e := range entries {
			if _, ok := parsePartName(e.name); ok {
				body.Files = append(body.Files, e.name)
			} else if s.store.leavesTemps() && strings.HasPrefix(e.name, "."+successName+".") &&
				now.Sub(e.modTime) > 10*time.Minute {
				// A marker a crashed writer did not finish; not one being
				// written now by another task.
				if err := s.store.remove(ctx, dir+"/"+e.name); err != nil {
					return fmt.Errorf("backup sink: remove temporary file: %w", err)
				}
			}
		}
		slices.Sort(body.Files)
		data, err := json.Marshal(body)
		if err != nil {
			return err
		}
		if err := s.store.put(ctx, dir+"/"+successName, func(w io.Writer) error {
			_, err := w.Write(append(data, '\n'))
			return err
		}); err != nil {
			return fmt.Errorf("backup sink: write %s/%s: %w", dir, successName, err)
		}
		delete(m.pending, dir)
		m.marked[dir] = true
	}
	for dir := range m.marked {
		if end, ok := parseHourPath(dir[strings.LastIndex(dir, "/ds=")+1:], s.cfg.loc); !ok || end.Before(wm.Add(-48*time.Hour)) {
			delete(m.marked, dir) // only to warn about late rows; two days is plenty
		}
	}
	return nil
}
