package hbase

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/tributarydata/tributary/sinks/row"
)

// The rowkey.expression language:
//
//	expr    = call | field | string
//	call    = name "(" expr { "," expr } ")"
//	field   = name | "`" { any character, "``" for a backquote } "`"
//	string  = "'" { any character, "''" for a quote } "'"
//	name    = letter or "_" or "$", then letters, digits, "_" or "$"
//
// A name followed by "(" calls a function (case-insensitive); any other name
// is a field of the row. Spaces between tokens are ignored.

// maxExprDepth bounds nesting so a hostile or mistyped expression cannot
// recurse without end; real rowkeys nest two or three calls.
const maxExprDepth = 32

// expr is a parsed rowkey expression.
type expr interface {
	// eval computes the expression over a row's fields.
	eval(row map[string]any) (string, error)
	// String is the canonical text, which parses back to the same expression.
	String() string
}

type fieldRef struct{ name string }

type literal struct{ text string }

type call struct {
	fn   *function
	args []expr
}

type function struct {
	name    string
	minArgs int
	maxArgs int // -1: any number
	apply   func(args []string) string
}

var functions = map[string]*function{
	"md5": {name: "md5", minArgs: 1, maxArgs: 1, apply: func(a []string) string {
		sum := md5.Sum([]byte(a[0]))
		return hex.EncodeToString(sum[:])
	}},
	"concat":  {name: "concat", minArgs: 1, maxArgs: -1, apply: func(a []string) string { return strings.Join(a, "") }},
	"lower":   {name: "lower", minArgs: 1, maxArgs: 1, apply: func(a []string) string { return strings.ToLower(a[0]) }},
	"upper":   {name: "upper", minArgs: 1, maxArgs: 1, apply: func(a []string) string { return strings.ToUpper(a[0]) }},
	"reverse": {name: "reverse", minArgs: 1, maxArgs: 1, apply: reverseRunes},
}

// reverseRunes reverses by character, not byte, so multi-byte text stays
// valid UTF-8 (reversed keys spread sequential ids over regions).
func reverseRunes(a []string) string {
	r := []rune(a[0])
	slices.Reverse(r)
	return string(r)
}

func (f fieldRef) eval(fields map[string]any) (string, error) {
	v, ok := fields[f.name]
	if !ok {
		return "", fmt.Errorf("no field %q", f.name)
	}
	s, err := row.KeyText(v)
	if err != nil {
		return "", fmt.Errorf("field %q %v", f.name, err)
	}
	return s, nil
}

func (f fieldRef) String() string {
	if isName(f.name) {
		return f.name
	}
	return "`" + strings.ReplaceAll(f.name, "`", "``") + "`"
}

func (l literal) eval(map[string]any) (string, error) { return l.text, nil }

func (l literal) String() string { return "'" + strings.ReplaceAll(l.text, "'", "''") + "'" }

func (c call) eval(row map[string]any) (string, error) {
	args := make([]string, len(c.args))
	for i, a := range c.args {
		s, err := a.eval(row)
		if err != nil {
			return "", err
		}
		args[i] = s
	}
	return c.fn.apply(args), nil
}

func (c call) String() string {
	parts := make([]string, len(c.args))
	for i, a := range c.args {
		parts[i] = a.String()
	}
	return c.fn.name + "(" + strings.Join(parts, ",") + ")"
}

// ExprError is a rowkey.expression that does not parse; Col counts
// characters from 1.
type ExprError struct {
	Expr string
	Col  int
	Msg  string
}

func (e *ExprError) Error() string {
	return fmt.Sprintf("rowkey.expression %q: column %d: %s", e.Expr, e.Col, e.Msg)
}

// parseExpr parses a rowkey expression.
func parseExpr(src string) (expr, error) {
	p := &parser{src: src}
	p.skipSpace()
	if p.pos == len(src) {
		return nil, p.errorf("empty expression: name a field, e.g. md5(id)")
	}
	e, err := p.expr(0)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos < len(src) {
		return nil, p.errorf("unexpected %s after the expression", p.describe())
	}
	return e, nil
}

type parser struct {
	src string
	pos int // byte offset
}

func (p *parser) errorf(format string, args ...any) error {
	return &ExprError{Expr: p.src, Col: len([]rune(p.src[:p.pos])) + 1, Msg: fmt.Sprintf(format, args...)}
}

