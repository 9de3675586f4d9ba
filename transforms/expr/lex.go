package expr

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

type tokKind uint8

const (
	tokEOF     tokKind = iota
	tokField           // a field name, bare or backquoted; text is the name
	tokKeyword         // text is the keyword in lower case
	tokString          // text is the string's value, escapes resolved
	tokNumber          // text is the number as written
	tokPunct           // text is the operator or punctuation as written
)

// token is one lexeme; pos and end are byte offsets into the source, so
// that messages can quote the token as written.
type token struct {
	kind tokKind
	text string
	pos  int
	end  int
}

// keywords are reserved in any case: a field with one of these names must
// be backquoted.
var keywords = [...]string{"and", "or", "not", "in", "is", "null", "like", "matches", "true", "false"}

func keyword(word string) (string, bool) {
	for _, k := range keywords {
		if strings.EqualFold(word, k) {
			return k, true
		}
	}
	return "", false
}

// valueKeywords are reserved, in any case, only in value expressions
// (ParseValue): conditions keep reading them as field names, so a rule
// written before values existed means what it meant.
var valueKeywords = [...]string{"case", "when", "then", "else", "end", "as"}

func valueKeyword(word string) (string, bool) {
	for _, k := range valueKeywords {
		if strings.EqualFold(word, k) {
			return k, true
		}
	}
	return "", false
}

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

