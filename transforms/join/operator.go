package join

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/transforms/expr"
	"github.com/tributarydata/tributary/transforms/lookup"
	"github.com/tributarydata/tributary/transforms/stream"
	"github.com/tributarydata/tributary/transforms/value"
)

// Operator is one task's join state (an sdk.Stateful transform).
//
// State is kept per input partition index, as the runtime places it: for
// each join key, the latest row of each side and the output row last
// emitted for it, exactly as emitted. A batch is worked in three passes so
// that nothing changes before its lookup has succeeded: the records are
// read and their effect on the rows planned against the state without
// changing it, the lookup keys of the planned rows are looked up in one
// Get, and only then are the plans applied and the outputs emitted. A
// failed lookup leaves the state as it was.
type Operator struct {
	sdk.UnimplementedTransform
	p      *plan
	now    func() time.Time
	table  *lookup.Table // nil: no lookup
	state  stream.Keyed[*entry]
	expiry stream.Expiry // state.ttl.ms

	// The batch being processed.
	ops     []op
	hints   []hint
	buf     []byte           // the ops' keys and rows
	keys    []string         // the lookup keys, one per op that looks one up
	overlay map[string]int32 // partition and join key → o.pending; keys in o.buf, during plan only
	pending []pendingRows    // the rows each key touched is planned to have

	row, before value.Row
	work        value.Row // the working row of an output (plan.work, then the outputs)
	vals        []value.Value
	scratch     expr.Scratch
	ident       []byte
	outRow      []byte // the output row computed, as JSON
	outKey      []byte // its key
	out         []sdk.Record
	arena       []byte
	changes     stream.Changes
	taken       bool

	counts counts
}

// counts are the events Counts reports.
type counts struct {
	joined, unmatched, waiting, filtered, computeErrors          int64
	unchanged, unknownDelete, expired                            int64
	inserted, updated, deleted, split, sameOutput, emitted       int64
	dimensionChanges, lookupFound, lookupNotFound, lookupNullKey int64
}

// pendingRows are the rows a key is planned to have.
type pendingRows struct{ left, right []byte }

func (o *Operator) init(p *plan, now func() time.Time, table *lookup.Table) {
	o.p, o.now, o.table = p, now, table
	o.expiry = stream.Expiry{TTL: p.ttl}
	o.overlay = map[string]int32{}
	o.work.Fields = make([]value.Field, 0, len(p.work)+len(p.outNames))
	for _, name := range p.work {
		o.work.Append(name, value.Value{})
	}
	for _, name := range p.outNames {
		o.work.Append(name, value.Value{})
	}
}

// Assign makes room for the task's partitions.
func (o *Operator) Assign(parts []sdk.TopicPartition) error {
	o.state.Assign(parts)
	return nil
}

// Restore loads one changelog entry.
func (o *Operator) Restore(index int32, key, val []byte) error {
	if len(key) < 2 || key[0] != keyEntry {
		return fmt.Errorf("unknown state key %q", key)
	}
	pt := o.state.Part(index)
	k := string(key[1:])
	if val == nil {
		delete(pt.Rows, k)
		return nil
	}
	e := &entry{key: k}
	if err := parseState(bytes.Clone(val), o.p.print, e); err != nil {
		return err
	}
	for s, row := range [2][]byte{e.left, e.right} {
		if row == nil {
			continue
		}
		vals, err := stream.DecodeValueBytes(o.vals[:0], row)
		if err == nil && len(vals) != len(o.p.sides[s].names) {
			err = fmt.Errorf("%d fields, want %d", len(vals), len(o.p.sides[s].names))
		}
		for i := 0; err == nil && i < len(vals); i++ {
			if raw, ok := vals[i].Raw(); ok && !json.Valid([]byte(raw)) {
				err = fmt.Errorf("field %s is not valid JSON", o.p.sides[s].names[i])
			}
		}
		if err != nil {
			return fmt.Errorf("stored %s row: %w", sideNames[s], err)
		}
	}
	if e.out != nil && !json.Valid(e.out) {
		return fmt.Errorf("stored output row is not valid JSON")
	}
	pt.Rows[k] = e
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
	clear(o.ops)
	o.ops = o.ops[:0]
	clear(o.hints)
	o.hints = o.hints[:0]
	clear(o.keys)
	o.keys = o.keys[:0]
	o.buf = o.buf[:0]
}

