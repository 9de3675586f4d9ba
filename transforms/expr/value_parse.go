package expr

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tributarydata/tributary/transforms/timefmt"
	"github.com/tributarydata/tributary/transforms/value"
)

// vnodeKind is what a node of a value expression's tree is.
type vnodeKind uint8

const (
	vField   vnodeKind = iota + 1 // field
	vLiteral                      // lit, null included
	vCase                         // case when whens[i] then thens[i] ... [else els] end
	vCall                         // fn(args...), cast(args[0] as typ)
)

// vnode is a value expression as parsed: String prints it, Fields reads
// it, the tests evaluate it the slow way; Eval runs what valueCompiler
// makes of it.
type vnode struct {
	kind  vnodeKind
	pos   int // byte offset of the node's first token, for errors found compiling it
	field string
	lit   value.Value
	whens []*node
	thens []*vnode
	els   *vnode // nil: no else, the value is null
	fn    string // the function's lower-case name
	args  []*vnode
	typ   value.Type     // cast: the type
	out   timefmt.Format // date_format: the pattern, args[1]
	loc   *time.Location // date_format: the zone, args[2], or UTC
}

// functions are the functions' names and how many arguments each takes: at
// least min, at most max (-1 for any number). cast's "as type" is read by
// castType.
var functions = map[string]struct{ min, max int }{
	"coalesce":    {1, -1},
	"concat":      {1, -1},
	"md5":         {1, 1},
	"lower":       {1, 1},
	"upper":       {1, 1},
	"trim":        {1, 1},
	"date_format": {2, 3},
	"cast":        {1, 1},
}

const functionList = "cast, coalesce, concat, date_format, lower, md5, trim, upper"

// castTypes are the type names cast takes: value.ParseType's, and the SQL
// names of the seed's casts. tinyint, smallint and integer are long, with
// no check of their smaller ranges.
var castTypes = map[string]value.Type{
	"string": value.TypeString, "varchar": value.TypeString,
	"long": value.TypeLong, "bigint": value.TypeLong, "int": value.TypeLong, "integer": value.TypeLong,
	"smallint": value.TypeLong, "tinyint": value.TypeLong,
	"double": value.TypeDouble, "float": value.TypeDouble,
	"boolean": value.TypeBoolean, "bool": value.TypeBoolean,
}

// enterValue counts a case or function into the nesting that MaxDepth
// bounds, with parentheses and nots.
func (p *parser) enterValue() error {
	if p.depth++; p.depth > MaxDepth {
		return p.errorf("cases, functions, parentheses and nots nest deeper than %d", MaxDepth)
	}
	return nil
}

// value := field | literal | "null" | case | name "(" args ")"
func (p *parser) value(ctx string) (*vnode, error) {
	t := p.tok
	switch t.kind {
	case tokField:
		if err := p.advance(); err != nil {
			return nil, err
		}
		if p.isPunct("(") && p.src[t.pos] != '`' {
			return p.call(t)
		}
		return &vnode{kind: vField, pos: t.pos, field: t.text}, nil
	case tokString:
		return p.literal(value.OfString(t.text))
	case tokNumber:
		return p.literal(numberValue(t.text))
	case tokKeyword:
		switch t.text {
		case "true", "false":
			return p.literal(value.OfBool(t.text == "true"))
		case "null":
			return p.literal(value.Value{})
		case "case":
			return p.caseValue()
		}
	}
	return nil, p.errorf("expected a value%s, found %s", ctx, p.found())
}

func (p *parser) literal(v value.Value) (*vnode, error) {
	n := &vnode{kind: vLiteral, pos: p.tok.pos, lit: v}
	return n, p.advance()
}

