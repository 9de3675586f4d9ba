package extract

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Path is where a field is in a JSON value: a list of object keys and array
// indexes, read from the root object. The zero Path is empty and is refused
// by Compile.
type Path struct {
	segs []segment
}

// segment is one step of a Path: an object key, or an array index when
// index is 0 or more.
type segment struct {
	key   string
	index int
}

func (s segment) isIndex() bool { return s.index >= 0 }

// maxIndex bounds array indexes; no record has an array that long, and it
// keeps an index an int on every platform.
const maxIndex = math.MaxInt32

// ParsePath reads a path in the dotted form the warehouse's JSON_VALUE
// paths use:
//
//	data.msg.msg_data.target_id   keys, separated by dots
//	$.data.userid, $['a']         an optional leading $ (the root), then . or [
//	items[0].name                 array indexes
//	['a.b'].c, ["a b"]            keys with any characters, quoted; \\, \' and \" are escapes
//
// A bare key is one or more characters other than . [ ] ' " \, spaces and
// control characters. An error says what is wrong and at which byte offset.
func ParsePath(s string) (Path, error) {
	p := pathParser{in: s}
	segs, err := p.parse()
	if err != nil {
		return Path{}, fmt.Errorf("invalid path %q: %w", s, err)
	}
	return Path{segs: segs}, nil
}

type pathParser struct {
	in  string
	pos int
}

func (p *pathParser) errorf(format string, args ...any) error {
	return fmt.Errorf(format+" at offset %d", append(args, p.pos)...)
}

func (p *pathParser) parse() ([]segment, error) {
	if p.in == "" {
		return nil, fmt.Errorf("empty path")
	}
	// A leading $ is the root when a . or [ or nothing follows it; "$oid"
	// is a key.
	if p.in[0] == '$' {
		switch {
		case len(p.in) == 1:
			return nil, fmt.Errorf("the path names no field (only $)")
		case p.in[1] == '.':
			p.pos = 2
		case p.in[1] == '[':
			p.pos = 1
		}
	}
	var segs []segment
	if p.pos < len(p.in) && p.in[p.pos] == '[' {
		seg, err := p.bracket()
		if err != nil {
			return nil, err
		}
		segs = append(segs, seg)
	} else {
		name, err := p.name()
		if err != nil {
			return nil, err
		}
		segs = append(segs, segment{key: name, index: -1})
	}
	for p.pos < len(p.in) {
		switch c := p.in[p.pos]; c {
		case '.':
			p.pos++
			name, err := p.name()
			if err != nil {
				return nil, err
			}
			segs = append(segs, segment{key: name, index: -1})
		case '[':
			seg, err := p.bracket()
			if err != nil {
				return nil, err
			}
			segs = append(segs, seg)
		default:
			return nil, p.errorf("unexpected %s, want . or [", quoteRuneAt(p.in, p.pos))
		}
	}
	return segs, nil
}

// bareByte reports whether c may appear in a key written without quotes.
func bareByte(c byte) bool {
	switch c {
	case '.', '[', ']', '\'', '"', '\\', ' ', 0x7f:
		return false
	}
	return c > ' '
}

// name reads a bare key.
func (p *pathParser) name() (string, error) {
	start := p.pos
	for p.pos < len(p.in) && bareByte(p.in[p.pos]) {
		p.pos++
	}
	if p.pos == start {
		if p.pos == len(p.in) {
			return "", p.errorf("missing key at the end")
		}
		switch c := p.in[p.pos]; c {
		case '.', '[':
			return "", p.errorf("empty key before %q", c)
		default:
			return "", p.errorf("unexpected %s in a key (quote such keys: ['a b'])", quoteRuneAt(p.in, p.pos))
		}
	}
	if p.pos < len(p.in) && p.in[p.pos] != '.' && p.in[p.pos] != '[' {
		return "", p.errorf("unexpected %s in a key (quote such keys: ['a b'])", quoteRuneAt(p.in, p.pos))
	}
	return p.in[start:p.pos], nil
}

