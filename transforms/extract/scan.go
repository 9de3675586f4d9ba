package extract

import (
	"encoding/binary"
	"math/bits"
	"slices"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// SyntaxError is input that Extract and Object refuse: text that is not
// JSON, or JSON nested deeper than the limit. Offset is the byte offset of
// the problem in the text being read, which for a JSON-encoded string is the
// string's decoded content.
type SyntaxError struct {
	Offset int
	msg    string
}

func (e *SyntaxError) Error() string { return e.msg + " at offset " + strconv.Itoa(e.Offset) }

// scanner reads one JSON text, data, from pos, checking it as
// encoding/json's scanner does (RFC 8259; invalid UTF-8 inside strings is
// accepted and decoded as U+FFFD). depth counts the containers open around
// pos, including, for the content of a JSON-encoded string, those around
// the string.
type scanner struct {
	data  []byte
	pos   int
	depth int
	max   int
	// stack, if not nil, keeps the memory skipNested uses for containers
	// nested more than 64 deep from record to record.
	stack *[]byte
	// scratch says data is the Extractor's scratch memory, which is
	// rewritten, rather than the caller's input.
	scratch bool
}

// Flags of a string's raw text.
const (
	strEscaped  = 1 << iota // has a backslash escape
	strNonASCII             // may have bytes of 0x80 and above, perhaps invalid UTF-8
)

// plain marks the bytes str passes over at once: all but the quote, the
// backslash and control characters.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 256; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func (s *scanner) fail(at int, msg string) error {
	return &SyntaxError{Offset: at, msg: msg}
}

func (s *scanner) eof() error {
	return s.fail(len(s.data), "unexpected end of JSON input")
}

// invalid reports the byte at s.data[at] as unexpected.
func (s *scanner) invalid(at int) error {
	if at >= len(s.data) {
		return s.eof()
	}
	return s.fail(at, "invalid character "+quoteChar(s.data[at]))
}

func (s *scanner) tooDeep() error {
	return s.fail(s.pos, "nested deeper than "+strconv.Itoa(s.max)+" levels")
}

// quoteChar formats c as encoding/json's errors do.
func quoteChar(c byte) string {
	if c == '\'' {
		return `'\''`
	}
	if c == '"' {
		return `'"'`
	}
	q := strconv.Quote(string(rune(c)))
	return "'" + q[1:len(q)-1] + "'"
}

// ws skips whitespace.
func (s *scanner) ws() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// next skips whitespace up to the next byte, which must exist.
func (s *scanner) next() error {
	if s.pos < len(s.data) && s.data[s.pos] > ' ' {
		return nil // the usual case, inlined
	}
	return s.nextSlow()
}

func (s *scanner) nextSlow() error {
	s.ws()
	if s.pos >= len(s.data) {
		return s.eof()
	}
	return nil
}

// end checks that nothing but whitespace follows the value just read.
func (s *scanner) end() error {
	s.ws()
	if s.pos < len(s.data) {
		return s.fail(s.pos, "invalid character "+quoteChar(s.data[s.pos])+" after top-level value")
	}
	return nil
}

// open enters the object or array at s.pos.
func (s *scanner) open() error {
	if s.depth >= s.max {
		return s.tooDeep()
	}
	s.depth++
	s.pos++
	return s.next()
}

// str skips the string at s.pos (its opening quote), checking its escapes
// and refusing control characters as encoding/json does.
func (s *scanner) str() (flags uint8, err error) {
	d := s.data
	i := s.pos + 1
	// high ORs the bytes read (and a few after), to tell whether any may
	// be 0x80 or above.
	var high uint64
	for {
		// Eight bytes at a time up to the first quote, backslash or
		// control character: this is the hottest loop.
		for {
			if i+8 > len(d) {
				for i < len(d) && plain[d[i]] {
					high |= uint64(d[i])
					i++
				}
				break
			}
			v := binary.LittleEndian.Uint64(d[i:])
			high |= v
			if m := specialBytes(v); m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				break
			}
			i += 8
		}
		if i >= len(d) {
			return 0, s.eof()
		}
		switch c := d[i]; {
		case c == '"':
			s.pos = i + 1
			if high&msbs != 0 {
				flags |= strNonASCII
			}
			return flags, nil
		case c == '\\':
			flags |= strEscaped
			if i+1 >= len(d) {
				return 0, s.eof()
			}
			switch d[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if err := s.hexAt(i + 2); err != nil {
					return 0, err
				}
				i += 6
			default:
				return 0, s.fail(i+1, "invalid escape "+quoteChar(d[i+1])+" in string")
			}
		default: // c < 0x20
			return 0, s.fail(i, "invalid character "+quoteChar(c)+" in string")
		}
	}
}

