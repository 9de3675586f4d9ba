package extract

import (
	"encoding/binary"
	"fmt"
	"slices"
	"unicode/utf8"

	"github.com/tributarydata/tributary/transforms/value"
)

// Spec is one field to extract: the value at Path, converted to Type, goes
// into the row as Name.
type Spec struct {
	Name string
	Path Path
	Type value.Type
}

// Options tune an Extractor.
type Options struct {
	// MaxDepth is how deeply objects and arrays may nest, counting those
	// inside JSON-encoded strings the paths go through as if the strings
	// were their content; deeper input is an error. 0 means
	// DefaultMaxDepth.
	MaxDepth int
}

// DefaultMaxDepth is the nesting limit when Options.MaxDepth is 0. Real
// records nest a handful of levels; the limit is there so that hostile
// input costs no more than ordinary input.
const DefaultMaxDepth = 64

// Extractor reads the fields of its specs out of JSON objects. It keeps
// buffers from record to record, so it is not safe for concurrent use: give
// each goroutine its own (Compile is cheap).
type Extractor struct {
	specs    []compiled
	root     *node
	maxDepth int

	// The slots hold the value, or the error, of each spec for the record
	// being read, in the trie's depth-first order, so that the slots of
	// a subtree are contiguous and a duplicate key can clear them. failed
	// says errs may hold errors.
	vals      []value.Value
	errs      []error
	failed    bool
	slotTypes []value.Type

	// scratch holds decoded strings while they are read; it is rewritten
	// as the scan goes, so nothing that outlives a string's reading points
	// into it (see take).
	scratch []byte
	// keyBuf holds the latest decoded object key.
	keyBuf []byte
	// stack keeps the memory skipNested needs for containers nested more
	// than 64 deep.
	stack []byte
	// arena owns the text of values that cannot alias the input.
	arena arena
	// epoch numbers the records read, for node.seen.
	epoch uint64
	// decodeAlways turns throughEscapes off, for the tests that hold it to
	// the decoding it stands in for.
	decodeAlways bool
}

type compiled struct {
	name, path string
	slot       int
}

// node is a place in the trie of the specs' paths.
type node struct {
	path string // canonical path to here, for errors
	keys []keyEntry
	// first is the key that came first among the keys matched in the
	// last object read here (see expected).
	first   int
	idxs    []int
	idxKids []*node
	// leaf lists the slots of the specs whose paths end here; long says
	// they all want a long.
	leaf []int
	long bool
	// The slots of the subtree are [lo, hi): first those of leaf, then
	// from kidsLo those of the children.
	lo, kidsLo, hi int
	// seen is the epoch of the record in which the node's value was last
	// read: seen again, its key is a duplicate.
	seen uint64
}

// keyEntry is one of the keys a node's objects are looked into by.
type keyEntry struct {
	name string
	kid  *node
	// plain says JSON writes the key as itself, and written is how,
	// followed by the closing quote and the colon (see expected).
	plain   bool
	written shortText
	// next is the key that followed this one among the keys matched in
	// the last object read (see expected).
	next int
}

func (n *node) hasKids() bool { return len(n.keys) > 0 || len(n.idxKids) > 0 }

// key returns the index of key k, the key after key prev of the object
// being read, or -1 if k is not one of n's keys.
func (n *node) key(prev int, k []byte) int {
	for i := range n.keys {
		if n.keys[i].name == string(k) {
			if prev < 0 {
				n.first = i
			} else {
				n.keys[prev].next = i
			}
			return i
		}
	}
	return -1
}

// expected checks whether the key whose text starts at d[pos] (past its
// opening quote), after key prev of the object being read, is, as written,
// the one that followed key prev the last time (records of a stream have
// their keys in the same order), its closing quote written with quote
// backslashes before it (0 but in the content of a JSON-encoded string)
// and a colon right after it. If so, it returns the key's index and the
// position past the colon: matching it costs no more than comparing it.
// Else i is -1.
func (n *node) expected(prev int, d []byte, pos, quote int) (i, end int) {
	i = n.first
	if prev >= 0 {
		i = n.keys[prev].next
	}
	if i >= len(n.keys) || !n.keys[i].plain {
		return -1, 0
	}
	k := &n.keys[i]
	if quote == 0 {
		if !k.written.at(d, pos) {
			return -1, 0
		}
		return i, pos + len(k.written.text)
	}
	end = pos + len(k.name)
	if end+quote+1 >= len(d) || string(d[pos:end]) != k.name {
		return -1, 0
	}
	for j := end; j < end+quote; j++ {
		if d[j] != '\\' {
			return -1, 0
		}
	}
	if d[end+quote] != '"' || d[end+quote+1] != ':' {
		return -1, 0
	}
	return i, end + quote + 2
}

