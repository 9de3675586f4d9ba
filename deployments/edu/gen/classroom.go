package gen

import (
	"strconv"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/test/edu"
)

// encoding is how an app version writes an agora or qos event, as the seed's
// apps differ: numbers as numbers, every value as a string (the seed's
// samples), or nested objects JSON-encoded in strings.
type encoding uint8

const (
	encNumbers encoding = iota
	encStrings
	encEncoded
)

// liveClass is a live class: a teacher and students in a room for 25 to 45
// minutes, signalling and reporting audio/video quality.
type liveClass struct {
	room       int64  // roomid of the signals, agora_channel_id of the reports
	id         string // classroom_id of the reports
	start, end time.Time
	people     []*participant // the teacher first
}

type participant struct {
	user       int64
	teacher    bool
	shape      edu.SignalShape
	enc        encoding
	poorLink   bool // a bad network: packet loss and frame drops are common
	camera     bool // sends a video state
	noVideoUID bool // the video state's uid is null
	joined     time.Time
	nextAV     time.Time
	reported   bool // has sent its JOIN report
}

// Student signal kinds (indexes into edu.AppSignalKinds) and how often each
// comes: the seven classified events, then a student scrolling the board,
// which no rule matches.
var (
	studentKinds       = []int{0, 1, 2, 3, 4, 5, 6, 8}
	studentKindWeights = []int{25, 20, 12, 8, 6, 7, 9, 13}
	teacherKind        = 7 // the teacher's own moves: role 1, no rule matches
)

var signalKindTable = edu.AppSignalKinds()

func (g *Generator) startClasses() {
	for range g.cfg.Classrooms {
		// Classes under way at the start, at every stage.
		length := between(g.rng, 25*time.Minute, 45*time.Minute)
		c := g.newClass(g.cfg.Start.Add(-between(g.rng, 0, length)), length)
		for _, p := range c.people {
			if p.joined.Before(g.cfg.Start) {
				p.reported = true
				p.nextAV = g.cfg.Start.Add(between(g.rng, time.Millisecond, g.cfg.AVInterval))
			}
		}
		g.classes = append(g.classes, c)
	}
}

func (g *Generator) newClass(start time.Time, length time.Duration) *liveClass {
	room := g.nextRoom
	g.nextRoom++
	c := &liveClass{room: room, id: "live-" + strconv.FormatInt(room, 10), start: start, end: start.Add(length)}
	seen := map[int64]bool{}
	for i := range g.cfg.StudentsPerClass + 1 {
		p := &participant{teacher: i == 0}
		if p.teacher {
			p.user = 900000 + g.rng.Int64N(500)
		} else {
			for p.user == 0 || seen[p.user] {
				p.user = 100000 + g.rng.Int64N(20000)
			}
			seen[p.user] = true
		}
		p.shape = edu.SignalShape(pick(g.rng, []int{50, 30, 20}))
		p.enc = encoding(pick(g.rng, []int{40, 40, 20}))
		p.poorLink = g.rng.Float64() < 0.2
		p.camera = p.teacher || g.rng.Float64() < 0.9
		p.noVideoUID = g.rng.Float64() < 0.02
		p.joined = start.Add(between(g.rng, time.Millisecond, time.Minute))
		p.nextAV = p.joined
		c.people = append(c.people, p)
	}
	return c
}

// playClasses plays the live classes over (from, to]; a class that ends is
// followed by the next after a break of up to three minutes.
func (g *Generator) playClasses(from, to time.Time) {
	for i := range g.classes {
		for {
			c := g.classes[i]
			g.playClass(c, from, to)
			if c.end.After(to) {
				break
			}
			next := c.end.Add(between(g.rng, 0, 3*time.Minute))
			g.classes[i] = g.newClass(next, between(g.rng, 25*time.Minute, 45*time.Minute))
		}
	}
}

func (g *Generator) playClass(c *liveClass, from, to time.Time) {
	lo, hi := maxTime(from, c.start), minTime(to, c.end)
	if !hi.After(lo) {
		return
	}
	for _, p := range c.people {
		for !p.nextAV.After(hi) {
			if p.nextAV.After(lo) {
				g.report(c, p, p.nextAV)
			}
			p.nextAV = p.nextAV.Add(time.Duration(float64(g.cfg.AVInterval) * (0.9 + 0.2*g.rng.Float64())).Truncate(time.Millisecond))
		}
		active := maxTime(lo, p.joined)
		span := hi.Sub(active).Milliseconds()
		if span <= 0 {
			continue
		}
		rate := g.cfg.SignalsPerMinute / float64(time.Minute.Milliseconds())
		if p.teacher {
			rate /= 4
		}
		for range poisson(g.rng, rate*float64(span)) {
			t := active.Add(time.Duration(1+g.rng.Int64N(span)) * time.Millisecond)
			g.signal(c, p, t)
		}
	}
}