// strInto is str that also appends the string's value to dst, decoded as
// unquote decodes it, in the same pass: for strings whose value is read
// whatever they hold, such as JSON-encoded ones, which are full of escapes.
//
// It writes into dst's spare capacity directly, eight bytes at a time: a
// value is never longer than its raw text, except where invalid UTF-8
// becomes U+FFFD (three bytes for one), after which it makes room again.
func (s *scanner) strInto(dst []byte) ([]byte, error) {
	d := s.data
	i := s.pos + 1
	w := len(dst)
	buf := room(dst, len(d)-i)
	for {
		if i < len(d) && plain[d[i]] {
			// A run of bytes that are their own value.
			start, wstart := i, w
			var high uint64
			for i+8 <= len(d) {
				v := binary.LittleEndian.Uint64(d[i:])
				binary.LittleEndian.PutUint64(buf[w:], v)
				high |= v
				if m := specialBytes(v); m != 0 {
					n := bits.TrailingZeros64(m) >> 3
					i, w = i+n, w+n
					break
				}
				i, w = i+8, w+8
			}
			if i+8 > len(d) {
				for i < len(d) && plain[d[i]] {
					high |= uint64(d[i])
					buf[w] = d[i]
					i, w = i+1, w+1
				}
			}
			if run := d[start:i]; high&msbs != 0 && !utf8.Valid(run) {
				buf = unquote(buf[:wstart], run)
				w = len(buf)
				buf = room(buf, len(d)-i)
			}
		}
		if i >= len(d) {
			return buf[:w], s.eof()
		}
		switch c := d[i]; {
		case c == '"':
			s.pos = i + 1
			return buf[:w], nil
		case c == '\\':
			if i+1 >= len(d) {
				return buf[:w], s.eof()
			}
			e := d[i+1]
			switch e {
			case '"', '\\', '/':
			case 'b':
				e = '\b'
			case 'f':
				e = '\f'
			case 'n':
				e = '\n'
			case 'r':
				e = '\r'
			case 't':
				e = '\t'
			case 'u':
				if err := s.hexAt(i + 2); err != nil {
					return buf[:w], err
				}
				r := hex4(d[i+2 : i+6])
				i += 6
				if utf16.IsSurrogate(r) {
					r2 := rune(-1)
					if i+6 <= len(d) && d[i] == '\\' && d[i+1] == 'u' {
						r2 = hex4(d[i+2 : i+6])
					}
					if pair := utf16.DecodeRune(r, r2); pair != utf8.RuneError {
						i += 6
						r = pair
					} else {
						r = utf8.RuneError
					}
				}
				w += utf8.EncodeRune(buf[w:], r)
				continue
			default:
				return buf[:w], s.fail(i+1, "invalid escape "+quoteChar(e)+" in string")
			}
			buf[w] = e
			i, w = i+2, w+1
		default: // c < 0x20
			return buf[:w], s.fail(i, "invalid character "+quoteChar(c)+" in string")
		}
	}
}

// room gives b with its length extended to its capacity, which is at least
// len(b)+n+8.
func room(b []byte, n int) []byte {
	b = slices.Grow(b, n+8)
	return b[:cap(b)]
}

// hexAt checks the four hex digits of a \u escape at s.data[at:].
func (s *scanner) hexAt(at int) error {
	for j := at; j < at+4; j++ {
		if j >= len(s.data) {
			return s.eof()
		}
		if unhex(s.data[j]) < 0 {
			return s.fail(j, "invalid character "+quoteChar(s.data[j])+" in \\u escape")
		}
	}
	return nil
}

const (
	lsbs = 0x0101010101010101
	msbs = 0x8080808080808080
)