// Process joins a batch. It reads every record, puts the dimension changes
// of lookup.topics into the cache, plans what the records do to the rows
// of their keys, looks up the keys of the rows to output in one Get, and
// only then changes the state and emits the changes of the outputs. A
// lookup that fails fails the batch, marked sdk.Retriable when the lookup
// says so, with the state untouched.
func (o *Operator) Process(ctx context.Context, recs []sdk.Record) ([]sdk.Record, error) {
	o.begin()
	now := o.now().UnixMilli()
	for i := range recs {
		r := &recs[i]
		side, ok := o.p.topic[r.Topic]
		var err error
		switch {
		case !ok:
			err = fmt.Errorf("topic %s is in none of left.topics, right.topics and lookup.topics", r.Topic)
		case side == dimension:
			err = o.readHint(r)
		default:
			err = o.read(r, i, side)
		}
		if err != nil {
			o.fault(r, err)
		}
	}
	// The dimension's changes are news from the stream, fresher than the
	// table: the whole batch's outputs are computed with them, as of now.
	for _, h := range o.hints {
		if h.values == nil {
			o.table.Delete(h.key)
		} else if err := o.table.Put(h.key, h.values); err != nil {
			return nil, fmt.Errorf("join: %w", err) // never: the reader reads one value per column
		}
		o.counts.dimensionChanges++
	}
	o.plan(now)
	var results []lookup.Result
	if len(o.keys) > 0 {
		var err error
		if results, err = o.table.Get(ctx, o.keys); err != nil {
			return nil, fmt.Errorf("join: %w", err)
		}
	}
	for i := range o.ops {
		o.apply(&o.ops[i], &recs[o.ops[i].rec], results, now)
	}
	o.expire(now)
	return o.out, nil
}

// Tick forgets the keys past their time to live.
func (o *Operator) Tick(_ context.Context, now time.Time) ([]sdk.Record, error) {
	o.begin()
	o.expire(now.UnixMilli())
	return o.out, nil
}

// plan works out, op by op, the rows each key will have, against the state
// as it is and the ops before, without changing the state; and the lookup
// key of each output row to compute.
func (o *Operator) plan(now int64) {
	clear(o.overlay)
	clear(o.pending)
	o.pending = o.pending[:0]
	for i := range o.ops {
		op := &o.ops[i]
		ident := o.buf[op.ident.start:op.ident.end]
		// The partition and the key as read put them (pushIdent), not a
		// copy of them per key: o.buf does not change until the next
		// batch, and the overlay is cleared before then.
		okey := unsafe.String(&o.buf[op.ident.start-4], op.ident.end-op.ident.start+4)
		at, ok := o.overlay[okey]
		if !ok {
			at = int32(len(o.pending))
			var rows pendingRows
			if e := o.live(op.part, ident, now); e != nil {
				rows = pendingRows{e.left, e.right}
			}
			o.pending = append(o.pending, rows)
			o.overlay[okey] = at
		}
		cur := &o.pending[at]
		held := &cur.left
		if op.side == right {
			held = &cur.right
		}
		switch {
		case op.del && *held == nil:
			op.noop = true
		case op.del:
			*held = nil
			op.compute = true
		default:
			row := o.buf[op.row.start:op.row.end]
			op.unchanged = *held != nil && bytes.Equal(*held, row)
			*held = row
			// With a lookup, a repeated row is worked out again: the
			// dimension may have changed since.
			op.compute = !op.unchanged || o.table != nil
		}
		op.left, op.right = cur.left, cur.right
		if op.compute && o.table != nil && o.hasRow(op) {
			o.fill(op, nil)
			v, err := o.p.lookup.key.Eval(&o.work, &o.scratch)
			switch {
			case err != nil:
				op.err = fmt.Errorf("lookup.key: %w", err)
			case v.IsNull():
			case !keyText(v.Text()):
				// No row has it, and asking for it would fail the whole
				// query, the batch with it, and again at every replay:
				// one record would stop the join.
				op.lookupAt = noRow
			default:
				op.lookupAt = len(o.keys)
				// A copy: the text of a field points into the batch's
				// memory, which the next batch rewrites, and the cache
				// keeps the keys it is given.
				o.keys = append(o.keys, strings.Clone(v.Text()))
			}
		}
	}
	clear(o.overlay) // its keys point into o.buf, which the next batch rewrites
}

