package gen

import (
	"bytes"
	"reflect"
	"testing"
	"time"
)

// TestSameSeedSameDay plays a day twice with one seed and start, cut into
// batches differently, and requires the same events (bytes, times, fates),
// rows and report; another seed, and another start, must change them.
func TestSameSeedSameDay(t *testing.T) {
	cfg := smallDay()
	cfg.Duration = 40 * time.Minute
	a, ra := play(t, cfg, Options{MaxBatchEvents: 2000})
	b, rb := play(t, cfg, Options{MaxBatchEvents: 7})
	if a.batches == b.batches {
		t.Fatalf("both runs sent %d batches: the test means to cut them differently", a.batches)
	}
	if len(a.events) == 0 || len(a.rows) == 0 {
		t.Fatalf("%d events and %d rows: nothing to compare", len(a.events), len(a.rows))
	}
	if i := firstEventDifference(a.events, b.events); i >= 0 {
		t.Fatalf("the same seed and start made different events, first at %d of %d/%d", i, len(a.events), len(b.events))
	}
	if !reflect.DeepEqual(a.rows, b.rows) {
		t.Fatal("the same seed and start made different rows")
	}
	if !reflect.DeepEqual(ra, rb) {
		t.Fatalf("the same seed and start made different reports:\n%+v\n%+v", ra, rb)
	}

	other := cfg
	other.Seed++
	c, rc := play(t, other, Options{})
	if firstEventDifference(a.events, c.events) < 0 {
		t.Error("another seed made the same events")
	}
	if reflect.DeepEqual(ra.Fates, rc.Fates) && reflect.DeepEqual(ra.Events, rc.Events) {
		t.Errorf("another seed made the same counts: %v", ra.Fates)
	}
	// Another start plays the same day later: the same draws, other times.
	other = cfg
	other.Start = other.Start.Add(time.Hour)
	d, _ := play(t, other, Options{})
	if firstEventDifference(a.events, d.events) < 0 {
		t.Error("another start made the same events")
	}
}

// firstEventDifference returns the index of the first event that differs,
// or -1 when the streams are equal.
func firstEventDifference(a, b []Event) int {
	for i := range min(len(a), len(b)) {
		x, y := a[i], b[i]
		if !bytes.Equal(x.Line, y.Line) || x.Kind != y.Kind || x.Fate != y.Fate || !x.Time.Equal(y.Time) || !x.SentAt.Equal(y.SentAt) ||
			x.Late != y.Late || x.Refused != y.Refused || x.Dead != y.Dead {
			return i
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}