// specialBytes gives, for the eight bytes of v (the first in the low
// bits), a word whose lowest set bit is the top bit of the first byte that
// is a quote, a backslash or a control character, or 0 if none is. Bits
// above the lowest may be set for bytes that are not special.
func specialBytes(v uint64) uint64 {
	q := v ^ (lsbs * '"')
	b := v ^ (lsbs * '\\')
	return ((v-lsbs*0x20)&^v | (q-lsbs)&^q | (b-lsbs)&^b) & msbs
}

func unhex(c byte) rune {
	switch {
	case '0' <= c && c <= '9':
		return rune(c - '0')
	case 'a' <= c && c <= 'f':
		return rune(c - 'a' + 10)
	case 'A' <= c && c <= 'F':
		return rune(c - 'A' + 10)
	}
	return -1
}

// hex4 reads four hex digits; it is negative if they are not.
func hex4(b []byte) rune {
	return unhex(b[0])<<12 | unhex(b[1])<<8 | unhex(b[2])<<4 | unhex(b[3])
}

// number skips the number at s.pos, in JSON's grammar
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?, and reports whether it is
// written as an integer (no fraction or exponent). What follows is the
// caller's to check, so "01" fails there, at the '1'.
func (s *scanner) number() (integer bool, err error) {
	d, i := s.data, s.pos
	if d[i] == '-' {
		i++
	}
	switch {
	case i >= len(d):
		return false, s.eof()
	case d[i] == '0':
		i++
	case '1' <= d[i] && d[i] <= '9':
		for i++; i < len(d) && '0' <= d[i] && d[i] <= '9'; i++ {
		}
	default:
		return false, s.invalid(i)
	}
	integer = true
	if i < len(d) && d[i] == '.' {
		integer = false
		i++
		if i >= len(d) || d[i] < '0' || d[i] > '9' {
			return false, s.invalid(i)
		}
		for ; i < len(d) && '0' <= d[i] && d[i] <= '9'; i++ {
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		integer = false
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if i >= len(d) || d[i] < '0' || d[i] > '9' {
			return false, s.invalid(i)
		}
		for ; i < len(d) && '0' <= d[i] && d[i] <= '9'; i++ {
		}
	}
	s.pos = i
	return integer, nil
}

// literal skips true, false or null at s.pos, whose first byte matched.
func (s *scanner) literal(lit string) error {
	for i := 1; i < len(lit); i++ {
		if s.pos+i >= len(s.data) {
			return s.eof()
		}
		if s.data[s.pos+i] != lit[i] {
			return s.invalid(s.pos + i)
		}
	}
	s.pos += len(lit)
	return nil
}

// skip skips the value at s.pos, which the caller has checked is not past
// the end, checking that it is well-formed.
func (s *scanner) skip() error {
	switch c := s.data[s.pos]; c {
	case '"':
		_, err := s.str()
		return err
	case '{', '[':
		return s.skipNested()
	case 't':
		return s.literal("true")
	case 'f':
		return s.literal("false")
	case 'n':
		return s.literal("null")
	default:
		if c == '-' || ('0' <= c && c <= '9') {
			_, err := s.number()
			return err
		}
		return s.invalid(s.pos)
	}
}

// skipNested skips the object or array at s.pos without recursing, so that
// no input can exhaust the stack whatever the depth limit.
func (s *scanner) skipNested() error {
	// The kinds of the containers open: bit i of inner says the i-th is
	// an object; those past 64 are in deeper, kept in *s.stack when there
	// is one.
	var inner uint64
	var deeper []byte
	if s.stack != nil {
		deeper = (*s.stack)[:0]
	}
	n := 0
	for {
		// s.pos is at a value, past any whitespace.
		switch c := s.data[s.pos]; c {
		case '{', '[':
			if err := s.open(); err != nil {
				return err
			}
			if s.data[s.pos] == c+2 { // '}' or ']'
				s.pos++
				s.depth--
				break
			}
			switch {
			case n >= 64:
				deeper = append(deeper, c)
			case c == '{':
				inner |= 1 << n
			default:
				inner &^= 1 << n
			}
			n++
			if c == '{' {
				if err := s.key(); err != nil {
					return err
				}
			}
			continue
		default:
			if err := s.skip(); err != nil {
				return err
			}
		}
		// After a value: commas and closing brackets, until the next value
		// or the end of the outermost container.
		for {
			if n == 0 {
				if s.stack != nil && cap(deeper) > cap(*s.stack) {
					*s.stack = deeper[:0] // keep what it grew to
				}
				return nil
			}
			if err := s.next(); err != nil {
				return err
			}
			top := byte('[')
			if n > 64 {
				top = deeper[n-65]
			} else if inner>>(n-1)&1 == 1 {
				top = '{'
			}
			c := s.data[s.pos]
			if c == top+2 {
				s.pos++
				s.depth--
				if n--; n >= 64 {
					deeper = deeper[:n-64]
				}
				continue
			}
			if c != ',' {
				return s.invalid(s.pos)
			}
			s.pos++
			if err := s.next(); err != nil {
				return err
			}
			if top == '{' {
				if err := s.key(); err != nil {
					return err
				}
			}
			break
		}
	}
}

// key skips an object's key and the colon after it, up to the value.
func (s *scanner) key() error {
	if s.data[s.pos] != '"' {
		return s.invalid(s.pos)
	}
	if _, err := s.str(); err != nil {
		return err
	}
	return s.colon()
}

// colon skips the colon after a key, up to the value.
func (s *scanner) colon() error {
	if err := s.next(); err != nil {
		return err
	}
	if s.data[s.pos] != ':' {
		return s.invalid(s.pos)
	}
	s.pos++
	return s.next()
}

// more reads what follows a member or element: true at a comma (and moves
// to the next member or element), false at the closing bracket close.
func (s *scanner) more(close byte) (bool, error) {
	if err := s.next(); err != nil {
		return false, err
	}
	switch s.data[s.pos] {
	case ',':
		s.pos++
		return true, s.next()
	case close:
		s.pos++
		s.depth--
		return false, nil
	}
	return false, s.invalid(s.pos)
}

// stringText gives the value of a string whose raw text (between the
// quotes, checked by str) is raw: raw itself when it needs no decoding, else
// its decoding appended to *buf (decoded is then true).
func stringText(raw []byte, flags uint8, buf *[]byte) (text []byte, decoded bool) {
	if flags == 0 || (flags&strEscaped == 0 && utf8.Valid(raw)) {
		return raw, false
	}
	mark := len(*buf)
	*buf = unquote(*buf, raw)
	return (*buf)[mark:], true
}

// unquote appends the value of a string's raw text, checked by str, as
// encoding/json decodes it: each byte of invalid UTF-8 becomes U+FFFD, and
// so does a \u escape of a surrogate that is not the first half of a valid
// pair.
func unquote(dst, raw []byte) []byte {
	for i := 0; i < len(raw); {
		c := raw[i]
		switch {
		case c == '\\':
			switch raw[i+1] {
			case 'b':
				dst = append(dst, '\b')
			case 'f':
				dst = append(dst, '\f')
			case 'n':
				dst = append(dst, '\n')
			case 'r':
				dst = append(dst, '\r')
			case 't':
				dst = append(dst, '\t')
			case 'u':
				r := hex4(raw[i+2 : i+6])
				i += 6
				if utf16.IsSurrogate(r) {
					r2 := rune(-1)
					if i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
						r2 = hex4(raw[i+2 : i+6])
					}
					if pair := utf16.DecodeRune(r, r2); pair != utf8.RuneError {
						i += 6
						r = pair
					} else {
						r = utf8.RuneError
					}
				}
				dst = utf8.AppendRune(dst, r)
				continue
			default: // '"', '\\', '/'
				dst = append(dst, raw[i+1])
			}
			i += 2
		case c < utf8.RuneSelf:
			start := i
			for i++; i < len(raw) && raw[i] < utf8.RuneSelf && raw[i] != '\\'; i++ {
			}
			dst = append(dst, raw[start:i]...)
		default:
			r, size := utf8.DecodeRune(raw[i:])
			dst = utf8.AppendRune(dst, r)
			i += size
		}
	}
	return dst
}

// parseInt reads a number that number found to be written as an integer,
// when it fits an int64.
func parseInt(b []byte) (int64, bool) {
	neg := b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) > 19 {
		return 0, false
	}
	var u uint64
	for _, c := range b {
		u = u*10 + uint64(c-'0')
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return -int64(u), true
	}
	if u > 1<<63-1 {
		return 0, false
	}
	return int64(u), true
}

// kindName names the JSON type of a value from its first byte.
func kindName(c byte) string {
	switch c {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

// str converts b to a string without copying: the string is valid while b
// is unchanged.
func str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
