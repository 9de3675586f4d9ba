package gen

import (
	"container/heap"
	"time"
)

// pending is something due later in simulated time: an event held back or
// repeated, or a later change to the database.
type pending struct {
	at    time.Time
	seq   uint64 // order of scheduling, to break ties the same way every run
	event *Event
	row   *Row
}

// agenda is the generator's queue of pending things, earliest first.
type agenda struct {
	items []pending
	seq   uint64
}

func (a *agenda) Len() int { return len(a.items) }
func (a *agenda) Less(i, j int) bool {
	x, y := &a.items[i], &a.items[j]
	if !x.at.Equal(y.at) {
		return x.at.Before(y.at)
	}
	return x.seq < y.seq
}
func (a *agenda) Swap(i, j int) { a.items[i], a.items[j] = a.items[j], a.items[i] }
func (a *agenda) Push(x any)    { a.items = append(a.items, x.(pending)) }
func (a *agenda) Pop() any {
	last := a.items[len(a.items)-1]
	a.items = a.items[:len(a.items)-1]
	return last
}

func (a *agenda) add(p pending) {
	a.seq++
	p.seq = a.seq
	heap.Push(a, p)
}

// due removes and returns the next item due at or before t.
func (a *agenda) due(t time.Time) (pending, bool) {
	if len(a.items) == 0 || a.items[0].at.After(t) {
		return pending{}, false
	}
	return heap.Pop(a).(pending), true
}
