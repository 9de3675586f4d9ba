package change

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unsafe"

	"github.com/tributarydata/tributary/transforms/extract"
	"github.com/tributarydata/tributary/transforms/timefmt"
	"github.com/tributarydata/tributary/transforms/value"
)

// Op is the operation of a change record, with Debezium's letters; None is
// a plain row.
type Op byte

// The operations.
const (
	None   Op = 0
	Create Op = 'c'
	Update Op = 'u'
	Delete Op = 'd'
	Read   Op = 'r' // a row read by a snapshot
)

func (op Op) String() string {
	if op == None {
		return "none"
	}
	return string(rune(op))
}

// Change is what a record held: its op, and which rows. A plain row is an
// after of op None.
type Change struct {
	Op                  Op
	HasBefore, HasAfter bool
}

// Reader reads change records by a list of field specs. It keeps buffers
// from record to record and is not safe for concurrent use.
type Reader struct {
	n     int
	names []string
	// all reads, in one pass, the fields from the root (a plain row), the
	// envelope's op, before and after, and the fields of before and of
	// after. When any of that fails, env and fields find out which part
	// of the record is wrong.
	all     *extract.Extractor
	env     *extract.Extractor
	fields  *extract.Extractor
	scratch value.Row

	times  []timeField
	timeIn timefmt.Format
	loc    *time.Location
}

// The names of the envelope's parts in the extractors' rows begin with a
// NUL, which no field of a config is called.
const (
	nameOp     = "\x00op"
	nameBefore = "\x00before"
	nameAfter  = "\x00after"
)

// NewReader compiles a Reader of the fields specs, completed with the
// time fields of opts. The rows it reads hold the specs' fields, then the
// time fields, in order (Names).
func NewReader(specs []extract.Spec, opts Options) (*Reader, error) {
	r := &Reader{n: len(specs), timeIn: opts.TimeIn, loc: opts.Zone}
	if r.loc == nil {
		r.loc = time.UTC
	}
	eopts := extract.Options{MaxDepth: opts.MaxDepth}
	var err error
	if r.fields, err = extract.Compile(specs, eopts); err != nil {
		return nil, err
	}
	env := []extract.Spec{spec(nameOp, "op"), spec(nameBefore, "before"), spec(nameAfter, "after")}
	if r.env, err = extract.Compile(env, eopts); err != nil {
		return nil, err
	}
	all := make([]extract.Spec, 0, 3*len(specs)+3)
	all = append(append(all, specs...), env...)
	for _, side := range []string{"before", "after"} {
		for _, s := range specs {
			text := s.Path.String()
			if !strings.HasPrefix(text, "[") {
				text = "." + text
			}
			p, err := extract.ParsePath(side + text)
			if err != nil {
				return nil, fmt.Errorf("field %s: %w", s.Name, err)
			}
			all = append(all, extract.Spec{Name: "\x00" + side + "." + s.Name, Path: p, Type: s.Type})
		}
	}
	at := map[string]int{}
	for i, s := range specs {
		r.names = append(r.names, s.Name)
		at[s.Name] = i
	}
	if r.all, err = extract.Compile(all, eopts); err != nil {
		return nil, err
	}
	for _, tf := range opts.Times {
		src, ok := at[tf.Field]
		switch {
		case !ok || src >= len(specs):
			return nil, fmt.Errorf("time field %s: %s is not one of the fields", tf.Name, tf.Field)
		case slices.Contains(r.names, tf.Name):
			return nil, fmt.Errorf("time field %s: the name is taken by another field", tf.Name)
		}
		r.times = append(r.times, timeField{TimeField: tf, src: src, w: timefmt.NewWriter(tf.Format.Layout(), r.loc)})
		r.names = append(r.names, tf.Name)
	}
	return r, nil
}

// Names returns the names of the fields of the rows read, in order: the
// specs', then the time fields'.
func (r *Reader) Names() []string { return slices.Clone(r.names) }

func spec(name, path string) extract.Spec {
	p, err := extract.ParsePath(path)
	if err != nil {
		panic(err)
	}
	return extract.Spec{Name: name, Path: p}
}

