package stream

import (
	"fmt"
	"math"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// NoTime is the watermark before any event: nothing has closed.
const NoTime = math.MinInt64

// Watermarks tracks event time per input partition, in milliseconds.
type Watermarks struct {
	delay int64         // allowed out-of-orderness, ms
	idle  time.Duration // a partition quiet this long stops counting; 0 never
	// A task reads a handful of partitions: a slice, and the one the last
	// record came from first, beat hashing the topic name per record.
	parts []*partitionTime
	last  *partitionTime
}

type partitionTime struct {
	tp       sdk.TopicPartition
	max      int64     // largest event time seen, NoTime before any
	lastSeen time.Time // wall-clock time of the last record, or of Assign
}

// NewWatermarks returns a tracker with the given out-of-orderness and idle
// timeout (0: a quiet partition holds the watermark back for ever).
func NewWatermarks(outOfOrderness, idle time.Duration) *Watermarks {
	return &Watermarks{delay: outOfOrderness.Milliseconds(), idle: idle}
}

// get returns the partition's tracker, making it when missing.
func (w *Watermarks) get(tp sdk.TopicPartition) *partitionTime {
	if p := w.last; p != nil && p.tp.Partition == tp.Partition && p.tp.Topic == tp.Topic {
		return p
	}
	for _, p := range w.parts {
		if p.tp.Partition == tp.Partition && p.tp.Topic == tp.Topic {
			w.last = p
			return p
		}
	}
	p := &partitionTime{tp: tp, max: NoTime}
	w.parts = append(w.parts, p)
	w.last = p
	return p
}

// Assign sets the partitions the watermark is the minimum over. A partition
// that never shows a record counts as idle once the idle timeout has passed
// since now.
func (w *Watermarks) Assign(parts []sdk.TopicPartition, now time.Time) {
	for _, tp := range parts {
		if p := w.get(tp); p.lastSeen.IsZero() {
			p.lastSeen = now
		}
	}
}

// Restore sets a partition's largest event time from saved state.
func (w *Watermarks) Restore(tp sdk.TopicPartition, maxTime int64) {
	p := w.get(tp)
	p.max = max(p.max, maxTime)
}

// Observe notes a record's event time (ms) on its partition at wall-clock
// now. It reports whether the partition's largest event time moved.
func (w *Watermarks) Observe(tp sdk.TopicPartition, eventTime int64, now time.Time) bool {
	p := w.get(tp)
	p.lastSeen = now
	if eventTime > p.max {
		p.max = eventTime
		return true
	}
	return false
}

// Max returns the largest event time seen on a partition, or NoTime.
func (w *Watermarks) Max(tp sdk.TopicPartition) int64 {
	return w.get(tp).max
}

// Current returns the watermark at wall-clock now: the smallest partition
// watermark among partitions not idle, or the largest when all are idle.
func (w *Watermarks) Current(now time.Time) int64 {
	lowest, highest := int64(math.MaxInt64), int64(NoTime)
	active := false
	for _, p := range w.parts {
		wm := p.watermark(w.delay)
		highest = max(highest, wm)
		if w.idle > 0 && now.Sub(p.lastSeen) >= w.idle {
			continue
		}
		active = true
		lowest = min(lowest, wm)
	}
	if !active {
		return highest
	}
	return lowest
}

func (p *partitionTime) watermark(delay int64) int64 {
	if p.max == NoTime {
		return NoTime
	}
	if p.max < NoTime+delay {
		return NoTime
	}
	return p.max - delay
}

// CheckAhead refuses an event time more than maxAhead past the wall clock
// now (maxAhead 0: no limit). Event time comes from clients' clocks, and one
// record whose clock says 2030 would move its partition's watermark, and
// with it the task's, past every honest record, all of which would then be
// late, for good, since the watermark is kept in the changelog.
func CheckAhead(eventTime int64, now time.Time, maxAhead time.Duration) error {
	if maxAhead <= 0 {
		return nil
	}
	if ahead := eventTime - now.UnixMilli(); ahead > maxAhead.Milliseconds() {
		return fmt.Errorf("event time %d ms is %s ahead of the wall clock, more than event.time.max.ahead.ms (%s) allows",
			eventTime, time.Duration(ahead)*time.Millisecond, maxAhead)
	}
	return nil
}