// shortText is a text that is compared with the input a word at a time
// when it is short, as most keys are: its first eight bytes and its last
// eight (which overlap), or its first eight bytes of input masked to its
// length when it is shorter. Calling memequal for each key of a record was
// a tenth of the signal ETL's time.
type shortText struct {
	text              string
	first, last, mask uint64
}

func newShortText(text string) shortText {
	t := shortText{text: text, mask: ^uint64(0)}
	var b [16]byte
	copy(b[:], text)
	t.first = binary.LittleEndian.Uint64(b[:])
	if n := len(text); n < 8 {
		t.mask = 1<<(8*n) - 1
	} else if n <= 16 {
		copy(b[:], text[n-8:])
		t.last = binary.LittleEndian.Uint64(b[:])
	}
	return t
}

// at reports whether d[pos:] starts with the text.
func (t *shortText) at(d []byte, pos int) bool {
	switch n := len(t.text); {
	case n < 8 && pos+8 <= len(d):
		return binary.LittleEndian.Uint64(d[pos:])&t.mask == t.first
	case n >= 8 && n <= 16 && pos+n <= len(d):
		return binary.LittleEndian.Uint64(d[pos:]) == t.first && binary.LittleEndian.Uint64(d[pos+n-8:]) == t.last
	}
	return pos+len(t.text) <= len(d) && string(d[pos:pos+len(t.text)]) == t.text
}

// plainKey reports whether k is written in JSON as itself: valid UTF-8
// with no quote, backslash or control character.
func plainKey(k string) bool {
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] == '"' || k[i] == '\\' {
			return false
		}
	}
	return utf8.ValidString(k)
}

func (n *node) index(i int) *node {
	for j, idx := range n.idxs {
		if idx == i {
			return n.idxKids[j]
		}
	}
	return nil
}

func (n *node) child(seg segment) *node {
	if seg.isIndex() {
		if c := n.index(seg.index); c != nil {
			return c
		}
		c := &node{}
		n.idxs = append(n.idxs, seg.index)
		n.idxKids = append(n.idxKids, c)
		return c
	}
	for _, k := range n.keys {
		if k.name == seg.key {
			return k.kid
		}
	}
	c := &node{}
	// Until a record says otherwise, keys come in the order of the specs.
	n.keys = append(n.keys, keyEntry{name: seg.key, kid: c, plain: plainKey(seg.key), written: newShortText(seg.key + `":`), next: len(n.keys) + 1})
	return c
}

