package expr

import (
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/tributarydata/tributary/transforms/timefmt"
	"github.com/tributarydata/tributary/transforms/value"
)

// MaxTextLen bounds the text one function makes (a concat of many copies of
// a large field), so that an expression cannot make Eval's memory
// unbounded: a longer result is an error.
const MaxTextLen = 16 << 20

// Scratch is the memory ValueExpr.Eval writes text into, for one goroutine:
// a chain's task keeps one and passes it to every Eval. The zero Scratch is
// ready to use.
//
// Text is cut from chunks that are never written again once a string is
// cut from them, so a value Eval returns stays valid however the Scratch is
// used afterwards, without an allocation of its own per record.
type Scratch struct {
	buf     []byte // text being built; functions nest, each using buf[start:]
	chunk   []byte
	writers map[*dateFormatValuer]*timefmt.Writer
	oneOff  bool // for one Eval only: no chunk larger than its text
}

// keep copies b into the current chunk and returns it as a string.
func (s *Scratch) keep(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if cap(s.chunk)-len(s.chunk) < len(b) {
		size := len(b)
		if !s.oneOff {
			size = max(4096, size)
		}
		s.chunk = make([]byte, 0, size)
	}
	start := len(s.chunk)
	s.chunk = append(s.chunk, b...)
	return unsafe.String(&s.chunk[start], len(b))
}

// text returns v's text (value.Text) as a string that stays valid: the
// value's own for strings, numbers kept as text and JSON, digits written
// into the Scratch for an Int or a Float.
func (s *Scratch) text(v value.Value) string {
	switch v.Kind() {
	case value.Int, value.Float:
		start := len(s.buf)
		s.buf = v.AppendText(s.buf)
		t := s.keep(s.buf[start:])
		s.buf = s.buf[:start]
		return t
	}
	return v.Text()
}

// valuer is a compiled value expression.
type valuer interface {
	eval(r *value.Row, s *Scratch) (value.Value, error)
}

type fieldValuer struct{ f *field }

func (v fieldValuer) eval(r *value.Row, _ *Scratch) (value.Value, error) { return v.f.get(r), nil }

type litValuer struct{ v value.Value }

func (v *litValuer) eval(*value.Row, *Scratch) (value.Value, error) { return v.v, nil }

type caseValuer struct {
	whens []cond
	thens []valuer
	els   valuer // nil: null
}

func (c *caseValuer) eval(r *value.Row, s *Scratch) (value.Value, error) {
	for i, w := range c.whens {
		if w.eval(r) {
			return c.thens[i].eval(r, s)
		}
	}
	if c.els == nil {
		return value.Value{}, nil
	}
	return c.els.eval(r, s)
}

// coalesceValuer is the first argument that is not null; the ones after it
// are not evaluated.
type coalesceValuer struct{ args []valuer }

func (c *coalesceValuer) eval(r *value.Row, s *Scratch) (value.Value, error) {
	for _, a := range c.args {
		v, err := a.eval(r, s)
		if err != nil || !v.IsNull() {
			return v, err
		}
	}
	return value.Value{}, nil
}

// concatValuer joins its arguments' texts; it is null as soon as one of
// them is, as SQL's CONCAT.
type concatValuer struct{ args []valuer }

func (c *concatValuer) eval(r *value.Row, s *Scratch) (value.Value, error) {
	start := len(s.buf)
	defer func() { s.buf = s.buf[:start] }()
	for _, a := range c.args {
		v, err := a.eval(r, s)
		if err != nil || v.IsNull() {
			return value.Value{}, err
		}
		s.buf = v.AppendText(s.buf)
		if len(s.buf)-start > MaxTextLen {
			return value.Value{}, fmt.Errorf("concat: the text is longer than %d bytes", MaxTextLen)
		}
	}
	return value.OfString(s.keep(s.buf[start:])), nil
}

type md5Valuer struct{ arg valuer }

func (m *md5Valuer) eval(r *value.Row, s *Scratch) (value.Value, error) {
	v, err := m.arg.eval(r, s)
	if err != nil || v.IsNull() {
		return value.Value{}, err
	}
	start := len(s.buf)
	s.buf = v.AppendText(s.buf)
	sum := md5.Sum(s.buf[start:])
	s.buf = hex.AppendEncode(s.buf[:start], sum[:])
	out := s.keep(s.buf[start:])
	s.buf = s.buf[:start]
	return value.OfString(out), nil
}

