package latest

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/transforms/latest/change"
	"github.com/tributarydata/tributary/transforms/stream"
	"github.com/tributarydata/tributary/transforms/value"
)

// Changelog entries: the key is keyRow and the row's identity, the value
// stateVersion, the fingerprint of the field list (4 bytes, little-endian),
// the wall-clock ms of its last version (varint), then the stored row.
const (
	keyRow       = 'r'
	stateVersion = 1
)

// Operator is one task's latest-value-per-key state (an sdk.Stateful
// transform).
//
// State is kept per input partition index, as the runtime places it: the
// identity of each row (its key fields, or its Kafka key) to the row last
// seen. Every record is compared with the row it replaces, and the change
// is emitted at once; a batch's outputs depend only on the state and the
// records, so a replay after a crash emits what an uninterrupted run does.
type Operator struct {
	sdk.UnimplementedTransform
	p      *plan
	now    func() time.Time
	state  stream.Keyed[entry]
	expiry stream.Expiry // state.ttl.ms

	row     value.Row // the new version
	before  value.Row // an envelope's before
	ident   []byte
	enc     []byte
	vals    []value.Value
	oldKey  []byte
	newKey  []byte
	out     []sdk.Record
	arena   []byte
	changes stream.Changes
	taken   bool

	inserted, updated, deleted, split, unchanged, unknownDelete, expired, emitted int64
}

// partition is the state of one input partition index.
type partition = stream.Part[entry]

// entry is a stored row.
type entry struct {
	key string // the identity, the map key
	// row is the kept fields, in the order of the fields key, as
	// stream.AppendValues writes them: kinds round-trip, so the row emitted
	// as before is the row that came as after, 5 and '5' alike.
	row []byte
	at  int64 // wall-clock ms of the last version
}

func (o *Operator) init(p *plan, now func() time.Time) {
	o.p, o.now = p, now
	o.expiry = stream.Expiry{TTL: p.ttl}
	o.vals = make([]value.Value, 0, len(p.names))
}

// Assign makes room for the task's partitions.
func (o *Operator) Assign(parts []sdk.TopicPartition) error {
	o.state.Assign(parts)
	return nil
}

// Restore loads one changelog entry.
func (o *Operator) Restore(index int32, key, val []byte) error {
	if len(key) < 2 || key[0] != keyRow {
		return fmt.Errorf("unknown state key %q", key)
	}
	pt := o.state.Part(index)
	ident := key[1:]
	if val == nil {
		delete(pt.Rows, string(ident))
		return nil
	}
	if len(val) < 5 || val[0] != stateVersion {
		return errors.New("stored row: bad version or truncated")
	}
	if binary.LittleEndian.Uint32(val[1:5]) != o.p.print {
		return errors.New("stored row written for another list of fields or key.fields (names or types differ): delete the state changelog topic to start afresh")
	}
	at, n := binary.Varint(val[5:])
	if n <= 0 {
		return errors.New("stored row: bad time")
	}
	row := val[5+n:]
	vals, err := stream.DecodeValueBytes(o.vals[:0], row)
	if err == nil && len(vals) != len(o.p.names) {
		err = fmt.Errorf("%d fields, want %d", len(vals), len(o.p.names))
	}
	for i := 0; err == nil && i < len(vals); i++ {
		if raw, ok := vals[i].Raw(); ok && !json.Valid([]byte(raw)) {
			err = fmt.Errorf("field %s is not valid JSON", o.p.names[i])
		}
	}
	if err != nil {
		return fmt.Errorf("stored row: %w", err)
	}
	k := string(ident)
	pt.Rows[k] = entry{key: k, row: bytes.Clone(row), at: at}
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
}

// Process applies a batch of row versions.
func (o *Operator) Process(_ context.Context, recs []sdk.Record) ([]sdk.Record, error) {
	o.begin()
	now := o.now().UnixMilli()
	o.expire(now)
	for i := range recs {
		o.record(&recs[i], now)
	}
	return o.out, nil
}

