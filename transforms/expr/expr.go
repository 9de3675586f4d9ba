package expr

import "github.com/tributarydata/tributary/transforms/value"

// Expr is a parsed condition. Its methods are safe for concurrent use: the
// only state Eval changes is each field's position hint, which is atomic.
type Expr struct {
	root *node
	cond cond
}

// Parse parses a condition. A *SyntaxError says where it went wrong and
// what was expected there.
func Parse(src string) (*Expr, error) {
	root, err := parse(src)
	if err != nil {
		return nil, err
	}
	c := &compiler{fields: make(map[string]*field)}
	return &Expr{root: root, cond: c.compile(root)}, nil
}

// MustParse is Parse for conditions written in code; it panics on an
// error.
func MustParse(src string) *Expr {
	e, err := Parse(src)
	if err != nil {
		panic("expr: " + src + ": " + err.Error())
	}
	return e
}

var noFields value.Row

// Eval reports whether the row satisfies the condition. A nil row has no
// fields. It does not allocate, except to format a number that a matches
// condition is applied to.
func (e *Expr) Eval(r *value.Row) bool {
	if r == nil {
		r = &noFields
	}
	return e.cond.eval(r)
}

// String returns the condition in canonical form: lower-case keywords, ==
// and !=, single-quoted strings, names backquoted only when they must be,
// and only the parentheses precedence needs. Parse(e.String()) is the same
// condition, and prints the same.
func (e *Expr) String() string { return string(e.root.appendText(nil)) }

// Fields returns the names of the fields the condition reads, each once, in
// the order they first appear.
func (e *Expr) Fields() []string {
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
