package agg

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/tributarydata/tributary/transforms/value"
)

func mustSet(t testing.TB, specs ...string) *Set {
	t.Helper()
	sp, err := ParseSpecs(specs)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSet(sp)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// row builds a row of x, or of no field when x is nil (a missing field).
func row(x any) *value.Row {
	r := &value.Row{}
	r.Append("other", value.OfString("o"))
	if x != nil {
		r.Append("x", val(x))
	}
	return r
}

// val turns a Go value into a value.Value: int, float64, bool, string, a
// value.Value as it is, and num("1.5") for a Number.
func val(x any) value.Value {
	switch x := x.(type) {
	case value.Value:
		return x
	case int:
		return value.OfInt(int64(x))
	case int64:
		return value.OfInt(x)
	case float64:
		return value.OfFloat(x)
	case bool:
		return value.OfBool(x)
	case string:
		return value.OfString(x)
	}
	panic("val: unexpected type")
}

func num(text string) value.Value   { return value.OfNumber(text) }
func jsonv(text string) value.Value { return value.OfJSON(text) }

var null = value.Value{}

// results returns the group's results as one JSON object.
func results(g *Group, s *Set) string {
	var r value.Row
	g.AppendResults(s, &r)
	return string(r.AppendJSON(nil))
}

// step is one Add: sign 1 adds x, -1 retracts it; err is a part of the
// error it must return (and then the group must be unchanged).
type step struct {
	sign int
	x    any
	err  string
}

// add and retract make a step; err, when given, is the error it must fail
// with.
func add(x any, err ...string) step     { return step{1, x, strings.Join(err, "")} }
func retract(x any, err ...string) step { return step{-1, x, strings.Join(err, "")} }

func run(t *testing.T, s *Set, steps []step) *Group {
	t.Helper()
	g := s.New()
	for i, st := range steps {
		before := g.AppendState(s, nil)
		beforeResults := results(g, s)
		err := g.Add(s, row(st.x), st.sign)
		switch {
		case st.err == "" && err != nil:
			t.Fatalf("step %d (%+d %v): %v", i, st.sign, st.x, err)
		case st.err != "" && (err == nil || !strings.Contains(err.Error(), st.err)):
			t.Fatalf("step %d (%+d %v): err = %v, want %q", i, st.sign, st.x, err, st.err)
		case st.err != "":
			if after := g.AppendState(s, nil); !bytes.Equal(before, after) {
				t.Fatalf("step %d (%+d %v) failed but changed the state", i, st.sign, st.x)
			}
			if after := results(g, s); after != beforeResults {
				t.Fatalf("step %d (%+d %v) failed but changed the results from %s to %s", i, st.sign, st.x, beforeResults, after)
			}
		}
	}
	return g
}

func TestFunctions(t *testing.T) {
	for _, tc := range []struct {
		name  string
		specs []string
		steps []step
		want  string
	}{
		// count
		{"count empty", []string{"n=count()", "c=count(x)"}, nil, `{"n":0,"c":0}`},
		{"count rows and values", []string{"n=count()", "c=count(x)", "star=count(*)"},
			[]step{add(1), add(nil), add(null), add(""), add("abc"), add(jsonv("{}"))},
			`{"n":6,"c":4,"star":6}`},
		{"count retracted", []string{"n=count()", "c=count(x)"},
			[]step{add(1), add(nil), add(2), retract(1), retract(nil)},
			`{"n":1,"c":1}`},
		{"count retracted to nothing", []string{"n=count()", "c=count(x)"},
			[]step{add(1), add(2), retract(2), retract(1)},
			`{"n":0,"c":0}`},

		// sum
		{"sum empty", []string{"s=sum(x)", "a=avg(x)"}, nil, `{"s":null,"a":null}`},
		{"sum of nulls", []string{"s=sum(x)", "a=avg(x)", "n=count()"},
			[]step{add(nil), add(null), add(""), add("  ")}, `{"s":null,"a":null,"n":4}`},
		{"sum ints", []string{"s=sum(x)", "a=avg(x)"}, []step{add(1), add(2), add(4), add(nil)}, `{"s":7,"a":2.3333333333333335}`},
		{"sum numeric strings", []string{"s=sum(x)", "a=avg(x)"},
			[]step{add("305"), add(" 5 "), add("-10"), add(num("100"))}, `{"s":400,"a":100}`},
		{"sum decimals exactly", []string{"s=sum(x)"}, []step{add("0.1"), add("0.2")}, `{"s":0.3}`},
		{"sum floats as they print", []string{"s=sum(x)"}, []step{add(0.1), add(0.2)}, `{"s":0.3}`},
		{"sum whole decimals", []string{"s=sum(x)"}, []step{add("1.50"), add(num("1.5")), add(2.0)}, `{"s":5}`},
		{"sum exponents", []string{"s=sum(x)"}, []step{add("1e3"), add(num("2.5E-1")), add("+.5")}, `{"s":1000.75}`},
		{"sum negative", []string{"s=sum(x)"}, []step{add("-0.25"), add(-1)}, `{"s":-1.25}`},
		{"sum zero", []string{"s=sum(x)"}, []step{add("-0"), add(0.0), add("0.000")}, `{"s":0}`},
		{"sum past int64 stays exact", []string{"s=sum(x)", "a=avg(x)"},
			[]step{add(int64(9223372036854775807)), add(int64(9223372036854775807)), add(2)},
			`{"s":18446744073709551616,"a":6.148914691236517e+18}`},
		{"sum back into int64", []string{"s=sum(x)"},
			[]step{add(int64(9223372036854775807)), add(1), retract(1)}, `{"s":9223372036854775807}`},
		{"sum of min int64", []string{"s=sum(x)"},
			[]step{add(int64(-9223372036854775808)), add(-1)}, `{"s":-9223372036854775809}`},
		{"sum of a big number", []string{"s=sum(x)"},
			[]step{add(num("12345678901234567890123456789")), add(1)}, `{"s":12345678901234567890123456790}`},
		{"sum past 38 digits", []string{"s=sum(x)"},
			[]step{add(num("99999999999999999999999999999999999999")), add(1, "sum(x): long 1 takes the sum out of range (more than 38 digits)"), add(-1)},
			`{"s":99999999999999999999999999999999999998}`},
		{"sum decimal scale overflow", []string{"s=sum(x)"},
			[]step{add(num("99999999999999999999999999")), add("0.0000000000001", "takes the sum out of range (more than 38 digits)")},
			`{"s":99999999999999999999999999}`},
		{"sum of a tiny float is a float", []string{"s=sum(x)", "a=avg(x)"},
			[]step{add(1), add(1e-30)}, `{"s":1,"a":0.5}`},
		{"sum of inexact values", []string{"s=sum(x)"},
			[]step{add(1e-30), add(num("2e-30")), add(num("1234567890123456789012345678901234567890"))},
			`{"s":1.2345678901234568e+39}`},
		{"sum exact again when inexact values go", []string{"s=sum(x)"},
			[]step{add("0.1"), add(1e-30), add(1e300), retract(1e300), retract(1e-30), add("0.2")}, `{"s":0.3}`},
		{"sum forgets float rounding", []string{"s=sum(x)"},
			[]step{add(1e-20), add(3e-25), retract(1e-20), retract(3e-25), add(7e-31)}, `{"s":7e-31}`},
		{"sum hexadecimal float", []string{"s=sum(x)"}, []step{add("0x1p-2"), add(1)}, `{"s":1.25}`},
		{"sum out of float range", []string{"s=sum(x)"},
			[]step{add(1e308), add("1.5e308", "takes the sum out of range of a double")}, `{"s":1e+308}`},
		{"sum not a number", []string{"s=sum(x)", "n=count()"},
			[]step{add(1), add("abc", `sum(x): "abc" is not a number`), add(true, "sum(x): boolean true is not a number"),
				add(jsonv(`{"a":1}`), `sum(x): json {"a":1} is not a number`), add("NaN", "not a number"), add("Inf", "not a number"),
				add("1e400", "not a number"), add("1,5", "not a number"), add(2)},
			`{"s":3,"n":2}`},
		{"sum retraction sequence", []string{"s=sum(x)", "a=avg(x)", "n=count()"},
			[]step{add(10), add("2.5"), add(nil), retract(10), add(3), retract("2.5"), retract(nil)},
			`{"s":3,"a":3,"n":1}`},
		{"sum retracted to nothing", []string{"s=sum(x)", "a=avg(x)"},
			[]step{add("1.5"), retract("1.5")}, `{"s":null,"a":null}`},
		{"sum retracts what it does not hold", []string{"s=sum(x)"},
			[]step{add(1), retract(2, "the numbers retracted do not add up"), retract(nil, "it holds a value in every row"), retract(1),
				retract(1, "count(*): retraction of a row the group does not hold (the group is empty)")},
			`{"s":null}`},
		{"sum retracts an inexact value it does not hold", []string{"s=sum(x)"},
			[]step{add(1), add(2), retract(1e-30, "no such number left")}, `{"s":3}`},
		{"avg", []string{"a=avg(x)"}, []step{add(1), add("2"), add(nil), add(0.5)}, `{"a":1.1666666666666667}`},

		// min and max
		{"min max empty", []string{"lo=min(x)", "hi=max(x)"}, []step{add(nil)}, `{"lo":null,"hi":null}`},
		{"min max numbers", []string{"lo=min(x)", "hi=max(x)"},
			[]step{add(5), add("10"), add(" 9 "), add(-2.5), add(num("1e2"))}, `{"lo":-2.5,"hi":100}`},
		{"min max numeric strings by value", []string{"lo=min(x)", "hi=max(x)"},
			[]step{add("10"), add("9"), add("010")}, `{"lo":9,"hi":10}`},
		{"min max exact", []string{"lo=min(x)", "hi=max(x)"},
			[]step{add(num("0.10000000000000000001")), add("0.1"), add(num("99999999999999999999"))},
			`{"lo":0.1,"hi":99999999999999999999}`},
		{"min max retraction", []string{"lo=min(x)", "hi=max(x)"},
			[]step{add(5), add(3), add(9), add(3), retract(3), retract(9)}, `{"lo":3,"hi":5}`},
		{"min max retract the least", []string{"lo=min(x)", "hi=max(x)"},
			[]step{add(5), add(3), add(9), retract(3), retract(9)}, `{"lo":5,"hi":5}`},
		{"min after its value leaves and comes back", []string{"lo=min(x)"},
			[]step{add(5), add(3), add(9), retract(3), add(3)}, `{"lo":3}`},
		{"max of updated rows", []string{"hi=max(x)"},
			[]step{add(1), add(7), retract(7), add(8), retract(8), add(2)}, `{"hi":2}`},
		{"min max strings", []string{"lo=min(x)", "hi=max(x)"},
			[]step{add("pear"), add("apple"), add("Zebra"), add("")}, `{"lo":"","hi":"pear"}`},
		{"min max mixed kinds", []string{"lo=min(x)", "hi=max(x)"},
			[]step{add("abc"), add(true), add(false), add(7), add("12"), add(jsonv(`[1]`))}, `{"lo":7,"hi":[1]}`},
		{"min max booleans", []string{"lo=min(x)", "hi=max(x)"},
			[]step{add(true), add(false), add("x"), retract("x")}, `{"lo":false,"hi":true}`},
		{"min max retracted to nothing", []string{"lo=min(x)", "hi=max(x)"},
			[]step{add(1), add(2), retract(2), retract(1)}, `{"lo":null,"hi":null}`},
		{"min retracts what it does not hold", []string{"lo=min(x)"},
			[]step{add(1), add(2), retract(3, "min(x): retraction of a row the group does not hold (it holds no long 3)"),
				retract("x", `(it holds no "x")`), retract(nil, "it holds a value in every row")},
			`{"lo":1}`},
		{"max names itself", []string{"hi=max(x)"}, []step{add(1), retract(5, "max(x): retraction")}, `{"hi":1}`},

		// count_distinct
		{"distinct empty", []string{"d=count_distinct(x)"}, []step{add(nil)}, `{"d":0}`},
		{"distinct numbers and strings", []string{"d=count_distinct(x)"},
			[]step{add(5), add("5"), add(5.0), add(num("5.0")), add(num("5e0")), add("5.0"), add("05"), add(" 5")},
			`{"d":4}`},
		{"distinct texts", []string{"d=count_distinct(x)"},
			[]step{add("true"), add(true), add(false), add(""), add(jsonv(`{"a":1}`)), add(`{"a":1}`)}, `{"d":4}`},
		{"distinct retraction", []string{"d=count_distinct(x)", "n=count()"},
			[]step{add("a"), add("a"), add("b"), retract("a"), add(nil), retract("b")}, `{"d":1,"n":2}`},
		{"distinct retracts what it does not hold", []string{"d=count_distinct(x)"},
			[]step{add("a"), retract("b", `count_distinct(x): retraction of a row the group does not hold (it holds no "b")`), retract("a"),
				retract("a", "count(*)")},
			`{"d":0}`},
		{"count retracts more values than added", []string{"c=count(x)"},
			[]step{add(nil), add(nil), retract(5, "count(x): retraction of a row the group does not hold (no rows with a value left)")},
			`{"c":0}`},

		// all or nothing across aggregates
		{"a failing row changes nothing", []string{"n=count()", "c=count(x)", "d=count_distinct(x)", "lo=min(x)", "s=sum(x)"},
			[]step{add(1), add("abc", "is not a number"), add(2)}, `{"n":2,"c":2,"d":2,"lo":1,"s":3}`},
		{"a failing retraction changes nothing", []string{"n=count()", "c=count(x)", "s=sum(x)", "d=count_distinct(x)"},
			[]step{add(1), add(2), retract(3, "count_distinct(x)")}, `{"n":2,"c":2,"s":3,"d":2}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := mustSet(t, tc.specs...)
			g := run(t, s, tc.steps)
			if got := results(g, s); got != tc.want {
				t.Errorf("results = %s, want %s", got, tc.want)
			}
			// The state carries everything the results need.
			var back Group
			if err := back.LoadState(s, g.AppendState(s, nil)); err != nil {
				t.Fatalf("LoadState: %v", err)
			}
			if got := results(&back, s); got != tc.want {
				t.Errorf("results after a state round trip = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestResultKinds(t *testing.T) {
	s := mustSet(t, "n=count()", "s=sum(x)", "a=avg(x)", "lo=min(x)", "hi=max(x)", "d=count_distinct(x)")
	g := s.New()
	for _, x := range []any{"1", "2.5", num("12345678901234567890")} {
		if err := g.Add(s, row(x), 1); err != nil {
			t.Fatal(err)
		}
	}
	var r value.Row
	g.AppendResults(s, &r)
	want := []struct {
		name string
		kind value.Kind
		text string
	}{
		{"n", value.Int, "3"}, {"s", value.Number, "12345678901234567893.5"}, {"a", value.Float, "4.1152263004115226e+18"},
		{"lo", value.Int, "1"}, {"hi", value.Number, "12345678901234567890"}, {"d", value.Int, "3"},
	}
	if len(r.Fields) != len(want) {
		t.Fatalf("fields = %v", r.Fields)
	}
	for i, w := range want {
		f := r.Fields[i]
		if f.Name != w.name || f.Value.Kind() != w.kind || f.Value.Text() != w.text {
			t.Errorf("field %d = %s %s %s, want %s %s %s", i, f.Name, f.Value.Kind(), f.Value.Text(), w.name, w.kind, w.text)
		}
	}
}

func TestAddErrors(t *testing.T) {
	s := mustSet(t, "s=sum(x)")
	g := s.New()
	if err := g.Add(s, row(1), 2); err == nil || !strings.Contains(err.Error(), "sign 2, want 1 or -1") {
		t.Errorf("sign 2: %v", err)
	}
	if err := g.Add(s, row(1), 0); err == nil {
		t.Error("sign 0: no error")
	}
	err := g.Add(s, row("abc"), 1)
	if !errors.Is(err, ErrNotNumber) {
		t.Errorf("sum('abc') = %v, want ErrNotNumber", err)
	}
	if err := g.Add(s, row(1), -1); !errors.Is(err, ErrRetract) {
		t.Errorf("retraction from an empty group = %v, want ErrRetract", err)
	}
	if err := g.Add(s, row(num("1e37")), 1); err != nil {
		t.Fatal(err)
	}
	for range 16 {
		if err = g.Add(s, row(num("1e37")), 1); err != nil {
			break
		}
	}
	if !errors.Is(err, ErrRange) {
		t.Errorf("sum past 38 digits = %v, want ErrRange", err)
	}
	long := strings.Repeat("x", 100)
	err = g.Add(s, row(long), 1)
	if err == nil || !strings.Contains(err.Error(), strings.Repeat("x", 61)+`..." is not a number`) || strings.Contains(err.Error(), strings.Repeat("x", 62)) {
		t.Errorf("long value: %v", err)
	}
}

func TestFieldLookup(t *testing.T) {
	s := mustSet(t, "s=sum(a)", "d=count_distinct(b)", "c=count(`odd name`)")
	g := s.New()
	rows := []*value.Row{
		{Fields: []value.Field{{Name: "a", Value: value.OfInt(1)}, {Name: "b", Value: value.OfString("x")}, {Name: "odd name", Value: value.OfInt(0)}}},
		{Fields: []value.Field{{Name: "odd name", Value: value.OfInt(0)}, {Name: "b", Value: value.OfString("y")}, {Name: "a", Value: value.OfInt(2)}}},
		{Fields: []value.Field{{Name: "b", Value: value.OfString("x")}}},
		{Fields: []value.Field{{Name: "a", Value: value.OfInt(4)}, {Name: "b", Value: value.OfString("z")}, {Name: "odd name", Value: value.OfInt(0)}}},
	}
	for _, r := range rows {
		if err := g.Add(s, r, 1); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := results(g, s), `{"s":7,"d":3,"c":3}`; got != want {
		t.Errorf("results = %s, want %s", got, want)
	}
}

func TestZeroGroup(t *testing.T) {
	s := mustSet(t, "n=count()", "s=sum(x)", "lo=min(x)", "d=count_distinct(x)", "c=count(x)")
	var g Group
	if got, want := results(&g, s), `{"n":0,"s":null,"lo":null,"d":0,"c":0}`; got != want {
		t.Errorf("zero group results = %s, want %s", got, want)
	}
	fresh := s.New()
	if err := fresh.Add(s, row(1), 1); err != nil {
		t.Fatal(err)
	}
	if err := fresh.Add(s, row(1), -1); err != nil {
		t.Fatal(err)
	}
	if a, b := g.AppendState(s, nil), fresh.AppendState(s, nil); !bytes.Equal(a, b) {
		t.Errorf("zero group state %x, emptied group state %x", a, b)
	}
}

func TestGroupOfAnotherSetPanics(t *testing.T) {
	a := mustSet(t, "s=sum(x)")
	b := mustSet(t, "s=sum(x)", "t=sum(y)")
	g := a.New()
	if err := g.Add(a, row(1), 1); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if recover() == nil {
			t.Error("no panic")
		}
	}()
	_ = g.Add(b, row(1), 1)
}

func TestMultisetCompacts(t *testing.T) {
	s := mustSet(t, "lo=min(x)", "hi=max(x)", "d=count_distinct(x)")
	g := s.New()
	for i := range 1000 {
		if err := g.Add(s, row(i), 1); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 990 {
		if err := g.Add(s, row(i), -1); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := results(g, s), `{"lo":990,"hi":999,"d":10}`; got != want {
		t.Errorf("results = %s, want %s", got, want)
	}
	for _, m := range g.x.sets {
		if len(m.entries) > 64 {
			t.Errorf("multiset of %d values keeps %d entries", m.len(), len(m.entries))
		}
	}
}

// TestSetSharedByGoroutines runs groups of one set on several goroutines,
// with rows of different layouts, for the race detector: the field hints
// are the set's only changing state.
func TestSetSharedByGoroutines(t *testing.T) {
	s := mustSet(t, "n=count()", "s=sum(x)", "d=count_distinct(other)")
	done := make(chan string)
	for w := range 4 {
		go func() {
			g := s.New()
			for i := range 200 {
				r := row(i)
				if (i+w)%2 == 0 {
					r.Fields[0], r.Fields[1] = r.Fields[1], r.Fields[0]
				}
				if err := g.Add(s, r, 1); err != nil {
					done <- err.Error()
					return
				}
			}
			done <- results(g, s)
		}()
	}
	for range 4 {
		if got, want := <-done, `{"n":200,"s":19900,"d":1}`; got != want {
			t.Errorf("results = %s, want %s", got, want)
		}
	}
}
