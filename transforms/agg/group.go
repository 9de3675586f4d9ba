package agg

import (
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/tributarydata/tributary/transforms/value"
)

// Errors of Add, wrapped with the aggregate and the value.
var (
	// ErrNotNumber is a sum or avg of a value that is not a number
	// ('abc', true, an object).
	ErrNotNumber = errors.New("is not a number")
	// ErrRange is a sum that would leave 38 digits, or a sum of values
	// beyond them that would leave the range of a float64.
	ErrRange = errors.New("out of range")
	// ErrRetract is a retraction of a row the group does not hold: a value
	// it holds no row with, or more rows than it has.
	ErrRetract = errors.New("retraction of a row the group does not hold")
)

// Group is the state of one group: how many rows it holds and what its
// aggregates need to know of them. The zero Group is empty. A Group is used
// with one Set throughout; it is not safe for concurrent use.
//
// A group of a set of count(*) alone is one int64 and a nil pointer.
type Group struct {
	rows int64
	x    *extra // nil until the set needs more than the row count
}

// extra is what a group keeps for the aggregates that read a field.
type extra struct {
	acc  []int64    // the words of count(x), sum and avg slots
	sets []multiset // the multisets of min, max and count_distinct slots
}

// Rows returns the number of rows the group holds: those added less those
// retracted. A group whose Rows is 0 is empty and can be dropped.
func (g *Group) Rows() int64 { return g.rows }

// extra returns g's extra for s, making it on first use.
func (g *Group) extra(s *Set) *extra {
	if g.x == nil {
		g.x = &extra{acc: make([]int64, s.words), sets: make([]multiset, s.sets)}
	}
	if len(g.x.acc) != s.words || len(g.x.sets) != s.sets {
		panic("agg: a group used with another set")
	}
	return g.x
}

// Add adds the row r to the group (sign 1) or retracts it (sign -1): r
// must then hold what it held when it was added. Fields r does not have
// are null.
//
// Add is all or nothing: when it returns an error the group is as it was.
// The errors wrap ErrNotNumber, ErrRange or ErrRetract and name the
// aggregate and the value, so that the caller can send the record to a
// dead-letter queue. Adding to count and sum aggregates allocates nothing;
// a multiset allocates for a value it does not hold yet.
func (g *Group) Add(s *Set, r *value.Row, sign int) error {
	if sign != 1 && sign != -1 {
		return fmt.Errorf("agg: sign %d, want 1 or -1", sign)
	}
	if sign < 0 && g.rows == 0 {
		return fmt.Errorf("count(*): %w (the group is empty)", ErrRetract)
	}
	if len(s.slots) == 0 {
		g.rows += int64(sign)
		return nil
	}
	// Work out the words on a copy first, so that a row failing any
	// aggregate changes none; a small copy is cheap to clear.
	x := g.extra(s)
	if len(x.acc) <= 8 {
		var buf [8]int64
		return g.add(s, x, r, int64(sign), buf[:len(x.acc)])
	}
	if len(x.acc) <= 64 {
		var buf [64]int64
		return g.add(s, x, r, int64(sign), buf[:len(x.acc)])
	}
	return g.add(s, x, r, int64(sign), make([]int64, len(x.acc)))
}

// add is Add with acc, room for a copy of x.acc.
func (g *Group) add(s *Set, x *extra, r *value.Row, d int64, acc []int64) error {
	copy(acc, x.acc)
	rows := g.rows + d
	// Check that retractions find their values before changing anything.
	// No aggregate may hold more values than the group holds rows: that
	// catches the retraction of a row whose field is null from a group
	// whose rows all have a value.
	var kbuf [64]byte
	for i := range s.slots {
		sl := &s.slots[i]
		v := sl.get(r)
		held := int64(0)
		switch sl.kind {
		case slotCount:
			if !v.IsNull() {
				acc[sl.at] += d
			}
			held = acc[sl.at]
			if held < 0 {
				return fmt.Errorf("%s: %w (no rows with a value left)", sl.name(), ErrRetract)
			}
		case slotSum:
			if err := addSum(sl, acc[sl.at:sl.at+sumWords], v, d); err != nil {
				return err
			}
			held = acc[sl.at+sumN]
		default:
			if d > 0 {
				continue
			}
			ms := &x.sets[sl.at]
			held = ms.total
			if key, ok := sl.key(kbuf[:0], v); ok {
				if ms.count(key) == 0 {
					return fmt.Errorf("%s: %w (it holds no %s)", sl.name(), ErrRetract, describe(v))
				}
				held--
			}
		}
		if held > rows {
			return fmt.Errorf("%s: %w (it holds a value in every row, and the row has none)", sl.name(), ErrRetract)
		}
	}

	g.rows = rows
	copy(x.acc, acc)
	for i := range s.slots {
		sl := &s.slots[i]
		if sl.kind != slotOrder && sl.kind != slotDistinct {
			continue
		}
		if key, ok := sl.key(kbuf[:0], sl.get(r)); ok {
			x.sets[sl.at].add(key, d, sl.kind == slotOrder)
		}
	}
	return nil
}

// key appends the multiset key of v for the slot.
func (sl *slot) key(dst []byte, v value.Value) ([]byte, bool) {
	if sl.kind == slotOrder {
		return appendOrderKey(dst, v)
	}
	return appendDistinctKey(dst, v)
}

