package window

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/transforms/agg"
	"github.com/tributarydata/tributary/transforms/stream"
	"github.com/tributarydata/tributary/transforms/timefmt"
	"github.com/tributarydata/tributary/transforms/value"
)

// LateHeader is the header of a record sent to late.topic: how many ms of
// watermark it came after its last window closed.
const LateHeader = "tributary.late.ms"

// Changelog keys: a group of a window, a partition's largest event time, a
// partition's fired horizon.
const (
	keyGroup     = 'g'
	keyMaxTime   = 'm'
	keyFiredUpTo = 'f'
	keySchema    = 's'
)

// maxEventTime is the last millisecond of year 9999: an event time beyond
// it is a unit mistake (microseconds read as milliseconds), and would move
// the watermark, and with it every window, past all real data for good.
const maxEventTime = 253402300799999

// Operator is one task's windowed aggregation (an sdk.Stateful transform).
//
// State is kept per input partition index, as the runtime places it: for
// each window start, the groups seen in that window. A window fires when the
// watermark reaches its end: every group's result is emitted. It stays until
// the watermark passes its end plus the allowed lateness, and a record for
// it meanwhile updates its group and emits the corrected result at once.
// The watermark is worked out after every record, not per batch, so results
// do not depend on how the runtime cut the input into batches: a replay
// after a crash gives exactly the results of an uninterrupted run.
type Operator struct {
	sdk.UnimplementedTransform
	p        *plan
	now      func() time.Time
	wm       *stream.Watermarks
	parts    map[int32]*partition
	lastPart *partition
	last     int64 // the watermark last acted on

	row     value.Row
	outRow  value.Row
	key     []byte
	starts  []int64
	added   []added // the windows the current record went into
	out     []sdk.Record
	arena   []byte // outputs' keys and values, in chunks never moved
	scratch []byte
	changes stream.Changes
	taken   bool
	emitFmt *timefmt.Writer
	winFmt  *timefmt.Writer

	late, filtered, emitted, corrected int64
}

// partition is the state of one input partition index.
type partition struct {
	index int32
	panes map[int64]*pane // by window start
	order []int64         // window starts, ascending
	fired int64           // windows ending at or before this have fired
	// firedDirty and maxDirty mark what Changes must log.
	firedDirty bool
	maxDirty   map[string]bool // topics whose largest event time moved
	purged     []*pane         // panes dropped since Changes: their groups get tombstones
	last       *pane           // the pane the last record went to
	sizeHint   int             // groups of the largest pane so far, to size a new one's map
	schemaOK   bool            // the changelog holds this config's state schema
}

type pane struct {
	start  int64
	groups map[string]*entry
	dirty  []*entry // changed since the last Changes
}

type entry struct {
	g     agg.Group
	key   string // the encoded group values, the pane's map key
	dirty bool
}

// added is one window a record was added to, kept until the record is in
// all of its windows or in none.
type added struct {
	start int64
	pn    *pane
	e     *entry
	fresh bool // e is not in pn.groups yet
}

func (o *Operator) init(p *plan, now func() time.Time) {
	o.p, o.now = p, now
	o.wm = stream.NewWatermarks(p.cfg.Delay, p.cfg.Idle)
	o.parts = map[int32]*partition{}
	o.last = stream.NoTime
	o.emitFmt = timefmt.NewWriter(p.timeOut.Layout(), p.loc)
	o.winFmt = timefmt.NewWriter(p.timeOut.Layout(), p.loc)
}

func (o *Operator) partition(i int32) *partition {
	if pt := o.lastPart; pt != nil && pt.index == i {
		return pt
	}
	pt := o.parts[i]
	if pt == nil {
		pt = &partition{index: i, panes: map[int64]*pane{}, fired: stream.NoTime, maxDirty: map[string]bool{}}
		o.parts[i] = pt
	}
	o.lastPart = pt
	return pt
}

func (pt *partition) pane(start int64) *pane {
	if pn := pt.last; pn != nil && pn.start == start {
		return pn
	}
	pn := pt.panes[start]
	if pn == nil {
		// Windows of a stream hold about as many groups as the last one:
		// a map made that large does not rehash 100k groups as it fills.
		pn = &pane{start: start, groups: make(map[string]*entry, pt.sizeHint)}
		pt.panes[start] = pn
		i, _ := slices.BinarySearch(pt.order, start)
		pt.order = slices.Insert(pt.order, i, start)
	}
	pt.last = pn
	return pn
}