// live returns the entry of a key unless it is past its time to live,
// which makes it absent whether or not expire has swept it yet.
func (o *Operator) live(part int32, ident []byte, now int64) *entry {
	pt := o.state.Lookup(part)
	if pt == nil {
		return nil
	}
	e := pt.Rows[string(ident)]
	if e == nil || o.expiry.Expired(e.at, now) {
		return nil
	}
	return e
}

// keyText reports whether a lookup key can be the text of a key column:
// PostgreSQL text holds no NUL byte, nor, in a UTF-8 database (Hologres'
// only encoding), invalid UTF-8, and a query asking for such a key fails
// whole (invalid byte sequence, not retriable).
func keyText(s string) bool { return strings.IndexByte(s, 0) < 0 && utf8.ValidString(s) }

func (o *Operator) hasRow(op *op) bool {
	return op.left != nil && (op.right != nil || !o.p.inner)
}

// apply makes an op's planned change to the state and emits the change of
// its key's output row.
func (o *Operator) apply(op *op, r *sdk.Record, results []lookup.Result, now int64) {
	if op.noop {
		o.counts.unknownDelete++
		return
	}
	pt := o.state.Part(op.part)
	ident := o.buf[op.ident.start:op.ident.end]
	e := pt.Rows[string(ident)]
	if e != nil && o.expiry.Expired(e.at, now) {
		// As plan saw it: past its time to live, forgotten.
		pt.Delete(e.key)
		o.counts.expired++
		e = nil
	}
	if e == nil {
		k := string(ident)
		e = &entry{key: k}
		pt.Rows[k] = e // logged below if it changed
	}
	changed := false
	if op.unchanged {
		o.counts.unchanged++
	} else {
		// A fresh copy, never the old one rewritten: the plans of the
		// batch's later ops may point at it.
		if op.side == left {
			e.left = bytes.Clone(op.left)
		} else {
			e.right = bytes.Clone(op.right)
		}
		changed = true
	}
	if op.compute {
		has, err := o.compute(op, results)
		if err != nil {
			// The row versions are facts and stay; the output they make
			// cannot be worked out, so the key has none until a later
			// version makes one.
			o.counts.computeErrors++
			o.fault(r, err)
			has = false
		}
		if o.output(r, e, has) {
			changed = true
		}
	}
	if changed || o.p.ttl > 0 && e.at != now {
		e.at = now
		changed = true
	}
	if e.empty() {
		delete(pt.Rows, e.key)
	}
	if changed {
		pt.Touch(e.key)
	}
}

// fill puts an op's rows, and a lookup's result, into the working row,
// with the output fields null.
func (o *Operator) fill(op *op, res *lookup.Result) {
	f := o.work.Fields
	o.fillSide(f[:o.p.rightAt], op.left, left)
	o.fillSide(f[o.p.rightAt:o.p.lookupAt], op.right, right)
	lk := f[o.p.lookupAt:o.p.outAt]
	for i := range lk {
		lk[i].Value = value.Value{}
		if res != nil && res.Found {
			lk[i].Value = res.Values[i]
		}
	}
	for i := o.p.outAt; i < len(f); i++ {
		f[i].Value = value.Value{}
	}
}