// signal sends one classroom signal of p at t.
func (g *Generator) signal(c *liveClass, p *participant, t time.Time) {
	kind := teacherKind
	if !p.teacher {
		kind = studentKinds[pick(g.rng, studentKindWeights)]
	}
	page := 1 + int(t.Sub(c.start)/(90*time.Second))
	classified := signalKindTable[kind].Event != ""
	g.emit(KindSignal, t, classified, func(t time.Time) (Event, int) {
		s := edu.NewAppSignal(kind, p.shape, p.user, c.room, t.UnixMilli(), page, t.In(shanghai).Format(time.DateTime))
		return Event{Kind: KindSignal, Time: t, Line: s.Value, Signal: s.Event}, 1
	})
}

// report sends p's audio/video quality report at t: packet loss mostly 0
// with a long tail, frame rate mostly 15 to 30, some drops, and now and
// then -1, "unknown", which job 5 leaves out.
func (g *Generator) report(c *liveClass, p *participant, t time.Time) {
	r := agoraReport{
		user: p.user, teacher: p.teacher, classroom: c.id, channel: c.room, event: "PLAY",
		enc: p.enc, camera: p.camera, audioUID: p.user*10 + 1, videoUID: p.user*10 + 2, noVideoUID: p.noVideoUID,
	}
	if !p.reported {
		r.event, p.reported = "JOIN", true
	}
	lossFree, drops := 0.9, 0.03
	if p.poorLink {
		lossFree, drops = 0.5, 0.15
	}
	if g.rng.Float64() >= lossFree {
		r.lost = heavyTail(g.rng)
	}
	switch u := g.rng.Float64(); {
	case u < 0.02:
		r.fr = -1
	case u < 0.02+drops:
		r.fr = 1 + g.rng.IntN(14)
	default:
		r.fr = 15 + max(g.rng.IntN(16), g.rng.IntN(16))
	}
	// Both chains of job 5 count a student's report: the audio one always
	// (loss is never negative), the video one when there is a video state
	// with a known frame rate.
	late := 1
	if r.camera && r.fr >= 0 {
		late++
	}
	g.emit(KindAgora, t, !p.teacher, func(t time.Time) (Event, int) {
		r.t = t
		return Event{Kind: KindAgora, Time: t, Line: agoraLine(r)}, late
	})
}

// agoraReport is one type=agora event.
type agoraReport struct {
	user       int64
	badUser    bool // user_id "abc": both chains of job 5 dead-letter it
	teacher    bool
	classroom  string
	channel    int64
	event      string
	t          time.Time
	enc        encoding
	lost, fr   int
	camera     bool
	audioUID   int64
	videoUID   int64
	noVideoUID bool
}

func agoraLine(r agoraReport) []byte {
	num := func(b []byte, n int64) []byte {
		if r.enc == encNumbers {
			return strconv.AppendInt(b, n, 10)
		}
		b = append(b, '"')
		b = strconv.AppendInt(b, n, 10)
		return append(b, '"')
	}
	state := func(b []byte, field string, value int64, uid int64, nullUID bool) []byte {
		inner := append([]byte{'{', '"'}, field...)
		inner = append(inner, '"', ':')
		inner = num(inner, value)
		inner = append(inner, `,"uid":`...)
		if nullUID {
			inner = append(inner, "null"...)
		} else {
			inner = num(inner, uid)
		}
		inner = append(inner, '}')
		if r.enc == encEncoded {
			return sdk.AppendJSONBytes(b, inner)
		}
		return append(b, inner...)
	}
	userType := "student"
	if r.teacher {
		userType = "teacher"
	}
	b := make([]byte, 0, 320)
	b = append(b, `{"type":"agora","classroom_id":`...)
	b = sdk.AppendJSONString(b, r.classroom)
	b = append(b, `,"user_type":`...)
	b = sdk.AppendJSONString(b, userType)
	b = append(b, `,"user_id":`...)
	if r.badUser {
		b = append(b, `"abc"`...)
	} else {
		b = num(b, r.user)
	}
	b = append(b, `,"agora_channel_id":`...)
	b = num(b, r.channel)
	b = append(b, `,"event":`...)
	b = sdk.AppendJSONString(b, r.event)
	b = append(b, `,"messageCreateTime":`...)
	b = num(b, r.t.UnixMilli())
	b = append(b, `,"agora_audioState":`...)
	b = state(b, "lost", int64(r.lost), r.audioUID, false)
	if r.camera {
		b = append(b, `,"agora_videoState":`...)
		b = state(b, "fr", int64(r.fr), r.videoUID, r.noVideoUID)
	}
	return append(b, '}')
}

// badSignal is a classroom signal whose user id is not a number: the
// signal ETL dead-letters it.
func badSignal(t time.Time) []byte {
	b := []byte(`{"type":"signal","createTime":`)
	b = sdk.AppendJSONString(b, t.In(shanghai).Format(time.DateTime))
	b = append(b, `,"data":{"userid":"abc","roomid":"1","timestamp":"`...)
	b = strconv.AppendInt(b, t.UnixMilli(), 10)
	return append(b, `","role":"2","msgid":"305","msg":{"msgtype":"116","msg_data":{"target_id":"pic","target_type":"shape","action":"move","page_index":"1"}}}}`...)
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
