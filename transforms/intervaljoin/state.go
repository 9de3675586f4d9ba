package intervaljoin

import (
	"cmp"
	"math"
	"slices"
)

// entry is one record held for the records of the other side still to come.
// Entries are values in their key's slices, not pointers, so a job holding
// hours of events costs one small struct per event and no allocation when
// output.fields reads nothing of the side (job 4's left side).
type entry struct {
	t   int64  // event time, ms
	seq uint64 // arrival order within the partition: identity and tie-break
	at  int64  // wall-clock ms it was stored, for state.ttl.ms
	// best is, for a right entry under match earliest or latest, the time
	// of the left match last emitted for it (valid when matched).
	best  int64
	vals  string // the kept fields, each as stream.AppendKey writes it
	flags uint8
}

const (
	flagMatched = 1 << iota // a right entry of match earliest/latest has emitted
	flagDirty               // changed since the last Changes
	flagLogged              // in the changelog: dropping it needs a tombstone
)

// before orders entries by time, then arrival.
func (e *entry) before(t int64, seq uint64) bool {
	return e.t < t || e.t == t && e.seq < seq
}

// keyState is what one partition holds of one join key: its left and right
// entries, each sorted by time and arrival.
type keyState struct {
	key         string
	left, right []entry
	// due is the deadline this key is queued under for eviction: the
	// earliest time at which the watermark may drop one of its entries.
	due    int64
	queued bool
	gone   bool // dropped from its partition: heap items of it are stale
}

func (ks *keyState) list(s int) *[]entry {
	if s == sideLeft {
		return &ks.left
	}
	return &ks.right
}

// find returns the index of the entry (t, seq) in list, or -1.
func find(list []entry, t int64, seq uint64) int {
	i := search(list, t, seq)
	if i < len(list) && list[i].t == t && list[i].seq == seq {
		return i
	}
	return -1
}

