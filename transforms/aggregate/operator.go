package aggregate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/transforms/agg"
	"github.com/tributarydata/tributary/transforms/latest/change"
	"github.com/tributarydata/tributary/transforms/stream"
	"github.com/tributarydata/tributary/transforms/timefmt"
	"github.com/tributarydata/tributary/transforms/value"
)

// keyGroup starts the changelog key of a group, followed by the group
// values as stream.AppendKey writes them; the value is the group's
// agg.Group state.
const keyGroup = 'g'

// Operator is one task's group aggregation over a changelog stream (an
// sdk.Stateful transform).
//
// State is kept per input partition index, as the runtime places it: the
// groups of the rows its partition brought, each an agg.Group. A record's
// before is retracted from its group and its after added to its own, all
// or nothing; at the end of the batch every group it changed is emitted
// once, or a tombstone when it was left with no rows.
type Operator struct {
	sdk.UnimplementedTransform
	p     *plan
	now   func() time.Time
	state stream.Keyed[*group]

	touched []*group // groups changed in the batch, in order of first change
	prev    []byte   // results of the touched groups before the batch

	before, after value.Row
	keyB, keyA    []byte
	res           value.Row
	resText       []byte
	outRow        value.Row
	out           []sdk.Record
	arena         []byte
	changes       stream.Changes
	taken         bool
	emitFmt       *timefmt.Writer

	added, retracted, filtered, emitted, emptied, unchanged, tombstones int64
}

// partition is the state of one input partition index: its groups.
type partition = stream.Part[*group]

type group struct {
	g    agg.Group
	key  string // the group values (stream.AppendKey), the map key
	part *partition
	// What the batch did to it: touched says it is in Operator.touched;
	// existed, that it had rows before the batch, and prev where its
	// results were then, in Operator.prev.
	touched       bool
	existed       bool
	prev, prevEnd int
	at            time.Time // the latest timestamp of the records that changed it
}

func (o *Operator) init(p *plan, now func() time.Time) {
	o.p, o.now = p, now
	o.emitFmt = timefmt.NewWriter(p.timeOut.Layout(), p.loc)
}

// Assign makes room for the task's partitions.
func (o *Operator) Assign(parts []sdk.TopicPartition) error {
	o.state.Assign(parts)
	return nil
}

// Restore loads one changelog entry.
func (o *Operator) Restore(index int32, key, val []byte) error {
	if len(key) == 0 || key[0] != keyGroup {
		return fmt.Errorf("unknown state key %q", key)
	}
	rest := key[1:]
	for range o.p.groupBy {
		var err error
		if _, rest, err = stream.DecodeKey(rest); err != nil {
			return fmt.Errorf("group key: %w", err)
		}
	}
	if len(rest) != 0 {
		return errors.New("group key of more values than group.by has fields: delete the state changelog topic to start afresh")
	}
	pt := o.state.Part(index)
	k := string(key[1:])
	if val == nil {
		delete(pt.Rows, k)
		return nil
	}
	g := &group{key: k, part: pt}
	if err := g.g.LoadState(o.p.set, val); err != nil {
		return fmt.Errorf("group state: %w", err)
	}
	if g.g.Rows() == 0 {
		delete(pt.Rows, k)
		return nil
	}
	pt.Rows[k] = g
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
	o.prev = o.prev[:0]
}

// Process aggregates a batch and emits the groups it changed.
func (o *Operator) Process(_ context.Context, recs []sdk.Record) ([]sdk.Record, error) {
	o.begin()
	for i := range recs {
		if err := o.record(&recs[i]); err != nil {
			return nil, err
		}
	}
	o.flush(o.now())
	return o.out, nil
}

// Tick has nothing to do: results change only with records.
func (o *Operator) Tick(context.Context, time.Time) ([]sdk.Record, error) {
	o.begin()
	return o.out, nil
}

// side is one row of a record, prepared: checked against where, with its
// group key.
type side struct {
	row *value.Row
	key *[]byte
	in  bool // present and meeting where
}