func (o *Operator) fillSide(f []value.Field, row []byte, side int) {
	if row == nil {
		for i := range f {
			f[i].Value = value.Value{}
		}
		return
	}
	vals, err := stream.DecodeValueBytes(o.vals[:0], row)
	if err != nil || len(vals) != len(f) {
		panic(fmt.Sprintf("join: a %s row this operator stored does not decode: %v", sideNames[side], err))
	}
	o.vals = vals
	for i := range f {
		f[i].Value = vals[i]
	}
}

// compute works out the output row of an op's key into o.outRow and its
// key into o.outKey, and reports whether there is one.
func (o *Operator) compute(op *op, results []lookup.Result) (bool, error) {
	if !o.hasRow(op) {
		o.counts.waiting++
		return false, nil
	}
	if op.err != nil {
		return false, op.err
	}
	var res *lookup.Result
	switch {
	case op.lookupAt >= 0:
		res = &results[op.lookupAt]
		if res.Found {
			o.counts.lookupFound++
		} else {
			o.counts.lookupNotFound++
		}
	case op.lookupAt == noRow:
		o.counts.lookupNotFound++
	case o.table != nil:
		o.counts.lookupNullKey++
	}
	if op.right != nil {
		o.counts.joined++
	} else {
		o.counts.unmatched++
	}
	o.fill(op, res)
	outs := o.work.Fields[o.p.outAt:]
	for i, a := range o.p.assigns {
		v, err := a.Value.Eval(&o.work, &o.scratch)
		if err != nil {
			return false, fmt.Errorf("output field %s: %w", a.Field, err)
		}
		outs[o.p.assignOut[i]].Value = v
	}
	if o.p.where != nil && !o.p.where.Eval(&o.work) {
		o.counts.filtered++
		return false, nil
	}
	b := append(o.outRow[:0], '{')
	for i := range outs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, o.p.quoted[i]...)
		b = outs[i].Value.AppendJSON(b)
	}
	o.outRow = append(b, '}')
	o.outKey = o.appendOutKey(o.outKey[:0], outs, o.buf[op.ident.start:op.ident.end])
	return true, nil
}

// appendOutKey appends the key of an output row: the JSON array of its
// output.key.fields, or of the join key's values, or the Kafka key the
// join is by.
func (o *Operator) appendOutKey(dst []byte, outs []value.Field, ident []byte) []byte {
	if o.p.outKeyIdx == nil && !o.p.keyFields {
		return append(dst, ident...)
	}
	dst = append(dst, '[')
	if o.p.outKeyIdx != nil {
		for j, i := range o.p.outKeyIdx {
			if j > 0 {
				dst = append(dst, ',')
			}
			dst = outs[i].Value.AppendJSON(dst)
		}
		return append(dst, ']')
	}
	for j := 0; len(ident) > 0; j++ {
		v, rest, err := stream.DecodeKey(ident)
		if err != nil {
			panic(fmt.Sprintf("join: a key this operator encoded does not decode: %v", err))
		}
		ident = rest
		if j > 0 {
			dst = append(dst, ',')
		}
		dst = v.AppendJSON(dst)
	}
	return append(dst, ']')
}

// output emits the change from the key's last emitted row to the one just
// computed (o.outRow, or none when has is false) and keeps the new one; it
// reports whether anything changed.
func (o *Operator) output(r *sdk.Record, e *entry, has bool) bool {
	switch {
	case !has && e.out == nil:
		return false
	case !has:
		o.emit(r, 'd', e.out, nil, e.outKey)
		e.out, e.outKey = nil, nil
		o.counts.deleted++
		return true
	case e.out == nil:
		o.emit(r, 'c', nil, o.outRow, o.outKey)
		o.counts.inserted++
	case bytes.Equal(e.out, o.outRow) && bytes.Equal(e.outKey, o.outKey):
		o.counts.sameOutput++
		return false
	case bytes.Equal(e.outKey, o.outKey):
		o.emit(r, 'u', e.out, o.outRow, o.outKey)
		o.counts.updated++
	default:
		// The row moves to another group: each group's partition hears of
		// it under its own key.
		o.emit(r, 'd', e.out, nil, e.outKey)
		o.emit(r, 'c', nil, o.outRow, o.outKey)
		o.counts.split++
	}
	e.out = bytes.Clone(o.outRow)
	e.outKey = bytes.Clone(o.outKey)
	return true
}

