package row

import (
	"encoding/binary"
	"math"
	"strconv"
	"time"
)

// Mode is how an upsert treats a row that already exists, with the names of
// the Hologres connector's mutate types.
type Mode uint8

// Modes.
const (
	// ModeUpdate (insertorupdate) updates only the columns the record
	// carries; a later record of the same key in a batch updates the merged
	// row.
	ModeUpdate Mode = iota
	// ModeReplace (insertorreplace) replaces the whole row: columns the
	// record lacks get their default.
	ModeReplace
	// ModeIgnore (insertorignore) keeps an existing row; within a batch the
	// first row of a key wins.
	ModeIgnore
	// ModeAppend inserts every row as it comes, without a key.
	ModeAppend
)

// ParseMode reads a mutate.type value.
func ParseMode(s string) (Mode, bool) {
	switch s {
	case "insertorupdate":
		return ModeUpdate, true
	case "insertorreplace":
		return ModeReplace, true
	case "insertorignore":
		return ModeIgnore, true
	case "append":
		return ModeAppend, true
	}
	return 0, false
}

// Batch collects changes and deduplicates them by primary key, so a batch
// writes each key once with the result the changes would have had one by
// one.
type Batch struct {
	mode  Mode
	key   []int
	byKey map[string]int // entries by encoded key (appendKey)
	// byInt holds the entries of a one-column key given as an int64, the
	// common key, without encoding it into a string each time.
	byInt   map[int64]int
	entries []entry
	keyBuf  []byte
	added   int
}

type entry struct {
	Change
	// deleteFirst marks a row written after a delete of its key within the
	// batch: the old row must go first, so none of its columns survive a
	// partial update.
	deleteFirst bool
}

// NewBatch makes a batch for a table whose key columns are key (by index);
// without key columns, or in ModeAppend, nothing is deduplicated.
func NewBatch(mode Mode, key []int) *Batch {
	return &Batch{mode: mode, key: key, byKey: map[string]int{}, byInt: map[int64]int{}}
}

// Add adds a change; the batch keeps its Values and Present slices.
func (b *Batch) Add(c Change) {
	b.added++
	if b.mode == ModeAppend || len(b.key) == 0 {
		b.entries = append(b.entries, entry{Change: c})
		return
	}
	var i int
	var seen bool
	if n, ok := c.Values[b.key[0]].(int64); ok && len(b.key) == 1 {
		if i, seen = b.byInt[n]; !seen {
			b.byInt[n] = len(b.entries)
		}
	} else {
		b.keyBuf = appendKey(b.keyBuf[:0], c.Values, b.key)
		if i, seen = b.byKey[string(b.keyBuf)]; !seen {
			b.byKey[string(b.keyBuf)] = len(b.entries)
		}
	}
	if !seen {
		b.entries = append(b.entries, entry{Change: c})
		return
	}
	prev := &b.entries[i]
	switch {
	case c.Delete:
		*prev = entry{Change: c}
	case prev.Delete:
		*prev = entry{Change: c, deleteFirst: true}
	case b.mode == ModeUpdate:
		for j, present := range c.Present {
			if present {
				prev.Values[j], prev.Present[j] = c.Values[j], true
			}
		}
	case b.mode == ModeReplace:
		prev.Change = c
	case b.mode == ModeIgnore:
		// The first row stays, as the store would keep it.
	}
}

// Len is the number of rows the batch writes (after deduplication).
func (b *Batch) Len() int { return len(b.entries) }

// Added is the number of changes added since the last Reset.
func (b *Batch) Added() int { return b.added }

// Reset empties the batch for reuse.
func (b *Batch) Reset() {
	clear(b.byKey)
	clear(b.byInt)
	clear(b.entries)
	b.entries = b.entries[:0]
	b.added = 0
}

// Group is rows one statement writes: all deletes, or upserts carrying the
// same columns.
type Group struct {
	Delete bool
	// Columns are the indexes of the columns the rows hold: the key columns
	// for deletes, the present columns for upserts, in table order.
	Columns []int
	// Rows hold the values of Columns, row by row; they may share the
	// changes' Values, so they are read, not changed.
	Rows [][]any
}

// Groups returns the batch as statements to run in order, in one
// transaction: the deletes first (the deleted keys and those rewritten
// after a delete), then the upserts grouped by the columns they carry, in
// order of first appearance.
func (b *Batch) Groups() []Group {
	var groups []Group
	if len(b.key) > 0 {
		del := Group{Delete: true, Columns: b.key}
		for i := range b.entries {
			e := &b.entries[i]
			if e.Delete || e.deleteFirst {
				del.Rows = append(del.Rows, pick(e.Values, b.key))
			}
		}
		if len(del.Rows) > 0 {
			groups = append(groups, del)
		}
	}
	bySignature := map[string]int{}
	var sig []byte
	for i := range b.entries {
		e := &b.entries[i]
		if e.Delete {
			continue
		}
		sig = sig[:0]
		for _, p := range e.Present {
			if p {
				sig = append(sig, 1)
			} else {
				sig = append(sig, 0)
			}
		}
		g, ok := bySignature[string(sig)]
		if !ok {
			g = len(groups)
			bySignature[string(sig)] = g
			var cols []int
			for j, p := range e.Present {
				if p {
					cols = append(cols, j)
				}
			}
			groups = append(groups, Group{Columns: cols})
		}
		// A row of every column is the change's own Values, in table
		// order as Columns are: most rows are, and a copy of each cost an
		// allocation.
		row := e.Values
		if cols := groups[g].Columns; len(cols) < len(row) {
			row = pick(row, cols)
		}
		groups[g].Rows = append(groups[g].Rows, row)
	}
	return groups
}

func pick(values []any, cols []int) []any {
	out := make([]any, len(cols))
	for i, c := range cols {
		out[i] = values[c]
	}
	return out
}

// appendKey encodes key values unambiguously: each value is tagged with its
// type and length-prefixed, so ("a\x00", "b") and ("a", "\x00b") differ.
func appendKey(buf []byte, values []any, key []int) []byte {
	for _, i := range key {
		switch v := values[i].(type) {
		case int64:
			buf = append(buf, 'i')
			buf = binary.AppendVarint(buf, v)
		case string:
			buf = append(buf, 's')
			buf = binary.AppendUvarint(buf, uint64(len(v)))
			buf = append(buf, v...)
		case []byte:
			buf = append(buf, 'b')
			buf = binary.AppendUvarint(buf, uint64(len(v)))
			buf = append(buf, v...)
		case time.Time:
			buf = append(buf, 't')
			buf = binary.AppendVarint(buf, v.Unix())
			buf = binary.AppendVarint(buf, int64(v.Nanosecond()))
		case bool:
			buf = append(buf, 'o')
			buf = strconv.AppendBool(buf, v)
		case float64:
			buf = append(buf, 'f')
			buf = binary.AppendUvarint(buf, math.Float64bits(v))
		case nil:
			buf = append(buf, 'n')
		}
	}
	return buf
}