// caseMapValuer is lower or upper: strings.ToLower or ToUpper of the text,
// with ASCII text mapped in the Scratch.
type caseMapValuer struct {
	arg   valuer
	upper bool
}

func (c *caseMapValuer) eval(r *value.Row, s *Scratch) (value.Value, error) {
	v, err := c.arg.eval(r, s)
	if err != nil || v.IsNull() {
		return value.Value{}, err
	}
	text := s.text(v)
	lo, hi := byte('A'), byte('Z') // the bytes that change
	if c.upper {
		lo, hi = 'a', 'z'
	}
	changes := false
	for i := 0; i < len(text); i++ {
		b := text[i]
		if b >= utf8.RuneSelf {
			if c.upper {
				return value.OfString(strings.ToUpper(text)), nil
			}
			return value.OfString(strings.ToLower(text)), nil
		}
		changes = changes || lo <= b && b <= hi
	}
	if !changes {
		return value.OfString(text), nil
	}
	start := len(s.buf)
	for i := 0; i < len(text); i++ {
		b := text[i]
		if lo <= b && b <= hi {
			b ^= 'a' - 'A'
		}
		s.buf = append(s.buf, b)
	}
	out := s.keep(s.buf[start:])
	s.buf = s.buf[:start]
	return value.OfString(out), nil
}

type trimValuer struct{ arg valuer }

func (t *trimValuer) eval(r *value.Row, s *Scratch) (value.Value, error) {
	v, err := t.arg.eval(r, s)
	if err != nil || v.IsNull() {
		return value.Value{}, err
	}
	return value.OfString(strings.TrimSpace(s.text(v))), nil
}

type castValuer struct {
	arg valuer
	typ value.Type
}

func (c *castValuer) eval(r *value.Row, s *Scratch) (value.Value, error) {
	v, err := c.arg.eval(r, s)
	if err != nil {
		return value.Value{}, err
	}
	if c.typ == value.TypeString && (v.Kind() == value.Int || v.Kind() == value.Float) {
		return value.OfString(s.text(v)), nil
	}
	out, err := value.Convert(v, c.typ)
	if err != nil {
		return value.Value{}, fmt.Errorf("cast: %w", err)
	}
	return out, nil
}

// The ways date_format reads its time. Go reads a fraction of a second
// after the seconds even where a layout has none, so dateTime also reads
// yyyy-MM-dd HH:mm:ss.SSS.
var (
	epochMillis = mustFormat("epoch_millis")
	dateTime    = mustFormat("yyyy-MM-dd HH:mm:ss")
	localISO    = mustFormat("yyyy-MM-dd'T'HH:mm:ss")
	rfc3339     = mustFormat("iso8601")
	dateOnly    = mustFormat("yyyy-MM-dd")
)

func mustFormat(f string) timefmt.Format {
	tf, err := timefmt.Parse(f)
	if err != nil {
		panic(err)
	}
	return tf
}

type dateFormatValuer struct {
	arg valuer
	out timefmt.Format
	loc *time.Location
}

func (d *dateFormatValuer) eval(r *value.Row, s *Scratch) (value.Value, error) {
	v, err := d.arg.eval(r, s)
	if err != nil || v.IsNull() {
		return value.Value{}, err
	}
	t, err := readTime(v, d.loc)
	if err != nil {
		return value.Value{}, fmt.Errorf("date_format: %w", err)
	}
	if d.out.Epoch() {
		return d.out.Value(t, nil), nil
	}
	w, ok := s.writers[d]
	if !ok {
		if s.writers == nil {
			s.writers = make(map[*dateFormatValuer]*timefmt.Writer)
		}
		w = timefmt.NewWriter(d.out.Layout(), d.loc)
		s.writers[d] = w
	}
	return d.out.Value(t, w), nil
}