// Compile builds an Extractor for specs. Names must be unique and not
// empty; paths may share prefixes, and two specs may have the same path.
func Compile(specs []Spec, opts Options) (*Extractor, error) {
	if len(specs) == 0 {
		return nil, fmt.Errorf("extract: no fields to extract")
	}
	if opts.MaxDepth < 0 {
		return nil, fmt.Errorf("extract: MaxDepth %d is negative", opts.MaxDepth)
	}
	e := &Extractor{root: &node{}, maxDepth: opts.MaxDepth}
	if e.maxDepth == 0 {
		e.maxDepth = DefaultMaxDepth
	}
	ends := make([]*node, len(specs))
	names := make(map[string]bool, len(specs))
	for i, sp := range specs {
		switch {
		case sp.Name == "":
			return nil, fmt.Errorf("extract: field %d (%s) has no name", i+1, sp.Path)
		case names[sp.Name]:
			return nil, fmt.Errorf("extract: two fields are called %q", sp.Name)
		case sp.Path.Len() == 0:
			return nil, fmt.Errorf("extract: field %q has an empty path", sp.Name)
		case sp.Type > value.TypeBoolean:
			return nil, fmt.Errorf("extract: field %q has unknown type %d", sp.Name, sp.Type)
		}
		names[sp.Name] = true
		n := e.root
		for _, seg := range sp.Path.segs {
			n = n.child(seg)
		}
		ends[i] = n
	}
	// Number the slots depth-first, each node's own specs first.
	leafOf := make(map[*node][]int)
	for i, n := range ends {
		leafOf[n] = append(leafOf[n], i)
	}
	e.specs = make([]compiled, len(specs))
	e.vals = make([]value.Value, len(specs))
	e.errs = make([]error, len(specs))
	e.slotTypes = make([]value.Type, len(specs))
	next := 0
	var number func(n *node, path Path)
	number = func(n *node, path Path) {
		n.path = path.String()
		n.lo = next
		for _, i := range leafOf[n] {
			e.specs[i] = compiled{name: value.Intern(specs[i].Name), path: specs[i].Path.String(), slot: next}
			e.slotTypes[next] = specs[i].Type
			n.leaf = append(n.leaf, next)
			next++
		}
		n.long = len(n.leaf) > 0
		for _, slot := range n.leaf {
			n.long = n.long && e.slotTypes[slot] == value.TypeLong
		}
		n.kidsLo = next
		for _, k := range n.keys {
			number(k.kid, Path{segs: append(path.segs[:len(path.segs):len(path.segs)], segment{key: k.name, index: -1})})
		}
		for i, c := range n.idxKids {
			number(c, Path{segs: append(path.segs[:len(path.segs):len(path.segs)], segment{index: n.idxs[i]})})
		}
		n.hi = next
	}
	number(e.root, Path{})
	return e, nil
}

// Extract appends to row one field per spec, in the specs' order: the value
// at the spec's path converted to its type, or null when the path is absent
// or runs into null or a scalar before its end.
//
// It reads data once and checks all of it: input that is not one JSON
// object (and whitespace) is an error, as is nesting deeper than MaxDepth
// or a value that does not convert. Where a path needs to go deeper and
// meets a string, the string is decoded and its content read as JSON
// (records whose nested objects are sent JSON-encoded); an empty or blank
// string is taken as absent, and one that is not JSON is an error naming
// the path. Of duplicate keys the last counts, wholly replacing the value
// of the first, errors included, as when encoding/json decodes into a map.
//
// Strings, numbers kept as text (value.Number) and JSON text (value.JSON)
// point into data when they can: the row's values are valid only while
// data is unchanged. Values that had to be decoded are copied to memory
// the Extractor never rewrites. On error the row is left as it was.
func (e *Extractor) Extract(data []byte, row *value.Row) error {
	clear(e.vals)
	if e.failed {
		clear(e.errs)
		e.failed = false
	}
	e.epoch++
	e.scratch = e.scratch[:0]
	s := scanner{data: data, max: e.maxDepth, stack: &e.stack}
	if err := s.next(); err != nil {
		return err
	}
	if c := data[s.pos]; c != '{' {
		if err := s.skip(); err != nil {
			return err
		}
		if err := s.end(); err != nil {
			return err
		}
		return fmt.Errorf("value is a JSON %s, not an object", kindName(c))
	}
	if err := e.object(&s, e.root); err != nil {
		return err
	}
	if err := s.end(); err != nil {
		return err
	}
	if e.failed {
		for i := range e.specs {
			if err := e.errs[e.specs[i].slot]; err != nil {
				return fmt.Errorf("%s (%s): %w", e.specs[i].name, e.specs[i].path, err)
			}
		}
	}
	start := len(row.Fields)
	row.Fields = slices.Grow(row.Fields, len(e.specs))[:start+len(e.specs)]
	out := row.Fields[start:]
	for i := range e.specs {
		out[i].Name, out[i].Value = e.specs[i].name, e.vals[e.specs[i].slot]
	}
	return nil
}

