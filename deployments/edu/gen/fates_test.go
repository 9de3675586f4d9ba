package gen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tributarydata/tributary/test/edu"
)

// decoded is a JSON line read as the jobs read it: a nested object may
// come JSON-encoded in a string.
type decoded struct{ v any }

func decode(line []byte) decoded {
	var v any
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if dec.Decode(&v) != nil {
		return decoded{}
	}
	return decoded{v}
}

// get returns the text of the value at path.
func (d decoded) get(path ...string) (string, bool) {
	v := d.v
	for _, key := range path {
		if s, ok := v.(string); ok {
			v = decode([]byte(s)).v
		}
		m, ok := v.(map[string]any)
		if !ok {
			return "", false
		}
		if v, ok = m[key]; !ok || v == nil {
			return "", false
		}
	}
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	}
	return fmt.Sprint(v), true
}

// lookup reads one path out of a JSON line.
func lookup(line []byte, path ...string) (string, bool) { return decode(line).get(path...) }

// eventTime reads the time a job takes an event's event time from.
func eventTime(t *testing.T, ev Event) time.Time {
	t.Helper()
	path := map[Kind][]string{KindSignal: {"data", "timestamp"}, KindAgora: {"messageCreateTime"}, KindQoS: {"extra", "data_time"}}[ev.Kind]
	s, ok := lookup(ev.Line, path...)
	ms, err := strconv.ParseInt(s, 10, 64)
	if !ok || err != nil {
		t.Fatalf("no event time at %v in %s", path, ev.Line)
	}
	return time.UnixMilli(ms)
}

// TestFatesKeepTheirBounds reads the event time out of every well-formed
// line and holds each fate to its promise, in the order the lines are sent
// (the order a partition keeps): an on-time or held-back event is never as
// far behind the newest event time of its kind as its job's
// out-of-orderness, so never behind the watermark; a late one is behind the
// simulated clock by its job's window, out-of-orderness and lateness, plus
// the margin, and comes only after LateAfter.
func TestFatesKeepTheirBounds(t *testing.T) {
	cfg := smallDay()
	c, _ := play(t, cfg, Options{})
	g, _ := New(cfg)
	newest := map[Kind]time.Time{}
	seen := map[Fate]map[Kind]int{}
	for _, ev := range c.events {
		if ev.Kind == KindDictionary || ev.Fate == FateMalformed {
			continue
		}
		if seen[ev.Fate] == nil {
			seen[ev.Fate] = map[Kind]int{}
		}
		seen[ev.Fate][ev.Kind]++
		b := g.bounds(ev.Kind)
		at := eventTime(t, ev)
		if !at.Equal(ev.Time) {
			t.Fatalf("%s %s: the line says %s, the event %s", ev.Kind, ev.Fate, at, ev.Time)
		}
		behindClock := ev.SentAt.Sub(at)
		switch ev.Fate {
		case FateLate:
			if behindClock < b.LateBehind()+cfg.LateMargin {
				t.Fatalf("a late %s is %s behind the clock, want at least %s + %s: %s", ev.Kind, behindClock, b.LateBehind(), cfg.LateMargin, ev.Line)
			}
			if ev.SentAt.Sub(cfg.Start) < cfg.LateAfter {
				t.Fatalf("a late %s came %s into the run, before %s", ev.Kind, ev.SentAt.Sub(cfg.Start), cfg.LateAfter)
			}
			if behindNewest := newest[ev.Kind].Sub(at); behindNewest <= b.LateBehind() {
				t.Fatalf("a late %s is only %s behind the newest before it", ev.Kind, behindNewest)
			}
			continue
		case FateOnTime:
			if behindClock < 0 || behindClock >= cfg.Step {
				t.Fatalf("an on-time %s is %s behind the clock, want within a step (%s)", ev.Kind, behindClock, cfg.Step)
			}
		case FateOutOfOrder:
			if behindClock < cfg.Step || behindClock >= b.OutOfOrder {
				t.Fatalf("an out-of-order %s is %s behind the clock, want a step (%s) to %s", ev.Kind, behindClock, cfg.Step, b.OutOfOrder)
			}
		case FateDuplicate:
			if behindClock < cfg.Step || behindClock >= b.OutOfOrder {
				t.Fatalf("a repeated %s is %s behind the clock, want a step (%s) to %s", ev.Kind, behindClock, cfg.Step, b.OutOfOrder)
			}
		}
		if behindNewest := newest[ev.Kind].Sub(at); behindNewest >= b.OutOfOrder {
			t.Fatalf("an %s %s is %s behind the newest %s before it, at or past the out-of-orderness %s: %s",
				ev.Fate, ev.Kind, behindNewest, ev.Kind, b.OutOfOrder, ev.Line)
		}
		if at.After(newest[ev.Kind]) {
			newest[ev.Kind] = at
		}
	}
	for _, f := range []Fate{FateOnTime, FateOutOfOrder, FateLate, FateDuplicate} {
		for _, k := range []Kind{KindSignal, KindAgora, KindQoS} {
			if seen[f][k] == 0 {
				t.Errorf("no %s %s event", f, k)
			}
		}
	}
	// The shares hold roughly (they are drawn, and late ones are limited to
	// what may be late).
	total := 0
	for _, byKind := range seen {
		for _, n := range byKind {
			total += n
		}
	}
	for f, want := range map[Fate]float64{FateOutOfOrder: cfg.OutOfOrder, FateDuplicate: cfg.Duplicate} {
		n := 0
		for _, m := range seen[f] {
			n += m
		}
		if got := float64(n) / float64(total); got < want*0.8 || got > want*1.2 {
			t.Errorf("%s share %.4f, want about %.4f", f, got, want)
		}
	}
}