// caseValue := "case" "when" condition "then" value { "when" condition
// "then" value } [ "else" value ] "end"
func (p *parser) caseValue() (*vnode, error) {
	caseTok := p.tok
	if err := p.enterValue(); err != nil {
		return nil, err
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if !p.isKeyword("when") {
		return nil, p.errorf(`expected "when" after "case", found %s`, p.found())
	}
	n := &vnode{kind: vCase, pos: caseTok.pos}
	for p.isKeyword("when") {
		when := p.tok
		if err := p.advance(); err != nil {
			return nil, err
		}
		cond, err := p.or(after(when, p.src))
		if err != nil {
			return nil, err
		}
		if !p.isKeyword("then") {
			if p.isPunct("(") {
				return nil, p.errorf(`expected "then" after the condition, found "(" (a condition compares fields and literals: assign the function's value to a field first)`)
			}
			return nil, p.errorf(`expected "then" after the condition, found %s`, p.found())
		}
		then := p.tok
		if err := p.advance(); err != nil {
			return nil, err
		}
		v, err := p.value(after(then, p.src))
		if err != nil {
			return nil, err
		}
		n.whens = append(n.whens, cond)
		n.thens = append(n.thens, v)
	}
	if p.isKeyword("else") {
		elseTok := p.tok
		if err := p.advance(); err != nil {
			return nil, err
		}
		v, err := p.value(after(elseTok, p.src))
		if err != nil {
			return nil, err
		}
		if !(v.kind == vLiteral && v.lit.IsNull()) { // else null is no else
			n.els = v
		}
	}
	if !p.isKeyword("end") {
		return nil, p.errorf(`expected "when", "else" or "end" in the case at %d, found %s`, utf8.RuneCountInString(p.src[:caseTok.pos])+1, p.found())
	}
	p.depth--
	return n, p.advance()
}

// call := name "(" value { "," value } ")" | "cast" "(" value "as" type ")"
// The current token is the "(" after the name.
func (p *parser) call(name token) (*vnode, error) {
	fn := strings.ToLower(name.text)
	arity, ok := functions[fn]
	if !ok {
		return nil, errorAt(p.src, name.pos, "unknown function %s (the functions are %s)", quoteToken(p.src, name), functionList)
	}
	if err := p.enterValue(); err != nil {
		return nil, err
	}
	n := &vnode{kind: vCall, pos: name.pos, fn: fn}
	prev := p.tok
	for {
		if err := p.advance(); err != nil {
			return nil, err
		}
		arg, err := p.value(after(prev, p.src))
		if err != nil {
			return nil, err
		}
		n.args = append(n.args, arg)
		if fn == "cast" {
			if err := p.castType(n); err != nil {
				return nil, err
			}
			if !p.isPunct(")") {
				return nil, p.errorf(`expected ")" after the type of cast, found %s`, p.found())
			}
		}
		if p.isPunct(")") {
			break
		}
		if !p.isPunct(",") {
			return nil, p.errorf(`expected "," or ")" in the arguments of %s, found %s`, fn, p.found())
		}
		prev = p.tok
	}
	if len(n.args) < arity.min || arity.max >= 0 && len(n.args) > arity.max {
		return nil, errorAt(p.src, name.pos, "%s takes %s, found %d", fn, argCount(arity.min, arity.max), len(n.args))
	}
	if fn == "date_format" {
		if err := p.dateFormatArgs(n); err != nil {
			return nil, err
		}
	}
	p.depth--
	return n, p.advance()
}

func argCount(min, max int) string {
	plural := func(n int) string {
		if n == 1 {
			return "1 argument"
		}
		return strconv.Itoa(n) + " arguments"
	}
	switch {
	case max < 0:
		return "at least " + plural(min)
	case min == max:
		return plural(min)
	}
	return strconv.Itoa(min) + " or " + plural(max)
}

// castType reads "as" type after cast's value.
func (p *parser) castType(n *vnode) error {
	if !p.isKeyword("as") {
		return p.errorf(`expected "as" and a type after the value in cast, found %s`, p.found())
	}
	as := p.tok
	if err := p.advance(); err != nil {
		return err
	}
	t, ok := castTypes[strings.ToLower(p.tok.text)]
	if p.tok.kind != tokField || !ok {
		return p.errorf("expected a type%s (string, long, double or boolean), found %s", after(as, p.src), p.found())
	}
	n.typ = t
	return p.advance()
}

// dateFormatArgs checks date_format's pattern and zone, which must be
// strings written in the expression, and reads them once.
func (p *parser) dateFormatArgs(n *vnode) error {
	pattern := n.args[1]
	s, ok := pattern.lit.Str()
	if pattern.kind != vLiteral || !ok {
		return errorAt(p.src, pattern.pos, "the pattern of date_format must be a quoted string, such as 'yyyy-MM-dd'")
	}
	f, err := timefmt.Parse(s)
	if err != nil {
		return errorAt(p.src, pattern.pos, "date_format: %v", err)
	}
	n.out, n.loc = f, time.UTC
	if len(n.args) == 3 {
		zone := n.args[2]
		name, ok := zone.lit.Str()
		if zone.kind != vLiteral || !ok || strings.TrimSpace(name) == "" {
			return errorAt(p.src, zone.pos, "the zone of date_format must be a quoted zone name, such as 'Asia/Shanghai'")
		}
		if n.loc, err = time.LoadLocation(name); err != nil {
			return errorAt(p.src, zone.pos, "date_format: unknown time zone %q", name)
		}
	}
	return nil
}

// appendText appends the canonical text of n.
func (n *vnode) appendText(b []byte) []byte {
	switch n.kind {
	case vField:
		return appendName(b, n.field, true)
	case vLiteral:
		if n.lit.IsNull() {
			return append(b, "null"...)
		}
		return appendLiteral(b, n.lit)
	case vCase:
		b = append(b, "case"...)
		for i, w := range n.whens {
			b = append(b, " when "...)
			b = w.appendTextIn(b, true)
			b = append(b, " then "...)
			b = n.thens[i].appendText(b)
		}
		if n.els != nil {
			b = append(b, " else "...)
			b = n.els.appendText(b)
		}
		return append(b, " end"...)
	}
	b = append(b, n.fn...)
	b = append(b, '(')
	for i, a := range n.args {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = a.appendText(b)
	}
	if n.fn == "cast" {
		b = append(b, " as "...)
		b = append(b, n.typ.String()...)
	}
	return append(b, ')')
}

// walkFields calls fn with each field reference of n, in source order.
func (n *vnode) walkFields(fn func(string)) {
	if n.kind == vField {
		fn(n.field)
	}
	for i, w := range n.whens {
		w.walkFields(fn)
		n.thens[i].walkFields(fn)
	}
	if n.els != nil {
		n.els.walkFields(fn)
	}
	for _, a := range n.args {
		a.walkFields(fn)
	}
}