// record applies one input record. Bad input comes back as a fault; an
// error is a broken invariant, which fails the task (its restart restores
// the last commit).
func (o *Operator) record(r *sdk.Record) error {
	if r.Value == nil {
		// A CDC delete is followed by a tombstone of its key, which names
		// no row: the delete already retracted it.
		o.tombstones++
		return nil
	}
	o.before.Reset()
	o.after.Reset()
	c, err := o.p.reader.Read(r.Value, &o.before, &o.after)
	if err != nil {
		o.fault(r, err)
		return nil
	}
	hasBefore, hasAfter := c.HasBefore, c.HasAfter
	switch c.Op {
	case change.Create, change.Read:
		hasBefore = false // nothing to retract, whatever it says
	case change.Delete:
		hasAfter = false
	}
	switch {
	case (c.Op == change.Update || c.Op == change.Delete) && !c.HasBefore:
		o.fault(r, fmt.Errorf("a change event of op %s without before: the row it replaces cannot be retracted", c.Op))
		return nil
	case c.Op != change.Delete && !c.HasAfter:
		o.fault(r, fmt.Errorf("a change event of op %s without after has no row to add", c.Op))
		return nil
	}
	b := side{row: &o.before, key: &o.keyB}
	a := side{row: &o.after, key: &o.keyA}
	if hasBefore {
		o.prepare(&b)
	}
	if hasAfter {
		o.prepare(&a)
	}
	pt := o.state.Part(r.Partition)
	var gb *group
	if b.in {
		gb = pt.Rows[string(o.keyB)]
		if gb == nil {
			o.fault(r, fmt.Errorf("group %s: %w (no such group)", o.groupText(o.keyB), agg.ErrRetract))
			return nil
		}
		o.touch(gb, r, false)
		if err := gb.g.Add(o.p.set, &o.before, -1); err != nil {
			o.fault(r, fmt.Errorf("group %s: %w", o.groupText(o.keyB), err))
			return nil
		}
	}
	if a.in {
		ga := pt.Rows[string(o.keyA)]
		fresh := ga == nil
		if fresh {
			ga = &group{key: string(o.keyA), part: pt}
		} else {
			o.touch(ga, r, false)
		}
		if err := ga.g.Add(o.p.set, &o.after, 1); err != nil {
			if gb != nil {
				// All or nothing: put back what the record took out.
				if err := gb.g.Add(o.p.set, &o.before, 1); err != nil {
					return fmt.Errorf("aggregate: re-adding a row just retracted from group %s failed: %w", o.groupText(o.keyB), err)
				}
			}
			o.fault(r, fmt.Errorf("group %s: %w", o.groupText(o.keyA), err))
			return nil
		}
		if fresh {
			pt.Rows[ga.key] = ga // logged by flushGroup
			o.touch(ga, r, true)
		}
		o.added++
	}
	if gb != nil {
		o.retracted++
	}
	if hasBefore && !b.in {
		o.filtered++
	}
	if hasAfter && !a.in {
		o.filtered++
	}
	return nil
}

// prepare checks a row against where and works out its group key.
func (o *Operator) prepare(s *side) {
	row := s.row
	if o.p.where != nil && !o.p.where.Eval(row) {
		return
	}
	s.in = true
	k := (*s.key)[:0]
	for _, i := range o.p.groupIdx {
		k = stream.AppendKey(k, row.Fields[i].Value)
	}
	*s.key = k
}

// touch notes that the record r changes g, keeping g's results from before
// the batch the first time; a fresh group had none. It is called before
// the change, except for a fresh group, which has no rows before it.
func (o *Operator) touch(g *group, r *sdk.Record, fresh bool) {
	if r.Timestamp.After(g.at) {
		g.at = r.Timestamp
	}
	if g.touched {
		return
	}
	g.touched = true
	g.existed = !fresh && g.g.Rows() > 0
	g.prev = len(o.prev)
	if g.existed {
		o.res.Reset()
		g.g.AppendResults(o.p.set, &o.res)
		o.prev = o.res.AppendJSON(o.prev)
	}
	g.prevEnd = len(o.prev)
	o.touched = append(o.touched, g)
}

// flush emits each group the batch changed: its new results, or its
// deletion when it has no rows left; a group whose results came out as
// they were emits nothing.
func (o *Operator) flush(now time.Time) {
	for _, g := range o.touched {
		o.flushGroup(g, now)
		g.touched, g.at = false, time.Time{}
	}
	clear(o.touched)
	o.touched = o.touched[:0]
}