// value reads the value at s.pos for trie node n: into n's slots when leaf
// is set, and into its children's when it is a container (or a string
// holding one) they look into.
func (e *Extractor) value(s *scanner, n *node, leaf bool) error {
	leaf = leaf && len(n.leaf) > 0
	start := s.pos
	switch c := s.data[start]; c {
	case '{', '[':
		var err error
		switch {
		case c == '{' && len(n.keys) > 0:
			err = e.object(s, n)
		case c == '[' && len(n.idxs) > 0:
			err = e.array(s, n)
		default:
			err = s.skipNested()
		}
		if err != nil {
			return err
		}
		if leaf {
			e.take(n, value.OfJSON(str(s.data[start:s.pos])), s.scratch)
		}
	case '"':
		mark := len(e.scratch)
		if n.hasKids() {
			// The content is read as JSON: in place if it can be, else
			// decoded in the same pass.
			if !leaf && !e.decodeAlways && e.throughEscapes(s, n) {
				return nil
			}
			var err error
			if e.scratch, err = s.strInto(e.scratch); err != nil {
				return err
			}
			text := e.scratch[mark:]
			if leaf {
				e.take(n, value.OfString(str(text)), true)
			}
			e.decode(s, n, text)
		} else {
			if leaf && n.long {
				// "1001" wanted as a long, as most ids come: read the
				// number as convert would, in the same pass.
				if i, end, ok := shortDigits(s.data, start+1); ok && end < len(s.data) && s.data[end] == '"' {
					s.pos = end + 1
					e.takeInt(n, i)
					return nil
				}
			}
			flags, err := s.str()
			if err != nil || !leaf {
				return err
			}
			text, decoded := stringText(s.data[start+1:s.pos-1], flags, &e.scratch)
			e.take(n, value.OfString(str(text)), s.scratch || decoded)
		}
		e.scratch = e.scratch[:mark]
	case 't', 'f', 'n':
		var v value.Value
		var err error
		switch c {
		case 't':
			err, v = s.literal("true"), value.OfBool(true)
		case 'f':
			err, v = s.literal("false"), value.OfBool(false)
		default:
			err = s.literal("null")
		}
		if err != nil {
			return err
		}
		if leaf {
			e.take(n, v, false)
		}
	default:
		if c != '-' && (c < '0' || c > '9') {
			return s.invalid(start)
		}
		if leaf && n.long {
			if i, end, ok := wholeNumber(s.data, start); ok {
				s.pos = end
				e.takeInt(n, i)
				return nil
			}
		}
		integer, err := s.number()
		if err != nil {
			return err
		}
		if leaf {
			e.take(n, numberValue(s.data[start:s.pos], integer), s.scratch)
		}
	}
	return nil
}

// numberValue is an Int when text is an integer that fits, else a Number
// holding text.
func numberValue(text []byte, integer bool) value.Value {
	if integer {
		if i, ok := parseInt(text); ok {
			return value.OfInt(i)
		}
	}
	return value.OfNumber(str(text))
}

// object reads the object at s.pos for n, whose children are keys.
func (e *Extractor) object(s *scanner, n *node) error {
	if err := s.open(); err != nil {
		return err
	}
	if s.data[s.pos] == '}' {
		s.pos++
		s.depth--
		return nil
	}
	prev := -1 // the index of the last key matched
	for {
		if s.data[s.pos] != '"' {
			return s.invalid(s.pos)
		}
		var err error
		i, end := n.expected(prev, s.data, s.pos+1, 0)
		if i >= 0 {
			s.pos = end
			err = s.next()
		} else {
			start := s.pos + 1
			var flags uint8
			if flags, err = s.str(); err != nil {
				return err
			}
			key := s.data[start : s.pos-1]
			if flags != 0 {
				e.keyBuf = e.keyBuf[:0]
				key, _ = stringText(key, flags, &e.keyBuf)
			}
			i = n.key(prev, key)
			err = s.colon()
		}
		if err != nil {
			return err
		}
		if i >= 0 {
			prev = i
			c := n.keys[i].kid
			e.visit(c)
			err = e.value(s, c, true)
		} else {
			err = s.skip()
		}
		if err != nil {
			return err
		}
		if more, err := s.more('}'); err != nil || !more {
			return err
		}
	}
}

// array reads the array at s.pos for n, whose children are indexes.
func (e *Extractor) array(s *scanner, n *node) error {
	if err := s.open(); err != nil {
		return err
	}
	if s.data[s.pos] == ']' {
		s.pos++
		s.depth--
		return nil
	}
	for i := 0; ; i++ {
		var err error
		if c := n.index(i); c != nil {
			e.visit(c)
			err = e.value(s, c, true)
		} else {
			err = s.skip()
		}
		if err != nil {
			return err
		}
		if more, err := s.more(']'); err != nil || !more {
			return err
		}
	}
}

