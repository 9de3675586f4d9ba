package extract

import (
	"encoding/binary"
	"math/bits"
	"unicode/utf8"

	"github.com/tributarydata/tributary/transforms/value"
)

// Reading JSON-encoded strings through their escapes.
//
// A record whose nested objects arrive JSON-encoded,
//
//	"data":"{\"userid\":\"1001\",\"msg\":\"{\\\"msgtype\\\":\\\"116\\\"}\"}"
//
// would otherwise be read three times over: its string decoded into scratch
// memory, that read as JSON, and every value taken copied out of the scratch
// memory; and once more for each level of encoding. Decoding was two fifths
// of the time of such records. But encoders escape little: in the content of
// a string, a quote is \" and a backslash \\, and the rest of JSON's syntax
// ({}[]:, digits, letters, spaces) is written as itself. So the content can
// be read in place, as JSON whose quotes are preceded by one backslash
// (two levels down, by three: \\\"), and the values it holds, written as
// themselves, point into the input like any other.
//
// Only that common form is read in place. At anything else (another
// escape outside a string, whitespace other than spaces, an escape in a key
// or in a value a field takes, an object or array a field takes whole,
// nesting deeper than 64 inside a skipped value, and any syntax error), the
// attempt gives up, forgets what it took, and the string is decoded and
// read as before, which also finds the error to report. So the outcome is
// the same either way (FuzzThroughEscapes holds the two paths equal), and
// the odd record costs a second look.

// escScanner reads, in place, JSON text that is the content of a string,
// maybe of a string inside one, and so on. In the input, a quote of the
// text is written as quote backslashes and '"' (1 for the content of a
// string of the input, 3 one level down: 2^level-1); quote/2 backslashes
// and '"' end the text.
type escScanner struct {
	data    []byte
	pos     int
	depth   int
	max     int
	quote   int
	scratch bool // data is the Extractor's scratch memory (see scanner)
}

// peek returns the byte at s.pos, or 0 at the end of the data, which no
// caller accepts.
func (s *escScanner) peek() byte {
	if s.pos < len(s.data) {
		return s.data[s.pos]
	}
	return 0
}

// ws skips spaces, the only whitespace written as itself in a string.
func (s *escScanner) ws() {
	for s.pos < len(s.data) && s.data[s.pos] == ' ' {
		s.pos++
	}
}

// quoteRun reads the backslashes and the quote at s.pos and reports how many
// backslashes there are, -1 if no quote follows them. s.pos is then past
// the quote.
func (s *escScanner) quoteRun() int {
	i := s.pos
	for i < len(s.data) && s.data[i] == '\\' {
		i++
	}
	if i >= len(s.data) || s.data[i] != '"' {
		return -1
	}
	k := i - s.pos
	s.pos = i + 1
	return k
}

// closes reads the closing quote of a string at d[at] if it is there,
// and reports whether it was: s.quote backslashes and '"'.
func (s *escScanner) closes(at int) bool {
	end := at + s.quote
	if end >= len(s.data) || s.data[end] != '"' {
		return false
	}
	for i := at; i < end; i++ {
		if s.data[i] != '\\' {
			return false
		}
	}
	s.pos = end + 1
	return true
}

// atEnd reads the end of the text if it is at s.pos.
func (s *escScanner) atEnd() bool {
	start := s.pos
	if s.quoteRun() == s.quote/2 {
		return true
	}
	s.pos = start
	return false
}

// open enters the object or array at s.pos.
func (s *escScanner) open() bool {
	if s.depth >= s.max {
		return false
	}
	s.depth++
	s.pos++
	s.ws()
	return true
}

// colon reads the colon after a key, and the spaces around it.
func (s *escScanner) colon() bool {
	s.ws()
	if s.peek() != ':' {
		return false
	}
	s.pos++
	s.ws()
	return true
}

// more reads what follows a member or element: true at a comma (and moves
// to the next member or element), false at the closing bracket close;
// ok is false at anything else.
func (s *escScanner) more(close byte) (more, ok bool) {
	s.ws()
	switch s.peek() {
	case ',':
		s.pos++
		s.ws()
		return true, true
	case close:
		s.pos++
		s.depth--
		return false, true
	}
	return false, false
}

