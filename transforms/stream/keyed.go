package stream

import (
	"math"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// Keyed is the keyed state of a stateful operator (latest, join,
// aggregate), by input partition index: the entries of each key, and the
// keys whose state changed since it was last logged, so that Changes logs
// each changed key once, however often a batch touched it.
type Keyed[E any] struct {
	parts    map[int32]*Part[E]
	key, val []byte // scratch of Log
}

// Part is the state of one input partition index. Restore writes Rows
// directly (what it loads is logged already); every other change goes
// through Put, Delete or Touch, which mark the key for the changelog.
type Part[E any] struct {
	Index int32
	Rows  map[string]E
	dirty map[string]struct{}
}

// Part returns the state of partition index i, making it when missing.
func (k *Keyed[E]) Part(i int32) *Part[E] {
	p := k.parts[i]
	if p == nil {
		if k.parts == nil {
			k.parts = map[int32]*Part[E]{}
		}
		p = &Part[E]{Index: i, Rows: map[string]E{}, dirty: map[string]struct{}{}}
		k.parts[i] = p
	}
	return p
}

// Lookup returns the state of partition index i, nil when it has none.
func (k *Keyed[E]) Lookup(i int32) *Part[E] { return k.parts[i] }

// Parts returns every partition's state by index, for reading.
func (k *Keyed[E]) Parts() map[int32]*Part[E] { return k.parts }

// Assign makes room for the partitions a task reads.
func (k *Keyed[E]) Assign(parts []sdk.TopicPartition) {
	for _, tp := range parts {
		k.Part(tp.Partition)
	}
}

// Put stores e under key.
func (p *Part[E]) Put(key string, e E) {
	p.Rows[key] = e
	p.dirty[key] = struct{}{}
}

// Delete forgets key.
func (p *Part[E]) Delete(key string) {
	delete(p.Rows, key)
	p.dirty[key] = struct{}{}
}

// Touch marks key as changed in place (an entry held by pointer).
func (p *Part[E]) Touch(key string) { p.dirty[key] = struct{}{} }

// Sweep forgets, when a sweep is due (see Expiry), the entries whose last
// touch, at(e), has outlived the TTL, marking their keys changed; it
// returns how many it forgot.
func (k *Keyed[E]) Sweep(x *Expiry, now int64, at func(E) int64) int64 {
	if !x.Due(now) {
		return 0
	}
	next, forgot := int64(math.MaxInt64), int64(0)
	for _, p := range k.parts {
		for key, e := range p.Rows {
			if x.Expired(at(e), now) {
				p.Delete(key)
				forgot++
				continue
			}
			next = min(next, x.Deadline(at(e)))
		}
	}
	x.Swept(now, next)
	return forgot
}

// Log records in c the state of every key changed since the last Log,
// under the changelog key tag+key: the entry as encode appends it, or a
// delete for a key gone.
func (k *Keyed[E]) Log(c *Changes, tag byte, encode func(dst []byte, e E) []byte) {
	for _, p := range k.parts {
		for key := range p.dirty {
			k.key = append(append(k.key[:0], tag), key...)
			e, ok := p.Rows[key]
			if !ok {
				c.Delete(p.Index, k.key)
				continue
			}
			k.val = encode(k.val[:0], e)
			c.Put(p.Index, k.key, k.val)
		}
		clear(p.dirty)
	}
}
