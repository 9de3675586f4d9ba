package expr

import (
	"regexp"
	"unicode/utf8"

	"github.com/tributarydata/tributary/transforms/value"
)

// nodeKind is what a node of the syntax tree is.
type nodeKind uint8

const (
	nodeOr     nodeKind = iota + 1 // kids, two or more, none of them an or
	nodeAnd                        // kids, two or more, none of them an and
	nodeNot                        // kids[0]
	nodeCmp                        // left op right
	nodeIn                         // left [not] in (list)
	nodeIsNull                     // left is [not] null
	nodeLike                       // left [not] like pattern
	nodeMatch                      // left [not] matches pattern
	nodeTruth                      // left alone: a field or true/false
)

// cmpOp is a comparison operator.
type cmpOp uint8

const (
	opEq cmpOp = iota
	opNe
	opLt
	opLe
	opGt
	opGe
)

var opText = [...]string{opEq: "==", opNe: "!=", opLt: "<", opLe: "<=", opGt: ">", opGe: ">="}

// mirror is the operator that gives the same result with the operands
// swapped: a < b is b > a.
func (op cmpOp) mirror() cmpOp {
	switch op {
	case opLt:
		return opGt
	case opLe:
		return opGe
	case opGt:
		return opLt
	case opGe:
		return opLe
	}
	return op
}

// holds reports whether a comparison result c satisfies an ordering op.
func (op cmpOp) holds(c int) bool {
	switch op {
	case opLt:
		return c < 0
	case opLe:
		return c <= 0
	case opGt:
		return c > 0
	case opGe:
		return c >= 0
	}
	return false
}

// operand is a field reference or a literal (never null).
type operand struct {
	field   string
	isField bool
	lit     value.Value
}

// node is the syntax tree as parsed. String prints it, Fields reads it, the
// tests evaluate it the slow way; Eval runs what compile makes of it.
type node struct {
	kind    nodeKind
	kids    []*node
	op      cmpOp
	neg     bool // not in, is not null, not like, not matches
	left    operand
	right   operand
	list    []value.Value
	pattern string         // like and matches: the pattern as a string value
	like    *likePattern   // like: the pattern compiled
	re      *regexp.Regexp // matches: the pattern compiled
}

// appendText appends the canonical text of n: lower-case keywords, ==
// and !=, single-quoted strings, no redundant parentheses.
func (n *node) appendText(b []byte) []byte { return n.appendTextIn(b, false) }

// appendTextIn is appendText, inside a value expression when values is set:
// there a field named like a value keyword (case, end, ...) is backquoted.
func (n *node) appendTextIn(b []byte, values bool) []byte {
	switch n.kind {
	case nodeOr:
		for i, k := range n.kids {
			if i > 0 {
				b = append(b, " or "...)
			}
			b = k.appendTextIn(b, values)
		}
	case nodeAnd:
		for i, k := range n.kids {
			if i > 0 {
				b = append(b, " and "...)
			}
			b = appendGrouped(b, k, k.kind == nodeOr, values)
		}
	case nodeNot:
		k := n.kids[0]
		b = append(b, "not "...)
		b = appendGrouped(b, k, k.kind == nodeOr || k.kind == nodeAnd, values)
	case nodeCmp:
		b = n.left.appendText(b, values)
		b = append(b, ' ')
		b = append(b, opText[n.op]...)
		b = append(b, ' ')
		b = n.right.appendText(b, values)
	case nodeIn:
		b = n.left.appendText(b, values)
		if n.neg {
			b = append(b, " not"...)
		}
		b = append(b, " in ("...)
		for i, v := range n.list {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendLiteral(b, v)
		}
		b = append(b, ')')
	case nodeIsNull:
		b = n.left.appendText(b, values)
		if n.neg {
			b = append(b, " is not null"...)
		} else {
			b = append(b, " is null"...)
		}
	case nodeLike, nodeMatch:
		b = n.left.appendText(b, values)
		if n.neg {
			b = append(b, " not"...)
		}
		if n.kind == nodeLike {
			b = append(b, " like "...)
		} else {
			b = append(b, " matches "...)
		}
		b = appendString(b, n.pattern)
	case nodeTruth:
		b = n.left.appendText(b, values)
	}
	return b
}

func appendGrouped(b []byte, n *node, group, values bool) []byte {
	if !group {
		return n.appendTextIn(b, values)
	}
	b = append(b, '(')
	b = n.appendTextIn(b, values)
	return append(b, ')')
}

func (o operand) appendText(b []byte, values bool) []byte {
	if o.isField {
		return appendName(b, o.field, values)
	}
	return appendLiteral(b, o.lit)
}

// appendName writes a field name bare when it reads back as the same
// name (in a value expression when values is set), and backquoted
// otherwise.
func appendName(b []byte, name string, values bool) []byte {
	if isBareName(name, values) {
		return append(b, name...)
	}
	b = append(b, '`')
	for i := 0; i < len(name); i++ {
		if name[i] == '`' {
			b = append(b, '`')
		}
		b = append(b, name[i])
	}
	return append(b, '`')
}

func isBareName(name string, values bool) bool {
	if name == "" || !isIdentStart(name[0]) {
		return false
	}
	for i := 1; i < len(name); i++ {
		if !isIdentChar(name[i]) {
			return false
		}
	}
	if _, kw := keyword(name); kw {
		return false
	}
	if _, kw := valueKeyword(name); kw && values {
		return false
	}
	return true
}

func appendLiteral(b []byte, v value.Value) []byte {
	if s, ok := v.Str(); ok {
		return appendString(b, s)
	}
	return append(b, v.Text()...) // Int, Number (its text as written), Bool
}

// appendString writes s single-quoted. A backslash before % or _ is written
// once, as a like pattern's escape is usually written; the lexer keeps \% and
// \_ as they are, so the text reads back as the same string.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	b = append(b, '\'')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && (s[i+1] == '%' || s[i+1] == '_'):
			b = append(b, '\\')
		case c == '\\':
			b = append(b, '\\', '\\')
		case c == '\'':
			b = append(b, '\\', '\'')
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c < 0x20 || c == 0x7f:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '\'')
}

// walkFields calls fn with each field reference of n, in source order.
func (n *node) walkFields(fn func(string)) {
	if n.left.isField {
		fn(n.left.field)
	}
	if n.right.isField {
		fn(n.right.field)
	}
	for _, k := range n.kids {
		k.walkFields(fn)
	}
}

// validUTF8Prefix returns the length of the longest valid UTF-8 prefix of s.
func validUTF8Prefix(s string) int {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return len(s)
}
