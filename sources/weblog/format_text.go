package weblog

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// combinedFormat is nginx's predefined combined log format.
const combinedFormat = `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent"`

// Escaping modes of nginx's log_format escape= parameter.
const (
	escapeDefault = "default" // " \ and bytes outside 0x20-0x7e as \xHH
	escapeJSON    = "json"    // JSON string escapes
	escapeNone    = "none"    // nothing escaped
)

// textFormat is a log_format compiled once into a matcher: a sequence of
// literal text and variables. A variable's value runs up to the first
// occurrence of the literal that follows it, so two variables may not touch.
type textFormat struct {
	source string
	escape string
	parts  []part
	tz     zoneCache
}

type part struct {
	literal string // set for literal text
	lit     []byte // literal, as bytes for the matcher
	name    string // set for a variable, without the $
	spec    varSpec
	// skip is how many bytes of the value to pass over before looking for
	// the next literal: $time_local holds a space, so in "[$time_local] "
	// or "$time_local $status" the search starts after it.
	skip int
}

// compileFormat compiles a log_format string in nginx's syntax: $name or
// ${name} is a variable (names are letters, digits and _, case-insensitive),
// anything else is literal text.
func compileFormat(format, escape string) (*textFormat, error) {
	if format == "" {
		return nil, errors.New("empty log format")
	}
	if !utf8.ValidString(format) {
		return nil, errors.New("log format is not valid UTF-8")
	}
	f := &textFormat{source: format, escape: escape, tz: zoneCache{}}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			f.parts = append(f.parts, part{literal: lit.String(), lit: []byte(lit.String())})
			lit.Reset()
		}
	}
	for i := 0; i < len(format); {
		c := format[i]
		if c != '$' {
			lit.WriteByte(c)
			i++
			continue
		}
		name, n, err := variableAt(format[i:])
		if err != nil {
			return nil, fmt.Errorf("at byte %d: %w", i, err)
		}
		flush()
		if len(f.parts) > 0 && f.parts[len(f.parts)-1].name != "" {
			return nil, fmt.Errorf("at byte %d: $%s directly follows $%s: there must be text between two variables to tell where one ends",
				i, name, f.parts[len(f.parts)-1].name)
		}
		p := part{name: name, spec: specOf(name)}
		if name == "time_local" {
			p.skip = len("02/Jan/2006:15:04:05 ")
		}
		f.parts = append(f.parts, p)
		i += n
	}
	flush()
	return f, nil
}

// variableAt reads the variable at the start of s, which begins with $, and
// returns its lower-cased name and length.
func variableAt(s string) (string, int, error) {
	isNameByte := func(c byte) bool {
		return c == '_' || (c >= '0' && c <= '9') || (c|0x20 >= 'a' && c|0x20 <= 'z')
	}
	if strings.HasPrefix(s, "${") {
		end := strings.IndexByte(s, '}')
		if end < 0 {
			return "", 0, errors.New(`"${" without "}"`)
		}
		name := s[2:end]
		for i := 0; i < len(name); i++ {
			if !isNameByte(name[i]) {
				return "", 0, fmt.Errorf("invalid variable name %q", name)
			}
		}
		if name == "" {
			return "", 0, errors.New("empty variable name")
		}
		return strings.ToLower(name), end + 1, nil
	}
	n := 1
	for n < len(s) && isNameByte(s[n]) {
		n++
	}
	if n == 1 {
		return "", 0, errors.New(`"$" not followed by a variable name`)
	}
	return strings.ToLower(s[1:n]), n, nil
}

// parseError says where a line stopped matching its format.
type parseError struct {
	at  int // byte offset in the line
	msg string
}

func (e *parseError) Error() string { return fmt.Sprintf("at byte %d: %s", e.at, e.msg) }

