package stream

import "math"

// Expiry is a wall-clock time to live of state (Flink's processing-time
// state TTL) and the pacing of the sweeps that enforce it: a sweep looks
// through the state when the earliest entry is due, and no more often
// than 64 times per TTL, so an entry goes between TTL and TTL + TTL/64
// after it was last touched, at a cost bounded whatever the key count.
type Expiry struct {
	TTL  int64 // ms; 0: nothing expires
	next int64 // wall-clock ms of the next sweep
}

// Due reports whether a sweep should look through the state at now.
func (e *Expiry) Due(now int64) bool { return e.TTL > 0 && now >= e.next }

// Deadline is when an entry last touched at expires.
func (e *Expiry) Deadline(at int64) int64 { return addSat(at, e.TTL) }

// Expired reports whether an entry last touched at has outlived the TTL at
// now, swept or not.
func (e *Expiry) Expired(at, now int64) bool { return e.TTL > 0 && e.Deadline(at) <= now }

// Swept records a sweep at now that left earliest as the deadline of the
// earliest entry kept (math.MaxInt64 when none is).
func (e *Expiry) Swept(now, earliest int64) {
	// Entries stored from now on are due at now + TTL at the earliest.
	e.next = max(min(earliest, addSat(now, e.TTL)), addSat(now, e.TTL/64))
}

func addSat(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}
