package value

import (
	"math"
	"math/bits"
	"strconv"
	"unsafe"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// AppendJSON appends the row as one JSON object. The output is valid JSON
// whatever the values hold: strings are escaped (quotes, backslashes,
// control characters; invalid UTF-8 becomes U+FFFD), a null is null, numbers
// stay numbers.
func (r *Row) AppendJSON(dst []byte) []byte {
	dst = append(dst, '{')
	for i := range r.Fields {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendString(dst, r.Fields[i].Name)
		dst = append(dst, ':')
		dst = r.Fields[i].Value.AppendJSON(dst)
	}
	return append(dst, '}')
}

// RowEncoder writes rows as JSON objects, as Row.AppendJSON does, for a
// stream of rows that have the same fields: it keeps the names of the last
// row written with their JSON text, so that a field whose name is the one
// before at its place costs a comparison, not escaping, and the comparison
// costs no more than comparing two pointers where the names are interned
// (Intern). The zero RowEncoder is ready to use; it is not safe for
// concurrent use.
type RowEncoder struct {
	layout []encodedName
	// buf holds the text of the names and keys of layout. Relearning
	// field i on rewrites it after field i-1's, which only the fields
	// being replaced point to.
	buf []byte
}

// encodedName is a field name of the last row and its JSON text, the comma
// before it and the colon after it included.
type encodedName struct {
	// name is the row's own string when Intern made it (it never
	// changes), else a copy in buf: a name may point into a record's
	// input, which its owner may overwrite with the next record.
	name string
	key  string
	end  int // where the field's text ends in buf
}

// Append appends r as one JSON object, the same bytes as r.AppendJSON.
func (e *RowEncoder) Append(dst []byte, r *Row) []byte {
	dst = append(dst, '{')
	for i := range r.Fields {
		f := &r.Fields[i]
		if i >= len(e.layout) || !SameName(e.layout[i].name, f.Name) {
			e.learn(i, r.Fields[i:])
		}
		dst = append(dst, e.layout[i].key...)
		dst = f.Value.AppendJSON(dst)
	}
	return append(dst, '}')
}

// learn forgets the names from field i on and takes those of fields, the
// rest of the row, in their place.
func (e *RowEncoder) learn(i int, fields []Field) {
	e.layout = e.layout[:i]
	if i > 0 {
		e.buf = e.buf[:e.layout[i-1].end]
	} else {
		e.buf = e.buf[:0]
	}
	for j := range fields {
		name := fields[j].Name
		start := len(e.buf)
		if !interned(name) {
			e.buf = append(e.buf, name...)
		}
		keyStart := len(e.buf)
		if i+j > 0 {
			e.buf = append(e.buf, ',')
		}
		e.buf = append(appendString(e.buf, name), ':')
		if keyStart > start {
			name = unsafe.String(&e.buf[start], keyStart-start)
		}
		e.layout = append(e.layout, encodedName{name: name, key: unsafe.String(&e.buf[keyStart], len(e.buf)-keyStart), end: len(e.buf)})
	}
}

// AppendJSON appends the value as JSON.
func (v Value) AppendJSON(dst []byte) []byte {
	switch v.kind {
	case Bool:
		if v.n == 1 {
			return append(dst, "true"...)
		}
		return append(dst, "false"...)
	case Int:
		return appendInt(dst, int64(v.n))
	case Float:
		return strconv.AppendFloat(dst, math.Float64frombits(v.n), 'g', -1, 64)
	case Number, JSON:
		return append(dst, v.s...)
	case String:
		return appendString(dst, v.s)
	}
	return append(dst, "null"...)
}

// word reads the first eight bytes of s, which the caller has checked
// there are, as one little-endian word (the compiler makes it one load).
func word(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

const (
	lsbs = 0x0101010101010101
	msbs = 0x8080808080808080
)

// appendString writes a JSON string, copying plain text (field names, most
// values: printable ASCII other than the quote and the backslash) in one
// piece and leaving the rest to sdk.AppendJSONString.
func appendString(dst []byte, s string) []byte {
	if len(s) < 8 {
		for i := 0; i < len(s); i++ {
			if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' {
				return sdk.AppendJSONString(dst, s)
			}
		}
	} else {
		// Eight bytes at a time, the last eight overlapping the eight
		// before when the length is not a multiple of eight.
		for i := 0; ; i += 8 {
			if i+8 > len(s) {
				i = len(s) - 8
			}
			if !plainWord(word(s[i:])) {
				return sdk.AppendJSONString(dst, s)
			}
			if i+8 == len(s) {
				break
			}
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// plainWord reports whether the eight bytes of v are all printable ASCII
// other than the quote and the backslash. A byte of the word it tests has
// its top bit set where the byte of v is a control character, a quote, a
// backslash or not ASCII (and may have it after such a byte, which is moot).
func plainWord(v uint64) bool {
	q, b := v^(lsbs*'"'), v^(lsbs*'\\')
	return (v|(v-lsbs*0x20)|(q-lsbs)|(b-lsbs))&msbs == 0
}

// appendInt is strconv.AppendInt(dst, i, 10), writing the digits in place,
// two at a time from the last, where strconv writes them to a buffer and
// copies that.
func appendInt(dst []byte, i int64) []byte {
	u := uint64(i)
	if i < 0 {
		dst = append(dst, '-')
		u = -u
	}
	if u < 10 {
		return append(dst, byte('0'+u))
	}
	n := (bits.Len64(u) * 1233) >> 12 // log10(2) is about 1233/4096
	if u >= pow10[n] {
		n++
	}
	at := len(dst)
	dst = append(dst, "00000000000000000000"[:n]...)
	out := dst[at:]
	for u >= 100 {
		q := u / 100
		r := u - q*100
		n -= 2
		out[n], out[n+1] = pairs[2*r], pairs[2*r+1]
		u = q
	}
	if u >= 10 {
		out[0], out[1] = pairs[2*u], pairs[2*u+1]
	} else {
		out[0] = byte('0' + u)
	}
	return dst
}

// pow10[n] is 10^n.
var pow10 = func() (t [20]uint64) {
	t[0] = 1
	for i := 1; i < len(t); i++ {
		t[i] = t[i-1] * 10
	}
	return t
}()

const pairs = "00010203040506070809101112131415161718192021222324252627282930313233343536373839" +
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879" +
	"8081828384858687888990919293949596979899"