// body reads the rest of a string whose opening quote was just read, up to
// and past its closing quote, and returns where its raw text ends. escaped
// says the text has escapes of its own level (its value is not its raw
// text), high that it has bytes of 0x80 and above, which may be invalid
// UTF-8.
func (s *escScanner) body() (end int, escaped, high, ok bool) {
	d := s.data
	i := s.pos
	var or uint64 // the bytes read, ORed
	for {
		for i+8 <= len(d) {
			v := binary.LittleEndian.Uint64(d[i:])
			or |= v
			if m := specialBytes(v); m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				break
			}
			i += 8
		}
		for i < len(d) && plain[d[i]] {
			or |= uint64(d[i])
			i++
		}
		if i >= len(d) || d[i] < 0x20 {
			return 0, false, false, false
		}
		// A run of backslashes and the byte after them. The lowest bits of
		// their number (those of s.quote) are escapes of the levels around
		// the text; the rest, own, are the text's own backslashes.
		run := i
		for i < len(d) && d[i] == '\\' {
			i++
		}
		if i >= len(d) {
			return 0, false, false, false
		}
		k, c := i-run, d[i]
		own := k / (s.quote + 1)
		i++
		if c == '"' {
			if k&s.quote != s.quote {
				return 0, false, false, false // the end of the text (or of a level around it) inside a string
			}
			if own%2 == 0 { // the closing quote, maybe after escaped backslashes
				s.pos = i
				return run, escaped || own > 0, or&msbs != 0, true
			}
			escaped = true // an escaped quote
			continue
		}
		if k&s.quote != 0 || c < 0x20 {
			return 0, false, false, false // escapes of the levels around the text: not read in place
		}
		if own%2 == 1 {
			switch c {
			case '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 > len(d) || hex4(d[i:i+4]) < 0 {
					return 0, false, false, false
				}
				i += 4
			default:
				return 0, false, false, false
			}
		}
		escaped = escaped || own > 0
		or |= uint64(c)
	}
}

// str reads the string at s.pos, opening quote included, and returns its
// raw text.
func (s *escScanner) str() (raw []byte, escaped, high, ok bool) {
	if s.quoteRun() != s.quote {
		return nil, false, false, false
	}
	start := s.pos
	end, escaped, high, ok := s.body()
	if !ok {
		return nil, false, false, false
	}
	return s.data[start:end], escaped, high, true
}

// text reads a string whose value is its raw text, as keys and the strings
// fields take must be to be read in place.
func (s *escScanner) text() ([]byte, bool) {
	raw, escaped, high, ok := s.str()
	return raw, ok && !escaped && (!high || utf8.Valid(raw))
}

// literal reads true, false or null at s.pos.
func (s *escScanner) literal(lit string) bool {
	if len(s.data)-s.pos < len(lit) || string(s.data[s.pos:s.pos+len(lit)]) != lit {
		return false
	}
	s.pos += len(lit)
	return true
}

// number reads the number at s.pos and reports whether it is written as an
// integer.
func (s *escScanner) number() (integer, ok bool) {
	num := scanner{data: s.data, pos: s.pos}
	integer, err := num.number()
	s.pos = num.pos
	return integer, err == nil
}

// scalar reads a string, number or literal at s.pos.
func (s *escScanner) scalar() bool {
	switch c := s.peek(); c {
	case '\\', '"':
		_, _, _, ok := s.str()
		return ok
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.literal("null")
	default:
		if c == '-' || ('0' <= c && c <= '9') {
			_, ok := s.number()
			return ok
		}
		return false
	}
}

// key reads a key and its colon.
func (s *escScanner) key() bool {
	_, _, _, ok := s.str()
	return ok && s.colon()
}

// skip reads the value at s.pos without recursing, as scanner.skipNested
// does, but only up to 64 levels deep.
func (s *escScanner) skip() bool {
	var objects uint64 // bit i: the i-th container open is an object
	n := 0
	for {
		switch c := s.peek(); c {
		case '{', '[':
			if n == 64 || !s.open() {
				return false
			}
			if s.peek() == c+2 { // '}' or ']'
				s.pos++
				s.depth--
				break
			}
			if c == '{' {
				objects |= 1 << n
			} else {
				objects &^= 1 << n
			}
			n++
			if c == '{' && !s.key() {
				return false
			}
			continue
		default:
			if !s.scalar() {
				return false
			}
		}
		// After a value: commas and closing brackets, until the next value
		// or the end of the outermost container.
		for {
			if n == 0 {
				return true
			}
			object := objects>>(n-1)&1 == 1
			close := byte(']')
			if object {
				close = '}'
			}
			more, ok := s.more(close)
			if !ok {
				return false
			}
			if !more {
				n--
				continue
			}
			if object && !s.key() {
				return false
			}
			break
		}
	}
}

