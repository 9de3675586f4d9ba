package agg

import (
	"bytes"
	"errors"
	"math"
	"math/big"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tributarydata/tributary/transforms/value"
)

func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{
		"event_count=count()", "event_count=count(*)", "n=count(event)", "event_sum=sum(lost)", "event_avg=avg(lost)",
		"lo=min(x)", "hi=max(x)", "leads=count_distinct(id)", " n = COUNT ( * ) ", "n=sum(`a``b`)", "n=sum(`",
		"event_sum=sum(", "n=cnt(x)", "n=count(x) y", "=", "n=sum(`a\xffb`)", "é=max(x)",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		s, err := ParseSpec(text)
		if err != nil {
			var se *SpecError
			if !errors.As(err, &se) {
				t.Fatalf("error %v is a %T, not a *SpecError", err, err)
			}
			if se.Pos < 1 || se.Pos > utf8.RuneCountInString(text)+1 || se.Msg == "" || se.Text != text {
				t.Fatalf("error %q: position outside the text of %d characters", err, utf8.RuneCountInString(text))
			}
			return
		}
		canon := s.String()
		again, err := ParseSpec(canon)
		if err != nil || again != s {
			t.Fatalf("ParseSpec(%q) = %#v, whose text %q parses as %#v, %v", text, s, canon, again, err)
		}
		if _, err := NewSet([]Spec{s}); err != nil {
			t.Fatalf("ParseSpec(%q) = %#v, which NewSet refuses: %v", text, s, err)
		}
	})
}

// fuzzSet has an accumulator of every kind.
var fuzzSet = func() *Set {
	sp, err := ParseSpecs([]string{"n=count()", "c=count(x)", "s=sum(x)", "a=avg(x)", "lo=min(x)", "hi=max(x)", "d=count_distinct(x)"})
	if err != nil {
		panic(err)
	}
	s, err := NewSet(sp)
	if err != nil {
		panic(err)
	}
	return s
}()

func FuzzLoadState(f *testing.F) {
	s := fuzzSet
	seed := func(xs ...any) {
		g := s.New()
		for _, x := range xs {
			_ = g.Add(s, row(x), 1)
		}
		f.Add(g.AppendState(s, nil))
	}
	seed()
	seed(1)
	seed(1, "2.5", nil, 1e-30, true, "abc", jsonv(`{"a":[1]}`), num("12345678901234567890"), -7, 3, 3)
	seed("0.000000000000000001", num("99999999999999999999999999999999999999"))
	f.Add([]byte{})
	f.Add([]byte{1, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		var g Group
		if err := g.LoadState(s, b); err != nil {
			if !errors.Is(err, ErrState) {
				t.Fatalf("error %v does not wrap ErrState", err)
			}
			return
		}
		if again := g.AppendState(s, nil); !bytes.Equal(again, b) {
			t.Fatalf("state %x loads and writes as %x", b, again)
		}
		results(&g, s)
		// What loads must work on: adds and retractions fail cleanly or
		// leave a state that round-trips.
		for _, st := range []step{retract(1), add(1), retract(num("1e20")), add("0.5"), retract(nil), retract("abc"), add(1e-30), retract(1e-30)} {
			before := g.AppendState(s, nil)
			if err := g.Add(s, row(st.x), st.sign); err != nil {
				if !bytes.Equal(before, g.AppendState(s, nil)) {
					t.Fatalf("a failed Add changed the state")
				}
				continue
			}
			state := g.AppendState(s, nil)
			var back Group
			if err := back.LoadState(s, state); err != nil {
				t.Fatalf("state %x (from %x and %+d %v) does not load: %v", state, b, st.sign, st.x, err)
			}
			if a, b := results(&g, s), results(&back, s); a != b {
				t.Fatalf("results %s, after a round trip %s", a, b)
			}
		}
	})
}

// FuzzNumbers checks the reading of numbers against math/big: canonical
// text, order, and the exact decimals of sum.
func FuzzNumbers(f *testing.F) {
	for _, s := range []string{"0", "-0.0", "1e3", "01.50", ".5", "5.", "+7", " 7 ", "1e-400", "0x1p-2", "1_000", "abc",
		"99999999999999999999999999999999999999", "0.000000000000000001", "1e308", "1e309", "-1.5e-3", "NaN", "inf"} {
		f.Add(s, "1")
	}
	rat := func(s string) (*big.Rat, bool) {
		s = strings.TrimSpace(s)
		d, ok := parseDecimal(s)
		if !ok || !d.canonFits() || d.point > 500 || d.point < -500 || len(s) > 200 {
			return nil, false // math/big would take long over huge exponents
		}
		return new(big.Rat).SetString(s)
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		ka, oka := appendNumberKey(nil, value.OfString(a))
		fl, fok := value.OfString(a).Float()
		if fok && math.IsNaN(fl) {
			fok = false
		}
		if oka != fok {
			t.Fatalf("%q: a number is %v here, %v to value.Float", a, oka, fok)
		}
		if !oka {
			return
		}
		if !isCanon(string(ka)) {
			t.Fatalf("%q: key %q is not canonical", a, ka)
		}
		ra, rok := rat(a)
		if rok {
			if rk, _ := new(big.Rat).SetString(string(ka)); rk.Cmp(ra) != 0 {
				t.Fatalf("%q: key %q is another number", a, ka)
			}
		}
		num, st := readNumber(value.OfString(a))
		if st != isNumber {
			t.Fatalf("%q: readNumber status %d for a number", a, st)
		}
		if num.exact {
			if got := string(appendDecimal(nil, num.coef, num.scale)); got != string(ka) {
				t.Fatalf("%q: sum reads %s, the key is %s", a, got, ka)
			}
		}
		kb, okb := appendNumberKey(nil, value.OfString(b))
		if rb, ok := rat(b); ok && okb && rok {
			if got, want := compareCanon(string(ka), string(kb)), ra.Cmp(rb); got != want {
				t.Fatalf("compare %q %q = %d, want %d", a, b, got, want)
			}
		}
	})
}