// Assign starts the watermark over the task's partitions.
func (o *Operator) Assign(parts []sdk.TopicPartition) error {
	o.wm.Assign(parts, o.now())
	for _, tp := range parts {
		o.partition(tp.Partition)
	}
	return nil
}

// Restore loads one changelog entry.
func (o *Operator) Restore(index int32, key, val []byte) error {
	if len(key) == 0 {
		return errors.New("empty state key")
	}
	pt := o.partition(index)
	switch key[0] {
	case keyGroup:
		if len(key) < 9 {
			return errors.New("short window key")
		}
		start := int64(binary.BigEndian.Uint64(key[1:9]))
		group := string(key[9:])
		if err := o.checkGroupKey(key[9:]); err != nil {
			return fmt.Errorf("window %d: %w", start, err)
		}
		if val == nil {
			if pn := pt.panes[start]; pn != nil {
				delete(pn.groups, group)
				if len(pn.groups) == 0 {
					pt.drop(start)
				}
			}
			return nil
		}
		e := &entry{key: group}
		if err := e.g.LoadState(o.p.set, val); err != nil {
			return fmt.Errorf("window %d group state: %w", start, err)
		}
		pt.pane(start).groups[group] = e
	case keyMaxTime:
		if val == nil {
			return nil
		}
		t, n := binary.Varint(val)
		if n <= 0 {
			return errors.New("bad event time in state")
		}
		o.wm.Restore(sdk.TopicPartition{Topic: string(key[1:]), Partition: index}, t)
	case keySchema:
		if val != nil && string(val) != o.p.schema {
			return fmt.Errorf("the state was written by a window of another shape (%s, now %s): give the connector a new state.changelog.topic, or a new name, to start afresh", val, o.p.schema)
		}
		pt.schemaOK = val != nil
	case keyFiredUpTo:
		if val == nil {
			return nil
		}
		t, n := binary.Varint(val)
		if n <= 0 {
			return errors.New("bad fired time in state")
		}
		pt.fired = max(pt.fired, t)
	default:
		return fmt.Errorf("unknown state key kind %q", key[0])
	}
	return nil
}

// checkGroupKey makes sure a restored group key holds one value per
// group.by field, so that the results emitted from it are whole.
func (o *Operator) checkGroupKey(b []byte) error {
	for range o.p.groupBy {
		var err error
		if _, b, err = stream.DecodeKey(b); err != nil {
			return fmt.Errorf("group key: %w", err)
		}
	}
	if len(b) != 0 {
		return errors.New("group key holds more values than group.by names")
	}
	return nil
}

func (pt *partition) drop(start int64) {
	if pn := pt.panes[start]; pn != nil {
		pt.sizeHint = max(pt.sizeHint, len(pn.groups))
	}
	if pt.last != nil && pt.last.start == start {
		pt.last = nil
	}
	delete(pt.panes, start)
	if i, ok := slices.BinarySearch(pt.order, start); ok {
		pt.order = slices.Delete(pt.order, i, i+1)
	}
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
}

// Process aggregates a batch.
func (o *Operator) Process(_ context.Context, recs []sdk.Record) ([]sdk.Record, error) {
	o.begin()
	now := o.now()
	for i := range recs {
		o.record(&recs[i], now)
	}
	return o.out, nil
}

// Tick lets idle partitions stop holding the watermark back.
func (o *Operator) Tick(_ context.Context, now time.Time) ([]sdk.Record, error) {
	o.begin()
	o.advance(now)
	return o.out, nil
}

