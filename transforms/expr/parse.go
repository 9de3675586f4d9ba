package expr

import (
	"fmt"
	"regexp"
	"strconv"
	"unicode/utf8"

	"github.com/tributarydata/tributary/transforms/value"
)

// Limits on what Parse accepts, so that a rule table cannot make the parser
// or an Eval take unbounded time or stack.
const (
	MaxSourceLen = 64 << 10 // bytes of source text
	MaxDepth     = 64       // parentheses and nots open at once
	MaxInList    = 10000    // values in one in list
)

// SyntaxError is an expression that does not parse: the character (rune)
// position it went wrong at, counted from 1, and what was expected there.
type SyntaxError struct {
	Pos int
	Msg string
}

func (e *SyntaxError) Error() string { return "at " + strconv.Itoa(e.Pos) + ": " + e.Msg }

// errorAt makes a SyntaxError at byte offset off of src.
func errorAt(src string, off int, format string, args ...any) error {
	return &SyntaxError{Pos: utf8.RuneCountInString(src[:off]) + 1, Msg: fmt.Sprintf(format, args...)}
}

// parser is a recursive-descent parser with one token of lookahead.
type parser struct {
	src   string
	lex   lexer
	tok   token
	depth int
}

func parse(src string) (*node, error) {
	p, err := newParser(src, false)
	if err != nil {
		return nil, err
	}
	n, err := p.or("")
	if err != nil {
		return nil, err
	}
	if p.tok.kind != tokEOF {
		if p.isPunct(")") {
			return nil, p.errorf(`unexpected ")" without a matching "("`)
		}
		return nil, p.errorf(`expected "and", "or" or the end after a condition, found %s`, p.found())
	}
	return n, nil
}

