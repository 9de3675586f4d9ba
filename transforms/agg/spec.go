package agg

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Func is an aggregate function.
type Func uint8

// The functions. The zero Func is none.
const (
	Count         Func = iota + 1 // count(*) or count() counts rows, count(x) the rows where x is not null
	Sum                           // sum(x)
	Avg                           // avg(x)
	Min                           // min(x)
	Max                           // max(x)
	CountDistinct                 // count_distinct(x)
)

var funcNames = [...]string{Count: "count", Sum: "sum", Avg: "avg", Min: "min", Max: "max", CountDistinct: "count_distinct"}

func (f Func) String() string {
	if f > 0 && int(f) < len(funcNames) {
		return funcNames[f]
	}
	return "func(" + strconv.Itoa(int(f)) + ")"
}

func lookupFunc(name string) (Func, bool) {
	for f := Count; int(f) < len(funcNames); f++ {
		if strings.EqualFold(name, funcNames[f]) {
			return f, true
		}
	}
	return 0, false
}

// Spec is one aggregate: the output field Out is Func of the input field
// Field. Field is empty only for count(*).
type Spec struct {
	Out   string
	Func  Func
	Field string
}

// String returns the spec as ParseSpec reads it, with the field
// backquoted when it is not a bare name.
func (s Spec) String() string { return s.Out + "=" + call(s.Func, s.Field) }

// call writes func(field), with the field backquoted when it is not a bare
// name.
func call(f Func, field string) string {
	switch {
	case field == "":
		return f.String() + "(*)"
	case isBareName(field):
		return f.String() + "(" + field + ")"
	}
	return f.String() + "(`" + strings.ReplaceAll(field, "`", "``") + "`)"
}

// validate checks a spec built in code the way ParseSpec checks text.
func (s Spec) validate() error {
	switch {
	case !isBareName(s.Out):
		return fmt.Errorf("aggregate %q: output name %q is not a name ([A-Za-z_][A-Za-z0-9_.$-]*)", s, s.Out)
	case s.Func < Count || int(s.Func) >= len(funcNames):
		return fmt.Errorf("aggregate %q: unknown function %d", s.Out, s.Func)
	case s.Field == "" && s.Func != Count:
		return fmt.Errorf("aggregate %q: %s needs a field", s, s.Func)
	}
	return nil
}

// SpecError is an aggregate's text that does not parse: the character
// (rune) position it went wrong at, counted from 1, and what was expected
// there.
type SpecError struct {
	Text string
	Pos  int
	Msg  string
}

func (e *SpecError) Error() string {
	return strconv.Quote(e.Text) + ": at " + strconv.Itoa(e.Pos) + ": " + e.Msg
}

// ParseSpecs reads a list of aggregates, refusing two with the same output
// name.
func ParseSpecs(list []string) ([]Spec, error) {
	specs := make([]Spec, 0, len(list))
	for _, text := range list {
		s, err := ParseSpec(text)
		if err != nil {
			return nil, err
		}
		specs = append(specs, s)
	}
	if err := checkOuts(specs); err != nil {
		return nil, err
	}
	return specs, nil
}

func checkOuts(specs []Spec) error {
	seen := make(map[string]int, len(specs))
	for i, s := range specs {
		if j, dup := seen[s.Out]; dup {
			return fmt.Errorf("two aggregates named %q: %q and %q", s.Out, specs[j], s)
		}
		seen[s.Out] = i
	}
	return nil
}

// ParseSpec reads one aggregate: out=func(field).
//
//	event_count=count()       rows; also count(*)
//	n=count(event)            rows where event is not null
//	event_sum=sum(lost)
//	leads=count_distinct(`student id`)
//
// The output is a bare name [A-Za-z_][A-Za-z0-9_.$-]*; the field is a bare
// name too, or any text between backquotes with a backquote in it doubled,
// as in transforms/expr. Function names are case-insensitive. Spaces may
// surround every part.
func ParseSpec(text string) (Spec, error) {
	p := specParser{src: text}
	return p.parse()
}

type specParser struct {
	src string
	pos int
}

func (p *specParser) errorf(off int, format string, args ...any) error {
	return &SpecError{Text: p.src, Pos: utf8.RuneCountInString(p.src[:off]) + 1, Msg: fmt.Sprintf(format, args...)}
}

func (p *specParser) skipSpace() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
			continue
		}
		return
	}
}