// Read reads a record's value: a plain row's fields are appended to after;
// an envelope's before and after, those it has, to before and after, each
// completed with the time fields (Names). Input that is not one JSON
// object, a field that does not convert or a time that does not parse (in
// before as well as after), an unknown op, and an envelope row that is not
// an object or null are errors; the rows are then left as they were.
// Values point into data, or into memory the Reader never rewrites.
func (r *Reader) Read(data []byte, before, after *value.Row) (Change, error) {
	bmark, amark := len(before.Fields), len(after.Fields)
	c, err := r.read(data, before, after)
	if err == nil && c.HasBefore {
		if err = r.complete(before, bmark); err != nil {
			err = fmt.Errorf("before: %w", err)
		}
	}
	if err == nil && c.HasAfter {
		if err = r.complete(after, amark); err != nil && c.Op != None {
			err = fmt.Errorf("after: %w", err)
		}
	}
	if err != nil {
		truncate(before, bmark)
		truncate(after, amark)
		return Change{}, err
	}
	return c, nil
}

func (r *Reader) read(data []byte, before, after *value.Row) (Change, error) {
	r.scratch.Reset()
	if r.all.Extract(data, &r.scratch) == nil {
		f := r.scratch.Fields
		n := r.n
		c, isEnvelope, err := envelope(f[n].Value, f[n+1].Value, f[n+2].Value)
		switch {
		case !isEnvelope:
			after.Fields = append(after.Fields, f[:n]...)
			return Change{HasAfter: true}, nil
		case err != nil:
			return Change{}, err
		}
		if c.HasBefore {
			r.named(before, f[n+3:2*n+3])
		}
		if c.HasAfter {
			r.named(after, f[2*n+3:])
		}
		return c, nil
	}
	// Something is wrong: read the parts one by one to say what.
	r.scratch.Reset()
	if err := r.env.Extract(data, &r.scratch); err != nil {
		return Change{}, err
	}
	f := r.scratch.Fields
	c, isEnvelope, err := envelope(f[0].Value, f[1].Value, f[2].Value)
	switch {
	case !isEnvelope:
		if err := r.fields.Extract(data, after); err != nil {
			return Change{}, err
		}
		return Change{HasAfter: true}, nil
	case err != nil:
		return Change{}, err
	}
	if c.HasBefore {
		if err := r.fields.Extract(bytesOf(f[1].Value), before); err != nil {
			return Change{}, fmt.Errorf("before: %w", err)
		}
	}
	if c.HasAfter {
		if err := r.fields.Extract(bytesOf(f[2].Value), after); err != nil {
			return Change{}, fmt.Errorf("after: %w", err)
		}
	}
	return c, nil
}

// named appends vals to row under the specs' names.
func (r *Reader) named(row *value.Row, vals []value.Field) {
	for i := range vals {
		row.Append(r.names[i], vals[i].Value)
	}
}

// bytesOf returns the JSON text of v without a copy; the extractor only
// reads it.
func bytesOf(v value.Value) []byte {
	text, _ := v.Raw()
	return unsafe.Slice(unsafe.StringData(text), len(text))
}

// envelope tells an envelope from a plain row by its op, before and after,
// and checks it.
func envelope(op, before, after value.Value) (Change, bool, error) {
	text, ok := op.Str()
	if !ok || before.Kind() != value.JSON && after.Kind() != value.JSON {
		return Change{}, false, nil
	}
	var c Change
	if len(text) == 1 {
		switch o := Op(text[0]); o {
		case Create, Update, Delete, Read:
			c.Op = o
		}
	}
	if c.Op == None {
		return Change{}, true, fmt.Errorf("change event with unknown op %q (want c, u, d or r)", text)
	}
	var err error
	if c.HasBefore, err = isObject("before", before); err != nil {
		return Change{}, true, err
	}
	if c.HasAfter, err = isObject("after", after); err != nil {
		return Change{}, true, err
	}
	return c, true, nil
}

// isObject reports whether an envelope row is there: an object, not null.
// Anything else is an error.
func isObject(name string, v value.Value) (bool, error) {
	switch v.Kind() {
	case value.Null:
		return false, nil
	case value.JSON:
		if text, _ := v.Raw(); text[0] == '{' {
			return true, nil
		}
		return false, fmt.Errorf("change event field %s is an array, not an object", name)
	}
	return false, fmt.Errorf("change event field %s is a %s, not an object", name, v.Kind())
}
