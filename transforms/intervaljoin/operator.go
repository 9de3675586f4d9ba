package intervaljoin

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/transforms/expr"
	"github.com/tributarydata/tributary/transforms/stream"
	"github.com/tributarydata/tributary/transforms/timefmt"
	"github.com/tributarydata/tributary/transforms/value"
)

// LateHeader is the header of a record sent to late.topic: how many ms
// before the watermark minus the allowed lateness its event time was.
const LateHeader = "tributary.late.ms"

// maxEventTime is the last millisecond of year 9999: an event time beyond
// it is a unit mistake (microseconds read as milliseconds), and would move
// the watermark past all real data for good.
const maxEventTime = 253402300799999

// Operator is one task's interval join (an sdk.Stateful transform).
//
// State is kept per input partition index, as the runtime places it: per
// join key, the left and right records that a record still to come may
// join, sorted by event time. A record is joined with the other side's
// records when it arrives, then stored; the watermark, worked out after
// every record, drops what no record within the allowed lateness can join.
// Outputs depend only on the state, the records and the wall-clock times
// of the calls (read by idle.timeout.ms and state.ttl.ms alone), not on
// how the runtime cut the input into batches, so a replay after a crash
// emits what an uninterrupted run would at the same times (but see
// doc.go on the idle timeout).
type Operator struct {
	sdk.UnimplementedTransform
	p         *plan
	now       func() time.Time
	wm        *stream.Watermarks
	parts     map[int32]*partition
	lastPart  *partition
	last      int64         // the watermark last acted on
	restoring bool          // Restore was called: queues are built before the next batch
	expiry    stream.Expiry // state.ttl.ms
	// assigned is what Assign named: the partitions the watermark is over.
	assigned map[sdk.TopicPartition]bool

	rows    [2]value.Row
	roles   [2]role
	pending []pendingBest
	comb    value.Row // the left.* and right.* fields, then the outputs
	dec     []value.Value
	scratch expr.Scratch
	kb      []byte
	out     []sdk.Record
	arena   []byte // outputs' keys and values, in chunks never moved
	changes stream.Changes
	taken   bool
	emitFmt *timefmt.Writer
	evicted dropped // what the watermark drops
	expired dropped // what state.ttl.ms drops
	stateK  []byte
	stateV  []byte

	n counts
}

// counts are the events Counts reports.
type counts struct {
	late, filtered, joined, emitted, corrected, evicted, expired, unmatched int64
}

// role is a record as one side of the join sees it.
type role struct {
	on   bool // the record feeds this side and meets its where
	late bool
	key  []byte    // the join key, stream.AppendKey per field
	ks   *keyState // the state of key, nil when the partition has none
	t    int64     // event time, ms
	vals []value.Value
	enc  []byte // vals as stored
	// best is, for a right record under match earliest or latest, the
	// time of the left match it emits with (valid when matched).
	best    int64
	matched bool
}

// pendingBest is a better left match found for a stored right entry, made
// final once the whole record has joined without an error.
type pendingBest struct {
	ks *keyState
	i  int
	t  int64
}

func (o *Operator) init(p *plan, now func() time.Time) {
	o.p, o.now = p, now
	o.expiry = stream.Expiry{TTL: p.ttl}
	o.wm = stream.NewWatermarks(p.cfg.Delay, p.cfg.Idle)
	o.parts = map[int32]*partition{}
	o.last = stream.NoTime
	o.emitFmt = timefmt.NewWriter(p.timeOut.Layout(), p.loc)
	unmatched := func(s int, e *entry) {
		if s == sideRight && p.match != matchAll && e.flags&flagMatched == 0 {
			o.n.unmatched++
		}
	}
	o.evicted = func(s int, e *entry) { o.n.evicted++; unmatched(s, e) }
	o.expired = func(s int, e *entry) { o.n.expired++; unmatched(s, e) }
}

func (o *Operator) partition(i int32) *partition {
	if pt := o.lastPart; pt != nil && pt.index == i {
		return pt
	}
	pt := o.parts[i]
	if pt == nil {
		pt = newPartition(i, stream.NoTime)
		o.parts[i] = pt
	}
	o.lastPart = pt
	return pt
}

