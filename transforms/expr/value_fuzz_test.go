package expr

import (
	"crypto/md5"
	"errors"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tributarydata/tributary/transforms/value"
)

// refValue is the meaning of a value expression's tree written as plainly
// as possible: refEval for the conditions, lookups by name, the standard
// library's string functions, time.Format for date_format, and no folding
// of literals, no Scratch.
func refValue(n *vnode, r *value.Row) (value.Value, error) {
	switch n.kind {
	case vField:
		v, _ := r.Get(n.field)
		return v, nil
	case vLiteral:
		return n.lit, nil
	case vCase:
		for i, w := range n.whens {
			if refEval(w, r) {
				return refValue(n.thens[i], r)
			}
		}
		if n.els == nil {
			return value.Value{}, nil
		}
		return refValue(n.els, r)
	}
	var args []value.Value
	for _, a := range n.args {
		v, err := refValue(a, r)
		if err != nil {
			return value.Value{}, err
		}
		if n.fn == "coalesce" && !v.IsNull() {
			return v, nil
		}
		if v.IsNull() && n.fn != "coalesce" {
			return value.Value{}, nil // every other function is null of null, concat at its first null
		}
		args = append(args, v)
		if n.fn == "concat" {
			total := 0
			for _, a := range args {
				total += len(a.Text())
			}
			if total > MaxTextLen {
				return value.Value{}, errors.New("concat: too long")
			}
		}
	}
	switch n.fn {
	case "coalesce":
		return value.Value{}, nil
	case "concat":
		var b strings.Builder
		for _, a := range args {
			b.WriteString(a.Text())
		}
		return value.OfString(b.String()), nil
	case "md5":
		return value.OfString(fmt.Sprintf("%x", md5.Sum([]byte(args[0].Text())))), nil
	case "lower":
		return value.OfString(strings.ToLower(args[0].Text())), nil
	case "upper":
		return value.OfString(strings.ToUpper(args[0].Text())), nil
	case "trim":
		return value.OfString(strings.TrimSpace(args[0].Text())), nil
	case "cast":
		return value.Convert(args[0], n.typ)
	case "date_format":
		t, err := readTime(args[0], n.loc)
		if err != nil {
			return value.Value{}, err
		}
		if n.out.Epoch() {
			return n.out.Value(t, nil), nil
		}
		return value.OfString(t.In(n.loc).Format(n.out.Layout())), nil
	}
	panic("unknown function " + n.fn)
}

var valueSeeds = []string{
	"coalesce(user_id, -1)", "concat(event, '_AUDIO_STATE')", "date_format(confirm_date_time, 'yyyy-MM-dd')",
	"CASE WHEN level IN ('A','B','C','D') THEN level ELSE 'other' END", "md5(channel_id)",
	"cast(date_format(register_date_time,'yyyyMMddHH') as bigint)",
	"concat(date_format(t,'yyyyMMddHH'),case when level in ('A','B','C','D') then level else 'other' end)",
	"case when a is null then -1 when a like 'x%' then upper(a) else lower(trim(a)) end",
	"date_format(t, 'yyyy-MM-dd HH:mm:ss.SSS', 'Asia/Shanghai')", "date_format(t, 'epoch_millis')",
	"date_format(t, 'iso8601', 'America/New_York')", "cast(x as double)", "cast(x as boolean)", "cast(x as string)",
	"coalesce(cast(x as long), 0)", "concat(a, b, c)", "`end`", "null", "1.50", "'\\u00e9'", "true",
	"case when a = b then c end", "lower(concat(a, md5(b)))",
	// malformed
	"", "foo(1)", "concat(", "case when a then 1", "cast(a as auto)", "date_format(a, b)", "a b", "end",
	"cast('x' as long)", "date_format(a, 'yyyy', 'Mars/Base')", "`", "\xff",
}

// valuePalette is the awkward values the fuzz rows are made of, with the
// times date_format reads.
func valuePalette() []value.Value {
	return []value.Value{
		{}, value.OfInt(0), value.OfInt(305), value.OfInt(-1), value.OfInt(1614564000123),
		value.OfInt(-62135596800000), value.OfInt(1 << 62), value.OfString("305"), value.OfString(" 305 "),
		value.OfString("305.0"), value.OfString("abc"), value.OfString(""), value.OfString("  "),
		value.OfString("true"), value.OfString("FALSE"), value.OfBool(true), value.OfBool(false),
		value.OfNumber("305.0"), value.OfNumber("1e999"), value.OfNumber("12345678901234567890"),
		value.OfNumber("1614564000123.5"), value.OfFloat(2.5), value.OfFloat(-1e-7), value.OfFloat(1e300),
		value.OfJSON(`{"a":1}`), value.OfJSON("[305]"), value.OfString("测试ÀBC"), value.OfString("\xff\xfe"),
		value.OfString("ǅ İ ß ﬀ"), value.OfString("1614564000123"), value.OfString("-1"),
		value.OfString("2021-03-01"), value.OfString("2021-03-01 10:00:00"), value.OfString("2021-03-01 10:00:00.123456"),
		value.OfString("2021-03-01T10:00:00+08:00"), value.OfString("2021-03-01T10:00:00"),
		value.OfString("2021-03-01T10:00:00.5Z"), value.OfString("2021-02-30 10:00:00"), value.OfString("9999-12-31 23:59:59"),
	}
}

