package expr

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/tributarydata/tributary/transforms/value"
)

// testRow holds one field of each interesting kind; "missing" is not in it.
func testRow() *value.Row {
	r := &value.Row{}
	for _, f := range []struct {
		name string
		v    value.Value
	}{
		{"i305", value.OfInt(305)},
		{"s305", value.OfString("305")},
		{"s305f", value.OfString("305.0")},
		{"n305", value.OfNumber("305.0")},
		{"neg", value.OfInt(-5)},
		{"one", value.OfInt(1)},
		{"f25", value.OfFloat(2.5)},
		{"big", value.OfNumber("12345678901234567890")},
		{"str", value.OfString("abc")},
		{"empty", value.OfString("")},
		{"tt", value.OfBool(true)},
		{"ff", value.OfBool(false)},
		{"st", value.OfString("true")},
		{"sT", value.OfString(" TRUE ")},
		{"nul", value.Value{}},
		{"obj", value.OfJSON(`{"a":1}`)},
		{"uni", value.OfString("测试abc")},
		{"pct", value.OfString(`a%b_c\`)},
		{"sub", value.OfString("drop:wrong")},
	} {
		r.Append(f.name, f.v)
	}
	return r
}

type evalCase struct {
	src  string
	want bool
}

func runEvalCases(t *testing.T, cases []evalCase) {
	t.Helper()
	r := testRow()
	for _, tc := range cases {
		t.Run(tc.src, func(t *testing.T) {
			e, err := Parse(tc.src)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if got := e.Eval(r); got != tc.want {
				t.Errorf("Eval = %v, want %v", got, tc.want)
			}
			if got := refEval(e.root, r); got != tc.want {
				t.Errorf("reference evaluator = %v, want %v (the test's reference is wrong)", got, tc.want)
			}
		})
	}
}

func TestEquality(t *testing.T) {
	runEvalCases(t, []evalCase{
		{"i305 == 305", true},
		{"i305 = '305'", true},
		{"i305 == '305.0'", true},
		{"i305 == 305.0", true},
		{"i305 == 3.05e2", true},
		{"i305 == 306", false},
		{"i305 == ' 305 '", true}, // a string read as a number is trimmed
		{"s305 == 305", true},
		{"s305 == '305'", true},
		{"s305 == \"305\"", true},
		{"s305f == 305", true},    // a string holding a number equals the number
		{"s305f == '305'", false}, // but a string equals a string only with the same text
		{"n305 == 305", true},     // numbers by value whatever their kind
		{"n305 == '305'", true},   // 305.0 against the string '305', as a number
		{"f25 == 2.5", true},      //
		{"f25 == '2.5'", true},    //
		{"f25 == 2", false},       //
		{"big == 12345678901234567890", true},
		{"str == 'abc'", true},
		{"str == 'ABC'", false},
		{"str == 305", false},
		{"empty == ''", true},
		{"empty == 0", false},
		{"tt == true", true},
		{"tt == 'true'", true},
		{"tt == 'TRUE'", true},
		{"tt == 1", false},
		{"st == true", true},
		{"sT == true", true},
		{"st == 'TRUE'", false},
		{"ff == false", true},
		{"ff == true", false},
		{"obj == '{\"a\":1}'", true}, // JSON compares as its text with a string
		// null and missing fields equal nothing and differ from nothing.
		{"nul == 305", false},
		{"nul != 305", false},
		{"missing == 305", false},
		{"missing != 305", false},
		{"missing != 'x'", false},
		{"i305 != 305", false},
		{"i305 <> 306", true},
		{"i305 != '305'", false},
		{"str != 305", true}, // not comparable, so not equal
		{"str != 'abc'", false},
		// Literal first, and field against field.
		{"'305' == i305", true},
		{"306 != i305", true},
		{"i305 == s305", true},
		{"s305 == n305", true},
		{"i305 == str", false},
		{"i305 != str", true},
		{"nul == nul", false},
		{"nul != nul", false},
		{"missing == missing", false},
		{"missing != i305", false},
		// Literal against literal: folded at parse time.
		{"1 == 1", true},
		{"'1' == 1.0", true},
		{"'a' != 'a'", false},
	})
}

func TestOrdering(t *testing.T) {
	runEvalCases(t, []evalCase{
		{"i305 > 300", true},
		{"i305 > '300'", true},
		{"i305 < '31'", false}, // a number against a numeric string: as numbers
		{"s305 < '31'", true},  // a string against a string: byte-wise
		{"s305 > 300", true},
		{"s305 < 31", false},
		{"i305 >= 305", true},
		{"i305 >= 305.0", true},
		{"i305 <= 305", true},
		{"i305 < 305", false},
		{"i305 > 305", false},
		{"neg < 0", true},
		{"neg < -5", false},
		{"neg <= -5", true},
		{"neg > -1e1", true},
		{"f25 < 3", true},
		{"f25 <= 2.5", true},
		{"f25 > 2.49", true},
		{"n305 >= 305", true},
		{"big > 1", true},
		{"big < 1e30", true},
		{"str < 'abd'", true},
		{"str > 'ab'", true},
		{"str >= 'abc'", true},
		{"str < 'ABC'", false},
		{"uni > 'z'", true}, // UTF-8 bytes of 测 sort after ASCII
		{"str < 5", false},  // not comparable: false both ways
		{"str >= 5", false},
		{"tt > false", true},
		{"tt > 'false'", true},
		{"ff < true", true},
		{"tt < 1", false},
		{"nul < 5", false},
		{"nul >= 5", false},
		{"missing > 0", false},
		{"missing <= 0", false},
		{"300 < i305", true}, // literal first: mirrored
		{"400 <= i305", false},
		{"'abd' > str", true},
		{"neg < i305", true},
		{"i305 < neg", false},
		{"s305 >= i305", true},
		{"str > i305", false},
		{"1 < 2", true},
		{"'b' <= 'a'", false},
	})
}

func TestIn(t *testing.T) {
	runEvalCases(t, []evalCase{
		{"i305 in (1, 305)", true},
		{"i305 in ('305')", true},
		{"i305 in ('305.0', 'x')", true},
		{"i305 in (1, 2)", false},
		{"i305 not in (1, 2)", true},
		{"i305 not in (1, '305')", false},
		{"s305 in (305)", true},
		{"s305 in ('305 ')", false},
		{"str in ('x', 'abc')", true},
		{"str IN ('x', 'ABC')", false},
		{"str not in ('x', 'abc')", false},
		{"str not in ('x')", true},
		{"tt in (false, true)", true},
		{"st in (true)", true},
		{"f25 in (2.5, 3)", true},
		{"n305 in (305)", true},
		{"nul in (1)", false},
		{"nul not in (1)", false},
		{"missing not in (1)", false},
		{"missing in ('')", false},
		{"'a' in ('b', 'a')", true},
		{"1 not in (1)", false},
	})
}

// TestInLongList covers the lists that keep their strings in a map: every
// kind of value against a list of strings, numbers and booleans.
func TestInLongList(t *testing.T) {
	list := "'a0','a1','a2','a3','a4','a5','a6','a7','a8','a9','abc','305','TRUE','2.5',42,3.05e2,false"
	e := MustParse("x in (" + list + ")")
	if e.cond.(*inCond).strs == nil {
		t.Fatal("the list does not use a map")
	}
	short := MustParse("x in ('abc','305','TRUE','2.5',42,3.05e2,false)")
	if short.cond.(*inCond).strs != nil {
		t.Fatal("the short list uses a map")
	}
	for _, tc := range []struct {
		v    value.Value
		want bool
	}{
		{value.OfString("abc"), true},
		{value.OfString("a5"), true},
		{value.OfString("ABC"), false},
		{value.OfString("305"), true},
		{value.OfString("305.0"), true}, // equals 3.05e2 as a number
		{value.OfString("42"), true},
		{value.OfString("42.0"), true},
		{value.OfString("43"), false},
		{value.OfString("true"), false}, // a string equals 'TRUE' only by text, and true is not in the list
		{value.OfString("false"), true},
		{value.OfString("TRUE"), true},
		{value.OfInt(305), true},
		{value.OfInt(42), true},
		{value.OfInt(7), false},
		{value.OfFloat(2.5), true},
		{value.OfNumber("305.00"), true},
		{value.OfBool(true), true},
		{value.OfBool(false), true},
		{value.OfJSON("[1]"), false},
		{value.Value{}, false},
	} {
		r := &value.Row{}
		r.Append("x", tc.v)
		equalAny := func(list []value.Value) bool {
			for _, l := range list {
				if value.Equal(tc.v, l) {
					return true
				}
			}
			return false
		}
		want := equalAny(e.root.list)
		if got := e.Eval(r); got != want {
			t.Errorf("%s %q: Eval = %v, value.Equal against each %v", tc.v.Kind(), tc.v.Text(), got, want)
		}
		if got, want := short.Eval(r), equalAny(short.root.list); got != want {
			t.Errorf("%s %q: short list Eval = %v, value.Equal against each %v", tc.v.Kind(), tc.v.Text(), got, want)
		}
		if want != tc.want {
			t.Errorf("%s %q: value.Equal against each = %v, the test expects %v", tc.v.Kind(), tc.v.Text(), want, tc.want)
		}
	}
}

func TestIsNull(t *testing.T) {
	runEvalCases(t, []evalCase{
		{"nul is null", true},
		{"missing is null", true},
		{"MISSING IS NULL", true}, // keywords in any case; field names as written
		{"i305 is null", false},
		{"empty is null", false},
		{"ff is null", false},
		{"nul is not null", false},
		{"missing is not null", false},
		{"empty is not null", true},
		{"'x' is null", false},
		{"'x' is not null", true},
	})
}

func TestLikeOperator(t *testing.T) {
	runEvalCases(t, []evalCase{
		{"str like 'a%'", true},
		{"str like '%c'", true},
		{"str like '%b%'", true},
		{"str like 'a_c'", true},
		{"str like '___'", true},
		{"str like '__'", false},
		{"str like 'A%'", false}, // case-sensitive
		{"str like ''", false},
		{"empty like ''", true},
		{"empty like '%'", true},
		{"empty like '_'", false},
		{"str not like 'a%'", false},
		{"str not like 'b%'", true},
		{"nul like '%'", false},
		{"nul not like '%'", false},
		{"missing not like 'x'", false},
		{"i305 like '3%'", true}, // numbers and booleans as their text
		{"i305 like '30_'", true},
		{"neg like '-_'", true},
		{"f25 like '2._'", true},
		{"n305 like '%.0'", true},
		{"tt like 'tr%'", true},
		{"obj like '{%}'", true},
		{"uni like '测%'", true},
		{"uni like '__abc'", true}, // _ is one character, not one byte
		{"uni like '_abc'", false},
		{"uni like '%测试%'", true},
		{"uni not like '%测试%'", false},
		{`pct like 'a\%b\_c\\\\'`, true}, // \% \_ \\ in the pattern: literal
		{`pct like 'a\%%'`, true},
		{`str like 'a\%%'`, false},
		{`pct like 'a_b%'`, true},
		{`str like '\\a\\b\\c'`, true}, // an escaped ordinary character is itself
		{`sub like 'drop:%'`, true},
		{`sub like '%:w_ong'`, true},
		{`sub like 'd%p%w%g'`, true},
		{`sub like 'd%p%w%x'`, false},
		{"'abc' like 'a%'", true},
	})
}

func TestMatches(t *testing.T) {
	runEvalCases(t, []evalCase{
		{"str matches '^a'", true},
		{"str matches 'b'", true}, // unanchored, as RE2's MatchString
		{"str matches '^b'", false},
		{"str not matches '^b'", true},
		{"str MATCHES '^(abc|xyz)$'", true},
		{"nul matches '.*'", false},
		{"nul not matches 'x'", false},
		{"missing matches ''", false},
		{`i305 matches '^3\\d+$'`, true},
		{"uni matches '^测试'", true},
		{"uni matches '^..abc$'", true},
		{"tt matches '^true$'", true},
		{`sub matches 'drop:(wrong|correct)'`, true},
	})
}

func TestTruth(t *testing.T) {
	runEvalCases(t, []evalCase{
		{"tt", true},
		{"ff", false},
		{"st", true},
		{"sT", true}, // as == true, so any case and blanks around
		{"str", false},
		{"one", false}, // 1 is a number, not true
		{"nul", false},
		{"missing", false},
		{"true", true},
		{"FALSE", false},
		{"not tt", false},
		{"not missing", true},
		{"`tt`", true},
	})
}

func TestPrecedence(t *testing.T) {
	runEvalCases(t, []evalCase{
		{"tt or ff and ff", true},    // or (and)
		{"(tt or ff) and ff", false}, //
		{"ff and ff or tt", true},    // (and) or
		{"ff and (ff or tt)", false}, //
		{"not ff and ff", false},     // (not ff) and ff
		{"not (ff and ff)", true},    //
		{"not tt or tt", true},       // (not tt) or tt
		{"not (tt or tt)", false},    //
		{"not not tt", true},
		{"!tt || tt && ff", false},
		{"!(tt && ff)", true},
		{"tt && !ff", true},
		{"NOT one = 1 AND tt", false}, // not applies to the comparison
		{"not one = 2 and tt", true},
		{"not missing == 1", true}, // null makes the comparison false, and not makes it true
		{"missing != 1", false},    // unlike !=, which is false for null
		{"tt and tt and tt and ff", false},
		{"ff or ff or ff or tt", true},
		{"(((tt)))", true},
		{"tt and (ff or (tt and not ff))", true},
		{"i305 = 305 and (str = 'x' or str = 'abc') and not nul is not null", true},
	})
}

func TestString(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{`msgId='305' AND msgType = "116"`, `msgId == '305' and msgType == '116'`},
		{`a<>1 || b!=2`, `a != 1 or b != 2`},
		{`a=1 && b==2`, `a == 1 and b == 2`},
		{`a < 1 or a <= 2 or a > 3 or a >= 4`, `a < 1 or a <= 2 or a > 3 or a >= 4`},
		{`(a = 1 or b = 2) and c = 3`, `(a == 1 or b == 2) and c == 3`},
		{`a = 1 or (b = 2 and c = 3)`, `a == 1 or b == 2 and c == 3`},
		{`((a = 1))`, `a == 1`},
		{`a and (b and c)`, `a and b and c`},
		{`(a or b) or (c or d)`, `a or b or c or d`},
		{`!(a)`, `not a`},
		{`not (a = 1)`, `not a == 1`},
		{`NOT (a OR b)`, `not (a or b)`},
		{`not (a and b) and c`, `not (a and b) and c`},
		{`x NOT IN (1, 'a', true, 1.50, -2,"b")`, `x not in (1, 'a', true, 1.50, -2, 'b')`},
		{`x IS NOT NULL or y is null`, `x is not null or y is null`},
		{`x like "50\%"`, `x like '50\%'`},
		{`x NOT LIKE 'a\\\\b'`, `x not like 'a\\\\b'`},
		{`x Matches '^a\\d'`, `x matches '^a\\d'`},
		{`x not matches 'y'`, `x not matches 'y'`},
		{"`weird name` = 1", "`weird name` == 1"},
		{"`and` = 1", "`and` == 1"},
		{"`True`", "`True`"},
		{"`a``b` = 1", "`a``b` == 1"},
		{"`ok_name.x$-1` = 1", "ok_name.x$-1 == 1"},
		{"`1abc` = 1", "`1abc` == 1"},
		{`'it\'s' = x`, `'it\'s' == x`},
		{`x = "say \"hi\""`, `x == 'say "hi"'`},
		{`x = "tab\there\nnew\rline"`, `x == 'tab\there\nnew\rline'`},
		{`x = '\u00e9\uD83D\uDE00'`, `x == 'é😀'`},
		{`x = '\u0001\u007f'`, `x == '\u0001\u007F'`},
		{`x = '\\'`, `x == '\\'`},
		{`a = -0`, `a == 0`},
		{`a >= 1e3 and a < -1.5E-3`, `a >= 1e3 and a < -1.5E-3`},
		{`a = 12345678901234567890`, `a == 12345678901234567890`},
		{`TRUE`, `true`},
		{`a`, `a`},
		{"  a\t=\n1  ", `a == 1`},
	} {
		t.Run(tc.src, func(t *testing.T) {
			e, err := Parse(tc.src)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got := e.String()
			if got != tc.want {
				t.Fatalf("String = %s, want %s", got, tc.want)
			}
			again, err := Parse(got)
			if err != nil {
				t.Fatalf("Parse(String()): %v", err)
			}
			if !sameTree(e.root, again.root) {
				t.Errorf("Parse(String()) is another tree: %s", again)
			}
		})
	}
}

func TestFields(t *testing.T) {
	e := MustParse("b = 1 and a = b or c in (1) and not d is null and b like 'x' and `e f` matches 'y' or g or 1 < h")
	want := []string{"b", "a", "c", "d", "e f", "g", "h"}
	if got := e.Fields(); !slices.Equal(got, want) {
		t.Errorf("Fields = %q, want %q", got, want)
	}
	if got := MustParse("true").Fields(); len(got) != 0 {
		t.Errorf("Fields of true = %q, want none", got)
	}
}

// TestHints evaluates one Expr against rows whose fields move, appear and
// disappear, so that every cached position is wrong at some point.
func TestHints(t *testing.T) {
	e := MustParse("a = 1 and b = 'x' and c is null")
	layouts := []struct {
		names []string
		want  bool
	}{
		{[]string{"a", "b"}, true},
		{[]string{"b", "a"}, true},
		{[]string{"z", "b", "y", "a"}, true},
		{[]string{"a"}, false},
		{[]string{"c", "a", "b"}, false},
		{[]string{"b", "a", "c"}, false},
		{[]string{"b", "z", "a"}, true},
		{nil, false},
	}
	vals := map[string]value.Value{"a": value.OfInt(1), "b": value.OfString("x"), "c": value.OfInt(0), "y": value.OfInt(1), "z": value.OfString("x")}
	for range 3 {
		for _, l := range layouts {
			r := &value.Row{}
			for _, n := range l.names {
				r.Append(n, vals[n])
			}
			if got := e.Eval(r); got != l.want {
				t.Errorf("fields %v: Eval = %v, want %v", l.names, got, l.want)
			}
		}
	}
	if e.Eval(nil) {
		t.Error("Eval(nil) = true, want false")
	}
	if !MustParse("a is null").Eval(nil) {
		t.Error("a is null on a nil row = false, want true")
	}
}

// TestConcurrentEval runs one Expr on several goroutines with rows of
// different layouts; run with -race.
func TestConcurrentEval(t *testing.T) {
	e := MustParse(ruleMatchWrong + " and userId in (1, 100234) and subAction like 'drop:%'")
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Go(func() {
			match := signal(g%2 == 0, 305, 116, 2, "match", "template", "match", "drop:wrong")
			miss := signal(g%2 == 1, 305, 116, 1, "match", "template", "match", "drop:wrong")
			if g%3 == 0 { // another layout: reverse the fields
				slices.Reverse(match.Fields)
			}
			for i := range 2000 {
				if !e.Eval(match) || e.Eval(miss) {
					errs <- fmt.Errorf("goroutine %d, round %d: wrong result", g, i)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestLimits(t *testing.T) {
	deep := func(n int) string {
		s := "a"
		for range n {
			s = "(" + s + ")"
		}
		return s
	}
	nots := func(n int) string {
		s := "a"
		for range n {
			s = "not " + s
		}
		return s
	}
	list := func(n int) string {
		b := []byte("x in (0")
		for i := 1; i < n; i++ {
			b = fmt.Appendf(b, ",%d", i)
		}
		return string(append(b, ')'))
	}
	long := func(n int) string {
		b := []byte("a == '")
		for len(b) < n-1 {
			b = append(b, 'x')
		}
		return string(append(b, '\''))
	}
	for _, tc := range []struct {
		name string
		src  string
		ok   bool
	}{
		{"64 parentheses", deep(MaxDepth), true},
		{"65 parentheses", deep(MaxDepth + 1), false},
		{"64 nots", nots(MaxDepth), true},
		{"65 nots", nots(MaxDepth + 1), false},
		{"32 not-parentheses", func() string {
			s := "a"
			for range MaxDepth / 2 {
				s = "not (" + s + ")"
			}
			return s
		}(), true},
		{"in list at the limit", list(MaxInList), true},
		{"in list over the limit", list(MaxInList + 1), false},
		{"source at the limit", long(MaxSourceLen), true},
		{"source over the limit", long(MaxSourceLen + 1), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := Parse(tc.src)
			if (err == nil) != tc.ok {
				t.Fatalf("Parse error = %v, want ok=%v", err, tc.ok)
			}
			if err == nil {
				if _, err := Parse(e.String()); err != nil {
					t.Errorf("Parse(String()): %v", err)
				}
			}
		})
	}
	e := MustParse(list(MaxInList))
	r := &value.Row{}
	r.Append("x", value.OfString("9999"))
	if !e.Eval(r) {
		t.Error("x = '9999' is not in 0..9999")
	}
}

func TestMustParsePanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("MustParse of a bad expression did not panic")
		}
	}()
	MustParse("a ==")
}
