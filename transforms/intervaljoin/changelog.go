package intervaljoin

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/transforms/stream"
)

// Changelog keys. An entry's key is its side, event time and seq (8 bytes
// each, big-endian) and then its join key, so a tombstone finds the entry
// without a value; its value is stateVersion, a flags byte (flagMatched),
// the wall-clock ms it was stored (varint), the time of its best match
// (varint, when matched), then the kept fields.
const (
	keyLeft    = 'l'
	keyRight   = 'r'
	keyMaxTime = 'm' // + topic: a partition's largest event time
	keyHorizon = 'h' // the watermark last acted on
	keySchema  = 's'

	stateVersion = 1
	entryKeyLen  = 17 // side, time, seq; the join key follows
)

// maxWatermark bounds a restored watermark or horizon: event times are at
// most maxEventTime, and the out-of-orderness and lateness subtracted from
// them at most as many ms as a Duration holds. A value outside is corrupt,
// and would overflow the arithmetic on it.
const maxWatermark = maxEventTime + math.MaxInt64/int64(time.Millisecond)

func entryKey(dst []byte, s int, t int64, seq uint64, key string) []byte {
	kind := byte(keyLeft)
	if s == sideRight {
		kind = keyRight
	}
	dst = append(dst, kind)
	dst = binary.BigEndian.AppendUint64(dst, uint64(t))
	dst = binary.BigEndian.AppendUint64(dst, seq)
	return append(dst, key...)
}

func entryValue(dst []byte, e *entry) []byte {
	dst = append(dst, stateVersion, e.flags&flagMatched)
	dst = binary.AppendVarint(dst, e.at)
	if e.flags&flagMatched != 0 {
		dst = binary.AppendVarint(dst, e.best)
	}
	return append(dst, e.vals...)
}

// Restore loads one changelog entry.
func (o *Operator) Restore(index int32, key, val []byte) error {
	if len(key) == 0 {
		return errors.New("empty state key")
	}
	pt := o.partition(index)
	o.restoring = true
	switch key[0] {
	case keyLeft, keyRight:
		return o.restoreEntry(pt, key, val)
	case keyMaxTime:
		if val == nil {
			return nil
		}
		t, err := varint(val, "largest event time")
		if err != nil {
			return err
		}
		// Of a topic no longer read (the config changed) it would join the
		// minimum the watermark is and, never idle with idle.timeout.ms 0,
		// hold it there for good.
		if tp := (sdk.TopicPartition{Topic: string(key[1:]), Partition: index}); o.assigned[tp] {
			o.wm.Restore(tp, t)
		}
	case keyHorizon:
		if val == nil {
			return nil
		}
		t, err := varint(val, "watermark")
		if err != nil {
			return err
		}
		pt.horizon = max(pt.horizon, t)
	case keySchema:
		if val != nil && string(val) != o.p.schema {
			return fmt.Errorf("the state was written by an interval join of another shape (%s, now %s): give the connector a new state.changelog.topic, or a new name, to start afresh", val, o.p.schema)
		}
		pt.schemaOK = val != nil
	default:
		return fmt.Errorf("unknown state key kind %q", key[0])
	}
	return nil
}

func varint(b []byte, what string) (int64, error) {
	t, n := binary.Varint(b)
	if n <= 0 || n != len(b) || t > maxWatermark || t < -maxWatermark {
		return 0, fmt.Errorf("bad %s in state", what)
	}
	return t, nil
}