func isIdentChar(c byte) bool {
	return isIdentStart(c) || isDigit(c) || c == '.' || c == '$' || c == '-'
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// lexer reads tokens one at a time, so that the first error in the source
// is the one reported.
type lexer struct {
	src    string
	pos    int
	values bool // lexing a value expression: valueKeywords are keywords
}

func (l *lexer) next() (token, error) {
	for l.pos < len(l.src) {
		switch l.src[l.pos] {
		case ' ', '\t', '\n', '\r':
			l.pos++
			continue
		}
		break
	}
	start := l.pos
	if start >= len(l.src) {
		return token{kind: tokEOF, pos: start, end: start}, nil
	}
	c := l.src[start]
	switch {
	case isIdentStart(c):
		l.pos++
		for l.pos < len(l.src) && isIdentChar(l.src[l.pos]) {
			l.pos++
		}
		word := l.src[start:l.pos]
		if k, ok := keyword(word); ok {
			return token{kind: tokKeyword, text: k, pos: start, end: l.pos}, nil
		}
		if l.values {
			if k, ok := valueKeyword(word); ok {
				return token{kind: tokKeyword, text: k, pos: start, end: l.pos}, nil
			}
		}
		return token{kind: tokField, text: word, pos: start, end: l.pos}, nil
	case c == '`':
		return l.quotedName()
	case c == '\'' || c == '"':
		return l.str()
	case isDigit(c) || c == '-' && start+1 < len(l.src) && isDigit(l.src[start+1]):
		return l.number()
	}
	return l.punct()
}

func (l *lexer) punct() (token, error) {
	start := l.pos
	c := l.src[start]
	var nc byte
	if start+1 < len(l.src) {
		nc = l.src[start+1]
	}
	n := 0
	switch c {
	case '(', ')', ',':
		n = 1
	case '=', '!':
		n = 1
		if nc == '=' {
			n = 2
		}
	case '<':
		n = 1
		if nc == '=' || nc == '>' {
			n = 2
		}
	case '>':
		n = 1
		if nc == '=' {
			n = 2
		}
	case '&', '|':
		if nc != c {
			word := "and"
			if c == '|' {
				word = "or"
			}
			return token{}, l.errorf(start, "unexpected %q (write %q or %q)", string(c), string([]byte{c, c}), word)
		}
		n = 2
	}
	if n == 0 {
		r, _ := utf8.DecodeRuneInString(l.src[start:])
		if unicode.IsLetter(r) {
			return token{}, l.errorf(start, "unexpected character %q (backquote a field name with characters other than A-Z a-z 0-9 _ . $ -)", r)
		}
		return token{}, l.errorf(start, "unexpected character %q", r)
	}
	l.pos += n
	return token{kind: tokPunct, text: l.src[start:l.pos], pos: start, end: l.pos}, nil
}

// quotedName reads a backquoted field name; a doubled backquote stands for
// one.
func (l *lexer) quotedName() (token, error) {
	start := l.pos
	l.pos++
	var b strings.Builder
	for {
		i := strings.IndexByte(l.src[l.pos:], '`')
		if i < 0 {
			return token{}, l.errorf(start, "unterminated backquoted field name")
		}
		b.WriteString(l.src[l.pos : l.pos+i])
		l.pos += i + 1
		if l.pos < len(l.src) && l.src[l.pos] == '`' {
			b.WriteByte('`')
			l.pos++
			continue
		}
		break
	}
	if b.Len() == 0 {
		return token{}, l.errorf(start, "empty field name")
	}
	return token{kind: tokField, text: b.String(), pos: start, end: l.pos}, nil
}

// str reads a quoted string. \% and \_ are kept as written (backslash and
// character), so that a like pattern can escape its wildcards without a
// doubled backslash.
func (l *lexer) str() (token, error) {
	start := l.pos
	quote := l.src[start]
	l.pos++
	var b []byte
	for {
		if l.pos >= len(l.src) {
			return token{}, l.errorf(start, "unterminated string")
		}
		c := l.src[l.pos]
		if c == quote {
			l.pos++
			return token{kind: tokString, text: string(b), pos: start, end: l.pos}, nil
		}
		if c != '\\' {
			b = append(b, c)
			l.pos++
			continue
		}
		if l.pos+1 >= len(l.src) {
			return token{}, l.errorf(start, "unterminated string")
		}
		esc := l.pos
		e := l.src[l.pos+1]
		l.pos += 2
		switch e {
		case '\\', '\'', '"':
			b = append(b, e)
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case '%', '_':
			b = append(b, '\\', e)
		case 'u':
			r, err := l.unicodeEscape(esc)
			if err != nil {
				return token{}, err
			}
			b = utf8.AppendRune(b, r)
		default:
			r, _ := utf8.DecodeRuneInString(l.src[esc+1:])
			return token{}, l.errorf(esc, `invalid escape "\%c" in string (the escapes are \\ \' \" \n \r \t \uXXXX, and \%% \_ for like)`, r)
		}
	}
}

// unicodeEscape reads the XXXX of \uXXXX (l.pos is after the u), and the
// low half that must follow a high surrogate.
func (l *lexer) unicodeEscape(esc int) (rune, error) {
	r, ok := l.hex4()
	if !ok {
		return 0, l.errorf(esc, `invalid escape: \u needs four hex digits`)
	}
	switch {
	case r >= 0xDC00 && r <= 0xDFFF:
		return 0, l.errorf(esc, `invalid escape: \u%04X is the low half of a surrogate pair without its high half`, r)
	case r >= 0xD800 && r <= 0xDBFF:
		if !strings.HasPrefix(l.src[l.pos:], `\u`) {
			return 0, l.errorf(esc, `invalid escape: \u%04X must be followed by the low half of its surrogate pair`, r)
		}
		l.pos += 2
		lo, ok := l.hex4()
		if !ok || lo < 0xDC00 || lo > 0xDFFF {
			return 0, l.errorf(esc, `invalid escape: \u%04X must be followed by the low half of its surrogate pair`, r)
		}
		return 0x10000 + (r-0xD800)<<10 + (lo - 0xDC00), nil
	}
	return r, nil
}

func (l *lexer) hex4() (rune, bool) {
	if l.pos+4 > len(l.src) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(l.src[l.pos : l.pos+4]) {
		var d byte
		switch {
		case isDigit(c):
			d = c - '0'
		case c >= 'a' && c <= 'f':
			d = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			d = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	l.pos += 4
	return r, true
}

// number reads a number in JSON's syntax: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (l *lexer) number() (token, error) {
	start := l.pos
	s := l.src
	i := start
	if s[i] == '-' {
		i++
	}
	digits := func() int {
		j := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		return i - j
	}
	intStart := i
	if n := digits(); n > 1 && s[intStart] == '0' {
		return token{}, l.errorf(start, "invalid number %q: no leading zeros", l.wordAt(start))
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return token{}, l.errorf(start, "invalid number %q: digits must follow the decimal point", l.wordAt(start))
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return token{}, l.errorf(start, "invalid number %q: digits must follow the exponent's e", l.wordAt(start))
		}
	}
	if i < len(s) && isIdentChar(s[i]) {
		return token{}, l.errorf(start, "invalid number %q", l.wordAt(start))
	}
	l.pos = i
	return token{kind: tokNumber, text: s[start:i], pos: start, end: i}, nil
}

// wordAt is the run of number and name characters at i, for messages.
func (l *lexer) wordAt(i int) string {
	j := i + 1
	for j < len(l.src) && (isIdentChar(l.src[j]) || l.src[j] == '+') {
		j++
	}
	return clip(l.src[i:j])
}

func (l *lexer) errorf(at int, format string, args ...any) error {
	return errorAt(l.src, at, format, args...)
}

// clip shortens s for a message.
func clip(s string) string {
	const max = 32
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	n := 0
	for i := range s {
		if n == max {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

// quoteToken is how a message names a token: the end, or its text as
// written.
func quoteToken(src string, t token) string {
	switch t.kind {
	case tokEOF:
		return "end of input"
	case tokString:
		return clip(src[t.pos:t.end])
	}
	return strconv.Quote(clip(src[t.pos:t.end]))
}
