package gen

import (
	"errors"
	"fmt"
	"time"
)

// Config says what school day to simulate. Every field but Speedup and the
// sinks' settings shapes the stream: the same Config gives the same events,
// rows and report.
type Config struct {
	Seed  uint64
	Start time.Time // simulated start
	// Duration is the simulated length; 0 runs until the context ends.
	Duration time.Duration
	// Speedup is simulated seconds per wall second (1: real time); 0 does
	// not pace at all, the sinks alone setting the rate.
	Speedup float64
	// Step is the simulated time one tick covers: its events are sent
	// together, when the simulated clock reaches its end.
	Step time.Duration

	// Live classes held at once, each a teacher and StudentsPerClass
	// students, 25 to 45 simulated minutes long; a class that ends is
	// followed by another after a short break.
	Classrooms       int
	StudentsPerClass int
	// SignalsPerMinute is how many classroom signals a student sends a
	// minute, on average (a teacher sends a quarter of that, all noise).
	SignalsPerMinute float64
	// AVInterval is how often everyone in a live class reports audio/video
	// quality (type agora).
	AVInterval time.Duration
	// RecordedSessions is how many students play a recorded course at once
	// (type qos).
	RecordedSessions int
	// RegistrationsPerHour and OrdersPerHour are the arrival rates of new
	// students (uc_account) and course-pack orders (crm).
	RegistrationsPerHour float64
	OrdersPerHour        float64

	// Shares of the app events. OutOfOrder, Late and Duplicate exclude each
	// other: an event is at most one of them. Late applies to the events
	// whose job would count them (classified student signals, students'
	// agora reports, whole recorded sessions) and only after LateAfter;
	// Malformed adds a bad line after that share of events.
	OutOfOrder float64
	Late       float64
	Duplicate  float64
	Malformed  float64
	// LateMargin is how much further than its job's bound a late event is
	// behind the simulated clock, so that it stays late while the pipeline
	// lags: the margin divided by the speedup is the lag in wall time it
	// tolerates.
	LateMargin time.Duration
	// LateAfter is how long into the run the first late event comes, so
	// that every partition of the jobs' inputs has seen on-time events and
	// a watermark to be late against.
	LateAfter time.Duration
	// Bounds are the event-time settings of the jobs the app events feed.
	Bounds Bounds

	// FirstStudentID is the id of the first registered student; the writer
	// of the business database sets it past the ids already there.
	FirstStudentID int64
}

// DefaultConfig returns the load `make run` plays on a two-core machine:
// about 220 app events a second at Speedup 1 (80 signals, 135 agora
// reports, 1 qos event), 10 registrations and 5 orders a minute.
func DefaultConfig() Config {
	return Config{
		Seed:                 1,
		Speedup:              1,
		Step:                 time.Second,
		Classrooms:           40,
		StudentsPerClass:     6,
		SignalsPerMinute:     20,
		AVInterval:           2 * time.Second,
		RecordedSessions:     40,
		RegistrationsPerHour: 600,
		OrdersPerHour:        300,
		OutOfOrder:           0.02,
		Late:                 0.005,
		Duplicate:            0.01,
		Malformed:            0.002,
		LateMargin:           3 * time.Hour,
		LateAfter:            10 * time.Minute,
		Bounds:               DefaultBounds(),
		FirstStudentID:       1,
	}
}

// Validate reports what makes c unusable.
func (c *Config) Validate() error {
	var errs []error
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	check(!c.Start.IsZero(), "the start is not set")
	check(c.Duration >= 0, "the duration %s is negative", c.Duration)
	check(c.Speedup >= 0, "the speedup %g is negative", c.Speedup)
	check(c.Step >= 10*time.Millisecond && c.Step <= time.Minute && c.Step%time.Millisecond == 0,
		"the step %s is not whole milliseconds between 10ms and 1m", c.Step)
	check(c.Classrooms >= 0, "classrooms %d is negative", c.Classrooms)
	check(c.StudentsPerClass >= 1, "students per class %d is below 1", c.StudentsPerClass)
	check(c.SignalsPerMinute >= 0, "signals per minute %g is negative", c.SignalsPerMinute)
	check(c.AVInterval >= 10*time.Millisecond, "the agora report interval %s is under 10ms", c.AVInterval)
	check(c.RecordedSessions >= 0, "recorded sessions %d is negative", c.RecordedSessions)
	check(c.RegistrationsPerHour >= 0, "registrations per hour %g is negative", c.RegistrationsPerHour)
	check(c.OrdersPerHour >= 0, "orders per hour %g is negative", c.OrdersPerHour)
	for name, share := range map[string]float64{"out-of-order": c.OutOfOrder, "late": c.Late, "duplicate": c.Duplicate, "malformed": c.Malformed} {
		check(share >= 0 && share <= 1, "the %s share %g is not between 0 and 1", name, share)
	}
	check(c.OutOfOrder+c.Late+c.Duplicate <= 1, "the out-of-order, late and duplicate shares add up to more than 1")
	check(c.LateMargin >= 0, "the late margin %s is negative", c.LateMargin)
	check(c.LateAfter >= 0, "late-after %s is negative", c.LateAfter)
	check(c.FirstStudentID >= 1, "the first student id %d is below 1", c.FirstStudentID)
	for _, j := range []struct {
		name string
		b    JobBounds
	}{{"classroom performance", c.Bounds.ClassroomPerformance}, {"av quality", c.Bounds.AVQuality}, {"study time", c.Bounds.StudyTime}} {
		// An out-of-order event is held back by up to its bound less two
		// steps (see outOfOrderDelay): a bound of three steps leaves one.
		check(j.b.OutOfOrder >= 3*c.Step, "the %s job's out-of-orderness %s is under three steps (%s)", j.name, j.b.OutOfOrder, 3*c.Step)
		check(j.b.LateTopic != "", "the %s job has no late topic", j.name)
	}
	return errors.Join(errs...)
}

// End is the simulated end, zero when the run is open-ended.
func (c *Config) End() time.Time {
	if c.Duration == 0 {
		return time.Time{}
	}
	return c.Start.Add(c.Duration)
}
