package expr

import (
	"github.com/tributarydata/tributary/transforms/value"
)

// ValueExpr is a parsed value expression: a field, a literal, a CASE or a
// function of values, which Eval works out for a row. Like Expr it is safe
// for concurrent use; the memory an evaluation writes text into is the
// caller's Scratch.
type ValueExpr struct {
	root *vnode
	v    valuer
}

// ParseValue parses a value expression (see the package documentation's
// Values). A *SyntaxError says where it went wrong and what was expected
// there; so does a function of literals that fails when ParseValue works it
// out (cast('abc' as long)).
func ParseValue(src string) (*ValueExpr, error) {
	p, err := newParser(src, true)
	if err != nil {
		return nil, err
	}
	root, err := p.value("")
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tokEOF {
		return nil, p.errorf("expected the end after a value, found %s", p.found())
	}
	return compileValue(src, root)
}

// MustParseValue is ParseValue for expressions written in code; it panics
// on an error.
func MustParseValue(src string) *ValueExpr {
	e, err := ParseValue(src)
	if err != nil {
		panic("expr: " + src + ": " + err.Error())
	}
	return e
}

func compileValue(src string, root *vnode) (*ValueExpr, error) {
	c := &valueCompiler{compiler: compiler{fields: make(map[string]*field)}, src: src}
	v, err := c.value(root)
	if err != nil {
		return nil, err
	}
	return &ValueExpr{root: root, v: v}, nil
}

// Eval works out the value for row r (nil has no fields). Text that a
// function makes (concat, md5, date_format, ...) is written into s, which
// must not be used by two goroutines at once; s may be nil, and then such
// text is allocated afresh. The strings of the values returned stay valid
// for good, whatever s is used for later.
//
// A field, a literal or a CASE of them allocates nothing. An error is a
// value a function cannot take: cast('abc' as long), date_format of text
// that is not a time.
func (e *ValueExpr) Eval(r *value.Row, s *Scratch) (value.Value, error) {
	if r == nil {
		r = &noFields
	}
	if s == nil {
		s = &Scratch{oneOff: true}
	}
	return e.v.eval(r, s)
}

// String returns the expression in canonical form: lower-case keywords and
// function names, single-quoted strings, names backquoted only when they
// must be, no else null. ParseValue(e.String()) prints the same.
func (e *ValueExpr) String() string { return string(e.root.appendText(nil)) }

// Fields returns the names of the fields the expression reads, each once,
// in the order they first appear.
func (e *ValueExpr) Fields() []string {
	var names []string
	seen := make(map[string]bool)
	e.root.walkFields(func(name string) {
		if !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
	})
	return names
}

// Assignment is one field = value of a list that ParseAssignments read.
type Assignment struct {
	Field string
	Value *ValueExpr
}

// String is the assignment in canonical form, field = value.
func (a Assignment) String() string {
	b := appendName(nil, a.Field, true)
	b = append(b, " = "...)
	return string(a.Value.root.appendText(b))
}

// ParseAssignments parses a comma-separated list of field = value
// assignments:
//
//	user_id = coalesce(user_id, -1), event = concat(event, '_AUDIO_STATE')
//
// Commas inside strings, parentheses and CASEs belong to their value, so
// the list needs no other quoting. The source as a whole is held to
// MaxSourceLen, and error positions count from its start. A field may be
// assigned more than once.
func ParseAssignments(src string) ([]Assignment, error) {
	p, err := newParser(src, true)
	if err != nil {
		return nil, err
	}
	var list []Assignment
	for {
		if p.tok.kind != tokField {
			if p.tok.kind == tokKeyword {
				return nil, p.errorf("expected a field name, found %s (backquote a field named like a keyword: `%s`)", p.found(), p.src[p.tok.pos:p.tok.end])
			}
			return nil, p.errorf("expected a field name, found %s", p.found())
		}
		name := p.tok
		if err := p.advance(); err != nil {
			return nil, err
		}
		if !p.isPunct("=") {
			return nil, p.errorf("expected \"=\" after the field name %s, found %s", quoteToken(src, name), p.found())
		}
		eq := p.tok
		if err := p.advance(); err != nil {
			return nil, err
		}
		root, err := p.value(after(eq, src))
		if err != nil {
			return nil, err
		}
		v, err := compileValue(src, root)
		if err != nil {
			return nil, err
		}
		list = append(list, Assignment{Field: name.text, Value: v})
		if p.tok.kind == tokEOF {
			return list, nil
		}
		if !p.isPunct(",") {
			return nil, p.errorf("expected \",\" or the end after the value of %s, found %s", quoteToken(src, name), p.found())
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
	}
}