// bracket reads [index] or ['key'] or ["key"] at p.pos.
func (p *pathParser) bracket() (segment, error) {
	p.pos++ // '['
	if p.pos >= len(p.in) {
		return segment{}, p.errorf("unterminated [")
	}
	var seg segment
	switch c := p.in[p.pos]; {
	case c == '\'' || c == '"':
		key, err := p.quoted(c)
		if err != nil {
			return segment{}, err
		}
		seg = segment{key: key, index: -1}
	case '0' <= c && c <= '9':
		start := p.pos
		for p.pos < len(p.in) && '0' <= p.in[p.pos] && p.in[p.pos] <= '9' {
			p.pos++
		}
		digits := p.in[start:p.pos]
		if len(digits) > 1 && digits[0] == '0' {
			p.pos = start
			return segment{}, p.errorf("index %s has a leading zero", digits)
		}
		n, err := strconv.Atoi(digits)
		if err != nil || n > maxIndex {
			p.pos = start
			return segment{}, p.errorf("index %s is too large", digits)
		}
		seg = segment{index: n}
	case c == '-':
		return segment{}, p.errorf("negative index")
	default:
		return segment{}, p.errorf("unexpected %s after [, want an index or a quoted key", quoteRuneAt(p.in, p.pos))
	}
	if p.pos >= len(p.in) {
		return segment{}, p.errorf("missing ]")
	}
	if p.in[p.pos] != ']' {
		return segment{}, p.errorf("unexpected %s, want ]", quoteRuneAt(p.in, p.pos))
	}
	p.pos++
	return seg, nil
}

// quoted reads a key in quotes q, with \\, \' and \" escapes.
func (p *pathParser) quoted(q byte) (string, error) {
	open := p.pos
	p.pos++
	var b strings.Builder
	for p.pos < len(p.in) {
		c := p.in[p.pos]
		switch c {
		case q:
			p.pos++
			return b.String(), nil
		case '\\':
			if p.pos+1 >= len(p.in) {
				p.pos = open
				return "", p.errorf("unterminated quoted key")
			}
			switch e := p.in[p.pos+1]; e {
			case '\\', '\'', '"':
				b.WriteByte(e)
				p.pos += 2
			default:
				return "", p.errorf("invalid escape \\%c in a quoted key (only \\\\, \\' and \\\")", e)
			}
		default:
			b.WriteByte(c)
			p.pos++
		}
	}
	p.pos = open
	return "", p.errorf("unterminated quoted key")
}

// quoteRuneAt quotes the character at s[i] for an error message.
func quoteRuneAt(s string, i int) string {
	r, _ := utf8.DecodeRuneInString(s[i:])
	return strconv.QuoteRune(r)
}

// String gives the path in canonical form: keys bare where they can be,
// else in single quotes, indexes in brackets, no leading $. ParsePath reads
// it back to the same path.
func (p Path) String() string {
	var b strings.Builder
	for i, seg := range p.segs {
		switch {
		case seg.isIndex():
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(seg.index))
			b.WriteByte(']')
		case isBare(seg.key, i == 0):
			if i > 0 {
				b.WriteByte('.')
			}
			b.WriteString(seg.key)
		default:
			b.WriteString("['")
			for j := 0; j < len(seg.key); j++ {
				if c := seg.key[j]; c == '\'' || c == '\\' {
					b.WriteByte('\\')
				}
				b.WriteByte(seg.key[j])
			}
			b.WriteString("']")
		}
	}
	return b.String()
}

// isBare reports whether key can be written without quotes; a first key
// "$" could not, as it reads as the root.
func isBare(key string, first bool) bool {
	if key == "" || (first && key == "$") {
		return false
	}
	for i := 0; i < len(key); i++ {
		if !bareByte(key[i]) {
			return false
		}
	}
	return true
}

// LastKey is the path's last key when it is written bare (data.msg.action
// gives action), the name a field read from it goes by by default; "" when
// the path ends in an index or in a key that needs quotes.
func (p Path) LastKey() string {
	n := len(p.segs)
	if n == 0 || p.segs[n-1].isIndex() || !isBare(p.segs[n-1].key, n == 1) {
		return ""
	}
	return p.segs[n-1].key
}

// Len returns the number of steps in the path.
func (p Path) Len() int { return len(p.segs) }