// newParser checks the source's length and encoding and reads its first
// token; values makes it a value expression's parser (see valueKeywords).
func newParser(src string, values bool) (*parser, error) {
	if len(src) > MaxSourceLen {
		return nil, errorAt(src, validUTF8Prefix(src[:MaxSourceLen]), "expression is longer than %d bytes", MaxSourceLen)
	}
	if i := validUTF8Prefix(src); i < len(src) {
		return nil, errorAt(src, i, "invalid UTF-8")
	}
	p := &parser{src: src, lex: lexer{src: src, values: values}}
	if err := p.advance(); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *parser) advance() error {
	t, err := p.lex.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

func (p *parser) isKeyword(k string) bool { return p.tok.kind == tokKeyword && p.tok.text == k }
func (p *parser) isPunct(s string) bool   { return p.tok.kind == tokPunct && p.tok.text == s }

func (p *parser) found() string { return quoteToken(p.src, p.tok) }

func (p *parser) errorf(format string, args ...any) error {
	return errorAt(p.src, p.tok.pos, format, args...)
}

// after names the token before a missing part, for messages: ` after "and"`.
func after(t token, src string) string { return " after " + strconv.Quote(clip(src[t.pos:t.end])) }

// or := and { ("or" | "||") and }
func (p *parser) or(ctx string) (*node, error) {
	first, err := p.and(ctx)
	if err != nil {
		return nil, err
	}
	if !p.isKeyword("or") && !p.isPunct("||") {
		return first, nil
	}
	kids := appendFlat(nil, first, nodeOr)
	for p.isKeyword("or") || p.isPunct("||") {
		ctx := after(p.tok, p.src)
		if err := p.advance(); err != nil {
			return nil, err
		}
		n, err := p.and(ctx)
		if err != nil {
			return nil, err
		}
		kids = appendFlat(kids, n, nodeOr)
	}
	return &node{kind: nodeOr, kids: kids}, nil
}

// and := unary { ("and" | "&&") unary }
func (p *parser) and(ctx string) (*node, error) {
	first, err := p.unary(ctx)
	if err != nil {
		return nil, err
	}
	if !p.isKeyword("and") && !p.isPunct("&&") {
		return first, nil
	}
	kids := appendFlat(nil, first, nodeAnd)
	for p.isKeyword("and") || p.isPunct("&&") {
		ctx := after(p.tok, p.src)
		if err := p.advance(); err != nil {
			return nil, err
		}
		n, err := p.unary(ctx)
		if err != nil {
			return nil, err
		}
		kids = appendFlat(kids, n, nodeAnd)
	}
	return &node{kind: nodeAnd, kids: kids}, nil
}

// appendFlat appends n to kids, or n's kids when n is of the same kind (a
// parenthesised and inside an and): and and or are associative, and one
// list is both faster to run and the one canonical form to print.
func appendFlat(kids []*node, n *node, kind nodeKind) []*node {
	if n.kind == kind {
		return append(kids, n.kids...)
	}
	return append(kids, n)
}

func (p *parser) enter() error {
	if p.depth++; p.depth > MaxDepth {
		return p.errorf("parentheses and nots nest deeper than %d", MaxDepth)
	}
	return nil
}

// unary := ("not" | "!") unary | "(" or ")" | condition
func (p *parser) unary(ctx string) (*node, error) {
	switch {
	case p.isKeyword("not") || p.isPunct("!"):
		if err := p.enter(); err != nil {
			return nil, err
		}
		ctx := after(p.tok, p.src)
		if err := p.advance(); err != nil {
			return nil, err
		}
		kid, err := p.unary(ctx)
		if err != nil {
			return nil, err
		}
		p.depth--
		return &node{kind: nodeNot, kids: []*node{kid}}, nil
	case p.isPunct("("):
		if err := p.enter(); err != nil {
			return nil, err
		}
		open := p.tok
		if err := p.advance(); err != nil {
			return nil, err
		}
		n, err := p.or(after(open, p.src))
		if err != nil {
			return nil, err
		}
		if !p.isPunct(")") {
			return nil, p.errorf(`expected ")" to close the "(" at %d, found %s`, utf8.RuneCountInString(p.src[:open.pos])+1, p.found())
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		p.depth--
		return n, nil
	}
	return p.condition(ctx)
}

// condition := operand [ cmpop operand | [not] in list | is [not] null
//
//	| [not] like string | [not] matches string ]
func (p *parser) condition(ctx string) (*node, error) {
	left, ok, err := p.operand()
	if err != nil {
		return nil, err
	}
	if !ok {
		if p.isKeyword("null") {
			return nil, p.errorf(`null is not a condition; test a field with "x is null"`)
		}
		return nil, p.errorf("expected a condition%s, found %s", ctx, p.found())
	}
	leftTok := p.tok
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind == tokPunct {
		if op, ok := cmpOps[p.tok.text]; ok {
			return p.comparison(left, op)
		}
	}
	n := &node{left: left}
	if p.isKeyword("not") {
		n.neg = true
		if err := p.advance(); err != nil {
			return nil, err
		}
		if !p.isKeyword("in") && !p.isKeyword("like") && !p.isKeyword("matches") {
			return nil, p.errorf(`expected "in", "like" or "matches" after "not", found %s`, p.found())
		}
	}
	switch {
	case p.isKeyword("in"):
		n.kind = nodeIn
		return n, p.inList(n)
	case p.isKeyword("like"), p.isKeyword("matches"):
		return n, p.pattern(n)
	case p.isKeyword("is"):
		n.kind = nodeIsNull
		if err := p.advance(); err != nil {
			return nil, err
		}
		if p.isKeyword("not") {
			n.neg = true
			if err := p.advance(); err != nil {
				return nil, err
			}
		}
		if !p.isKeyword("null") {
			if n.neg {
				return nil, p.errorf(`expected "null" after "is not", found %s`, p.found())
			}
			return nil, p.errorf(`expected "null" or "not null" after "is", found %s`, p.found())
		}
		return n, p.advance()
	}
	// A bare operand: a field (or true or false) that must be true.
	if !left.isField {
		if _, ok := left.lit.Bool(); !ok {
			return nil, errorAt(p.src, p.tok.pos, "expected a comparison after %s, found %s", quoteToken(p.src, leftTok), p.found())
		}
	}
	n.kind = nodeTruth
	return n, nil
}

var cmpOps = map[string]cmpOp{
	"==": opEq, "=": opEq, "!=": opNe, "<>": opNe,
	"<": opLt, "<=": opLe, ">": opGt, ">=": opGe,
}

func (p *parser) comparison(left operand, op cmpOp) (*node, error) {
	opTok := p.tok
	if err := p.advance(); err != nil {
		return nil, err
	}
	right, ok, err := p.operand()
	if err != nil {
		return nil, err
	}
	if !ok {
		if p.isKeyword("null") {
			x := string(left.appendText(nil, p.lex.values))
			switch op {
			case opEq:
				return nil, p.errorf(`null equals nothing: write "%s is null" instead of "%s %s null"`, x, x, opTok.text)
			case opNe:
				return nil, p.errorf(`null equals nothing: write "%s is not null" instead of "%s %s null"`, x, x, opTok.text)
			}
			return nil, p.errorf(`null does not compare: test it with "%s is null"`, x)
		}
		return nil, p.errorf("expected a value%s, found %s", after(opTok, p.src), p.found())
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	return &node{kind: nodeCmp, op: op, left: left, right: right}, nil
}

// operand reads the current token as a field or a literal other than null,
// without advancing; ok is false when it is neither.
func (p *parser) operand() (operand, bool, error) {
	t := p.tok
	switch t.kind {
	case tokField:
		return operand{field: t.text, isField: true}, true, nil
	case tokString:
		return operand{lit: value.OfString(t.text)}, true, nil
	case tokNumber:
		return operand{lit: numberValue(t.text)}, true, nil
	case tokKeyword:
		switch t.text {
		case "true":
			return operand{lit: value.OfBool(true)}, true, nil
		case "false":
			return operand{lit: value.OfBool(false)}, true, nil
		}
	}
	return operand{}, false, nil
}

// numberValue is a number token's value: an Int when it is a whole number
// that fits an int64, otherwise the text as a Number (the lexer has checked
// it is JSON's syntax).
func numberValue(text string) value.Value {
	if i, err := strconv.ParseInt(text, 10, 64); err == nil {
		return value.OfInt(i)
	}
	return value.OfNumber(text)
}

// inList reads "in" "(" literal { "," literal } ")".
func (p *parser) inList(n *node) error {
	inTok := p.tok
	if err := p.advance(); err != nil {
		return err
	}
	if !p.isPunct("(") {
		return p.errorf(`expected "("%s, found %s`, after(inTok, p.src), p.found())
	}
	prev := p.tok
	for {
		if err := p.advance(); err != nil {
			return err
		}
		lit, ok, _ := p.operand()
		switch {
		case p.isKeyword("null"):
			return p.errorf(`null in an "in" list matches nothing; test for it with "x is null"`)
		case ok && lit.isField:
			return p.errorf(`expected a value%s, found the field %s (an "in" list holds values only)`, after(prev, p.src), p.found())
		case !ok:
			return p.errorf("expected a value%s, found %s", after(prev, p.src), p.found())
		}
		if len(n.list) == MaxInList {
			return p.errorf(`more than %d values in an "in" list`, MaxInList)
		}
		n.list = append(n.list, lit.lit)
		if err := p.advance(); err != nil {
			return err
		}
		if p.isPunct(")") {
			return p.advance()
		}
		if !p.isPunct(",") {
			return p.errorf(`expected "," or ")" in the "in" list, found %s`, p.found())
		}
		prev = p.tok
	}
}

// pattern reads the string after like or matches and compiles it.
func (p *parser) pattern(n *node) error {
	kwTok := p.tok
	n.kind = nodeLike
	if kwTok.text == "matches" {
		n.kind = nodeMatch
	}
	if err := p.advance(); err != nil {
		return err
	}
	if p.tok.kind != tokString {
		return p.errorf("expected a quoted pattern%s, found %s", after(kwTok, p.src), p.found())
	}
	n.pattern = p.tok.text
	if n.kind == nodeLike {
		pat, err := compileLike(n.pattern)
		if err != nil {
			return p.errorf("%v", err)
		}
		n.like = pat
	} else {
		re, err := regexp.Compile(n.pattern)
		if err != nil {
			return p.errorf("invalid regular expression: %v", err)
		}
		n.re = re
	}
	return p.advance()
}