func (o *Operator) record(r *sdk.Record, now time.Time) {
	if r.Value == nil {
		o.fault(r, errors.New("a tombstone has no fields to aggregate"))
		return
	}
	o.row.Reset()
	if err := o.p.ex.Extract(r.Value, &o.row); err != nil {
		o.fault(r, err)
		return
	}
	t, err := o.eventTime(r)
	if err == nil {
		err = stream.CheckAhead(t, now, o.p.cfg.MaxAhead)
	}
	if err != nil {
		o.fault(r, err)
		return
	}
	tp := sdk.TopicPartition{Topic: r.Topic, Partition: r.Partition}
	pt := o.partition(r.Partition)
	moved := o.wm.Observe(tp, t, now)
	if moved {
		pt.maxDirty[r.Topic] = true
	}
	if o.p.where != nil && !o.p.where.Eval(&o.row) {
		o.filtered++
		if moved {
			o.advance(now)
		}
		return
	}
	o.key = o.key[:0]
	for _, g := range o.p.groupBy {
		v, _ := o.row.Get(g)
		o.key = stream.AppendKey(o.key, v)
	}
	o.starts = o.p.windows.Starts(o.starts[:0], t)
	// A record of hopping windows counts in every open window it falls in
	// or in none: a failure in one (a sum out of range in that window's
	// group) takes it back out of the others, and the record is rejected
	// with the reason, never counted in part.
	o.added = o.added[:0]
	for _, start := range o.starts {
		if start+o.p.size+o.p.late <= pt.fired {
			continue // closed for good
		}
		pn := pt.pane(start)
		e := pn.groups[string(o.key)]
		fresh := e == nil
		if fresh {
			e = &entry{key: string(o.key)}
		}
		if err := e.g.Add(o.p.set, &o.row, 1); err != nil {
			if fresh && len(pn.groups) == 0 {
				pt.drop(start)
			}
			o.takeBack(pt)
			o.fault(r, err)
			return
		}
		o.added = append(o.added, added{start: start, pn: pn, e: e, fresh: fresh})
	}
	counted := len(o.added) > 0
	for _, a := range o.added {
		e := a.e
		if a.fresh {
			a.pn.groups[e.key] = e
		}
		if !e.dirty {
			e.dirty = true
			a.pn.dirty = append(a.pn.dirty, e)
		}
		if a.start+o.p.size <= pt.fired {
			// Fired already, still within the allowed lateness: the
			// corrected result replaces the one emitted.
			o.emit(a.start, o.key, &e.g, now)
			o.corrected++
		}
	}
	if !counted {
		o.tooLate(r, t, pt)
	}
	if moved {
		o.advance(now)
	}
}

// takeBack removes the current row from the windows it was added to.
func (o *Operator) takeBack(pt *partition) {
	for _, a := range o.added {
		// Retracting the row just added returns the group to where it
		// was, so it cannot fail.
		_ = a.e.g.Add(o.p.set, &o.row, -1)
		if a.fresh && len(a.pn.groups) == 0 {
			pt.drop(a.start)
		}
	}
	o.added = o.added[:0]
}

func (o *Operator) eventTime(r *sdk.Record) (int64, error) {
	if o.p.cfg.TimeField == "" {
		if r.Timestamp.IsZero() {
			return 0, errors.New("the record has no timestamp to take event time from")
		}
		return checkTime(r.Timestamp.UnixMilli())
	}
	v, ok := o.row.Get(o.p.cfg.TimeField)
	if !ok || v.IsNull() {
		return 0, fmt.Errorf("event time field %s is null or missing", o.p.cfg.TimeField)
	}
	t, err := o.p.timeIn.Read(v, o.p.loc)
	if err != nil {
		return 0, fmt.Errorf("event time field %s: %w", o.p.cfg.TimeField, err)
	}
	return checkTime(t.UnixMilli())
}

func checkTime(ms int64) (int64, error) {
	if ms <= 0 || ms > maxEventTime {
		return 0, fmt.Errorf("event time %d ms is outside 1970 to 9999", ms)
	}
	return ms, nil
}

// tooLate sends a record that no open window takes to the late topic.
func (o *Operator) tooLate(r *sdk.Record, t int64, pt *partition) {
	last := o.p.windows.Starts(o.starts[:0], t)
	end := last[len(last)-1] + o.p.size
	by := pt.fired - (end + o.p.late)
	late := *r
	late.Topic = o.p.cfg.LateTopic
	late.Headers = append(slices.Clip(r.Headers), sdk.Header{Key: LateHeader, Value: strconv.AppendInt(nil, by, 10)})
	o.out = append(o.out, late)
	o.late++
}

func (o *Operator) fault(r *sdk.Record, err error) {
	bad := *r
	bad.Fault = err
	o.out = append(o.out, bad)
}