// describe names what is at the current position, for error messages.
func (p *parser) describe() string {
	if p.pos >= len(p.src) {
		return "end of input"
	}
	r := []rune(p.src[p.pos:])[0]
	return strconv.QuoteRune(r)
}

func (p *parser) skipSpace() {
	for p.pos < len(p.src) && strings.IndexByte(" \t\r\n", p.src[p.pos]) >= 0 {
		p.pos++
	}
}

func (p *parser) expr(depth int) (expr, error) {
	if depth > maxExprDepth {
		return nil, p.errorf("nested more than %d calls deep", maxExprDepth)
	}
	p.skipSpace()
	if p.pos >= len(p.src) {
		return nil, p.errorf("expected a field, a 'string' or a function call, found end of input")
	}
	switch c := p.src[p.pos]; {
	case c == '\'':
		s, err := p.quoted('\'', "string")
		if err != nil {
			return nil, err
		}
		return literal{text: s}, nil
	case c == '`':
		s, err := p.quoted('`', "field name")
		if err != nil {
			return nil, err
		}
		return fieldRef{name: s}, nil
	case isNameStart(c):
		start := p.pos
		name := p.name()
		p.skipSpace()
		if p.pos < len(p.src) && p.src[p.pos] == '(' {
			return p.call(name, start, depth)
		}
		return fieldRef{name: name}, nil
	}
	return nil, p.errorf("expected a field, a 'string' or a function call, found %s", p.describe())
}

func (p *parser) call(name string, start, depth int) (expr, error) {
	fn, ok := functions[strings.ToLower(name)]
	if !ok {
		p.pos = start
		return nil, p.errorf("unknown function %s: use one of %s", name, strings.Join(slices.Sorted(maps.Keys(functions)), ", "))
	}
	p.pos++ // '('
	var args []expr
	p.skipSpace()
	if p.pos < len(p.src) && p.src[p.pos] == ')' {
		p.pos++
	} else {
		for {
			a, err := p.expr(depth + 1)
			if err != nil {
				return nil, err
			}
			args = append(args, a)
			p.skipSpace()
			if p.pos >= len(p.src) {
				return nil, p.errorf("expected ',' or ')' in the arguments of %s, found end of input", fn.name)
			}
			if p.src[p.pos] == ')' {
				p.pos++
				break
			}
			if p.src[p.pos] != ',' {
				return nil, p.errorf("expected ',' or ')' in the arguments of %s, found %s", fn.name, p.describe())
			}
			p.pos++
		}
	}
	if len(args) < fn.minArgs || fn.maxArgs >= 0 && len(args) > fn.maxArgs {
		p.pos = start
		want := strconv.Itoa(fn.minArgs)
		switch {
		case fn.maxArgs < 0:
			want = "at least " + want
		case fn.maxArgs != fn.minArgs:
			want += " to " + strconv.Itoa(fn.maxArgs)
		}
		return nil, p.errorf("%s takes %s argument(s), not %d", fn.name, want, len(args))
	}
	return call{fn: fn, args: args}, nil
}

// quoted reads text between two q characters; a doubled q stands for one.
func (p *parser) quoted(q byte, what string) (string, error) {
	open := p.pos
	p.pos++
	var b strings.Builder
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if c != q {
			b.WriteByte(c)
			p.pos++
			continue
		}
		if p.pos+1 < len(p.src) && p.src[p.pos+1] == q {
			b.WriteByte(q)
			p.pos += 2
			continue
		}
		p.pos++
		if what == "field name" && b.Len() == 0 {
			p.pos = open
			return "", p.errorf("empty field name")
		}
		return b.String(), nil
	}
	p.pos = open
	return "", p.errorf("unterminated %s: missing closing %c", what, q)
}

func (p *parser) name() string {
	start := p.pos
	for p.pos < len(p.src) && isNamePart(p.src[p.pos]) {
		p.pos++
	}
	return p.src[start:p.pos]
}

func isNameStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '$'
}

func isNamePart(c byte) bool { return isNameStart(c) || c >= '0' && c <= '9' }

// isName reports whether s can be written as a bare field name.
func isName(s string) bool {
	if s == "" || !isNameStart(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isNamePart(s[i]) {
			return false
		}
	}
	return true
}