// fuzzValueRow builds a row for the fields of e from data, as fuzzRow does
// for conditions.
func fuzzValueRow(e *ValueExpr, data []byte) *value.Row {
	palette := valuePalette()
	var walk func(n *vnode)
	walk = func(n *vnode) {
		if n.kind == vLiteral {
			palette = append(palette, n.lit)
		}
		for i, w := range n.whens {
			palette = append(palette, w.list...)
			for _, o := range []operand{w.left, w.right} {
				if !o.isField {
					palette = append(palette, o.lit)
				}
			}
			walk(n.thens[i])
		}
		if n.els != nil {
			walk(n.els)
		}
		for _, a := range n.args {
			walk(a)
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
			n := min(int(next()%24), len(data))
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

func sameResult(a value.Value, aerr error, b value.Value, berr error) bool {
	if aerr != nil || berr != nil {
		return aerr != nil && berr != nil
	}
	return a.Kind() == b.Kind() && a.Text() == b.Text()
}

func FuzzParseValue(f *testing.F) {
	for _, s := range valueSeeds {
		f.Add(s)
	}
	rows := []*value.Row{valueRow(), {}}
	f.Fuzz(func(t *testing.T, src string) {
		e, err := ParseValue(src)
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
		again, err := ParseValue(text)
		if err != nil {
			if len(text) > MaxSourceLen { // canonical text can be longer than the source
				return
			}
			t.Fatalf("ParseValue(%q).String() = %q does not parse: %v", src, text, err)
		}
		if got := again.String(); got != text {
			t.Fatalf("String not stable:\n%q\n%q", text, got)
		}
		if list, err := ParseAssignments("x = " + text); err == nil {
			if len(list) != 1 || list[0].Value.String() != text {
				t.Fatalf("x = %s reads as %v", text, list)
			}
		} else if len(text)+4 <= MaxSourceLen {
			t.Fatalf("x = %s: %v", text, err)
		}
		var s Scratch
		for _, r := range rows {
			a, aerr := e.Eval(r, &s)
			b, berr := again.Eval(r, nil)
			if !sameResult(a, aerr, b, berr) {
				t.Fatalf("%q and its String evaluate differently: %s %v, %s %v", src, show(a), aerr, show(b), berr)
			}
		}
	})
}

func FuzzEvalValue(f *testing.F) {
	for i, s := range valueSeeds {
		f.Add(s, []byte{byte(i), 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, byte(i * 7)})
	}
	f.Add("date_format(t, 'yyyy-MM-dd HH:mm:ss.SSS')", []byte{0, 33, 0, 4})
	f.Add("concat(a, '-', md5(b), upper(c))", []byte{0, 26, 0, 28, 0, 27, 0})
	f.Fuzz(func(t *testing.T, src string, data []byte) {
		e, err := ParseValue(src)
		if err != nil {
			return
		}
		r := fuzzValueRow(e, data)
		var s Scratch
		check := func(r *value.Row, what string) (value.Value, error) {
			got, err := e.Eval(r, &s)
			want, werr := refValue(e.root, r)
			if !sameResult(got, err, want, werr) {
				t.Fatalf("%s on %s: Eval = %s, %v; reference = %s, %v (canonical %s)", src, what, show(got), err, show(want), werr, e)
			}
			return got, err
		}
		first, _ := check(r, describeRow(r))
		text := strings.Clone(first.Text())
		// Again with the fields in another order, so the hints are wrong.
		reversed := &value.Row{Fields: make([]value.Field, len(r.Fields))}
		for i, fl := range r.Fields {
			reversed.Fields[len(r.Fields)-1-i] = fl
		}
		check(reversed, "the same row reversed "+describeRow(reversed))
		check(r, "the first row again")
		check(&value.Row{}, "an empty row")
		if first.Text() != text {
			t.Fatalf("%s: the first result changed from %q to %q as the Scratch was reused", src, text, first.Text())
		}
	})
}