// Assign starts the watermark over the task's partitions.
func (o *Operator) Assign(parts []sdk.TopicPartition) error {
	o.wm.Assign(parts, o.now())
	o.assigned = map[sdk.TopicPartition]bool{}
	for _, tp := range parts {
		o.partition(tp.Partition)
		o.assigned[tp] = true
	}
	return nil
}

// begin starts a Process or Tick: the runtime is done with what the last
// ones returned.
func (o *Operator) begin() {
	if o.taken {
		o.changes.Reset()
		o.taken = false
	}
	clear(o.out)
	o.out = o.out[:0]
	o.arena = o.arena[:0]
	if o.restoring {
		o.restored()
	}
}

// Process joins a batch.
func (o *Operator) Process(_ context.Context, recs []sdk.Record) ([]sdk.Record, error) {
	o.begin()
	now := o.now()
	o.expire(now.UnixMilli())
	for i := range recs {
		o.record(&recs[i], now)
	}
	return o.out, nil
}

// Tick lets idle partitions stop holding the watermark back, and drops
// what state.ttl.ms says to.
func (o *Operator) Tick(_ context.Context, now time.Time) ([]sdk.Record, error) {
	o.begin()
	o.expire(now.UnixMilli())
	o.advance(now)
	return o.out, nil
}

func (o *Operator) record(r *sdk.Record, now time.Time) {
	if r.Value == nil {
		o.fault(r, errors.New("a tombstone has no fields to join"))
		return
	}
	p := o.p
	left, right := &o.roles[sideLeft], &o.roles[sideRight]
	left.on, right.on = false, false
	takesLeft, takesRight := p.left.takes(r.Topic), p.right.takes(r.Topic)
	if !takesLeft && !takesRight {
		o.fault(r, fmt.Errorf("topic %s is in neither left.topics nor right.topics", r.Topic))
		return
	}
	for s, sd := range [2]*side{&p.left, &p.right} {
		if s == sideLeft && !takesLeft || s == sideRight && !takesRight {
			continue
		}
		row := &o.rows[s]
		if s == sideRight && takesLeft && p.sameFields {
			row = &o.rows[sideLeft] // read once for both sides
		} else {
			row.Reset()
			if err := sd.ex.Extract(r.Value, row); err != nil {
				o.fault(r, o.sideErr(sd, err))
				return
			}
		}
		if sd.where != nil && !sd.where.Eval(row) {
			continue
		}
		if err := o.read(sd, &o.roles[s], row, r, now); err != nil {
			o.fault(r, o.sideErr(sd, err))
			return
		}
	}
	if !left.on && !right.on {
		o.n.filtered++
		return
	}
	pt := o.partition(r.Partition)
	lateBy := int64(0)
	for s := range o.roles {
		ro := &o.roles[s]
		ro.late = false
		if ro.on && pt.horizon != stream.NoTime && ro.t < pt.horizon-p.late {
			ro.late = true
			lateBy = max(lateBy, pt.horizon-p.late-ro.t)
		}
	}
	if err := o.join(pt, left, right, now); err != nil {
		o.fault(r, err)
		return
	}
	if left.late || right.late {
		o.tooLate(r, lateBy)
	}
	tp := sdk.TopicPartition{Topic: r.Topic, Partition: r.Partition}
	moved := false
	for s := range o.roles {
		if o.roles[s].on && o.wm.Observe(tp, o.roles[s].t, now) {
			moved = true
		}
	}
	if moved {
		pt.maxDirty[r.Topic] = true
		o.advance(now)
	}
}

// sideErr names the side a bad record failed on, when the sides read
// different fields and the message alone would not tell.
func (o *Operator) sideErr(sd *side, err error) error {
	if o.p.sameFields {
		return err
	}
	return fmt.Errorf("as a %s record: %w", sd.name, err)
}

