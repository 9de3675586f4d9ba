package gen

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"
)

// The dead-letter topics of the pipeline files: the collector's
// (collector.json) and those of the jobs that refuse a field of the wrong
// type (TestDeadLetterTopicsAreThePipelines holds them to the files).
const (
	collectorDeadLetters = "ods.dlq"
	signalDeadLetters    = "dlq.signal-etl"
	avDeadLetters        = "dlq.av-quality"
	studyDeadLetters     = "dlq.study-time"
)

// shanghai is the app's local time: createTime and the dictionary's times
// are written in it, as the seed's apps do.
var shanghai = time.FixedZone("CST", 8*3600)

// Generator plays the simulated school day one step at a time. It is
// deterministic: the same Config gives the same ticks. It does no I/O.
type Generator struct {
	cfg Config
	rng *rand.Rand
	end time.Time // zero: no end
	now time.Time // the end of the last step
	// tag tells this run's recorded classrooms from another's: job 4 joins
	// a user's events in a classroom over six hours, so a second run must
	// not reuse the first's.
	tag string

	agenda   agenda
	classes  []*liveClass
	sessions []*session
	nextRoom int64
	nextRec  int64

	nextStudent  int64
	students     []int64 // recently registered, for orders to name
	nextRegister time.Time
	nextOrder    int64
	nextOrderAt  time.Time

	tick *Tick // the tick being built
}

// New returns a generator at cfg.Start.
func New(cfg Config) (*Generator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	// Events carry milliseconds.
	cfg.Start = cfg.Start.Truncate(time.Millisecond)
	g := &Generator{
		cfg:         cfg,
		rng:         rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x5eed5c4001da7)),
		end:         cfg.End(),
		now:         cfg.Start,
		tag:         cfg.Start.UTC().Format("060102150405"),
		nextRoom:    20000,
		nextStudent: cfg.FirstStudentID,
	}
	g.startClasses()
	g.startSessions()
	if cfg.RegistrationsPerHour > 0 {
		g.nextRegister = cfg.Start.Add(exponential(g.rng, time.Duration(float64(time.Hour)/cfg.RegistrationsPerHour)))
	}
	if cfg.OrdersPerHour > 0 {
		g.nextOrderAt = cfg.Start.Add(exponential(g.rng, time.Duration(float64(time.Hour)/cfg.OrdersPerHour)))
	}
	return g, nil
}

// Now is the simulated time the generator has reached.
func (g *Generator) Now() time.Time { return g.now }

// Done reports whether the simulated day is over.
func (g *Generator) Done() bool { return !g.end.IsZero() && !g.now.Before(g.end) }

// Next plays one step and returns what it produced: events and rows whose
// times are in (Now, Now+Step], and those held back until then. The first
// tick, at Start, holds the channel dictionary.
func (g *Generator) Next() Tick {
	if g.tick == nil {
		g.tick = &Tick{At: g.now}
		g.dictionary()
		return g.flush()
	}
	from := g.now
	to := from.Add(g.cfg.Step)
	if !g.end.IsZero() && to.After(g.end) {
		to = g.end
	}
	g.now = to
	g.tick = &Tick{At: to}
	g.playClasses(from, to)
	g.playSessions(to)
	g.register(to)
	g.order(to)
	for {
		p, ok := g.agenda.due(to)
		if !ok {
			break
		}
		if p.event != nil {
			g.tick.Events = append(g.tick.Events, *p.event)
		} else {
			g.tick.Rows = append(g.tick.Rows, *p.row)
		}
	}
	return g.flush()
}

// flush orders the tick's events and rows by time, as a device sends what
// it buffered, and hands the tick out.
func (g *Generator) flush() Tick {
	t := *g.tick
	for i := range t.Events {
		t.Events[i].SentAt = t.At
	}
	slices.SortStableFunc(t.Events, func(a, b Event) int { return a.Time.Compare(b.Time) })
	slices.SortStableFunc(t.Rows, func(a, b Row) int { return a.At.Compare(b.At) })
	return t
}

// bounds returns the settings of the job that counts events of kind k.
func (g *Generator) bounds(k Kind) JobBounds {
	switch k {
	case KindSignal:
		return g.cfg.Bounds.ClassroomPerformance
	case KindAgora:
		return g.cfg.Bounds.AVQuality
	}
	return g.cfg.Bounds.StudyTime
}

// lateShift is how far back a late event of kind k is set: past its job's
// bound by the margin, spread over ten more minutes.
func (g *Generator) lateShift(k Kind) time.Duration {
	return g.bounds(k).LateBehind() + g.cfg.LateMargin + between(g.rng, 0, 10*time.Minute)
}

// mayBeLate reports whether an event at t may be made late: only once
// every partition has had time to see on-time events.
func (g *Generator) mayBeLate(t time.Time) bool {
	return t.Sub(g.cfg.Start) >= g.cfg.LateAfter
}