// throughEscapes reads the string at s.pos for n, whose children look
// into its content, in place. It reports false, having moved nothing but
// the slots of n's children, which it leaves empty, when the string is not
// in the form it reads: the caller decodes it then.
func (e *Extractor) throughEscapes(s *scanner, n *node) bool {
	in := escScanner{data: s.data, pos: s.pos + 1, depth: s.depth, max: s.max, quote: 1, scratch: s.scratch}
	if !e.escText(&in, n) {
		clear(e.vals[n.kidsLo:n.hi])
		clear(e.errs[n.kidsLo:n.hi])
		return false
	}
	s.pos = in.pos
	return true
}

// escText reads the text s is at, up to and past its end, for n's
// children; blank text is absent, as decode has it.
func (e *Extractor) escText(s *escScanner, n *node) bool {
	s.ws()
	if s.atEnd() {
		return true
	}
	if !e.escValue(s, n, false) {
		return false
	}
	s.ws()
	return s.atEnd()
}

// escValue is value, in place.
func (e *Extractor) escValue(s *escScanner, n *node, leaf bool) bool {
	leaf = leaf && len(n.leaf) > 0
	start := s.pos
	switch c := s.peek(); c {
	case '{', '[':
		switch {
		case leaf:
			return false // its text would have to be decoded
		case c == '{' && len(n.keys) > 0:
			return e.escObject(s, n)
		case c == '[' && len(n.idxs) > 0:
			return e.escArray(s, n)
		}
		return s.skip()
	case '\\', '"':
		if n.hasKids() {
			// A string in the text: its content is read one level down,
			// unless the levels get absurd (1 MiB holds no more than 20).
			if leaf || s.quote >= 1<<24 || s.quoteRun() != s.quote {
				return false
			}
			in := escScanner{data: s.data, pos: s.pos, depth: s.depth, max: s.max, quote: 2*s.quote + 1, scratch: s.scratch}
			if !e.escText(&in, n) {
				return false
			}
			s.pos = in.pos
			return true
		}
		if !leaf {
			return s.scalar()
		}
		if n.long {
			// A whole number wanted as a long, as value reads it.
			if s.quoteRun() != s.quote {
				return false
			}
			if i, end, ok := shortDigits(s.data, s.pos); ok && s.closes(end) {
				e.takeInt(n, i)
				return true
			}
			s.pos = start
		}
		raw, ok := s.text()
		if !ok {
			return false
		}
		e.take(n, value.OfString(str(raw)), s.scratch)
	case 't', 'f', 'n':
		var v value.Value
		switch c {
		case 't':
			v = value.OfBool(true)
			if !s.literal("true") {
				return false
			}
		case 'f':
			v = value.OfBool(false)
			if !s.literal("false") {
				return false
			}
		default:
			if !s.literal("null") {
				return false
			}
		}
		if leaf {
			e.take(n, v, false)
		}
	default:
		if c != '-' && (c < '0' || c > '9') {
			return false
		}
		if leaf && n.long {
			if i, end, ok := wholeNumber(s.data, start); ok {
				s.pos = end
				e.takeInt(n, i)
				return true
			}
		}
		integer, ok := s.number()
		if !ok {
			return false
		}
		if leaf {
			e.take(n, numberValue(s.data[start:s.pos], integer), s.scratch)
		}
	}
	return true
}

// escObject is object, in place.
func (e *Extractor) escObject(s *escScanner, n *node) bool {
	if !s.open() {
		return false
	}
	if s.peek() == '}' {
		s.pos++
		s.depth--
		return true
	}
	prev := -1 // the index of the last key matched
	for {
		if s.quoteRun() != s.quote {
			return false
		}
		i, end := n.expected(prev, s.data, s.pos, s.quote)
		if i >= 0 {
			s.pos = end
			s.ws()
		} else {
			s.pos -= s.quote + 1 // text reads the key from its opening quote
			key, ok := s.text()
			if !ok || !s.colon() {
				return false // an escaped key (rare enough to decode), or bad syntax
			}
			i = n.key(prev, key)
		}
		var ok bool
		if i >= 0 {
			prev = i
			c := n.keys[i].kid
			e.visit(c)
			ok = e.escValue(s, c, true)
		} else {
			ok = s.skip()
		}
		if !ok {
			return false
		}
		more, ok := s.more('}')
		if !ok {
			return false
		}
		if !more {
			return true
		}
	}
}

// escArray is array, in place.
func (e *Extractor) escArray(s *escScanner, n *node) bool {
	if !s.open() {
		return false
	}
	if s.peek() == ']' {
		s.pos++
		s.depth--
		return true
	}
	for i := 0; ; i++ {
		var ok bool
		if c := n.index(i); c != nil {
			e.visit(c)
			ok = e.escValue(s, c, true)
		} else {
			ok = s.skip()
		}
		if !ok {
			return false
		}
		more, ok := s.more(']')
		if !ok {
			return false
		}
		if !more {
			return true
		}
	}
}