// read fills a role from a record's extracted row: join key, event time
// and the fields to keep.
func (o *Operator) read(sd *side, ro *role, row *value.Row, r *sdk.Record, now time.Time) error {
	ro.key = ro.key[:0]
	for _, i := range sd.keyIdx {
		v := row.Fields[i].Value
		if v.IsNull() {
			return fmt.Errorf("join key field %s is null or missing", row.Fields[i].Name)
		}
		ro.key = stream.AppendKey(ro.key, v)
	}
	t, err := o.eventTime(sd, row, r)
	if err == nil {
		err = stream.CheckAhead(t, now, o.p.cfg.MaxAhead)
	}
	if err != nil {
		return err
	}
	ro.t = t
	ro.vals = ro.vals[:0]
	ro.enc = ro.enc[:0]
	for _, i := range sd.kept {
		v := row.Fields[i].Value
		ro.vals = append(ro.vals, v)
		ro.enc = stream.AppendKey(ro.enc, v)
	}
	ro.on, ro.matched = true, false
	return nil
}

func (o *Operator) eventTime(sd *side, row *value.Row, r *sdk.Record) (int64, error) {
	if sd.timeIx < 0 {
		if r.Timestamp.IsZero() {
			return 0, errors.New("the record has no timestamp to take event time from")
		}
		return checkTime(r.Timestamp.UnixMilli())
	}
	f := row.Fields[sd.timeIx]
	if f.Value.IsNull() {
		return 0, fmt.Errorf("event time field %s is null or missing", f.Name)
	}
	t, err := sd.timeIn.Read(f.Value, o.p.loc)
	if err != nil {
		return 0, fmt.Errorf("event time field %s: %w", f.Name, err)
	}
	ms, err := checkTime(t.UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("event time field %s: %w", f.Name, err)
	}
	return ms, nil
}

func checkTime(ms int64) (int64, error) {
	if ms <= 0 || ms > maxEventTime {
		return 0, fmt.Errorf("event time %d ms is outside 1970 to 9999", ms)
	}
	return ms, nil
}

// join matches a record's roles with the stored records and stores it.
// Nothing changes until every output of the record is made: a value that
// output.fields cannot compute refuses the record whole, and it leaves
// no trace in the state, the outputs or the counts.
func (o *Operator) join(pt *partition, left, right *role, now time.Time) error {
	mark, saved := len(o.out), o.n
	o.pending = o.pending[:0]
	// One lookup per role: the map holds a key per (user, classroom).
	for _, ro := range [2]*role{left, right} {
		if ro.ks = nil; ro.on && !ro.late {
			ro.ks = pt.keys[string(ro.key)]
		}
	}
	var err error
	if left.on && !left.late {
		err = o.joinLeft(pt, left, now)
	}
	if err == nil && right.on && !right.late {
		err = o.joinRight(pt, right, left, now)
	}
	if err != nil {
		clear(o.out[mark:])
		o.out, o.n = o.out[:mark], saved
		return err
	}
	for _, pb := range o.pending {
		e := &pb.ks.right[pb.i]
		e.flags |= flagMatched
		e.best = pb.t
		pt.touch(pb.ks, sideRight, e)
	}
	at := now.UnixMilli()
	for s, ro := range [2]*role{left, right} {
		if !ro.on || ro.late {
			continue
		}
		e := entry{t: ro.t, seq: pt.seq, at: at, vals: string(ro.enc)}
		if ro.matched {
			e.flags, e.best = flagMatched, ro.best
		}
		pt.seq++
		ks := ro.ks
		if ks == nil {
			ks = pt.key(ro.key) // the other role may have made it
		}
		pt.insert(o.p, ks, s, e)
	}
	return nil
}

// better reports whether a left match at time t beats the one at best.
func (o *Operator) better(t, best int64) bool {
	if o.p.match == matchEarliest {
		return t < best
	}
	return t > best
}

// joinLeft joins a left record with the stored right records it falls in
// the interval of: right time in [t - upper, t - lower].
func (o *Operator) joinLeft(pt *partition, l *role, now time.Time) error {
	ks := l.ks
	if ks == nil {
		return nil
	}
	p := o.p
	hi := l.t - p.lower
	at := now.UnixMilli()
	for i := firstAtOrAfter(ks.right, l.t-p.upper); i < len(ks.right) && ks.right[i].t <= hi; i++ {
		e := &ks.right[i]
		if o.stale(e, at) {
			continue
		}
		o.n.joined++
		matched := e.flags&flagMatched != 0
		if p.match != matchAll {
			if matched && !o.better(l.t, e.best) {
				continue
			}
			o.pending = append(o.pending, pendingBest{ks: ks, i: i, t: l.t})
			if matched {
				o.n.corrected++
			}
		}
		if err := o.emit(l.vals, o.decode(e.vals, len(p.right.kept)), l.t, e.t, now); err != nil {
			return err
		}
	}
	return nil
}