// decode reads text, the content of a string found at n, as JSON for n's
// children. Its problems are the children's errors, not the record's: a
// later duplicate key can still replace the string.
func (e *Extractor) decode(outer *scanner, n *node, text []byte) {
	s := scanner{data: text, depth: outer.depth, max: outer.max, stack: outer.stack, scratch: true}
	s.ws()
	if s.pos == len(text) {
		return // "" or blank: absent
	}
	err := e.value(&s, n, false)
	if err == nil {
		err = s.end()
	}
	if err != nil {
		err = fmt.Errorf("the JSON-encoded string at %s: %w", n.path, err)
		clear(e.vals[n.kidsLo:n.hi])
		for i := n.kidsLo; i < n.hi; i++ {
			e.errs[i] = err
		}
		e.failed = true
	}
}

// visit is called before n's value is read. When it has been read before
// in this record (its key is a duplicate), it empties the slots of n's
// subtree, so that the new value replaces the old one whole.
func (e *Extractor) visit(n *node) {
	if n.seen == e.epoch {
		clear(e.vals[n.lo:n.hi])
		if e.failed {
			clear(e.errs[n.lo:n.hi])
		}
	}
	n.seen = e.epoch
}

// take gives v, the value at n, to the slots of n's specs, converted.
// temp says v's text is in memory that will be rewritten (the input of a
// JSON-encoded string, or a decoded string): what a slot keeps of it is
// copied to the arena first.
func (e *Extractor) take(n *node, v value.Value, temp bool) {
	for _, i := range n.leaf {
		c, err := convert(v, e.slotTypes[i])
		if err != nil {
			if temp {
				_, err = value.Convert(e.arena.own(v), e.slotTypes[i])
			}
			e.vals[i], e.errs[i], e.failed = value.Value{}, err, true
			continue
		}
		if temp {
			c = e.arena.own(c)
		}
		e.vals[i] = c
	}
}

// takeInt gives i, read as a long for n's slots (n.long), to them: what
// take would give them.
func (e *Extractor) takeInt(n *node, i int64) {
	for _, slot := range n.leaf {
		e.vals[slot] = value.OfInt(i)
	}
}

// shortDigits reads an optional minus and 1 to 18 digits at d[i:], which
// always fit an int64, and returns where they end.
func shortDigits[T string | []byte](d T, i int) (n int64, end int, ok bool) {
	neg := i < len(d) && d[i] == '-'
	if neg {
		i++
	}
	start := i
	for ; i < len(d) && i-start < 19; i++ {
		c := d[i] - '0'
		if c > 9 {
			break
		}
		n = n*10 + int64(c)
	}
	if i == start || i-start > 18 {
		return 0, 0, false
	}
	if neg {
		n = -n
	}
	return n, i, true
}

// wholeNumber reads a JSON number at d[i:] that is written as an integer
// of up to 18 digits, and returns where it ends. ok is false for anything
// else, valid or not, which number then reads (and refuses).
func wholeNumber(d []byte, i int) (n int64, end int, ok bool) {
	n, end, ok = shortDigits(d, i)
	switch {
	case !ok:
		return 0, 0, false
	case end < len(d) && (d[end] == '.' || d[end] == 'e' || d[end] == 'E' || ('0' <= d[end] && d[end] <= '9')):
		return 0, 0, false // a fraction, an exponent, or more than 18 digits
	case d[i] == '0' && end-i > 1, d[i] == '-' && d[i+1] == '0' && end-i > 2:
		return 0, 0, false // a leading zero, which JSON does not allow
	}
	return n, end, true
}

// convert is value.Convert with a shortcut for its commonest case in the
// jobs, a string of digits wanted as a long ("1001"), which it gives the
// same result.
func convert(v value.Value, t value.Type) (value.Value, error) {
	if t == value.TypeLong {
		if s, ok := v.Str(); ok {
			if i, ok := shortInt(s); ok {
				return value.OfInt(i), nil
			}
		}
	}
	return value.Convert(v, t)
}

// shortInt reads s when it is an optional minus and 1 to 18 digits, which
// always fit an int64.
func shortInt(s string) (int64, bool) {
	n, end, ok := shortDigits(s, 0)
	return n, ok && end == len(s)
}