// search returns where (t, seq) is or would be in list. Records come
// mostly in time order, so the end is looked at first.
func search(list []entry, t int64, seq uint64) int {
	n := len(list)
	if n == 0 || list[n-1].before(t, seq) {
		return n
	}
	if last := &list[n-1]; last.t == t && last.seq == seq {
		return n - 1
	}
	lo, hi := 0, n-1
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if list[m].before(t, seq) {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// firstAtOrAfter returns the index of the first entry of list at time t or
// later.
func firstAtOrAfter(list []entry, t int64) int {
	lo, hi := 0, len(list)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if list[m].t < t {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo
}

// Sides, as stored in changelog keys and entries.
const (
	sideLeft  = 0
	sideRight = 1
)

// evictItem queues a key for eviction at a deadline.
type evictItem struct {
	due int64
	ks  *keyState
}

// evictHeap is a min-heap of deadlines. It is container/heap's algorithm
// without its interface: Pop through an any would allocate per item.
type evictHeap []evictItem

func (h *evictHeap) push(it evictItem) {
	*h = append(*h, it)
	q := *h
	for i := len(q) - 1; i > 0; {
		parent := (i - 1) / 2
		if q[parent].due <= q[i].due {
			break
		}
		q[parent], q[i] = q[i], q[parent]
		i = parent
	}
}

func (h *evictHeap) pop() evictItem {
	q := *h
	top := q[0]
	last := len(q) - 1
	q[0] = q[last]
	q[last] = evictItem{}
	q = q[:last]
	for i := 0; ; {
		small, l, r := i, 2*i+1, 2*i+2
		if l < len(q) && q[l].due < q[small].due {
			small = l
		}
		if r < len(q) && q[r].due < q[small].due {
			small = r
		}
		if small == i {
			break
		}
		q[i], q[small] = q[small], q[i]
		i = small
	}
	*h = q
	return top
}

// prune drops the stale items (of keys gone, or queued again at another
// deadline) and orders the rest, which a sorted slice is as a heap. A stale
// item otherwise waits to be popped until the watermark passes its
// deadline, which never happens when event time stalls: just when
// state.ttl.ms is what bounds the state, every key it dropped would stay
// in the queue with its keyState.
func (h *evictHeap) prune() {
	q := (*h)[:0]
	for _, it := range *h {
		if !it.ks.gone && it.ks.queued && it.ks.due == it.due {
			q = append(q, it)
		}
	}
	clear((*h)[len(q):])
	slices.SortFunc(q, func(a, b evictItem) int { return cmp.Compare(a.due, b.due) })
	*h = q
}

// ref names an entry that Changes must log, or the changelog key of one
// it must delete: the join key is its keyState's, so neither allocates.
type ref struct {
	ks   *keyState
	side int
	t    int64
	seq  uint64
}

type tombstone struct {
	key  string // the join key
	side int
	t    int64
	seq  uint64
}

// partition is the state of one input partition index.
type partition struct {
	index int32
	keys  map[string]*keyState
	// horizon is the watermark last acted on: records before horizon -
	// allowed lateness are late, and entries no such record can join are
	// dropped.
	horizon int64
	seq     uint64 // the next entry's seq
	queue   evictHeap

	dirty      []ref
	tombstones []tombstone     // logged entries dropped since Changes
	horizonSet bool            // horizon moved since Changes
	maxDirty   map[string]bool // topics whose largest event time moved
	schemaOK   bool            // the changelog holds this config's state schema
}

func newPartition(index int32, noTime int64) *partition {
	return &partition{index: index, keys: map[string]*keyState{}, horizon: noTime, maxDirty: map[string]bool{}}
}

// deadline is the watermark - lateness beyond which one of the key's
// entries can no longer be joined: a left entry at tl joins right records
// of times up to tl - lower, a right entry at tr left records up to
// tr + upper, and a record before the watermark - lateness is late.
func (p *plan) deadline(ks *keyState) int64 {
	d := int64(math.MaxInt64)
	if len(ks.left) > 0 {
		d = ks.left[0].t - p.lower
	}
	if len(ks.right) > 0 {
		d = min(d, ks.right[0].t+p.upper)
	}
	return d
}

// schedule queues ks for eviction at its deadline, unless it is queued
// already at that deadline or before.
func (pt *partition) schedule(p *plan, ks *keyState) {
	if len(ks.left) == 0 && len(ks.right) == 0 {
		return
	}
	d := p.deadline(ks)
	if ks.queued && ks.due <= d {
		return
	}
	ks.due, ks.queued = d, true
	pt.queue.push(evictItem{due: d, ks: ks})
}

// insert stores e on side s of ks, in order.
func (pt *partition) insert(p *plan, ks *keyState, s int, e entry) {
	l := ks.list(s)
	i := search(*l, e.t, e.seq)
	e.flags |= flagDirty
	*l = slices.Insert(*l, i, e)
	pt.dirty = append(pt.dirty, ref{ks: ks, side: s, t: e.t, seq: e.seq})
	if i == 0 {
		pt.schedule(p, ks)
	}
}

// touch marks an entry changed in place for the changelog.
func (pt *partition) touch(ks *keyState, s int, e *entry) {
	if e.flags&flagDirty == 0 {
		e.flags |= flagDirty
		pt.dirty = append(pt.dirty, ref{ks: ks, side: s, t: e.t, seq: e.seq})
	}
}

// key returns the state of a join key, making it when missing.
func (pt *partition) key(k []byte) *keyState {
	ks := pt.keys[string(k)]
	if ks == nil {
		ks = &keyState{key: string(k)}
		pt.keys[ks.key] = ks
	}
	return ks
}

// dropped tells the operator about an entry leaving the state.
type dropped func(side int, e *entry)

// retire logs the tombstone of an entry leaving the state, when the
// changelog holds it.
func (pt *partition) retire(ks *keyState, s int, e *entry, gone dropped) {
	if e.flags&flagLogged != 0 {
		pt.tombstones = append(pt.tombstones, tombstone{key: ks.key, side: s, t: e.t, seq: e.seq})
	}
	gone(s, e)
}

// dropFirst removes the first n entries of side s. The slice is cut from the
// front, as a queue is: appends reallocate it soon enough, copying only
// what is left.
func (pt *partition) dropFirst(ks *keyState, s int, n int, gone dropped) {
	if n == 0 {
		return
	}
	l := ks.list(s)
	for i := range n {
		pt.retire(ks, s, &(*l)[i], gone)
	}
	clear((*l)[:n]) // let go of the kept fields' text
	if *l = (*l)[n:]; len(*l) == 0 {
		*l = nil
	}
}

// dropWhere removes the entries of side s that drop says to, wherever they
// are in the list.
func (pt *partition) dropWhere(ks *keyState, s int, drop func(*entry) bool, gone dropped) {
	l := ks.list(s)
	out := (*l)[:0]
	for i := range *l {
		if e := &(*l)[i]; drop(e) {
			pt.retire(ks, s, e, gone)
			continue
		}
		out = append(out, (*l)[i])
	}
	clear((*l)[len(out):])
	*l = out
	if len(out) == 0 {
		*l = nil
	}
}

// forget removes an empty key.
func (pt *partition) forget(ks *keyState) {
	if len(ks.left) == 0 && len(ks.right) == 0 && !ks.gone {
		ks.gone = true
		delete(pt.keys, ks.key)
	}
}

// evict drops every entry that no record at or after threshold (the
// watermark - allowed lateness) can join.
func (pt *partition) evict(p *plan, threshold int64, gone dropped) {
	for len(pt.queue) > 0 && pt.queue[0].due < threshold {
		it := pt.queue.pop()
		ks := it.ks
		if ks.gone || !ks.queued || it.due != ks.due {
			continue // a stale item: ks is queued again, later, or gone
		}
		ks.queued = false
		// Lists are sorted by time: what no record can join any more is a
		// prefix of each.
		n := 0
		for n < len(ks.left) && ks.left[n].t-p.lower < threshold {
			n++
		}
		pt.dropFirst(ks, sideLeft, n, gone)
		n = 0
		for n < len(ks.right) && ks.right[n].t+p.upper < threshold {
			n++
		}
		pt.dropFirst(ks, sideRight, n, gone)
		pt.forget(ks)
		if !ks.gone {
			pt.schedule(p, ks)
		}
	}
}