// advance fires and purges windows when the watermark moved.
func (o *Operator) advance(now time.Time) {
	wm := o.wm.Current(now)
	if wm <= o.last {
		return
	}
	o.last = wm
	for _, pt := range o.parts {
		if wm <= pt.fired {
			continue
		}
		before := pt.fired
		pt.fired, pt.firedDirty = wm, true
		for _, start := range pt.order {
			end := start + o.p.size
			if end > wm {
				break
			}
			if end > before {
				pn := pt.panes[start]
				for k, e := range pn.groups {
					o.emit(start, []byte(k), &e.g, now)
				}
			}
		}
		for len(pt.order) > 0 && pt.order[0]+o.p.size+o.p.late <= wm {
			start := pt.order[0]
			pt.purged = append(pt.purged, pt.panes[start])
			pt.drop(start)
		}
	}
}

// emit appends the result of one group of one window.
func (o *Operator) emit(start int64, key []byte, g *agg.Group, now time.Time) {
	row := &o.outRow
	row.Reset()
	startAt, endAt := time.UnixMilli(start), time.UnixMilli(start+o.p.size)
	row.Append(o.p.cfg.StartField, o.p.timeOut.Value(startAt, o.winFmt))
	row.Append(o.p.cfg.EndField, o.p.timeOut.Value(endAt, o.winFmt))
	rest := key
	kb := append(o.scratch[:0], '[')
	kb = strconv.AppendInt(kb, start, 10)
	for _, name := range o.p.groupBy {
		v, tail, err := stream.DecodeKey(rest)
		if err != nil {
			panic(fmt.Sprintf("window: a group key this operator encoded does not decode: %v", err))
		}
		rest = tail
		row.Append(name, v)
		kb = append(kb, ',')
		kb = v.AppendJSON(kb)
	}
	kb = append(kb, ']')
	keyLen := len(kb)
	g.AppendResults(o.p.set, row)
	if o.p.cfg.EmitField != "" {
		row.Append(o.p.cfg.EmitField, o.p.timeOut.Value(now, o.emitFmt))
	}
	kb = row.AppendJSON(kb)
	o.scratch = kb
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
		Timestamp: endAt,
	})
	o.emitted++
}

func groupKey(dst []byte, start int64, group string) []byte {
	dst = append(dst, keyGroup)
	dst = binary.BigEndian.AppendUint64(dst, uint64(start))
	return append(dst, group...)
}

// Changes logs the groups, event times and fired horizons that changed.
func (o *Operator) Changes() []sdk.StateChange {
	if o.taken {
		o.changes.Reset()
	}
	o.taken = true
	var key, val []byte
	for _, pt := range o.parts {
		// The shape first, so a restore meets it before any group.
		if !pt.schemaOK {
			pt.schemaOK = true
			o.changes.Put(pt.index, []byte{keySchema}, []byte(o.p.schema))
		}
		for _, pn := range pt.purged {
			for k := range pn.groups {
				key = groupKey(key[:0], pn.start, k)
				o.changes.Delete(pt.index, key)
			}
		}
		clear(pt.purged)
		pt.purged = pt.purged[:0]
		for _, start := range pt.order {
			pn := pt.panes[start]
			for _, e := range pn.dirty {
				e.dirty = false
				key = groupKey(key[:0], start, e.key)
				val = e.g.AppendState(o.p.set, val[:0])
				o.changes.Put(pt.index, key, val)
			}
			clear(pn.dirty)
			pn.dirty = pn.dirty[:0]
		}
		for topic := range pt.maxDirty {
			key = append(append(key[:0], keyMaxTime), topic...)
			val = binary.AppendVarint(val[:0], o.wm.Max(sdk.TopicPartition{Topic: topic, Partition: pt.index}))
			o.changes.Put(pt.index, key, val)
			delete(pt.maxDirty, topic)
		}
		if pt.firedDirty {
			pt.firedDirty = false
			o.changes.Put(pt.index, []byte{keyFiredUpTo}, binary.AppendVarint(val[:0], pt.fired))
		}
	}
	return o.changes.Take()
}

// Counts reports the records too late for any window, those the where
// condition left out, the results emitted, and how many of those corrected
// a fired window.
func (o *Operator) Counts() map[string]int64 {
	return map[string]int64{"late": o.late, "filtered": o.filtered, "emitted": o.emitted, "corrected": o.corrected}
}

// Groups returns how many groups the open windows hold: the size of the
// state, for measuring it.
func (o *Operator) Groups() int {
	n := 0
	for _, pt := range o.parts {
		for _, pn := range pt.panes {
			n += len(pn.groups)
		}
	}
	return n
}