// joinRight joins a right record with the stored left records in its
// interval, left time in [t + lower, t + upper], and with the record's own
// left role (a self-join) when it is there.
func (o *Operator) joinRight(pt *partition, r, own *role, now time.Time) error {
	p := o.p
	lo, hi := r.t+p.lower, r.t+p.upper
	var list []entry
	if r.ks != nil {
		list = r.ks.left
	}
	i0, i1 := firstAtOrAfter(list, lo), firstAtOrAfter(list, hi+1)
	self := own.on && !own.late && own.t >= lo && own.t <= hi && string(own.key) == string(r.key)
	if self {
		o.n.joined++
	}
	at := now.UnixMilli()
	if p.match == matchAll {
		for i := i0; i < i1; i++ {
			if o.stale(&list[i], at) {
				continue
			}
			o.n.joined++
			if err := o.emit(o.decode(list[i].vals, len(p.left.kept)), r.vals, list[i].t, r.t, now); err != nil {
				return err
			}
		}
		if self {
			return o.emit(own.vals, r.vals, own.t, r.t, now)
		}
		return nil
	}
	// The best stored match; the record's own left role arrived after all
	// of them, so it wins only by time.
	best, live := o.bestLeft(list[i0:i1], at)
	o.n.joined += int64(live)
	if best >= 0 {
		best += i0
	}
	switch {
	case best >= 0 && !(self && o.better(own.t, list[best].t)):
		r.matched, r.best = true, list[best].t
		return o.emit(o.decode(list[best].vals, len(p.left.kept)), r.vals, list[best].t, r.t, now)
	case self:
		r.matched, r.best = true, own.t
		return o.emit(own.vals, r.vals, own.t, r.t, now)
	}
	return nil
}

// bestLeft returns the index in list, the stored left entries in a right
// record's interval, of its best match: the first of the smallest time
// (earliest) or the first of the largest (latest); -1 when none. It also
// returns how many of them join (are not stale).
func (o *Operator) bestLeft(list []entry, now int64) (best, live int) {
	if o.p.ttl == 0 {
		// Nothing is stale: the ends of the sorted list answer at once.
		switch {
		case len(list) == 0:
			return -1, 0
		case o.p.match == matchLatest:
			return firstAtOrAfter(list, list[len(list)-1].t), len(list)
		}
		return 0, len(list)
	}
	best = -1
	for i := range list {
		if o.stale(&list[i], now) {
			continue
		}
		live++
		// The list is in time and arrival order: only a strictly better
		// time replaces the best, so of equal times the first stays.
		if best < 0 || o.better(list[i].t, list[best].t) {
			best = i
		}
	}
	return best, live
}

// stale reports whether an entry has outlived state.ttl.ms at now (wall
// clock, ms). Such an entry joins nothing, whether or not a sweep has
// removed it yet: sweeps are paced (stream.Expiry) and a restarted task
// sweeps at its first batch, so otherwise what a record joins would depend
// on when the last sweep ran, and a replay after a restore would emit
// other rows than the run it replaces.
func (o *Operator) stale(e *entry, now int64) bool { return o.expiry.Expired(e.at, now) }

// decode reads stored fields into o.dec, which both sides share: each
// emit takes one side from the role at hand and decodes only the other.
// Restore checked what it loaded, so a failure is a bug here.
func (o *Operator) decode(vals string, n int) []value.Value {
	var err error
	o.dec, err = stream.DecodeValues(o.dec[:0], vals)
	if err != nil || len(o.dec) != n {
		panic(fmt.Sprintf("intervaljoin: fields this operator stored do not decode: %v", err))
	}
	return o.dec
}