func (o *Operator) restoreEntry(pt *partition, key, val []byte) error {
	if len(key) < entryKeyLen {
		return errors.New("short entry key")
	}
	s := sideLeft
	if key[0] == keyRight {
		s = sideRight
	}
	t := int64(binary.BigEndian.Uint64(key[1:9]))
	seq := binary.BigEndian.Uint64(key[9:17])
	joinKey := key[entryKeyLen:]
	if _, err := checkTime(t); err != nil {
		return fmt.Errorf("entry: %w", err)
	}
	if err := o.checkJoinKey(joinKey); err != nil {
		return err
	}
	if val == nil {
		if ks := pt.keys[string(joinKey)]; ks != nil {
			l := ks.list(s)
			if i := find(*l, t, seq); i >= 0 {
				*l = slices.Delete(*l, i, i+1)
			}
			pt.forget(ks)
		}
		return nil
	}
	e := entry{t: t, seq: seq, flags: flagLogged}
	if len(val) < 2 || val[0] != stateVersion || val[1]&^flagMatched != 0 {
		return errors.New("stored entry: bad version or flags")
	}
	rest := val[2:]
	var n int
	if e.at, n = binary.Varint(rest); n <= 0 {
		return errors.New("stored entry: bad time stored")
	}
	rest = rest[n:]
	if val[1]&flagMatched != 0 {
		if s == sideLeft {
			return errors.New("stored entry: a left entry marked matched")
		}
		if e.best, n = binary.Varint(rest); n <= 0 {
			return errors.New("stored entry: bad match time")
		}
		if _, err := checkTime(e.best); err != nil {
			return fmt.Errorf("stored entry: match %w", err)
		}
		rest = rest[n:]
		e.flags |= flagMatched
	}
	e.vals = string(rest)
	sd := &o.p.left
	if s == sideRight {
		sd = &o.p.right
	}
	vals, err := stream.DecodeValues(o.dec[:0], e.vals)
	if err == nil && len(vals) != len(sd.kept) {
		err = fmt.Errorf("%d fields, want %d", len(vals), len(sd.kept))
	}
	for i := 0; err == nil && i < len(vals); i++ {
		// They are written into outputs as they are.
		if raw, ok := vals[i].Raw(); ok && !json.Valid([]byte(raw)) {
			err = fmt.Errorf("field %s is not valid JSON", sd.qualified[i])
		}
	}
	if err != nil {
		return fmt.Errorf("stored entry: %w", err)
	}
	ks := pt.key(joinKey)
	l := ks.list(s)
	if i := search(*l, t, seq); i < len(*l) && (*l)[i].t == t && (*l)[i].seq == seq {
		(*l)[i] = e
	} else {
		*l = slices.Insert(*l, i, e)
	}
	pt.seq = max(pt.seq, seq+1)
	return nil
}

// checkJoinKey makes sure a restored join key holds one value per key
// field, as the join key of a record would.
func (o *Operator) checkJoinKey(b []byte) error {
	for range o.p.left.keyIdx {
		var err error
		if _, b, err = stream.DecodeKey(b); err != nil {
			return fmt.Errorf("join key: %w", err)
		}
	}
	if len(b) != 0 {
		return errors.New("join key holds more values than left.key names")
	}
	return nil
}

// restored finishes a restore: every key is queued for eviction, and what
// the restored watermark leaves no record to join is dropped (nothing,
// unless the interval or the lateness was narrowed since).
func (o *Operator) restored() {
	o.restoring = false
	for _, pt := range o.parts {
		for _, ks := range pt.keys {
			ks.queued = false
			pt.schedule(o.p, ks)
		}
		if pt.horizon != stream.NoTime {
			pt.evict(o.p, pt.horizon-o.p.late, o.evicted)
		}
	}
}

// Changes logs the entries stored, changed and dropped, the largest event
// times and the horizons that moved.
func (o *Operator) Changes() []sdk.StateChange {
	if o.taken {
		o.changes.Reset()
	}
	o.taken = true
	for _, pt := range o.parts {
		// The shape first, so a restore meets it before any entry.
		if !pt.schemaOK {
			pt.schemaOK = true
			o.changes.Put(pt.index, []byte{keySchema}, []byte(o.p.schema))
		}
		for _, k := range pt.tombstones {
			o.stateK = entryKey(o.stateK[:0], k.side, k.t, k.seq, k.key)
			o.changes.Delete(pt.index, o.stateK)
		}
		clear(pt.tombstones)
		pt.tombstones = pt.tombstones[:0]
		for _, rf := range pt.dirty {
			l := *rf.ks.list(rf.side)
			i := find(l, rf.t, rf.seq)
			if i < 0 {
				continue // dropped before it was logged
			}
			e := &l[i]
			if e.flags&flagDirty == 0 {
				continue
			}
			e.flags = e.flags&^flagDirty | flagLogged
			o.stateK = entryKey(o.stateK[:0], rf.side, e.t, e.seq, rf.ks.key)
			o.stateV = entryValue(o.stateV[:0], e)
			o.changes.Put(pt.index, o.stateK, o.stateV)
		}
		clear(pt.dirty)
		pt.dirty = pt.dirty[:0]
		for topic := range pt.maxDirty {
			o.stateK = append(append(o.stateK[:0], keyMaxTime), topic...)
			o.stateV = binary.AppendVarint(o.stateV[:0], o.wm.Max(sdk.TopicPartition{Topic: topic, Partition: pt.index}))
			o.changes.Put(pt.index, o.stateK, o.stateV)
			delete(pt.maxDirty, topic)
		}
		if pt.horizonSet {
			pt.horizonSet = false
			o.changes.Put(pt.index, []byte{keyHorizon}, binary.AppendVarint(o.stateV[:0], pt.horizon))
		}
	}
	return o.changes.Take()
}