// Tick forgets the keys past their time to live.
func (o *Operator) Tick(_ context.Context, now time.Time) ([]sdk.Record, error) {
	o.begin()
	o.expire(now.UnixMilli())
	return o.out, nil
}

func (o *Operator) record(r *sdk.Record, now int64) {
	pt := o.state.Part(r.Partition)
	o.row.Reset()
	o.before.Reset()
	if r.Value == nil {
		if err := o.tombstoneIdentity(r); err != nil {
			o.fault(r, err)
			return
		}
		o.delete(r, pt)
		return
	}
	c, err := o.p.reader.Read(r.Value, &o.before, &o.row)
	if err != nil {
		o.fault(r, err)
		return
	}
	if c.Op == change.Delete {
		switch {
		case o.p.keyIdx == nil:
			err = o.recordKey(r)
		case !c.HasBefore:
			err = errors.New("a delete event without before names no row")
		default:
			err = o.identity(&o.before)
		}
		if err != nil {
			o.fault(r, err)
			return
		}
		o.delete(r, pt)
		return
	}
	if !c.HasAfter {
		o.fault(r, fmt.Errorf("a change event of op %s without after has no row", c.Op))
		return
	}
	if o.p.keyIdx == nil {
		err = o.recordKey(r)
	} else {
		err = o.identity(&o.row)
	}
	if err != nil {
		o.fault(r, err)
		return
	}
	o.upsert(r, pt, now)
}

// identity sets o.ident to the key fields of row.
func (o *Operator) identity(row *value.Row) error {
	o.ident = o.ident[:0]
	for _, i := range o.p.keyIdx {
		v := row.Fields[i].Value
		if v.IsNull() {
			return fmt.Errorf("key field %s is null or missing", o.p.names[i])
		}
		o.ident = stream.AppendKey(o.ident, v)
	}
	return nil
}

// recordKey sets o.ident to the record's Kafka key.
func (o *Operator) recordKey(r *sdk.Record) error {
	if len(r.Key) == 0 {
		return errors.New("the record has no key to identify its row by (set key.fields to read it from the row)")
	}
	o.ident = append(o.ident[:0], r.Key...)
	return nil
}