// emit appends the joined row of a left and a right record.
func (o *Operator) emit(lv, rv []value.Value, tl, tr int64, now time.Time) error {
	p := o.p
	row := &o.comb
	row.Reset()
	for i, name := range p.left.qualified {
		row.Append(name, lv[i])
	}
	for i, name := range p.right.qualified {
		row.Append(name, rv[i])
	}
	base := row.Len()
	for _, a := range p.outputs {
		v, err := a.Value.Eval(row, &o.scratch)
		if err != nil {
			return fmt.Errorf("output %s: %w", a.Field, err)
		}
		row.Append(a.Field, v)
	}
	kb := append(o.kb[:0], '[')
	for j, i := range p.keyIdx {
		if j > 0 {
			kb = append(kb, ',')
		}
		kb = row.Fields[base+i].Value.AppendJSON(kb)
	}
	kb = append(kb, ']')
	keyLen := len(kb)
	kb = append(kb, '{')
	for i := range p.outputs {
		if i > 0 {
			kb = append(kb, ',')
		}
		kb = append(kb, p.quoted[i]...)
		kb = row.Fields[base+i].Value.AppendJSON(kb)
	}
	if p.diffQuoted != nil {
		kb = append(append(kb, ','), p.diffQuoted...)
		kb = strconv.AppendInt(kb, tr-tl, 10)
	}
	if p.emitQuoted != nil {
		kb = append(append(kb, ','), p.emitQuoted...)
		kb = p.timeOut.Value(now, o.emitFmt).AppendJSON(kb)
	}
	kb = append(kb, '}')
	o.kb = kb
	if cap(o.arena)-len(o.arena) < len(kb) {
		// A new chunk rather than a grown one: records already returned
		// point into the old.
		o.arena = make([]byte, 0, max(256<<10, len(kb)))
	}
	at := len(o.arena)
	o.arena = append(o.arena, kb...)
	o.out = append(o.out, sdk.Record{
		Key:       o.arena[at : at+keyLen : at+keyLen],
		Value:     o.arena[at+keyLen : len(o.arena) : len(o.arena)],
		Timestamp: time.UnixMilli(max(tl, tr)),
	})
	o.n.emitted++
	return nil
}

// tooLate sends a record to the late topic, as it came.
func (o *Operator) tooLate(r *sdk.Record, by int64) {
	late := *r
	late.Topic = o.p.cfg.LateTopic
	late.Headers = append(slices.Clip(r.Headers), sdk.Header{Key: LateHeader, Value: strconv.AppendInt(nil, by, 10)})
	o.out = append(o.out, late)
	o.n.late++
}

func (o *Operator) fault(r *sdk.Record, err error) {
	bad := *r
	bad.Fault = err
	o.out = append(o.out, bad)
}

// advance acts on a watermark that moved: records before it minus the
// allowed lateness are late from now on, and the entries none of the
// others can join are dropped.
func (o *Operator) advance(now time.Time) {
	wm := o.wm.Current(now)
	if wm <= o.last {
		return
	}
	o.last = wm
	for _, pt := range o.parts {
		if wm <= pt.horizon {
			continue
		}
		pt.horizon, pt.horizonSet = wm, true
		pt.evict(o.p, wm-o.p.late, o.evicted)
	}
}

// expire drops the entries held longer than state.ttl.ms by the wall
// clock, when a sweep is due (stream.Expiry).
func (o *Operator) expire(now int64) {
	if !o.expiry.Due(now) {
		return
	}
	next := int64(math.MaxInt64)
	old := func(e *entry) bool { return o.expiry.Expired(e.at, now) }
	for _, pt := range o.parts {
		for _, ks := range pt.keys {
			for s := range 2 {
				l := *ks.list(s)
				for i := range l {
					if old(&l[i]) {
						pt.dropWhere(ks, s, old, o.expired)
						break
					}
				}
				for _, e := range *ks.list(s) {
					next = min(next, o.expiry.Deadline(e.at))
				}
			}
			pt.forget(ks)
		}
		pt.queue.prune()
	}
	o.expiry.Swept(now, next)
}

// Counts reports the records too late to join, those no side's where
// took, the pairs that met the join condition, the rows emitted and of
// those the ones correcting an earlier earliest or latest match, the
// records dropped from the state by the watermark and by state.ttl.ms, and
// (match earliest or latest) the right records dropped without a match.
func (o *Operator) Counts() map[string]int64 {
	return map[string]int64{
		"late": o.n.late, "filtered": o.n.filtered, "joined": o.n.joined, "emitted": o.n.emitted,
		"corrected": o.n.corrected, "evicted": o.n.evicted, "expired": o.n.expired, "unmatched": o.n.unmatched,
	}
}
