package expr

import (
	"cmp"
	"regexp"
	"strings"
	"sync/atomic"

	"github.com/tributarydata/tributary/transforms/value"
)

// cond is a compiled condition: the syntax tree turned into typed nodes
// with their literals converted once, so that Eval does no parsing, no
// reflection and no map lookups on the common paths.
type cond interface {
	eval(r *value.Row) bool
}

// field is a field reference. It remembers where the field was last found,
// since every record of a stream usually has its fields in the same order.
// The hint is atomic so that Eval can run on many goroutines at once; it is
// only written when it changes, so a steady stream costs one plain load.
type field struct {
	name string
	hint atomic.Int32
}

func (f *field) get(r *value.Row) value.Value {
	h := int(f.hint.Load())
	if fs := r.Fields; h < len(fs) && value.SameName(fs[h].Name, f.name) {
		return fs[h].Value
	}
	return f.find(r)
}

// find is get when the hint misses: the field is elsewhere or missing.
func (f *field) find(r *value.Row) value.Value {
	i := r.Index(f.name)
	if i < 0 {
		return value.Value{}
	}
	f.hint.Store(int32(i))
	return r.Fields[i].Value
}

// literal is a literal with the forms the common comparisons need worked
// out in advance.
type literal struct {
	v     value.Value
	str   string // v's text when v is a String
	isStr bool
	i     int64 // v as an int64 when iok ('305' as well as 305)
	iok   bool
}

func newLiteral(v value.Value) literal {
	l := literal{v: v}
	l.str, l.isStr = v.Str()
	l.i, l.iok = v.Int()
	return l
}

// equal is value.Equal(v, l.v), with a string against a string and an int
// against a whole-number literal done here. Both shortcuts are the first
// thing value.Equal would do for those kinds.
func (l *literal) equal(v value.Value) bool {
	switch v.Kind() {
	case value.String:
		if l.isStr {
			s, _ := v.Str()
			return s == l.str
		}
	case value.Int:
		if l.iok {
			i, _ := v.Int()
			return i == l.i
		}
	case value.Null:
		return false
	}
	return value.Equal(v, l.v)
}

// compare is value.Compare(v, l.v), with the same shortcuts as equal.
func (l *literal) compare(v value.Value) (int, bool) {
	switch v.Kind() {
	case value.String:
		if l.isStr {
			s, _ := v.Str()
			return strings.Compare(s, l.str), true
		}
	case value.Int:
		if l.iok {
			i, _ := v.Int()
			return cmp.Compare(i, l.i), true
		}
	}
	return value.Compare(v, l.v)
}

// compareValues is the meaning of a op b.
func compareValues(a, b value.Value, op cmpOp) bool {
	switch op {
	case opEq:
		return value.Equal(a, b)
	case opNe:
		return !a.IsNull() && !b.IsNull() && !value.Equal(a, b)
	}
	c, ok := value.Compare(a, b)
	return ok && op.holds(c)
}

type constCond bool

func (c constCond) eval(*value.Row) bool { return bool(c) }

// andCond runs its field == literal terms in a loop of their own, without
// a call through an interface each: a rule table is mostly those.
type andCond struct {
	eqs  []eqCond
	rest []cond
}

func (c *andCond) eval(r *value.Row) bool {
	fs := r.Fields
	for i := range c.eqs {
		// This is t.lit.equal(t.f.get(r)) with the common case inlined by
		// hand: the field where the hint says, a string against a string.
		t := &c.eqs[i]
		var v value.Value
		if h := int(t.f.hint.Load()); h < len(fs) && value.SameName(fs[h].Name, t.f.name) {
			v = fs[h].Value
		} else {
			v = t.f.find(r)
		}
		if s, ok := v.Str(); ok && t.lit.isStr {
			if s != t.lit.str {
				return false
			}
			continue
		}
		if !t.lit.equal(v) {
			return false
		}
	}
	for _, k := range c.rest {
		if !k.eval(r) {
			return false
		}
	}
	return true
}

type orCond struct{ kids []cond }

func (c *orCond) eval(r *value.Row) bool {
	for _, k := range c.kids {
		if k.eval(r) {
			return true
		}
	}
	return false
}

type notCond struct{ kid cond }