// addSum adds v·d to the words w of a sum.
func addSum(sl *slot, w []int64, v value.Value, d int64) error {
	num, st := readNumber(v)
	switch st {
	case isNull:
		return nil
	case notNumber:
		return fmt.Errorf("%s: %s %w", sl.name(), describe(v), ErrNotNumber)
	}
	n := w[sumN] + d
	if n < 0 {
		return fmt.Errorf("%s: %w (no numbers left)", sl.name(), ErrRetract)
	}
	coef := i128{uint64(w[sumHi]), uint64(w[sumLo])}
	scale := int(w[sumScale])
	inexact, fsum := w[sumInexact], math.Float64frombits(uint64(w[sumFloat]))
	if num.exact {
		c := num.coef
		if d < 0 {
			c = c.negate()
		}
		ok := true
		if num.scale > scale {
			coef, ok = mulPow10(coef, num.scale-scale)
			scale = num.scale
		} else {
			c, ok = mulPow10(c, scale-num.scale)
		}
		if ok {
			coef, ok = add128(coef, c)
		}
		if !ok || !coef.abs().less(maxCoef) {
			return fmt.Errorf("%s: %s takes the sum %w (more than 38 digits)", sl.name(), describe(v), ErrRange)
		}
	} else {
		if inexact += d; inexact < 0 {
			return fmt.Errorf("%s: %w (no such number left)", sl.name(), ErrRetract)
		}
		fsum += float64(d) * num.f
		if math.IsInf(fsum, 0) || math.IsNaN(fsum) {
			return fmt.Errorf("%s: %s takes the sum %w of a double", sl.name(), describe(v), ErrRange)
		}
		if inexact == 0 {
			fsum = 0 // what is left of rounding
		}
	}
	// With no exact numbers left the exact part must be zero: a
	// retraction of numbers the group does not hold can show here.
	if inexact > n || inexact == n && !coef.isZero() {
		return fmt.Errorf("%s: %w (the numbers retracted do not add up to those added)", sl.name(), ErrRetract)
	}
	if inexact == n {
		scale = 0
	}
	w[sumN], w[sumHi], w[sumLo], w[sumScale] = n, int64(coef.hi), int64(coef.lo), int64(scale)
	w[sumInexact], w[sumFloat] = inexact, int64(math.Float64bits(fsum))
	return nil
}

// describe writes v for an error message: a string quoted, anything else
// with its kind, at most 64 characters of it.
func describe(v value.Value) string {
	t := v.Text()
	if len(t) > 64 {
		t = t[:61] + "..."
	}
	if v.Kind() == value.String {
		return strconv.Quote(t)
	}
	return v.Kind().String() + " " + t
}

// AppendResults appends the group's results to r, one field per spec in
// the order of the specs, without looking for fields of the same names:
//
//   - count is an Int, 0 for no rows;
//   - sum is an Int when the sum is whole and fits an int64, else its exact
//     decimal text as a Number (0.1 + 0.2 is 0.3), or a Float once a value
//     that is not an exact decimal is in it; null when it holds no number;
//   - avg is a Float, null when there is no number;
//   - min and max are the least and greatest values (numbers as Int or
//     Number, as sum), null when there are none;
//   - count_distinct is an Int.
func (g *Group) AppendResults(s *Set, r *value.Row) {
	for i, o := range s.outs {
		r.Append(s.specs[i].Out, g.result(s, o))
	}
}

func (g *Group) result(s *Set, o output) value.Value {
	if o.slot < 0 {
		return value.OfInt(g.rows)
	}
	sl := &s.slots[o.slot]
	if g.x == nil {
		if o.fn == Count || o.fn == CountDistinct {
			return value.OfInt(0)
		}
		return value.Value{}
	}
	x := g.extra(s)
	switch o.fn {
	case Count:
		return value.OfInt(x.acc[sl.at])
	case Sum:
		return sumValue(x.acc[sl.at : sl.at+sumWords])
	case Avg:
		w := x.acc[sl.at : sl.at+sumWords]
		if w[sumN] == 0 {
			return value.Value{}
		}
		return value.OfFloat(sumFloat64(w) / float64(w[sumN]))
	case Min:
		if k, ok := x.sets[sl.at].min(); ok {
			return keyValue(k)
		}
		return value.Value{}
	case Max:
		if k, ok := x.sets[sl.at].max(); ok {
			return keyValue(k)
		}
		return value.Value{}
	}
	return value.OfInt(int64(x.sets[sl.at].len()))
}

func sumValue(w []int64) value.Value {
	if w[sumN] == 0 {
		return value.Value{}
	}
	if w[sumInexact] != 0 {
		return value.OfFloat(sumFloat64(w))
	}
	coef, scale := normalize(i128{uint64(w[sumHi]), uint64(w[sumLo])}, int(w[sumScale]))
	if scale == 0 {
		if i, ok := coef.int64(); ok {
			return value.OfInt(i)
		}
	}
	return value.OfNumber(string(appendDecimal(nil, coef, scale)))
}

func sumFloat64(w []int64) float64 {
	f := decimalFloat(i128{uint64(w[sumHi]), uint64(w[sumLo])}, int(w[sumScale]))
	if w[sumInexact] != 0 {
		f += math.Float64frombits(uint64(w[sumFloat]))
	}
	return f
}