// tombstoneIdentity reads the identity a tombstone deletes from its key.
func (o *Operator) tombstoneIdentity(r *sdk.Record) error {
	if o.p.keyIdx == nil {
		return o.recordKey(r)
	}
	if len(r.Key) == 0 {
		return errors.New("a tombstone without a key names no row")
	}
	// The key fields, in key.fields order, are what identity reads.
	if err := o.p.keyReader.Extract(r.Key, &o.row); err != nil {
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

// upsert stores the row in o.row as the latest version of o.ident and
// emits the change.
func (o *Operator) upsert(r *sdk.Record, pt *partition, now int64) {
	o.enc = stream.AppendValues(o.enc[:0], &o.row)
	e, ok := pt.Rows[string(o.ident)]
	if !ok {
		k := string(o.ident)
		pt.Put(k, entry{key: k, row: bytes.Clone(o.enc), at: now})
		o.newKey = o.outKey(o.newKey[:0], o.enc)
		o.emit(r, change.Create, nil, o.enc, o.newKey)
		o.inserted++
		return
	}
	if bytes.Equal(e.row, o.enc) {
		o.unchanged++
		if o.p.ttl > 0 && e.at != now {
			// Still the latest version: it lives on.
			e.at = now
			pt.Put(e.key, e)
		}
		return
	}
	o.oldKey = o.outKey(o.oldKey[:0], e.row)
	o.newKey = o.outKey(o.newKey[:0], o.enc)
	if bytes.Equal(o.oldKey, o.newKey) {
		o.emit(r, change.Update, e.row, o.enc, o.newKey)
		o.updated++
	} else {
		// The row moves to another group: each group's partition hears of
		// it under its own key.
		o.emit(r, change.Delete, e.row, nil, o.oldKey)
		o.emit(r, change.Create, nil, o.enc, o.newKey)
		o.split++
	}
	e.row = append(e.row[:0], o.enc...)
	e.at = now
	pt.Put(e.key, e)
}

// delete forgets o.ident and emits the retraction of its row.
func (o *Operator) delete(r *sdk.Record, pt *partition) {
	e, ok := pt.Rows[string(o.ident)]
	if !ok {
		o.unknownDelete++
		return
	}
	o.oldKey = o.outKey(o.oldKey[:0], e.row)
	o.emit(r, change.Delete, e.row, nil, o.oldKey)
	pt.Delete(e.key)
	o.deleted++
}

// outKey appends the output key of a stored row: the JSON array of its
// output key fields, or the identity.
func (o *Operator) outKey(dst, row []byte) []byte {
	if o.p.outIdx == nil {
		return append(dst, o.ident...)
	}
	vals := o.decode(row)
	dst = append(dst, '[')
	for j, i := range o.p.outIdx {
		if j > 0 {
			dst = append(dst, ',')
		}
		dst = vals[i].AppendJSON(dst)
	}
	return append(dst, ']')
}

func (o *Operator) decode(row []byte) []value.Value {
	vals, err := stream.DecodeValueBytes(o.vals[:0], row)
	if err != nil || len(vals) != len(o.p.names) {
		panic(fmt.Sprintf("latest: a row this operator stored does not decode: %v", err))
	}
	o.vals = vals
	return vals
}

// emit appends one change record.
func (o *Operator) emit(r *sdk.Record, op change.Op, before, after, key []byte) {
	keyStart := len(o.arena)
	o.arena = append(o.arena, key...)
	valStart := len(o.arena)
	o.arena = append(o.arena, `{"op":"`...)
	o.arena = append(o.arena, byte(op))
	o.arena = append(o.arena, `","before":`...)
	o.arena = o.appendRow(o.arena, before)
	o.arena = append(o.arena, `,"after":`...)
	o.arena = o.appendRow(o.arena, after)
	o.arena = append(o.arena, '}')
	// The arena may have moved while growing: slice it only now.
	o.out = append(o.out, sdk.Record{
		Key:       o.arena[keyStart:valStart:valStart],
		Value:     o.arena[valStart:len(o.arena):len(o.arena)],
		Timestamp: r.Timestamp,
	})
	o.emitted++
}

// appendRow appends a stored row as a JSON object, or null.
func (o *Operator) appendRow(dst, row []byte) []byte {
	if row == nil {
		return append(dst, "null"...)
	}
	vals := o.decode(row)
	dst = append(dst, '{')
	for i := range vals {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, o.p.quoted[i]...)
		dst = vals[i].AppendJSON(dst)
	}
	return append(dst, '}')
}

func (o *Operator) fault(r *sdk.Record, err error) {
	bad := *r
	bad.Fault = err
	o.out = append(o.out, bad)
}

// expire forgets the rows whose last version is older than the time to
// live, without a retraction, when a sweep is due (stream.Expiry).
func (o *Operator) expire(now int64) {
	o.expired += o.state.Sweep(&o.expiry, now, func(e entry) int64 { return e.at })
}

// Changes logs the rows stored, refreshed and forgotten since the last
// call.
func (o *Operator) Changes() []sdk.StateChange {
	if o.taken {
		o.changes.Reset()
	}
	o.taken = true
	o.state.Log(&o.changes, keyRow, func(dst []byte, e entry) []byte {
		dst = append(dst, stateVersion)
		dst = binary.LittleEndian.AppendUint32(dst, o.p.print)
		dst = binary.AppendVarint(dst, e.at)
		return append(dst, e.row...)
	})
	return o.changes.Take()
}

// Counts reports what became of the records: rows inserted, updated (and
// of those, split into a delete and a create because their output key
// changed), deleted, versions equal to the stored row, deletes of keys not
// stored, keys forgotten by the time to live, and records emitted.
func (o *Operator) Counts() map[string]int64 {
	return map[string]int64{
		"inserted": o.inserted, "updated": o.updated, "split": o.split, "deleted": o.deleted,
		"unchanged": o.unchanged, "unknown_delete": o.unknownDelete, "expired": o.expired, "emitted": o.emitted,
	}
}