// delay is how long an out-of-order event is held back, or a retry comes
// after its original: at least a step, and two steps short of the job's
// out-of-orderness, since a step's events go out at its end.
func (g *Generator) delay(k Kind) time.Duration {
	return between(g.rng, g.cfg.Step, g.bounds(k).OutOfOrder-2*g.cfg.Step)
}

// builder makes an event at event time t; late is how many records the
// event would put on its job's late topic if it were late.
type builder func(t time.Time) (ev Event, late int)

// emit sends an event at t through the fates: on time, held back, late
// (when lateOK), or repeated; and now and then a malformed line after it.
func (g *Generator) emit(k Kind, t time.Time, lateOK bool, build builder) {
	u := g.rng.Float64()
	c := g.cfg
	switch {
	case u < c.Late:
		if lateOK && g.mayBeLate(t) {
			g.emitLate(k, t, g.lateShift(k), build)
			return
		}
		g.put(g.built(build, t, FateOnTime))
	case u < c.Late+c.OutOfOrder:
		ev := g.built(build, t, FateOutOfOrder)
		g.agenda.add(pending{at: t.Add(g.delay(k)), event: &ev})
		g.maybeMalformed(k, t, ev.Line)
	case u < c.Late+c.OutOfOrder+c.Duplicate:
		ev := g.built(build, t, FateOnTime)
		g.put(ev)
		again := ev
		again.Fate = FateDuplicate
		g.agenda.add(pending{at: t.Add(g.delay(k)), event: &again})
	default:
		g.put(g.built(build, t, FateOnTime))
	}
}

// emitLate sends an event whose time is set shift behind t, the simulated
// time it is sent at.
func (g *Generator) emitLate(k Kind, t time.Time, shift time.Duration, build builder) {
	ev, late := build(t.Add(-shift))
	ev.Fate = FateLate
	ev.Late, ev.LateTopic = late, g.bounds(k).LateTopic
	g.tick.Events = append(g.tick.Events, ev)
	g.maybeMalformed(k, t, ev.Line)
}

func (g *Generator) built(build builder, t time.Time, fate Fate) Event {
	ev, _ := build(t)
	ev.Fate = fate
	return ev
}

// put adds an event to the tick, and now and then a malformed line after it.
func (g *Generator) put(ev Event) {
	g.tick.Events = append(g.tick.Events, ev)
	g.maybeMalformed(ev.Kind, ev.Time, ev.Line)
}

// maybeMalformed adds, at the malformed share, a bad line made from line,
// a well-formed event of kind k at t: cut in half, wrapped in an array, with
// a type that is not a string (all three refused by the collector), or
// with a field of the wrong type (taken by the collector, refused by the
// job that reads it).
func (g *Generator) maybeMalformed(k Kind, t time.Time, line []byte) {
	if g.rng.Float64() >= g.cfg.Malformed {
		return
	}
	ev := Event{Kind: k, Fate: FateMalformed, Time: t, Refused: true, DeadTopic: collectorDeadLetters, Dead: 1}
	switch g.rng.IntN(4) {
	case 0:
		ev.Line = slices.Clone(line[:len(line)/2])
		ev.Time = time.Time{}
	case 1:
		ev.Line = append(append([]byte{'['}, line...), ']')
	case 2:
		prefix := []byte(`{"type":"` + k.String() + `"`)
		if !bytes.HasPrefix(line, prefix) {
			panic(fmt.Sprintf("gen: a %s line does not start with %s", k, prefix))
		}
		ev.Line = append([]byte(`{"type":`+strconv.Itoa(int(k)+1)), line[len(prefix):]...)
	default:
		ev.Refused = false
		ev.Line, ev.DeadTopic, ev.Dead = g.wrongType(k, t)
	}
	g.tick.Events = append(g.tick.Events, ev)
}

// wrongType makes an event of kind k that the collector takes and the job
// reading it dead-letters: a number field holding text.
func (g *Generator) wrongType(k Kind, t time.Time) (line []byte, deadTopic string, dead int) {
	switch k {
	case KindSignal:
		return badSignal(t), signalDeadLetters, 1
	case KindAgora:
		// Both the audio and the video branch read user_id; the fanout
		// dead-letters the report once, with both reasons.
		return agoraLine(agoraReport{badUser: true, classroom: "live-0", channel: 0, event: "PLAY", t: t, audioUID: 1, videoUID: 2, camera: true, fr: 25}), avDeadLetters, 1
	}
	return qosLine(qosRecord{user: 1, classroom: "rec-0", subEvent: "PPT_PLAY", page: 1, t: t, badTime: true}), studyDeadLetters, 1
}

// recent remembers a registered student for orders to name.
func (g *Generator) recent(id int64) {
	const keep = 2000
	if len(g.students) == keep {
		copy(g.students, g.students[1:])
		g.students = g.students[:keep-1]
	}
	g.students = append(g.students, id)
}