func (c *notCond) eval(r *value.Row) bool { return !c.kid.eval(r) }

// eqCond is field == literal.
type eqCond struct {
	f   *field
	lit literal
}

func (c *eqCond) eval(r *value.Row) bool { return c.lit.equal(c.f.get(r)) }

// neCond is field != literal: false for null, like ==.
type neCond struct {
	f   *field
	lit literal
}

func (c *neCond) eval(r *value.Row) bool {
	v := c.f.get(r)
	return !v.IsNull() && !c.lit.equal(v)
}

// ordCond is field < <= > >= literal.
type ordCond struct {
	f   *field
	lit literal
	op  cmpOp
}

func (c *ordCond) eval(r *value.Row) bool {
	k, ok := c.lit.compare(c.f.get(r))
	return ok && c.op.holds(k)
}

// fieldsCond compares two fields.
type fieldsCond struct {
	a, b *field
	op   cmpOp
}

func (c *fieldsCond) eval(r *value.Row) bool { return compareValues(c.a.get(r), c.b.get(r), c.op) }

// inCond is field [not] in (list). A long list keeps its strings in a map:
// a string or JSON value equals a string literal only when the texts are the
// same, and any other value only when the literal reads as a number or a
// boolean, so only those strings need value.Equal.
type inCond struct {
	f       *field
	neg     bool
	lits    []literal           // every value, in order, when strs is nil
	strs    map[string]struct{} // the string values, when there are many
	nonStr  []literal           // the values that are not strings, with strs
	special []literal           // the strings that read as a number or boolean, with strs
}

// inMapMin is the number of strings from which an in list uses a map.
const inMapMin = 12

func newInCond(list []value.Value, neg bool) *inCond {
	c := &inCond{neg: neg}
	nstr := 0
	for _, v := range list {
		if v.Kind() == value.String {
			nstr++
		}
	}
	if nstr < inMapMin {
		for _, v := range list {
			c.lits = append(c.lits, newLiteral(v))
		}
		return c
	}
	c.strs = make(map[string]struct{}, nstr)
	for _, v := range list {
		l := newLiteral(v)
		if !l.isStr {
			c.nonStr = append(c.nonStr, l)
			continue
		}
		c.strs[l.str] = struct{}{}
		if readsAsNumberOrBool(l) {
			c.special = append(c.special, l)
		}
	}
	return c
}

// readsAsNumberOrBool reports whether a string literal can equal a value
// that is not a string: one value.Equal reads as a number or a boolean.
func readsAsNumberOrBool(l literal) bool {
	if _, ok := l.v.Float(); ok || l.iok {
		return true
	}
	switch strings.ToLower(strings.TrimSpace(l.str)) {
	case "true", "false":
		return true
	}
	return false
}

func (c *inCond) eval(r *value.Row) bool { return c.test(c.f.get(r)) }

func (c *inCond) test(v value.Value) bool {
	if v.IsNull() {
		return false
	}
	return c.contains(v) != c.neg
}

func (c *inCond) contains(v value.Value) bool {
	if c.strs == nil {
		for i := range c.lits {
			if c.lits[i].equal(v) {
				return true
			}
		}
		return false
	}
	switch v.Kind() {
	case value.String, value.JSON:
		s := v.Text()
		if _, ok := c.strs[s]; ok {
			return true
		}
	default:
		for i := range c.special {
			if c.special[i].equal(v) {
				return true
			}
		}
	}
	for i := range c.nonStr {
		if c.nonStr[i].equal(v) {
			return true
		}
	}
	return false
}

type isNullCond struct {
	f   *field
	neg bool
}

func (c *isNullCond) eval(r *value.Row) bool { return c.f.get(r).IsNull() != c.neg }

type likeCond struct {
	f   *field
	pat *likePattern
	neg bool
}

func (c *likeCond) eval(r *value.Row) bool { return c.test(c.f.get(r)) }

func (c *likeCond) test(v value.Value) bool {
	switch v.Kind() {
	case value.Null:
		return false
	case value.Int, value.Float:
		var buf [32]byte
		return c.pat.match(string(v.AppendText(buf[:0]))) != c.neg
	}
	return c.pat.match(v.Text()) != c.neg
}

type matchCond struct {
	f   *field
	re  *regexp.Regexp
	neg bool
}

