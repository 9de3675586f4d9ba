package gen

import (
	"strconv"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// session is a student playing a recorded course: PPT_PLAY page after page,
// then, four times in five, PPT_SUCCESS. Job 4 measures the time from the
// first page to the success.
type session struct {
	user      int64
	classroom string
	enc       encoding
	pages     int
	page      int // the next page to play; pages+1: the success is next
	success   bool
	next      time.Time
	// A late session has every event time shift behind the clock: each of
	// its records goes to late.study-time (one whose earlier records were
	// on time would make a row from them instead, so lateness is decided
	// for the whole session).
	late  bool
	shift time.Duration
}

func (g *Generator) startSessions() {
	for range g.cfg.RecordedSessions {
		g.sessions = append(g.sessions, g.newSession(g.cfg.Start.Add(between(g.rng, time.Millisecond, 5*time.Minute))))
	}
}

func (g *Generator) newSession(at time.Time) *session {
	g.nextRec++
	s := &session{
		user:      300000 + g.rng.Int64N(20000),
		classroom: "rec-" + g.tag + "-" + strconv.FormatInt(g.nextRec, 10),
		enc:       encoding(pick(g.rng, []int{40, 40, 20})),
		pages:     6 + g.rng.IntN(20),
		page:      1,
		success:   g.rng.Float64() < 0.8,
		next:      at,
	}
	if g.rng.Float64() < g.cfg.Late && g.mayBeLate(at) {
		s.late, s.shift = true, g.lateShift(KindQoS)
	}
	return s
}

// playSessions plays the recorded sessions up to to; one that ends is
// followed by another after up to two minutes.
func (g *Generator) playSessions(to time.Time) {
	for i := range g.sessions {
		for s := g.sessions[i]; !s.next.After(to); s = g.sessions[i] {
			t := s.next
			rec := qosRecord{user: s.user, classroom: s.classroom, enc: s.enc, subEvent: "PPT_PLAY", page: s.page}
			over := false
			switch {
			case s.page > s.pages:
				rec.subEvent, rec.page = "PPT_SUCCESS", s.pages
				over = true
			case s.page == s.pages && !s.success:
				over = true // the student gives up on the last page
			case s.page == s.pages:
				s.next = t.Add(between(g.rng, 5*time.Second, time.Minute))
			default:
				s.next = t.Add(between(g.rng, 15*time.Second, 90*time.Second))
			}
			s.page++
			build := func(t time.Time) (Event, int) {
				rec.t = t
				return Event{Kind: KindQoS, Time: t, Line: qosLine(rec)}, 1
			}
			if s.late {
				g.emitLate(KindQoS, t, s.shift, build)
			} else {
				g.emit(KindQoS, t, false, build)
			}
			if over {
				g.sessions[i] = g.newSession(t.Add(between(g.rng, time.Millisecond, 2*time.Minute)))
			}
		}
	}
}

// qosRecord is one type=qos event; extra.data_time is its event time, and
// event_time the same.
type qosRecord struct {
	user      int64
	classroom string
	enc       encoding
	subEvent  string
	page      int
	t         time.Time
	badTime   bool // data_time "n/a": job 4 dead-letters it
}

func qosLine(r qosRecord) []byte {
	num := func(b []byte, n int64, enc encoding) []byte {
		if enc == encNumbers {
			return strconv.AppendInt(b, n, 10)
		}
		b = append(b, '"')
		b = strconv.AppendInt(b, n, 10)
		return append(b, '"')
	}
	ms := r.t.UnixMilli()
	b := make([]byte, 0, 256)
	b = append(b, `{"type":"qos","classroom_id":`...)
	b = sdk.AppendJSONString(b, r.classroom)
	b = append(b, `,"user_type":"student","user_id":`...)
	b = num(b, r.user, r.enc)
	b = append(b, `,"event_time":`...)
	b = num(b, ms, r.enc)
	b = append(b, `,"sub_event":`...)
	b = sdk.AppendJSONString(b, r.subEvent)
	// Inside an encoded extra the values are strings, as the seed's
	// chained casts read them.
	inner := encStrings
	if r.enc == encNumbers {
		inner = encNumbers
	}
	extra := []byte(`{"data_time":`)
	if r.badTime {
		extra = append(extra, `"n/a"`...)
	} else {
		extra = num(extra, ms, inner)
	}
	extra = append(extra, `,"msg":{"pptIndex":`...)
	extra = num(extra, int64(r.page), inner)
	extra = append(extra, "}}"...)
	b = append(b, `,"extra":`...)
	if r.enc == encEncoded {
		b = sdk.AppendJSONBytes(b, extra)
	} else {
		b = append(b, extra...)
	}
	return append(b, '}')
}