// emit appends one change record; before and after are JSON rows or nil.
func (o *Operator) emit(r *sdk.Record, op byte, before, after, key []byte) {
	keyStart := len(o.arena)
	o.arena = append(o.arena, key...)
	valStart := len(o.arena)
	o.arena = append(o.arena, `{"op":"`...)
	o.arena = append(o.arena, op)
	o.arena = append(o.arena, `","before":`...)
	o.arena = appendRow(o.arena, before)
	o.arena = append(o.arena, `,"after":`...)
	o.arena = appendRow(o.arena, after)
	o.arena = append(o.arena, '}')
	// The arena may have moved while growing: slice it only now.
	o.out = append(o.out, sdk.Record{
		Key:       o.arena[keyStart:valStart:valStart],
		Value:     o.arena[valStart:len(o.arena):len(o.arena)],
		Timestamp: r.Timestamp,
	})
	o.counts.emitted++
}

func appendRow(dst, row []byte) []byte {
	if row == nil {
		return append(dst, "null"...)
	}
	return append(dst, row...)
}

func (o *Operator) fault(r *sdk.Record, err error) {
	bad := *r
	bad.Fault = err
	o.out = append(o.out, bad)
}

// expire forgets the keys whose last record is older than the time to
// live, without a retraction, when a sweep is due (stream.Expiry); a key
// past its time is treated as gone by Process whether or not it was swept.
func (o *Operator) expire(now int64) {
	o.counts.expired += o.state.Sweep(&o.expiry, now, func(e *entry) int64 { return e.at })
}

// Changes logs the keys stored, changed and forgotten since the last call.
func (o *Operator) Changes() []sdk.StateChange {
	if o.taken {
		o.changes.Reset()
	}
	o.taken = true
	o.state.Log(&o.changes, keyEntry, func(dst []byte, e *entry) []byte { return appendState(dst, o.p.print, e) })
	return o.changes.Take()
}

// Counts reports what became of the records and the output rows:
//
//   - joined, unmatched: output rows worked out with a right row, and
//     without one (a left join's null-padded rows); waiting: records after
//     which their key has no row to output, a side missing; filtered: rows
//     where rejected; compute_errors: rows whose values a function could
//     not take (the record is dead-lettered).
//   - unchanged: versions equal to the row held; unknown_delete: deletes
//     of a row not held; expired: keys forgotten by the time to live.
//   - inserted, updated, deleted, split (an update whose output key
//     changed, emitted as a delete and a create): changes of output rows;
//     same_output: rows worked out again equal to the one emitted (nothing
//     emitted); emitted: change records emitted.
//   - dimension_changes: records of lookup.topics put into the cache;
//     lookup_found, lookup_not_found: output rows whose lookup found a
//     dimension row or not; lookup_null_key: rows whose lookup key was
//     null; and the lookup table's counters (hits, misses, queries…) as
//     lookup_<name>, but for entries, a gauge and not a total.
func (o *Operator) Counts() map[string]int64 {
	c := &o.counts
	m := map[string]int64{
		"joined": c.joined, "unmatched": c.unmatched, "waiting": c.waiting, "filtered": c.filtered,
		"compute_errors": c.computeErrors, "unchanged": c.unchanged, "unknown_delete": c.unknownDelete,
		"expired": c.expired, "inserted": c.inserted, "updated": c.updated, "deleted": c.deleted,
		"split": c.split, "same_output": c.sameOutput, "emitted": c.emitted,
	}
	if o.table != nil {
		maps.Copy(m, map[string]int64{
			"dimension_changes": c.dimensionChanges, "lookup_found": c.lookupFound,
			"lookup_not_found": c.lookupNotFound, "lookup_null_key": c.lookupNullKey,
		})
		for k, v := range o.table.Counts() {
			if k == "entries" {
				// A gauge: the runtime reads a total that went down as a
				// restart and adds it all again.
				continue
			}
			m["lookup_"+k] = v
		}
	}
	return m
}