// readTime reads date_format's time: epoch milliseconds from a number or a
// string of digits; otherwise text in zone loc (unless it has an offset) by
// its shape: yyyy-MM-dd, yyyy-MM-dd HH:mm:ss[.SSS], or with a T for the
// space, RFC 3339 or the same without an offset.
func readTime(v value.Value, loc *time.Location) (time.Time, error) {
	switch v.Kind() {
	case value.Int, value.Float, value.Number:
		return epochMillis.Read(v, loc)
	case value.String:
	default:
		return time.Time{}, fmt.Errorf("%s %s is not a time", v.Kind(), clip(v.Text()))
	}
	text, _ := v.Str()
	text = strings.TrimSpace(text)
	switch {
	case isEpochDigits(text):
		return epochMillis.Read(v, loc)
	case len(text) == 10:
		return dateOnly.Read(v, loc)
	case len(text) > 10 && text[10] == ' ':
		return dateTime.Read(v, loc)
	case len(text) > 10 && text[10] == 'T':
		if t, err := rfc3339.Read(v, loc); err == nil {
			return t, nil
		}
		return localISO.Read(v, loc)
	}
	return time.Time{}, fmt.Errorf("%q is not a time (epoch millis, yyyy-MM-dd, yyyy-MM-dd HH:mm:ss[.SSS] or RFC 3339)", clip(text))
}

// isEpochDigits reports text of digits with an optional minus sign.
func isEpochDigits(text string) bool {
	text = strings.TrimPrefix(text, "-")
	if text == "" {
		return false
	}
	for i := 0; i < len(text); i++ {
		if !isDigit(text[i]) {
			return false
		}
	}
	return true
}

// valueCompiler turns a value expression's tree into valuers, sharing one
// field (and hint) per name with the conditions of its cases.
type valueCompiler struct {
	compiler
	src string
}

func (c *valueCompiler) value(n *vnode) (valuer, error) {
	switch n.kind {
	case vField:
		return fieldValuer{f: c.field(n.field)}, nil
	case vLiteral:
		return &litValuer{v: n.lit}, nil
	case vCase:
		return c.caseValue(n)
	}
	args := make([]valuer, len(n.args))
	constant := true
	for i, a := range n.args {
		v, err := c.value(a)
		if err != nil {
			return nil, err
		}
		args[i] = v
		_, isLit := v.(*litValuer)
		constant = constant && isLit
	}
	var v valuer
	switch n.fn {
	case "coalesce":
		v = &coalesceValuer{args: args}
	case "concat":
		v = &concatValuer{args: args}
	case "md5":
		v = &md5Valuer{arg: args[0]}
	case "lower", "upper":
		v = &caseMapValuer{arg: args[0], upper: n.fn == "upper"}
	case "trim":
		v = &trimValuer{arg: args[0]}
	case "cast":
		v = &castValuer{arg: args[0], typ: n.typ}
	case "date_format":
		v = &dateFormatValuer{arg: args[0], out: n.out, loc: n.loc}
	default:
		return nil, errors.New("expr: unknown function " + n.fn)
	}
	if !constant {
		return v, nil
	}
	// A function of literals is worked out once, here; one that fails
	// would fail for every record, so it is an error in the expression.
	out, err := v.eval(&noFields, &Scratch{oneOff: true})
	if err != nil {
		return nil, errorAt(c.src, n.pos, "%v", err)
	}
	return &litValuer{v: out}, nil
}

// caseValue leaves out the branches whose condition is always false, and
// ends the case at one that is always true.
func (c *valueCompiler) caseValue(n *vnode) (valuer, error) {
	cv := &caseValuer{}
	els := n.els
	for i, w := range n.whens {
		cond := c.compile(w)
		if k, ok := cond.(constCond); ok {
			if !k {
				continue
			}
			els = n.thens[i]
			break
		}
		then, err := c.value(n.thens[i])
		if err != nil {
			return nil, err
		}
		cv.whens = append(cv.whens, cond)
		cv.thens = append(cv.thens, then)
	}
	if els != nil {
		v, err := c.value(els)
		if err != nil {
			return nil, err
		}
		cv.els = v
	}
	switch {
	case len(cv.whens) > 0:
		return cv, nil
	case cv.els != nil:
		return cv.els, nil
	}
	return &litValuer{}, nil
}
