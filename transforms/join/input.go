package join

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/transforms/latest/change"
	"github.com/tributarydata/tributary/transforms/stream"
	"github.com/tributarydata/tributary/transforms/value"
)

// op is one record of a side, read: which key it is about, and its new row
// or its delete. Process plans the ops of a batch before it changes any
// state (see Operator.Process).
type op struct {
	rec   int // index of the record in the batch
	side  int
	part  int32
	del   bool
	ident span // the join key, in Operator.buf behind its partition (pushIdent)
	row   span // the new row's encoding, in Operator.buf; empty for a delete

	// What planning found: the key's rows after the op (nil: none), and
	// what to do.
	left, right []byte
	noop        bool // a delete of a row not there: nothing changes
	unchanged   bool // the row is the one held
	compute     bool // work the output out again
	lookupAt    int  // index of its lookup key in Operator.keys; -1: none (null); noRow
	err         error
}

// noRow is op.lookupAt of a lookup key no row can have: it finds no row
// without a query.
const noRow = -2

// span is a part of Operator.buf, which may move while it grows.
type span struct{ start, end int }

// hint is a record of lookup.topics: a row for the cache, or a delete.
type hint struct {
	key    string
	values []value.Value // nil: a delete
}

// read reads one record of a side into an op appended to o.ops; bad input
// comes back as an error for Record.Fault.
func (o *Operator) read(r *sdk.Record, i, side int) error {
	sp := o.p.sides[side]
	o.row.Reset()
	o.before.Reset()
	op := op{rec: i, side: side, part: r.Partition, lookupAt: -1}
	if r.Value == nil {
		if err := o.tombstoneIdentity(sp, r); err != nil {
			return err
		}
		op.del = true
		op.ident = o.pushIdent(op.part)
		o.ops = append(o.ops, op)
		return nil
	}
	c, err := sp.reader.Read(r.Value, &o.before, &o.row)
	if err != nil {
		return err
	}
	switch {
	case c.Op == change.Delete:
		switch {
		case sp.keyIdx == nil:
			err = recordKey(&o.ident, r)
		case !c.HasBefore:
			err = errors.New("a delete event without before names no row")
		default:
			err = o.identity(sp, &o.before)
		}
		op.del = true
	case !c.HasAfter:
		err = fmt.Errorf("a change event of op %s without after has no row", c.Op)
	case sp.keyIdx == nil:
		err = recordKey(&o.ident, r)
	default:
		err = o.identity(sp, &o.row)
	}
	if err != nil {
		return err
	}
	op.ident = o.pushIdent(op.part)
	if !op.del {
		start := len(o.buf)
		o.buf = stream.AppendValues(o.buf, &o.row)
		op.row = span{start, len(o.buf)}
	}
	o.ops = append(o.ops, op)
	return nil
}

// pushIdent appends o.ident to o.buf and returns its span, right behind
// the partition index (4 bytes, big-endian), so that the two, a key of the
// task's state, are one string of the batch's memory for plan.
func (o *Operator) pushIdent(part int32) span {
	o.buf = binary.BigEndian.AppendUint32(o.buf, uint32(part))
	start := len(o.buf)
	o.buf = append(o.buf, o.ident...)
	return span{start, len(o.buf)}
}

// identity sets o.ident to the key fields of a side's row.
func (o *Operator) identity(sp *sidePlan, row *value.Row) error {
	o.ident = o.ident[:0]
	for _, i := range sp.keyIdx {
		v := row.Fields[i].Value
		if v.IsNull() {
			return fmt.Errorf("key field %s is null or missing", sp.names[i])
		}
		o.ident = stream.AppendKey(o.ident, v)
	}
	return nil
}

// recordKey sets *ident to the record's Kafka key.
func recordKey(ident *[]byte, r *sdk.Record) error {
	if len(r.Key) == 0 {
		return errors.New("the record has no key to join it by (set left.key.fields and right.key.fields to read it from the row)")
	}
	*ident = append((*ident)[:0], r.Key...)
	return nil
}

// tombstoneIdentity reads the key a tombstone deletes from its Kafka key.
func (o *Operator) tombstoneIdentity(sp *sidePlan, r *sdk.Record) error {
	if sp.keyIdx == nil {
		return recordKey(&o.ident, r)
	}
	if len(r.Key) == 0 {
		return errors.New("a tombstone without a key names no row")
	}
	// The key fields, in key.fields order, are what identity reads.
	if err := sp.keyReader.Extract(r.Key, &o.row); err != nil {
		return fmt.Errorf("tombstone key: %w", err)
	}
	o.ident = o.ident[:0]
	for i := range o.row.Fields {
		v := o.row.Fields[i].Value
		if v.IsNull() {
			return fmt.Errorf("tombstone key: key field %s is null or missing", o.row.Fields[i].Name)
		}
		o.ident = stream.AppendKey(o.ident, v)
	}
	return nil
}

// readHint reads a record of lookup.topics into a hint appended to
// o.hints: a plain row or an envelope's after is the dimension row of its
// key, a delete event or a tombstone deletes it.
func (o *Operator) readHint(r *sdk.Record) error {
	h, err := o.p.lookup.read(r, &o.before, &o.row)
	if err != nil {
		return err
	}
	o.hints = append(o.hints, h)
	return nil
}

// read reads a dimension record. The values are copied out of the record,
// the scratch rows reset.
func (lp *lookupPlan) read(r *sdk.Record, before, after *value.Row) (hint, error) {
	before.Reset()
	after.Reset()
	if r.Value == nil {
		if len(r.Key) == 0 {
			return hint{}, errors.New("a tombstone without a key names no dimension row")
		}
		return hint{key: string(r.Key)}, nil
	}
	c, err := lp.reader.Read(r.Value, before, after)
	if err != nil {
		return hint{}, err
	}
	row := after
	switch {
	case c.Op == change.Delete:
		row = before
		if !c.HasBefore && lp.keyed {
			return hint{}, errors.New("a delete event without before names no dimension row")
		}
	case !c.HasAfter:
		return hint{}, fmt.Errorf("a change event of op %s without after has no row", c.Op)
	}
	var key string
	if lp.keyed {
		v := row.Fields[len(lp.columns)].Value
		if v.IsNull() {
			return hint{}, fmt.Errorf("key field %s is null or missing", row.Fields[len(lp.columns)].Name)
		}
		key = strings.Clone(v.Text())
	} else {
		if len(r.Key) == 0 {
			return hint{}, errors.New("the record has no key to name its dimension row by (set lookup.topic.key.field to read it from the row)")
		}
		key = string(r.Key)
	}
	h := hint{key: key}
	if c.Op != change.Delete {
		// Copied: the values point into the record, which the runtime
		// reuses, and the cache keeps them.
		h.values = make([]value.Value, len(lp.columns))
		for i := range lp.columns {
			h.values[i] = detach(row.Fields[i].Value)
		}
	}
	return h, nil
}

// detach copies the text a value points at.
func detach(v value.Value) value.Value {
	switch v.Kind() {
	case value.String:
		s, _ := v.Str()
		return value.OfString(string([]byte(s)))
	case value.Number:
		s, _ := v.Raw()
		return value.OfNumber(string([]byte(s)))
	case value.JSON:
		s, _ := v.Raw()
		return value.OfJSON(string([]byte(s)))
	}
	return v
}
