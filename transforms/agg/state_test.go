package agg

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"strings"
	"testing"
)

func header(s *Set, rows uint64) []byte {
	b := []byte{stateVersion}
	b = binary.LittleEndian.AppendUint32(b, s.fingerprint)
	return binary.AppendUvarint(b, rows)
}

func TestStateLayout(t *testing.T) {
	s := mustSet(t, "n=count()")
	g := s.New()
	for range 3 {
		if err := g.Add(s, row(nil), 1); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := g.AppendState(s, nil), header(s, 3); !bytes.Equal(got, want) {
		t.Errorf("count(*) state = %x, want %x", got, want)
	}
	if n := len(g.AppendState(s, nil)); n != 6 {
		t.Errorf("count(*) state takes %d bytes, want 6", n)
	}

	s = mustSet(t, "c=count(x)", "s=sum(x)", "a=avg(x)", "lo=min(x)", "d=count_distinct(x)")
	g = s.New()
	for _, x := range []any{"1.5", -2, "b", nil, 1e-30} {
		if err := g.Add(s, row(x), 1); err != nil && !errors.Is(err, ErrNotNumber) {
			t.Fatal(err)
		}
	}
	if g.Rows() != 4 { // "b" is not a number: its row failed and left nothing behind
		t.Fatalf("rows = %d, want 4", g.Rows())
	}
	tiny := "0." + strings.Repeat("0", 29) + "1"
	entries := func(b []byte, prefix string, keys ...string) []byte {
		b = binary.AppendUvarint(b, uint64(len(keys)))
		for _, k := range keys {
			b = append(b, byte(len(prefix+k)))
			b = append(b, prefix+k...)
			b = append(b, 1)
		}
		return b
	}
	want := header(s, 4)
	want = append(want, 3)       // count(x): 3 values
	want = append(want, 3, 9, 1) // sum: 3 numbers, 1.5 + -2 = -5/10 (zigzag -5 = 9, scale 1)
	want = append(want, 1)       // one not an exact decimal,
	want = binary.LittleEndian.AppendUint64(want, math.Float64bits(1e-30))
	want = entries(want, "\x01", "-2", tiny, "1.5") // min: keys in byte order
	want = entries(want, "", "-2", tiny, "1.5")     // count_distinct
	got := g.AppendState(s, nil)
	if !bytes.Equal(got, want) {
		t.Errorf("state\n%x, want\n%x", got, want)
	}
	var back Group
	if err := back.LoadState(s, got); err != nil {
		t.Fatal(err)
	}
	if again := back.AppendState(s, nil); !bytes.Equal(again, got) {
		t.Errorf("state %x reloads as %x", got, again)
	}
}

// richGroup returns a group of a set with every kind of accumulator, after
// some adds and retractions.
func richGroup(t testing.TB) (*Set, *Group) {
	s := mustSet(t, "n=count()", "c=count(x)", "s=sum(x)", "a=avg(x)", "lo=min(x)", "hi=max(x)", "d=count_distinct(x)")
	g := s.New()
	for _, st := range []step{add(1), add("2.5"), add(nil), add(1e-30), add(num("1e20")), add(-7), retract(1), add(3), add(3)} {
		if err := g.Add(s, row(st.x), st.sign); err != nil {
			t.Fatal(err)
		}
	}
	return s, g
}

func TestLoadStateRefuses(t *testing.T) {
	s, g := richGroup(t)
	good := g.AppendState(s, nil)
	want := results(g, s)

	check := func(name string, b []byte, msg string) {
		t.Helper()
		target := s.New()
		if err := target.Add(s, row(42), 1); err != nil {
			t.Fatal(err)
		}
		before := target.AppendState(s, nil)
		err := target.LoadState(s, b)
		if !errors.Is(err, ErrState) || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: LoadState(%x) = %v, want ErrState with %q", name, b, err, msg)
		}
		if after := target.AppendState(s, nil); !bytes.Equal(before, after) {
			t.Errorf("%s: a refused state changed the group", name)
		}
	}

	// Every strict prefix is refused: truncated.
	for i := range len(good) {
		check("prefix", good[:i], "")
	}
	check("trailing byte", append(append([]byte{}, good...), 0), "1 bytes after the end")
	check("version", append([]byte{2}, good[1:]...), "version 2, want 1")
	other := mustSet(t, "n=count()", "c=count(x)", "s=sum(y)", "a=avg(y)", "lo=min(x)", "hi=max(x)", "d=count_distinct(x)")
	check("another set", g.AppendState(other, nil), "written for another set of aggregates")

	// Hand-made states of a small set.
	small := mustSet(t, "n=count()", "c=count(x)", "s=sum(x)", "lo=min(x)", "d=count_distinct(x)")
	var ok Group
	st := append(header(small, 2), 1, 0, 0, 0)
	if err := ok.LoadState(small, st); err != nil {
		t.Fatalf("LoadState(%x): %v", st, err)
	}
	refuse := func(name string, b []byte, msg string) {
		t.Helper()
		var target Group
		err := target.LoadState(small, b)
		if !errors.Is(err, ErrState) || !strings.Contains(err.Error(), msg) {
			t.Errorf("%s: LoadState(%x) = %v, want ErrState with %q", name, b, err, msg)
		}
	}
	h := header(small, 2)
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	refuse("overlong rows", cat(header(small, 0)[:5], []byte{0x82, 0x00}, []byte{1, 0, 0, 0}), "rows: number not in its shortest form")
	refuse("count above rows", cat(h, []byte{3, 0, 0, 0}), "count(x): 3, more than the 2 rows")
	refuse("sum count above rows", cat(h, []byte{1, 3}), "sum(x): 3, more than the 2 rows")
	refuse("scale", cat(h, []byte{1, 1, 2, 19, 0, 0, 0}), "sum(x): scale 19, more than 18")
	refuse("inexact above count", cat(h, []byte{1, 1, 2, 0, 2}), "sum(x): 2, more than the 1 rows")
	refuse("exact part of no numbers", cat(h, []byte{1, 1, 2, 0, 1}, binary.LittleEndian.AppendUint64(nil, 0), []byte{0, 0}), "an exact part without exact numbers")
	refuse("scale of no numbers", cat(h, []byte{1, 1, 0, 3, 1}, binary.LittleEndian.AppendUint64(nil, 0), []byte{0, 0}), "an exact part without exact numbers")
	refuse("float sum", cat(h, []byte{1, 1, 0, 0, 1}, binary.LittleEndian.AppendUint64(nil, math.Float64bits(math.Inf(1))), []byte{0, 0}), "float sum +Inf")
	refuse("NaN sum", cat(h, []byte{1, 1, 0, 0, 1}, binary.LittleEndian.AppendUint64(nil, math.Float64bits(math.NaN())), []byte{0, 0}), "float sum NaN")
	big := appendZigzag128(nil, i128(maxCoef))
	refuse("sum beyond 38 digits", cat(h, []byte{1, 1}, big, []byte{0, 0, 0, 0}), "sum beyond 38 digits")
	refuse("sum not shortest", cat(h, []byte{1, 1, 0x82, 0x00, 0, 0, 0, 0}), "sum not in its shortest form")
	refuse("sum beyond 128 bits", cat(h, []byte{1, 1}, bytes.Repeat([]byte{0xff}, 18), []byte{0x04}), "sum beyond 128 bits")
	refuse("keys out of order", cat(h, []byte{1, 0, 2, 2, 4, 'b', 1, 2, 4, 'a', 1, 0}), "min(x): keys out of order")
	refuse("same key twice", cat(h, []byte{1, 0, 2, 2, 4, 'a', 1, 2, 4, 'a', 1, 0}), "keys out of order")
	refuse("key of no rows", cat(h, []byte{1, 0, 1, 2, 1, 'a', 0, 0}), "a key held by no rows")
	refuse("keys in more rows than the group", cat(h, []byte{1, 0, 2, 2, 1, '1', 1, 2, 1, '2', 2, 0}), "values in more than the 2 rows")
	refuse("key not canonical", cat(h, []byte{1, 0, 1, 3, 1, '0', '1', 1, 0}), `bad key "\x0101"`)
	refuse("number key not a number", cat(h, []byte{1, 0, 1, 2, 1, 'x', 1, 0}), "bad key")
	refuse("unknown tag", cat(h, []byte{1, 0, 1, 2, 9, 'x', 1, 0}), "bad key")
	refuse("empty key", cat(h, []byte{1, 0, 1, 0, 1, 0}), "bad key")
	refuse("long boolean key", cat(h, []byte{1, 0, 1, 2, tagTrue, 'x', 1, 0}), "bad key")
	refuse("bad JSON key", cat(h, []byte{1, 0, 1, 3, tagJSON, '{', 'x', 1, 0}), "bad key")
	refuse("key longer than the state", cat(h, []byte{1, 0, 1, 50, 1}), "truncated")
	refuse("distinct count above rows", cat(h, []byte{1, 0, 0, 1, 1, 'a', 3}), "count_distinct(x): 3, more than the 2 rows")
	// count_distinct keys can be anything, the empty text too.
	if err := ok.LoadState(small, cat(h, []byte{1, 0, 0, 2, 0, 1, 2, 0xff, 0xfe, 1})); err != nil {
		t.Errorf("count_distinct of \"\" and invalid UTF-8: %v", err)
	} else if got := results(&ok, small); got != `{"n":2,"c":1,"s":null,"lo":null,"d":2}` {
		t.Errorf("results = %s", got)
	}

	// And the good state still loads.
	var back Group
	if err := back.LoadState(s, good); err != nil {
		t.Fatal(err)
	}
	if got := results(&back, s); got != want {
		t.Errorf("results after LoadState = %s, want %s", got, want)
	}
}

