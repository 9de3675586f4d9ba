package expr

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tributarydata/tributary/transforms/value"
)

// refEval is the meaning of a syntax tree written as plainly as possible,
// with none of compile's shortcuts: lookups by name, value.Equal and
// value.Compare for every comparison, a backtracking LIKE, a fresh regexp.
func refEval(n *node, r *value.Row) bool {
	get := func(o operand) value.Value {
		if !o.isField {
			return o.lit
		}
		v, _ := r.Get(o.field)
		return v
	}
	switch n.kind {
	case nodeOr:
		for _, k := range n.kids {
			if refEval(k, r) {
				return true
			}
		}
		return false
	case nodeAnd:
		for _, k := range n.kids {
			if !refEval(k, r) {
				return false
			}
		}
		return true
	case nodeNot:
		return !refEval(n.kids[0], r)
	case nodeCmp:
		a, b := get(n.left), get(n.right)
		if a.IsNull() || b.IsNull() {
			return false
		}
		if n.op == opEq {
			return value.Equal(a, b)
		}
		if n.op == opNe {
			return !value.Equal(a, b)
		}
		c, ok := value.Compare(a, b)
		if !ok {
			return false
		}
		switch n.op {
		case opLt:
			return c < 0
		case opLe:
			return c <= 0
		case opGt:
			return c > 0
		default:
			return c >= 0
		}
	case nodeIn:
		v := get(n.left)
		if v.IsNull() {
			return false
		}
		found := false
		for _, l := range n.list {
			found = found || value.Equal(v, l)
		}
		return found != n.neg
	case nodeIsNull:
		return get(n.left).IsNull() != n.neg
	case nodeLike:
		v := get(n.left)
		return !v.IsNull() && refLike(n.pattern, v.Text()) != n.neg
	case nodeMatch:
		v := get(n.left)
		return !v.IsNull() && regexp.MustCompile(n.pattern).MatchString(v.Text()) != n.neg
	case nodeTruth:
		return value.Equal(get(n.left), value.OfBool(true))
	}
	panic("unknown node")
}

// refLike is SQL LIKE by dynamic programming over the pattern's runes and
// the text's positions: % any run of runes, _ one rune (an invalid byte is
// one), a backslash makes the next rune literal.
func refLike(pattern, s string) bool {
	type tok struct {
		kind byte // 'l' literal, '_', '%'
		lit  string
	}
	var toks []tok
	for i := 0; i < len(pattern); {
		_, size := utf8.DecodeRuneInString(pattern[i:])
		switch c := pattern[i]; {
		case c == '\\' && i+1 < len(pattern):
			_, n := utf8.DecodeRuneInString(pattern[i+1:])
			toks = append(toks, tok{'l', pattern[i+1 : i+1+n]})
			size = 1 + n
		case c == '%' || c == '_':
			toks = append(toks, tok{kind: c})
		default:
			toks = append(toks, tok{'l', pattern[i : i+size]})
		}
		i += size
	}
	memo := make(map[[2]int]bool)
	var match func(ti, pos int) bool
	match = func(ti, pos int) bool {
		key := [2]int{ti, pos}
		if v, ok := memo[key]; ok {
			return v
		}
		var ok bool
		switch {
		case ti == len(toks):
			ok = pos == len(s)
		case toks[ti].kind == 'l':
			ok = strings.HasPrefix(s[pos:], toks[ti].lit) && match(ti+1, pos+len(toks[ti].lit))
		case pos == len(s):
			ok = toks[ti].kind == '%' && match(ti+1, pos)
		default:
			_, size := utf8.DecodeRuneInString(s[pos:])
			if toks[ti].kind == '_' {
				ok = match(ti+1, pos+size)
			} else {
				ok = match(ti+1, pos) || match(ti, pos+size)
			}
		}
		memo[key] = ok
		return ok
	}
	return match(0, 0)
}

// sameTree reports whether two syntax trees are the same condition as
// written (positions aside).
func sameTree(a, b *node) bool {
	sameOperand := func(x, y operand) bool {
		return x.isField == y.isField && x.field == y.field && sameLiteral(x.lit, y.lit)
	}
	if a.kind != b.kind || a.op != b.op || a.neg != b.neg || a.pattern != b.pattern ||
		!sameOperand(a.left, b.left) || !sameOperand(a.right, b.right) ||
		len(a.list) != len(b.list) || len(a.kids) != len(b.kids) {
		return false
	}
	for i := range a.list {
		if !sameLiteral(a.list[i], b.list[i]) {
			return false
		}
	}
	for i := range a.kids {
		if !sameTree(a.kids[i], b.kids[i]) {
			return false
		}
	}
	return true
}

func sameLiteral(x, y value.Value) bool { return x.Kind() == y.Kind() && x.Text() == y.Text() }

var parseSeeds = []string{
	ruleMatchWrong,
	"a = 1", "a == 'x' && b != 2 || !c", "a <> -1.5e3", "(a or b) and not c",
	"x in (1, 'a', true, 2.5)", "x not in ('a')", "x is null", "x is not null",
	"x like 'a%b_c'", `x not like '50\%'`, "x matches '^a+$'", "x not matches 'b'",
	"`odd name` = \"q\\\"\"", `x = '\uD83D\uDE00\n'`, "TRUE", "not not x", "a = b",
	"a < 1 and a <= 2 and a > 3 and a >= 4", "'305' = msgId", "x like '%测试%'",
	"x in ('a0','a1','a2','a3','a4','a5','a6','a7','a8','a9','a10','a11','305',305,true)",
	// malformed
	"", "a ==", "a = null", "(a", "a in ()", "x like 'a\\\\'", "x matches '('", "1a", "'\\q'",
	"a = 1 b", "`", "a & b", "\xff", "a is 1", "a not b",
}