// TestEveryKindOfTraffic checks the stream holds what the jobs must cope
// with: the seven events and noise in every shape, teachers' and students'
// reports, unknown frame rates and missing video, loss in its long tail,
// recorded sessions that succeed and some that do not, the dictionary's
// levels, and every kind of malformed line.
func TestEveryKindOfTraffic(t *testing.T) {
	cfg := smallDay()
	c, r := play(t, cfg, Options{})
	for _, ev := range edu.Events {
		if r.Signals[ev] == 0 {
			t.Errorf("no %s signal", ev)
		}
	}
	if r.Signals["noise"] == 0 {
		t.Error("no signal that no rule matches")
	}
	has := map[string]int{}
	note := func(ok bool, what string) {
		if ok {
			has[what]++
		}
	}
	levels := map[string]bool{}
	for _, ev := range c.events {
		line := string(ev.Line)
		if ev.Fate == FateMalformed {
			switch {
			case ev.Time.IsZero():
				note(true, "malformed: cut")
			case strings.HasPrefix(line, "["):
				note(true, "malformed: array")
			case strings.HasPrefix(line, `{"type":`) && !strings.HasPrefix(line, `{"type":"`):
				note(true, "malformed: type not a string")
			default:
				note(!ev.Refused, "malformed: wrong type "+ev.Kind.String())
			}
			continue
		}
		switch ev.Kind {
		case KindSignal:
			note(strings.Contains(line, `"data":"{`), "signal: encoded")
			note(strings.Contains(line, `"userid":1`), "signal: numbers")
			note(strings.Contains(line, `"userid":"`), "signal: strings")
			if ev.Signal == "" {
				d := decode(ev.Line)
				role, _ := d.get("data", "role")
				action, _ := d.get("data", "msg", "msg_data", "action")
				note(role == "1", "signal: the teacher's noise")
				note(role == "2" && action == "scroll", "signal: a student's noise")
			}
		case KindAgora:
			d := decode(ev.Line)
			userType, _ := d.get("user_type")
			note(userType == "teacher", "agora: teacher")
			fr, hasVideo := d.get("agora_videoState", "fr")
			note(!hasVideo, "agora: no video")
			note(fr == "-1", "agora: unknown frame rate")
			if n, err := strconv.Atoi(fr); err == nil {
				note(n > 0 && n < 15, "agora: frame drop")
			}
			lost, _ := d.get("agora_audioState", "lost")
			n, _ := strconv.Atoi(lost)
			note(n == 0, "agora: no loss")
			note(n >= 10, "agora: heavy loss")
			note(strings.Contains(line, `"agora_audioState":"{`), "agora: encoded")
			_, hasUID := d.get("agora_videoState", "uid")
			note(hasVideo && !hasUID, "agora: null video uid")
		case KindQoS:
			sub, _ := lookup(ev.Line, "sub_event")
			note(sub == "PPT_PLAY", "qos: play")
			note(sub == "PPT_SUCCESS", "qos: success")
			note(strings.Contains(line, `"extra":"{`), "qos: encoded")
		case KindDictionary:
			level, _ := lookup(ev.Line, "level")
			levels[level] = true
		}
	}
	for _, want := range []string{"signal: encoded", "signal: numbers", "signal: strings", "signal: the teacher's noise", "signal: a student's noise",
		"agora: teacher", "agora: no video", "agora: unknown frame rate", "agora: frame drop", "agora: no loss", "agora: heavy loss",
		"agora: encoded", "agora: null video uid", "qos: play", "qos: success", "qos: encoded",
		"malformed: cut", "malformed: array", "malformed: type not a string",
		"malformed: wrong type signal", "malformed: wrong type agora", "malformed: wrong type qos"} {
		if has[want] == 0 {
			t.Errorf("no %s", want)
		}
	}
	for _, l := range []string{"A", "B", "C", "D", "E"} {
		if !levels[l] {
			t.Errorf("the dictionary has no channel of level %q", l)
		}
	}
	if has["agora: no loss"] < 5*has["agora: heavy loss"] {
		t.Errorf("%d reports without loss, %d with heavy loss: loss should be mostly 0", has["agora: no loss"], has["agora: heavy loss"])
	}

	// Sessions: some end in success, some are given up (no event for
	// longer than the longest gap between pages, 90 s, before the end); every
	// success follows a play of its classroom.
	played, succeeded := map[string]bool{}, map[string]bool{}
	last := map[string]time.Time{}
	for _, ev := range c.events {
		if ev.Kind != KindQoS || ev.Fate == FateMalformed {
			continue
		}
		room, _ := lookup(ev.Line, "classroom_id")
		if ev.SentAt.After(last[room]) {
			last[room] = ev.SentAt
		}
		if sub, _ := lookup(ev.Line, "sub_event"); sub == "PPT_SUCCESS" {
			succeeded[room] = true
			if !played[room] {
				t.Errorf("%s succeeds before any page was played", room)
			}
		} else {
			played[room] = true
		}
	}
	givenUp := 0
	for room, at := range last {
		if !succeeded[room] && at.Before(cfg.End().Add(-2*time.Minute)) {
			givenUp++
		}
	}
	if len(succeeded) == 0 || givenUp == 0 {
		t.Errorf("%d sessions succeeded and %d were given up: want some of both", len(succeeded), givenUp)
	}
}