func TestStateAcrossSets(t *testing.T) {
	s := mustSet(t, "total=sum(x)", "lo=min(x)")
	g := s.New()
	for _, x := range []any{1, 2, "3.5"} {
		if err := g.Add(s, row(x), 1); err != nil {
			t.Fatal(err)
		}
	}
	state := g.AppendState(s, nil)
	for _, tc := range []struct {
		specs []string
		want  string // "" when the state must be refused
	}{
		{[]string{"total=sum(x)", "lo=min(x)"}, `{"total":6.5,"lo":1}`},
		{[]string{"renamed=sum(x)", "low=min(x)"}, `{"renamed":6.5,"low":1}`},
		{[]string{"a=avg(x)", "hi=max(x)"}, `{"a":2.1666666666666665,"hi":3.5}`},
		{[]string{"s=sum(x)", "a=avg(x)", "lo=min(x)", "hi=max(x)", "n=count()"}, `{"s":6.5,"a":2.1666666666666665,"lo":1,"hi":3.5,"n":3}`},
		{[]string{"total=sum(y)", "lo=min(x)"}, ""},
		{[]string{"lo=min(x)", "total=sum(x)"}, ""},
		{[]string{"total=sum(x)", "lo=count_distinct(x)"}, ""},
		{[]string{"total=sum(x)"}, ""},
		{[]string{"n=count()"}, ""},
	} {
		other := mustSet(t, tc.specs...)
		var back Group
		err := back.LoadState(other, state)
		switch {
		case tc.want == "" && !errors.Is(err, ErrState):
			t.Errorf("%v: LoadState = %v, want ErrState", tc.specs, err)
		case tc.want != "" && err != nil:
			t.Errorf("%v: LoadState: %v", tc.specs, err)
		case tc.want != "":
			if got := results(&back, other); got != tc.want {
				t.Errorf("%v: results = %s, want %s", tc.specs, got, tc.want)
			}
		}
	}
}

func TestZigzag128(t *testing.T) {
	for _, x := range []i128{
		{}, i128FromInt64(1), i128FromInt64(-1), i128FromInt64(63), i128FromInt64(-64), i128FromInt64(64),
		i128FromInt64(math.MaxInt64), i128FromInt64(math.MinInt64),
		{hi: 1}, {hi: math.MaxInt64, lo: math.MaxUint64}, {hi: 1 << 63}, {hi: 1<<63 | 5, lo: 7},
	} {
		b := appendZigzag128(nil, x)
		r := stateReader{b: b}
		got := r.zigzag128("x")
		if r.err != nil || got != x || len(r.b) != 0 {
			t.Errorf("zigzag %x: %x reads as %x, %v", x, b, got, r.err)
		}
		if len(b) > 19 {
			t.Errorf("zigzag %x takes %d bytes", x, len(b))
		}
	}
	if n := len(appendZigzag128(nil, i128FromInt64(-5))); n != 1 {
		t.Errorf("zigzag -5 takes %d bytes", n)
	}
}