// parse matches line, valid UTF-8 without its newline, against the format
// and sets ev's fields.
func (f *textFormat) parse(line []byte, ev *event) error {
	pos := 0
	for i, p := range f.parts {
		if p.name == "" {
			if !bytes.HasPrefix(line[pos:], p.lit) {
				return &parseError{pos, fmt.Sprintf("expected %q, found %q", p.literal, excerpt(line[pos:]))}
			}
			pos += len(p.literal)
			continue
		}
		end := len(line)
		if i+1 < len(f.parts) {
			next := f.parts[i+1].lit
			from := min(pos+p.skip, len(line))
			j := f.index(line[from:], next)
			if j < 0 {
				return &parseError{pos, fmt.Sprintf("no %q after $%s", next, p.name)}
			}
			end = from + j
		}
		raw := line[pos:end]
		pos = end
		if k := p.spec.kind; empty(raw) && (k == varInt || k == varFloat || k == varTime) {
			// nginx always writes the time and its numbers: a line without
			// them is not one of its lines.
			return &parseError{end - len(raw), fmt.Sprintf("$%s has no value", p.name)}
		}
		v := f.unescape(raw, ev)
		if err := ev.set(p.name, p.spec, v, f.tz); err != nil {
			return &parseError{end - len(raw), err.Error()}
		}
	}
	if pos != len(line) {
		return &parseError{pos, fmt.Sprintf("unexpected %q after the end of the format", excerpt(line[pos:]))}
	}
	return nil
}

// index finds lit in s. With JSON escaping a quote or backslash inside a
// value is escaped, so a match right after an odd number of backslashes is
// part of the value and the search goes on.
func (f *textFormat) index(s, lit []byte) int {
	if f.escape != escapeJSON {
		return bytes.Index(s, lit)
	}
	off := 0
	for {
		j := bytes.Index(s[off:], lit)
		if j < 0 {
			return -1
		}
		k := off + j
		n := 0
		for k-n-1 >= 0 && s[k-n-1] == '\\' {
			n++
		}
		if n%2 == 0 {
			return k
		}
		off = k + 1
	}
}

// unescape decodes a value as nginx escaped it. When the decoded bytes are not
// valid UTF-8 (a client sent Latin-1 or junk in a header), the value is kept
// as nginx wrote it, escapes and all, so nothing is lost and the output stays
// valid UTF-8.
func (f *textFormat) unescape(raw []byte, ev *event) []byte {
	if bytes.IndexByte(raw, '\\') < 0 {
		return raw
	}
	start := len(ev.scratch)
	var ok bool
	switch f.escape {
	case escapeDefault:
		ev.scratch, ok = appendUnescapeHex(ev.scratch, raw)
	case escapeJSON:
		ev.scratch, ok = appendUnescapeJSON(ev.scratch, raw)
	default:
		return raw
	}
	out := ev.scratch[start:]
	if !ok || !utf8.Valid(out) {
		ev.scratch = ev.scratch[:start]
		return raw
	}
	return out
}

// appendUnescapeHex decodes nginx's default escapes: \xHH is the byte HH.
// Any other backslash is kept: nginx escapes the backslash itself, so it only
// appears in logs written with another escaping, where it is data.
func appendUnescapeHex(dst, s []byte) ([]byte, bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+3 < len(s) && s[i+1] == 'x' {
			hi, lo := unhex(s[i+2]), unhex(s[i+3])
			if hi >= 0 && lo >= 0 {
				dst = append(dst, byte(hi<<4|lo))
				i += 3
				continue
			}
		}
		dst = append(dst, c)
	}
	return dst, true
}

// appendUnescapeJSON decodes the escapes of a JSON string (without its
// quotes), as nginx writes values with escape=json. It reports false on a
// malformed escape.
func appendUnescapeJSON(dst, s []byte) ([]byte, bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			dst = append(dst, c)
			continue
		}
		if i+1 >= len(s) {
			return dst, false
		}
		i++
		switch s[i] {
		case '"', '\\', '/':
			dst = append(dst, s[i])
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
			r, ok := hex4(s[i+1:])
			if !ok {
				return dst, false
			}
			i += 4
			if r >= 0xd800 && r < 0xdc00 && i+6 < len(s) && s[i+1] == '\\' && s[i+2] == 'u' {
				if lo, ok := hex4(s[i+3:]); ok && lo >= 0xdc00 && lo < 0xe000 {
					r = 0x10000 + (r-0xd800)<<10 + (lo - 0xdc00)
					i += 6
				}
			}
			if r >= 0xd800 && r < 0xe000 {
				r = utf8.RuneError // a lone surrogate
			}
			dst = utf8.AppendRune(dst, r)
		default:
			return dst, false
		}
	}
	return dst, true
}

func hex4(s []byte) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range s[:4] {
		d := unhex(c)
		if d < 0 {
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	return r, true
}

func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// excerpt shortens the text quoted in an error.
func excerpt(b []byte) []byte {
	const max = 32
	if len(b) <= max {
		return b
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(b[cut]) {
		cut--
	}
	return append(b[:cut:cut], "…"...)
}