func (o *Operator) flushGroup(g *group, now time.Time) {
	pt := g.part
	pt.Touch(g.key)
	if g.g.Rows() == 0 {
		delete(pt.Rows, g.key)
		if g.existed {
			o.emit(g, nil, now)
			o.emptied++
		}
		return
	}
	o.res.Reset()
	g.g.AppendResults(o.p.set, &o.res)
	o.resText = o.res.AppendJSON(o.resText[:0])
	if g.existed && bytes.Equal(o.resText, o.prev[g.prev:g.prevEnd]) {
		o.unchanged++
		return
	}
	o.emit(g, &o.res, now)
	o.emitted++
}

// emit appends the result of a group, or its deletion when res is nil.
func (o *Operator) emit(g *group, res *value.Row, now time.Time) {
	row := &o.outRow
	row.Reset()
	rest := []byte(g.key)
	for _, name := range o.p.groupBy {
		v, tail, err := stream.DecodeKey(rest)
		if err != nil {
			panic(fmt.Sprintf("aggregate: a group key this operator encoded does not decode: %v", err))
		}
		rest = tail
		row.Append(name, v)
	}
	keyStart := len(o.arena)
	o.arena = append(o.arena, '[')
	for i := range row.Fields {
		if i > 0 {
			o.arena = append(o.arena, ',')
		}
		o.arena = row.Fields[i].Value.AppendJSON(o.arena)
	}
	o.arena = append(o.arena, ']')
	valStart := len(o.arena)
	row.Fields = append(row.Fields, o.p.constants...)
	if res == nil {
		// A group left empty is deleted as Debezium deletes a row: a
		// change event whose before names the row (its group values and
		// constants, the primary key of the result table), which a sink
		// keyed by the record's value can delete, then a tombstone of the
		// key, which compacts the topic and serves sinks keyed by the
		// record's key.
		o.arena = append(o.arena, `{"op":"d","before":`...)
		o.arena = row.AppendJSON(o.arena)
		o.arena = append(o.arena, `,"after":null}`...)
		end := len(o.arena)
		o.out = append(o.out,
			sdk.Record{Key: o.arena[keyStart:valStart:valStart], Value: o.arena[valStart:end:end], Timestamp: g.at},
			sdk.Record{Key: o.arena[keyStart:valStart:valStart], Timestamp: g.at})
		return
	}
	row.Fields = append(row.Fields, res.Fields...)
	if o.p.cfg.EmitField != "" {
		row.Append(o.p.cfg.EmitField, o.p.timeOut.Value(now, o.emitFmt))
	}
	o.arena = row.AppendJSON(o.arena)
	end := len(o.arena)
	// The arena may have moved while growing: slice it only now.
	o.out = append(o.out, sdk.Record{Key: o.arena[keyStart:valStart:valStart], Value: o.arena[valStart:end:end], Timestamp: g.at})
}

// groupText writes group values for a message: their JSON array.
func (o *Operator) groupText(key []byte) string {
	var b []byte
	b = append(b, '[')
	for i := range o.p.groupBy {
		v, rest, err := stream.DecodeKey(key)
		if err != nil {
			break
		}
		key = rest
		if i > 0 {
			b = append(b, ',')
		}
		b = v.AppendJSON(b)
	}
	return string(append(b, ']'))
}

func (o *Operator) fault(r *sdk.Record, err error) {
	bad := *r
	bad.Fault = err
	o.out = append(o.out, bad)
}

// Changes logs the groups changed since the last call, and deletes those
// left empty.
func (o *Operator) Changes() []sdk.StateChange {
	if o.taken {
		o.changes.Reset()
	}
	o.taken = true
	o.state.Log(&o.changes, keyGroup, func(dst []byte, g *group) []byte { return g.g.AppendState(o.p.set, dst) })
	return o.changes.Take()
}

// Counts reports the rows added to groups and retracted from them, the
// rows where left out, the results emitted, the tombstones of groups left
// empty, the changed groups whose results came out as they were (not
// emitted), and the input tombstones passed over.
func (o *Operator) Counts() map[string]int64 {
	return map[string]int64{
		"added": o.added, "retracted": o.retracted, "filtered": o.filtered, "emitted": o.emitted,
		"emptied": o.emptied, "unchanged": o.unchanged, "tombstones": o.tombstones,
	}
}
