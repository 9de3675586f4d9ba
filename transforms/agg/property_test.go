package agg

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/tributarydata/tributary/transforms/value"
)

// poolValue is a value the random rows draw from; inexact marks the values
// sum keeps as float64 (see number).
type poolValue struct {
	v       value.Value
	inexact bool
	missing bool
	rat     *big.Rat // v as a number, worked out once (see ratOf)
	key     string   // v's count_distinct key (see refDistinct)
}

// prepare works out the reference's view of each pool value once, so that
// the reference stays cheap enough to run after every step.
func prepare(pool []poolValue) []poolValue {
	for i := range pool {
		pv := &pool[i]
		if pv.missing || pv.v.IsNull() {
			continue
		}
		pv.rat, _ = ratOf(pv.v)
		pv.key = pv.v.Text()
		switch pv.v.Kind() {
		case value.Int, value.Float, value.Number:
			pv.key = strings.TrimRight(strings.TrimRight(pv.rat.FloatString(60), "0"), ".")
		}
	}
	return pool
}

func exactPool(vs ...value.Value) []poolValue {
	p := make([]poolValue, len(vs))
	for i, v := range vs {
		p[i] = poolValue{v: v}
	}
	return p
}

// xPool is numbers in every form, and nulls: what sum, avg, min, max and
// count_distinct of x see.
var xPool = prepare(append(exactPool(
	value.OfInt(0), value.OfInt(1), value.OfInt(2), value.OfInt(-3), value.OfInt(5), value.OfInt(100),
	value.OfInt(math.MaxInt64), value.OfInt(math.MinInt64),
	value.OfString("3"), value.OfString(" 7 "), value.OfString("-2.5"), value.OfString("0.1"), value.OfString("1e3"),
	value.OfString("12.50"), value.OfString("5"), value.OfString("05"), value.OfString(""),
	value.OfNumber("0.2"), value.OfNumber("12345678901234567890"), value.OfNumber("5.0"), value.OfNumber("-1E-3"),
	value.OfFloat(0.1), value.OfFloat(2.5), value.OfFloat(-3), value.OfFloat(1e20), value.OfNumber("1E20"),
	value.Value{},
),
	poolValue{v: value.OfFloat(1e-30), inexact: true},
	poolValue{v: value.OfString("3e-25"), inexact: true},
	poolValue{missing: true},
))

// tPool is values of every kind, for min, max and count_distinct of t.
var tPool = prepare(append(exactPool(
	value.OfString("a"), value.OfString("b"), value.OfString(""), value.OfString("Zebra"), value.OfString("10"),
	value.OfString("9"), value.OfString("05"), value.OfString("true"), value.OfString("5.0"),
	value.OfInt(5), value.OfInt(10), value.OfInt(-1), value.OfFloat(5), value.OfFloat(0.5), value.OfNumber("0.50"),
	value.OfBool(true), value.OfBool(false), value.OfJSON(`{"a":1}`), value.OfJSON(`[1]`), value.OfJSON(`{}`),
	value.Value{},
), poolValue{missing: true}))

var propSpecs = []string{
	"n=count()", "c=count(x)", "s=sum(x)", "a=avg(x)", "lo=min(x)", "hi=max(x)", "d=count_distinct(x)",
	"ct=count(t)", "lo2=min(t)", "hi2=max(t)", "d2=count_distinct(t)", "sy=sum(y)",
}

type propRow struct{ x, t, y poolValue }

func (p propRow) row() *value.Row {
	r := &value.Row{}
	for _, f := range []struct {
		name string
		pv   poolValue
	}{{"t", p.t}, {"x", p.x}, {"y", p.y}} {
		if !f.pv.missing {
			r.Append(f.name, f.pv.v)
		}
	}
	return r
}

