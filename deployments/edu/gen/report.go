package gen

import (
	"encoding/json"
	"maps"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Report is what a run delivered, counted from what the sinks confirmed
// (a 2xx from the collector, a commit of the database), for an end-to-end
// test to hold the pipeline to. Counts are exact when Uncertain is empty.
type Report struct {
	Seed  uint64    `json:"seed"`
	Start time.Time `json:"start"`
	// Reached is the simulated time of the last step delivered; Complete
	// says the whole duration was.
	Reached  time.Time `json:"reached"`
	Complete bool      `json:"complete"`
	// Topics are the records each ods topic must hold: every line taken
	// by the collector, duplicates and late events included.
	Topics map[string]int64 `json:"topics"`
	// Events counts the well-formed lines by kind (signal, agora, qos,
	// dictionary); Signals the well-formed signals by the event the signal
	// ETL must classify them as, "noise" for those no rule matches.
	Events  map[string]int64 `json:"events"`
	Signals map[string]int64 `json:"signals"`
	// Fates counts every line by fate; OutOfOrder, Duplicates and
	// LateEvents break three of them down by kind.
	Fates      map[string]int64 `json:"fates"`
	OutOfOrder map[string]int64 `json:"out_of_order"`
	Duplicates map[string]int64 `json:"duplicates"`
	LateEvents map[string]int64 `json:"late_events"`
	// Late is the records each late topic must receive: a late signal is
	// one record of late.classroom-performance; a late student agora
	// report one of late.av-quality for audio and one for video when it
	// has a frame rate of 0 or more; each record of a late recorded
	// session one of late.study-time.
	Late map[string]int64 `json:"late"`
	// LateTimes is the range of the late events' times.
	LateTimes *TimeRange `json:"late_times,omitempty"`
	// Malformed counts the bad lines: "refused" those the collector answers
	// 207 for, and by kind those it takes that their job dead-letters.
	Malformed map[string]int64 `json:"malformed"`
	// DeadLetters is the records each dead-letter topic must receive.
	DeadLetters map[string]int64 `json:"dead_letters"`
	// Uncertain counts what may have arrived more often than counted:
	// "events" whose batch was sent again after an attempt of unknown
	// outcome (a 503, a timeout, a broken connection), or was under way
	// when the run stopped, and of those the records of each late topic.
	Uncertain map[string]int64 `json:"uncertain"`
	// Rows counts the database changes committed, by operation.
	Rows map[string]int64 `json:"rows"`
	// Students is the range of student (and user) ids registered.
	Students *IDRange `json:"students,omitempty"`
	// Transport is how the delivery went; it varies from run to run.
	Transport Transport `json:"transport"`
}

// TimeRange is a closed range of simulated times.
type TimeRange struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// IDRange is a closed range of ids.
type IDRange struct {
	First int64 `json:"first"`
	Last  int64 `json:"last"`
}

// Transport counts the HTTP work behind the events.
type Transport struct {
	Posts   int64 `json:"posts"`
	Retries int64 `json:"retries"`
	// Errors counts failed attempts: transport errors and answers other
	// than 200 and 207.
	Errors int64 `json:"errors"`
	// RefusedMismatch counts batches where the collector refused another
	// number of lines than the generator made bad.
	RefusedMismatch int64 `json:"refused_mismatch"`
}

// WriteFile writes the report as indented JSON.
func (r *Report) WriteFile(path string) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

// odsTopics are the collector's routes (collector.json).
var odsTopics = [kinds]string{
	KindSignal:     "ods.classroom_signal",
	KindAgora:      "ods.agora_record",
	KindQoS:        "ods.qos_log",
	KindDictionary: "ods.channel_name_dictionary",
}

// tally accumulates the report as sinks confirm deliveries. It is shared by
// the event and row writers and the progress printer.
type tally struct {
	mu sync.Mutex
	r  Report
	// byKind counts delivered lines by kind, for progress rates.
	byKind [kinds]int64
	rows   int64
	// delivered is the simulated time of the last tick whose events were
	// delivered.
	delivered time.Time
	// refusedMismatch counts batches the collector refused another number
	// of lines of than expected.
	refusedMismatch atomic.Int64
}

func newTally(cfg Config) *tally {
	m := func(keys ...string) map[string]int64 {
		out := map[string]int64{}
		for _, k := range keys {
			out[k] = 0
		}
		return out
	}
	b := cfg.Bounds
	lateTopics := []string{b.ClassroomPerformance.LateTopic, b.AVQuality.LateTopic, b.StudyTime.LateTopic}
	return &tally{r: Report{
		Seed: cfg.Seed, Start: cfg.Start, Reached: cfg.Start,
		Topics: m(odsTopics[:]...), Events: m(), Signals: m(), Fates: m(), OutOfOrder: m(), Duplicates: m(), LateEvents: m(),
		Late:        m(lateTopics...),
		Malformed:   m(),
		DeadLetters: m(collectorDeadLetters, signalDeadLetters, avDeadLetters, studyDeadLetters),
		Uncertain:   m(append([]string{"events"}, lateTopics...)...),
		Rows:        m(),
	}}
}

// events counts a delivered batch; uncertain says some of it may have
// arrived twice (or, for a batch cut off, at all).
func (t *tally) events(evs []Event, uncertain bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := &t.r
	for i := range evs {
		ev := &evs[i]
		if uncertain {
			r.Uncertain["events"]++
			if ev.Late > 0 {
				r.Uncertain[ev.LateTopic] += int64(ev.Late)
			}
		}
		t.byKind[ev.Kind]++
		r.Fates[ev.Fate.String()]++
		if !ev.Refused {
			r.Topics[odsTopics[ev.Kind]]++
		}
		if ev.Dead > 0 {
			r.DeadLetters[ev.DeadTopic] += int64(ev.Dead)
		}
		if ev.Fate == FateMalformed {
			if ev.Refused {
				r.Malformed["refused"]++
			} else {
				r.Malformed[ev.Kind.String()]++
			}
			continue
		}
		r.Events[ev.Kind.String()]++
		if ev.Kind == KindSignal {
			name := ev.Signal
			if name == "" {
				name = "noise"
			}
			r.Signals[name]++
		}
		switch ev.Fate {
		case FateOutOfOrder:
			r.OutOfOrder[ev.Kind.String()]++
		case FateDuplicate:
			r.Duplicates[ev.Kind.String()]++
		case FateLate:
			r.LateEvents[ev.Kind.String()]++
			r.Late[ev.LateTopic] += int64(ev.Late)
			if r.LateTimes == nil {
				r.LateTimes = &TimeRange{From: ev.Time, To: ev.Time}
			}
			if ev.Time.Before(r.LateTimes.From) {
				r.LateTimes.From = ev.Time
			}
			if ev.Time.After(r.LateTimes.To) {
				r.LateTimes.To = ev.Time
			}
		}
	}
}

// unconfirmed counts a batch that was under way when the run stopped: it
// may or may not have arrived.
func (t *tally) unconfirmed(evs []Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := range evs {
		t.r.Uncertain["events"]++
		if evs[i].Late > 0 {
			t.r.Uncertain[evs[i].LateTopic] += int64(evs[i].Late)
		}
	}
}

func (t *tally) reached(at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if at.After(t.delivered) {
		t.delivered = at
	}
}

// rowsWritten counts committed database changes.
func (t *tally) rowsWritten(rows []Row) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, row := range rows {
		t.r.Rows[row.Op.String()]++
		t.rows++
		if row.Op != OpRegister {
			continue
		}
		if t.r.Students == nil {
			t.r.Students = &IDRange{First: row.StudentID, Last: row.StudentID}
		}
		t.r.Students.First = min(t.r.Students.First, row.StudentID)
		t.r.Students.Last = max(t.r.Students.Last, row.StudentID)
	}
}

// snapshot returns a copy of the counts for progress lines.
func (t *tally) snapshot() (byKind [kinds]int64, rows int64, delivered time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.byKind, t.rows, t.delivered
}

// report returns a copy of the report so far.
func (t *tally) report() Report {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.r
	for _, m := range []*map[string]int64{&r.Topics, &r.Events, &r.Signals, &r.Fates, &r.OutOfOrder, &r.Duplicates,
		&r.LateEvents, &r.Late, &r.Malformed, &r.DeadLetters, &r.Uncertain, &r.Rows} {
		*m = maps.Clone(*m)
	}
	if r.LateTimes != nil {
		lt := *r.LateTimes
		r.LateTimes = &lt
	}
	if r.Students != nil {
		s := *r.Students
		r.Students = &s
	}
	return r
}