func (c *matchCond) eval(r *value.Row) bool { return c.test(c.f.get(r)) }

func (c *matchCond) test(v value.Value) bool {
	if v.IsNull() {
		return false
	}
	return c.re.MatchString(v.Text()) != c.neg
}

// truthCond is a field alone: true when it holds true, as field == true.
type truthCond struct{ f *field }

var trueLiteral = newLiteral(value.OfBool(true))

func (c *truthCond) eval(r *value.Row) bool { return trueLiteral.equal(c.f.get(r)) }

// compiler turns a syntax tree into conds, with one field (and hint) per
// field name.
type compiler struct {
	fields map[string]*field
}

func (c *compiler) field(name string) *field {
	f, ok := c.fields[name]
	if !ok {
		f = &field{name: value.Intern(name)}
		c.fields[name] = f
	}
	return f
}

func (c *compiler) compile(n *node) cond {
	switch n.kind {
	case nodeAnd:
		return c.and(n.kids)
	case nodeOr:
		return c.or(n.kids)
	case nodeNot:
		switch k := c.compile(n.kids[0]).(type) {
		case constCond:
			return !k
		case *notCond:
			return k.kid
		default:
			return &notCond{kid: k}
		}
	case nodeCmp:
		return c.comparison(n)
	}
	left := n.left
	switch n.kind {
	case nodeIn:
		in := newInCond(n.list, n.neg)
		if !left.isField {
			return constCond(in.test(left.lit))
		}
		in.f = c.field(left.field)
		return in
	case nodeIsNull:
		if !left.isField {
			return constCond(n.neg) // literals are never null
		}
		return &isNullCond{f: c.field(left.field), neg: n.neg}
	case nodeLike:
		like := &likeCond{pat: n.like, neg: n.neg}
		if !left.isField {
			return constCond(like.test(left.lit))
		}
		like.f = c.field(left.field)
		return like
	case nodeMatch:
		m := &matchCond{re: n.re, neg: n.neg}
		if !left.isField {
			return constCond(m.test(left.lit))
		}
		m.f = c.field(left.field)
		return m
	case nodeTruth:
		if !left.isField {
			return constCond(trueLiteral.equal(left.lit))
		}
		return &truthCond{f: c.field(left.field)}
	}
	panic("expr: unknown node kind")
}

func (c *compiler) comparison(n *node) cond {
	a, b, op := n.left, n.right, n.op
	switch {
	case !a.isField && !b.isField:
		return constCond(compareValues(a.lit, b.lit, op))
	case !a.isField:
		a, b, op = b, a, op.mirror()
	}
	f := c.field(a.field)
	if b.isField {
		return &fieldsCond{a: f, b: c.field(b.field), op: op}
	}
	lit := newLiteral(b.lit)
	switch op {
	case opEq:
		return &eqCond{f: f, lit: lit}
	case opNe:
		return &neCond{f: f, lit: lit}
	}
	return &ordCond{f: f, lit: lit, op: op}
}

func (c *compiler) and(kids []*node) cond {
	a := &andCond{}
	for _, kid := range kids {
		switch k := c.compile(kid).(type) {
		case constCond:
			if !k {
				return constCond(false)
			}
		case *eqCond:
			a.eqs = append(a.eqs, *k)
		case *andCond: // not (not (a and b))
			a.eqs = append(a.eqs, k.eqs...)
			a.rest = append(a.rest, k.rest...)
		default:
			a.rest = append(a.rest, k)
		}
	}
	switch {
	case len(a.eqs) == 0 && len(a.rest) == 0:
		return constCond(true)
	case len(a.eqs) == 1 && len(a.rest) == 0:
		return &a.eqs[0]
	case len(a.eqs) == 0 && len(a.rest) == 1:
		return a.rest[0]
	}
	return a
}

func (c *compiler) or(kids []*node) cond {
	o := &orCond{}
	for _, kid := range kids {
		switch k := c.compile(kid).(type) {
		case constCond:
			if k {
				return constCond(true)
			}
		case *orCond:
			o.kids = append(o.kids, k.kids...)
		default:
			o.kids = append(o.kids, k)
		}
	}
	switch len(o.kids) {
	case 0:
		return constCond(false)
	case 1:
		return o.kids[0]
	}
	return o
}