func FuzzParse(f *testing.F) {
	for _, s := range parseSeeds {
		f.Add(s)
	}
	rows := []*value.Row{testRow(), {}, signalRow(false, "drop:wrong"), signalRow(true, "x")}
	f.Fuzz(func(t *testing.T, src string) {
		e, err := Parse(src)
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %v is a %T, not a *SyntaxError", err, err)
			}
			if se.Pos < 1 || se.Pos > utf8.RuneCountInString(src)+1 || se.Msg == "" {
				t.Fatalf("error %q: position outside the source of %d characters", err, utf8.RuneCountInString(src))
			}
			return
		}
		text := e.String()
		again, err := Parse(text)
		if err != nil {
			if len(text) > MaxSourceLen { // canonical text can be longer than the source
				return
			}
			t.Fatalf("Parse(%q).String() = %q does not parse: %v", src, text, err)
		}
		if got := again.String(); got != text {
			t.Fatalf("String not stable:\n%q\n%q", text, got)
		}
		if !sameTree(e.root, again.root) {
			t.Fatalf("Parse(%q) is another tree than its String %q", src, text)
		}
		for _, r := range rows {
			if a, b := e.Eval(r), again.Eval(r); a != b {
				t.Fatalf("%q and its String evaluate differently: %v, %v", src, a, b)
			}
		}
	})
}

// fuzzRow builds a row for the fields of e from data: each field missing or
// holding a value from a palette of awkward values, the expression's own
// literals, or bytes from data.
func fuzzRow(e *Expr, data []byte) *value.Row {
	palette := []value.Value{
		{}, value.OfInt(0), value.OfInt(305), value.OfInt(-1), value.OfInt(2),
		value.OfString("305"), value.OfString(" 305 "), value.OfString("305.0"), value.OfString("abc"),
		value.OfString(""), value.OfString("true"), value.OfString("TRUE"), value.OfString("false"),
		value.OfBool(true), value.OfBool(false), value.OfNumber("305.0"), value.OfNumber("3.05e2"),
		value.OfNumber("1e999"), value.OfNumber("12345678901234567890"), value.OfFloat(2.5),
		value.OfFloat(-1e-7), value.OfJSON(`{"a":1}`), value.OfJSON("[305]"), value.OfString("drop:wrong"),
		value.OfString("测试abc"), value.OfString(`a%b_c\`), value.OfString("\xff\xfe"), value.OfString("é€"),
	}
	var walk func(n *node)
	walk = func(n *node) {
		for _, o := range []operand{n.left, n.right} {
			if !o.isField && o.lit.Kind() != value.Null {
				palette = append(palette, o.lit)
			}
		}
		palette = append(palette, n.list...)
		if n.pattern != "" {
			palette = append(palette, value.OfString(n.pattern))
		}
		for _, k := range n.kids {
			walk(k)
		}
	}
	walk(e.root)
	next := func() byte {
		if len(data) == 0 {
			return 0
		}
		b := data[0]
		data = data[1:]
		return b
	}
	r := &value.Row{}
	for _, name := range append(e.Fields(), "other") {
		switch b := next(); {
		case b%7 == 6:
			// missing
		case b%7 == 5:
			n := min(int(next()%12), len(data))
			r.Append(name, value.OfString(string(data[:n])))
			data = data[n:]
		default:
			r.Append(name, palette[int(next())%len(palette)])
		}
	}
	if k := int(next()); len(r.Fields) > 0 {
		k %= len(r.Fields)
		r.Fields = append(r.Fields[k:], r.Fields[:k]...)
	}
	return r
}

func FuzzEval(f *testing.F) {
	for i, s := range parseSeeds {
		f.Add(s, []byte{byte(i), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, byte(i * 7)})
	}
	f.Add("msgId = '305' and role in (1, 2) and sub like 'drop:%' and x is null", []byte{0, 2, 0, 4, 0, 23, 1, 24, 6, 3})
	f.Add("a < b or a >= '2.5' or a like '_%_' or a matches '^[0-9]+$'", []byte{5, 4, '1', '2', '3', '4', 0, 19})
	f.Fuzz(func(t *testing.T, src string, data []byte) {
		e, err := Parse(src)
		if err != nil {
			return
		}
		r := fuzzRow(e, data)
		check := func(r *value.Row, what string) bool {
			got, want := e.Eval(r), refEval(e.root, r)
			if got != want {
				t.Fatalf("%s on %s: Eval = %v, reference = %v (canonical %s)", src, what, got, want, e)
			}
			return got
		}
		got := check(r, describeRow(r))
		// Again with the fields in another order, so the hints are wrong.
		reversed := &value.Row{Fields: make([]value.Field, len(r.Fields))}
		for i, fl := range r.Fields {
			reversed.Fields[len(r.Fields)-1-i] = fl
		}
		check(reversed, "the same row reversed "+describeRow(reversed))
		check(r, "the first row again")
		check(&value.Row{}, "an empty row")

		if neg, err := Parse("not (" + e.String() + ")"); err == nil && neg.Eval(r) == got {
			t.Fatalf("not (%s) = %v, the same as without not", e, got)
		}
		if both, err := Parse("(" + e.String() + ") and (" + e.String() + ")"); err == nil && both.Eval(r) != got {
			t.Fatalf("(%s) and itself = %v, want %v", e, !got, got)
		}
	})
}

func describeRow(r *value.Row) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, f := range r.Fields {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(f.Name + ": " + f.Value.Kind().String() + " " + f.Value.Text())
	}
	b.WriteByte('}')
	return b.String()
}