// found describes what is at the current position, for messages.
func (p *specParser) found() string {
	if p.pos >= len(p.src) {
		return "end of input"
	}
	r, _ := utf8.DecodeRuneInString(p.src[p.pos:])
	return strconv.QuoteRune(r)
}

func (p *specParser) name() string {
	start := p.pos
	if p.pos < len(p.src) && isNameStart(p.src[p.pos]) {
		p.pos++
		for p.pos < len(p.src) && isNameChar(p.src[p.pos]) {
			p.pos++
		}
	}
	return p.src[start:p.pos]
}

func (p *specParser) expect(c byte, after string) error {
	p.skipSpace()
	if p.pos < len(p.src) && p.src[p.pos] == c {
		p.pos++
		return nil
	}
	return p.errorf(p.pos, "expected %q after %s, found %s", string(c), after, p.found())
}

func (p *specParser) parse() (Spec, error) {
	if !utf8.ValidString(p.src) {
		i := 0
		for i < len(p.src) {
			r, n := utf8.DecodeRuneInString(p.src[i:])
			if r == utf8.RuneError && n == 1 {
				break
			}
			i += n
		}
		return Spec{}, p.errorf(i, "invalid UTF-8")
	}
	var s Spec
	p.skipSpace()
	if s.Out = p.name(); s.Out == "" {
		return s, p.errorf(p.pos, `expected an output name, as in "n=count()", found %s`, p.found())
	}
	if err := p.expect('=', "the output name "+strconv.Quote(s.Out)); err != nil {
		return s, err
	}
	p.skipSpace()
	fstart := p.pos
	fname := p.name()
	if fname == "" {
		return s, p.errorf(p.pos, "expected a function (count, sum, avg, min, max or count_distinct) after \"=\", found %s", p.found())
	}
	f, ok := lookupFunc(fname)
	if !ok {
		return s, p.errorf(fstart, "unknown function %q (want count, sum, avg, min, max or count_distinct)", fname)
	}
	s.Func = f
	if err := p.expect('(', strconv.Quote(fname)); err != nil {
		return s, err
	}
	p.skipSpace()
	argStart := p.pos
	switch {
	case p.pos < len(p.src) && (p.src[p.pos] == ')' || p.src[p.pos] == '*'):
		if f != Count {
			return s, p.errorf(argStart, "expected a field name after \"(\", found %s: %s needs a field, as in %s(x)", p.found(), f, f)
		}
		if p.src[p.pos] == '*' {
			p.pos++
			if err := p.expect(')', `"*"`); err != nil {
				return s, err
			}
		} else {
			p.pos++
		}
	case p.pos < len(p.src) && p.src[p.pos] == '`':
		field, err := p.quotedName()
		if err != nil {
			return s, err
		}
		s.Field = field
		if err := p.expect(')', "the field name"); err != nil {
			return s, err
		}
	default:
		if s.Field = p.name(); s.Field == "" {
			if f == Count {
				return s, p.errorf(p.pos, "expected a field name, \"*\" or \")\" after \"(\", found %s", p.found())
			}
			return s, p.errorf(p.pos, "expected a field name after \"(\", found %s", p.found())
		}
		if err := p.expect(')', "the field name"); err != nil {
			return s, err
		}
	}
	p.skipSpace()
	if p.pos < len(p.src) {
		return s, p.errorf(p.pos, "expected the end after \")\", found %s", p.found())
	}
	return s, nil
}

// quotedName reads a backquoted name; a doubled backquote stands for one.
func (p *specParser) quotedName() (string, error) {
	start := p.pos
	p.pos++
	var b strings.Builder
	for {
		i := strings.IndexByte(p.src[p.pos:], '`')
		if i < 0 {
			return "", p.errorf(start, "unterminated backquoted field name")
		}
		b.WriteString(p.src[p.pos : p.pos+i])
		p.pos += i + 1
		if p.pos < len(p.src) && p.src[p.pos] == '`' {
			b.WriteByte('`')
			p.pos++
			continue
		}
		break
	}
	if b.Len() == 0 {
		return "", p.errorf(start, "empty field name")
	}
	return b.String(), nil
}

func isNameStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

func isNameChar(c byte) bool {
	return isNameStart(c) || isDigit(c) || c == '.' || c == '$' || c == '-'
}

// isBareName reports whether s is a name that needs no backquotes.
func isBareName(s string) bool {
	if s == "" || !isNameStart(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if !isNameChar(s[i]) {
			return false
		}
	}
	return true
}
