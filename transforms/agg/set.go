package agg

import (
	"encoding/binary"
	"hash/fnv"
	"slices"
	"sync/atomic"

	"github.com/tributarydata/tributary/transforms/value"
)

// Set is a list of aggregates compiled for a stream's groups. The
// aggregates share accumulators where they can: sum(x) and avg(x) keep one
// exact sum, min(x) and max(x) one multiset, and count(*) is the group's
// row count, so a set of count(*) alone keeps nothing else.
//
// A Set is safe for concurrent use by groups on many goroutines: the only
// state it changes is each field's position hint, which is atomic.
type Set struct {
	specs       []Spec
	outs        []output
	slots       []slot
	words       int    // the length of a group's acc
	sets        int    // the number of a group's multisets
	fingerprint uint32 // of the slots, the second field of a state
}

// output is one spec compiled: which slot it reads, or -1 for count(*).
type output struct {
	fn   Func
	slot int
}

type slotKind uint8

const (
	slotCount    slotKind = iota + 1 // count(x): the number of non-null values, one word
	slotSum                          // sum(x), avg(x): sumWords words
	slotOrder                        // min(x), max(x): a multiset of order keys
	slotDistinct                     // count_distinct(x): a multiset of distinct keys
)

// The words of a sum: the count of values it holds, the exact part as a
// 128-bit coefficient and its scale, and the values that are not exact
// decimals (see number) as their count and float64 sum.
const (
	sumN = iota
	sumHi
	sumLo
	sumScale
	sumInexact
	sumFloat
	sumWords
)

// slot is one accumulator of a group, with the field it reads.
type slot struct {
	kind  slotKind
	fn    Func // the function of the first spec that reads the slot
	field string
	at    int // the first word in acc, or the index in sets
	// hint is where field was last found in a row; atomic so that groups
	// of one set can be updated on many goroutines.
	hint atomic.Int32
}

// get returns the slot's field of r, null when r has none. It looks where
// the field was last found first, and only writes the hint when the field
// has moved, so a stream of one layout costs one atomic load.
func (sl *slot) get(r *value.Row) value.Value {
	h := int(sl.hint.Load())
	i := r.IndexFrom(h, sl.field)
	if i < 0 {
		return value.Value{}
	}
	if i != h {
		sl.hint.Store(int32(i))
	}
	return r.Fields[i].Value
}

// name is the slot as error messages call it.
func (sl *slot) name() string { return call(sl.fn, sl.field) }

func kindOf(f Func) slotKind {
	switch f {
	case Count:
		return slotCount
	case Sum, Avg:
		return slotSum
	case Min, Max:
		return slotOrder
	}
	return slotDistinct
}

// NewSet compiles specs. It checks them as ParseSpecs does, for specs
// built in code.
func NewSet(specs []Spec) (*Set, error) {
	for _, s := range specs {
		if err := s.validate(); err != nil {
			return nil, err
		}
	}
	if err := checkOuts(specs); err != nil {
		return nil, err
	}
	type slotKey struct {
		kind  slotKind
		field string
	}
	found := map[slotKey]int{}
	var kinds []slotKey
	var fns []Func
	set := &Set{specs: slices.Clone(specs), outs: make([]output, len(specs))}
	for i, s := range specs {
		set.outs[i] = output{fn: s.Func, slot: -1}
		if s.Field == "" {
			continue
		}
		k := slotKey{kindOf(s.Func), s.Field}
		j, ok := found[k]
		if !ok {
			j = len(kinds)
			found[k] = j
			kinds = append(kinds, k)
			fns = append(fns, s.Func)
		}
		set.outs[i].slot = j
	}
	set.slots = make([]slot, len(kinds))
	h := fnv.New32a()
	for i, k := range kinds {
		sl := &set.slots[i]
		sl.kind, sl.fn, sl.field = k.kind, fns[i], k.field
		switch k.kind {
		case slotCount:
			sl.at = set.words
			set.words++
		case slotSum:
			sl.at = set.words
			set.words += sumWords
		default:
			sl.at = set.sets
			set.sets++
		}
		h.Write(binary.AppendUvarint([]byte{byte(k.kind)}, uint64(len(k.field))))
		h.Write([]byte(k.field))
	}
	set.fingerprint = h.Sum32()
	return set, nil
}

// Names returns the output names in the order of the specs.
func (s *Set) Names() []string {
	names := make([]string, len(s.specs))
	for i, sp := range s.specs {
		names[i] = sp.Out
	}
	return names
}

// Specs returns the specs the set was made of.
func (s *Set) Specs() []Spec { return slices.Clone(s.specs) }

// New returns an empty group. A zero Group is empty too.
func (s *Set) New() *Group { return new(Group) }