// TestRandomRetractions adds and retracts random rows and checks, after
// every step, that the results are those worked out from scratch over the
// rows still held, and that the state round-trips.
func TestRandomRetractions(t *testing.T) {
	s := mustSet(t, propSpecs...)
	steps := 400
	if testing.Short() {
		steps = 100
	}
	for seed := range uint64(16) {
		rng := rand.New(rand.NewPCG(seed, seed*7+1))
		g := s.New()
		var held []propRow
		for step := range steps {
			var err error
			switch k := rng.IntN(100); {
			case k < 5:
				// A row whose t the group has never seen: count_distinct
				// must refuse it, and change nothing.
				bad := propRow{x: xPool[rng.IntN(len(xPool))], t: poolValue{v: value.OfString("never-" + strconv.Itoa(step))}}
				before := g.AppendState(s, nil)
				err = g.Add(s, bad.row(), -1)
				if !errors.Is(err, ErrRetract) {
					t.Fatalf("seed %d step %d: retracting a row never added: err = %v", seed, step, err)
				}
				if !bytes.Equal(before, g.AppendState(s, nil)) {
					t.Fatalf("seed %d step %d: a refused retraction changed the state", seed, step)
				}
			case k < 45 && len(held) > 0:
				i := rng.IntN(len(held))
				err = g.Add(s, held[i].row(), -1)
				held[i] = held[len(held)-1]
				held = held[:len(held)-1]
			default:
				p := propRow{x: xPool[rng.IntN(len(xPool))], t: tPool[rng.IntN(len(tPool))], y: xPool[rng.IntN(8)]}
				err = g.Add(s, p.row(), 1)
				held = append(held, p)
			}
			if err != nil && !errors.Is(err, ErrRetract) {
				t.Fatalf("seed %d step %d: %v", seed, step, err)
			}
			var got value.Row
			g.AppendResults(s, &got)
			if msg := checkResults(&got, held); msg != "" {
				t.Fatalf("seed %d step %d, %d rows: %s\nresults %s", seed, step, len(held), msg, got.AppendJSON(nil))
			}
			state := g.AppendState(s, nil)
			var back Group
			if err := back.LoadState(s, state); err != nil {
				t.Fatalf("seed %d step %d: LoadState: %v", seed, step, err)
			}
			if again := back.AppendState(s, nil); !bytes.Equal(again, state) {
				t.Fatalf("seed %d step %d: state %x loads and writes as %x", seed, step, state, again)
			}
			var gotBack value.Row
			back.AppendResults(s, &gotBack)
			if a, b := got.AppendJSON(nil), gotBack.AppendJSON(nil); !bytes.Equal(a, b) {
				t.Fatalf("seed %d step %d: results %s, after a state round trip %s", seed, step, a, b)
			}
			// Carry on from the loaded copy now and then: it must behave
			// the same.
			if step%37 == 0 {
				g = &back
			}
		}
	}
}

// checkResults compares the results with the reference over held.
func checkResults(got *value.Row, held []propRow) string {
	get := func(name string) value.Value {
		v, _ := got.Get(name)
		return v
	}
	xs, ts, ys := make([]poolValue, len(held)), make([]poolValue, len(held)), make([]poolValue, len(held))
	for i, p := range held {
		xs[i], ts[i], ys[i] = p.x, p.t, p.y
	}
	checks := []struct {
		name string
		want string // "" when it matches
	}{
		{"n", checkInt(get("n"), int64(len(held)))},
		{"c", checkInt(get("c"), refCount(xs))},
		{"ct", checkInt(get("ct"), refCount(ts))},
		{"s", checkSum(get("s"), xs)},
		{"sy", checkSum(get("sy"), ys)},
		{"a", checkAvg(get("a"), xs)},
		{"lo", checkExtreme(get("lo"), xs, -1)},
		{"hi", checkExtreme(get("hi"), xs, 1)},
		{"lo2", checkExtreme(get("lo2"), ts, -1)},
		{"hi2", checkExtreme(get("hi2"), ts, 1)},
		{"d", checkInt(get("d"), refDistinct(xs))},
		{"d2", checkInt(get("d2"), refDistinct(ts))},
	}
	for _, c := range checks {
		if c.want != "" {
			return c.name + ": " + c.want
		}
	}
	return ""
}

func present(pv poolValue) bool { return !pv.missing && !pv.v.IsNull() }

func refCount(vs []poolValue) int64 {
	n := int64(0)
	for _, pv := range vs {
		if present(pv) {
			n++
		}
	}
	return n
}

func checkInt(v value.Value, want int64) string {
	if i, ok := v.Int(); !ok || v.Kind() != value.Int || i != want {
		return fmt.Sprintf("%s %s, want %d", v.Kind(), v.Text(), want)
	}
	return ""
}

// ratOf reads a number the way the package means it: a Float as the
// decimal it prints as.
func ratOf(v value.Value) (*big.Rat, bool) {
	var text string
	switch v.Kind() {
	case value.Int, value.Number, value.String:
		text = strings.TrimSpace(v.Text())
	case value.Float:
		f, _ := v.Float()
		text = strconv.FormatFloat(f, 'g', -1, 64)
	default:
		return nil, false
	}
	r, ok := new(big.Rat).SetString(text)
	return r, ok
}

// refSum is the exact sum of the numbers of vs, how many there are, and
// whether any is one sum keeps as a float64.
func refSum(vs []poolValue) (*big.Rat, int, bool) {
	sum, n, inexact := new(big.Rat), 0, false
	for _, pv := range vs {
		if !present(pv) || strings.TrimSpace(pv.v.Text()) == "" {
			continue
		}
		if pv.rat == nil {
			panic("pool value is not a number: " + pv.v.Text())
		}
		sum.Add(sum, pv.rat)
		n++
		inexact = inexact || pv.inexact
	}
	return sum, n, inexact
}

func checkSum(v value.Value, vs []poolValue) string {
	want, n, inexact := refSum(vs)
	switch {
	case n == 0 && v.IsNull():
		return ""
	case n == 0:
		return fmt.Sprintf("%s %s, want null", v.Kind(), v.Text())
	case inexact:
		if v.Kind() != value.Float {
			return fmt.Sprintf("%s %s, want a double near %s", v.Kind(), v.Text(), want.FloatString(40))
		}
		f, _ := v.Float()
		w, _ := want.Float64()
		if math.Abs(f-w) > 1e-9*math.Max(1, math.Abs(w)) {
			return fmt.Sprintf("%v, want %v", f, w)
		}
		return ""
	}
	got, ok := ratOf(v)
	if !ok || v.Kind() == value.Float || got.Cmp(want) != 0 {
		return fmt.Sprintf("%s %s, want exactly %s", v.Kind(), v.Text(), want.RatString())
	}
	if i, ok := v.Int(); v.Kind() == value.Number && ok && want.IsInt() && strconv.FormatInt(i, 10) == v.Text() {
		return "a whole sum that fits an int64 is a Number, not an Int"
	}
	return ""
}

func checkAvg(v value.Value, vs []poolValue) string {
	sum, n, _ := refSum(vs)
	if n == 0 {
		if !v.IsNull() {
			return fmt.Sprintf("%s %s, want null", v.Kind(), v.Text())
		}
		return ""
	}
	w, _ := new(big.Rat).Quo(sum, big.NewRat(int64(n), 1)).Float64()
	f, ok := v.Float()
	if v.Kind() != value.Float || !ok || math.Abs(f-w) > 1e-12*math.Max(1, math.Abs(w)) {
		return fmt.Sprintf("%s %s, want %v", v.Kind(), v.Text(), w)
	}
	return ""
}

// refRank is the class of a value in the order of min and max.
func refRank(v value.Value) int {
	switch v.Kind() {
	case value.Int, value.Float, value.Number:
		return 1
	case value.Bool:
		if b, _ := v.Bool(); b {
			return 3
		}
		return 2
	case value.JSON:
		return 5
	}
	if f, ok := v.Float(); ok && !math.IsNaN(f) {
		return 1
	}
	return 4
}

// refCompare orders two values for min and max; ra and rb are their
// numbers when they are numbers.
func refCompare(a, b value.Value, ra, rb *big.Rat) int {
	ka, kb := refRank(a), refRank(b)
	if ka != kb {
		return ka - kb
	}
	if ka == 1 {
		return ra.Cmp(rb)
	}
	return strings.Compare(a.Text(), b.Text())
}

func checkExtreme(v value.Value, vs []poolValue, dir int) string {
	var best poolValue
	found := false
	for _, pv := range vs {
		if present(pv) && (!found || refCompare(pv.v, best.v, pv.rat, best.rat)*dir > 0) {
			best, found = pv, true
		}
	}
	switch {
	case !found && v.IsNull():
		return ""
	case !found || v.IsNull():
		return fmt.Sprintf("%s %s, want %s %s", v.Kind(), v.Text(), best.v.Kind(), best.v.Text())
	}
	rv, _ := ratOf(v)
	if refRank(v) != refRank(best.v) || refCompare(v, best.v, rv, best.rat) != 0 {
		return fmt.Sprintf("%s %s, want %s %s", v.Kind(), v.Text(), best.v.Kind(), best.v.Text())
	}
	if refRank(best.v) == 1 && v.Kind() != value.Int && v.Kind() != value.Number {
		return fmt.Sprintf("%s %s, want a number", v.Kind(), v.Text())
	}
	return ""
}

// refDistinct counts distinct values: numbers by their exact decimal value,
// anything else by its text.
func refDistinct(vs []poolValue) int64 {
	seen := map[string]bool{}
	for _, pv := range vs {
		if !present(pv) {
			continue
		}
		key := pv.key
		seen[key] = true
	}
	return int64(len(seen))
}
