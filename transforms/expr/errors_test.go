package expr

import (
	"errors"
	"strings"
	"testing"
)

func TestSyntaxErrors(t *testing.T) {
	for _, tc := range []struct {
		src string
		pos int
		msg string // a part of the message
	}{
		// Missing parts.
		{"", 1, "expected a condition, found end of input"},
		{"   ", 4, "expected a condition, found end of input"},
		{"a ==", 5, `expected a value after "==", found end of input`},
		{"msgId = '305' AND msgType ==", 29, `expected a value after "==", found end of input`},
		{"a = = b", 5, `expected a value after "=", found "="`},
		{"a === b", 5, `expected a value after "==", found "="`},
		{"a => 1", 4, `expected a value after "=", found ">"`},
		{"a >< 1", 4, `expected a value after ">", found "<"`},
		{"a =! b", 4, `expected a value after "=", found "!"`},
		{"and", 1, `expected a condition, found "and"`},
		{"a and", 6, `expected a condition after "and", found end of input`},
		{"a or", 5, `expected a condition after "or", found end of input`},
		{"a and or b", 7, `expected a condition after "and", found "or"`},
		{"not", 4, `expected a condition after "not", found end of input`},
		{"!", 2, `expected a condition after "!", found end of input`},
		{"a = 1 and (b = 2 or)", 20, `expected a condition after "or", found ")"`},
		// Parentheses.
		{"(a", 3, `expected ")" to close the "(" at 1, found end of input`},
		{"x = 1 and (a = 1", 17, `expected ")" to close the "(" at 11`},
		{"a = 1)", 6, `unexpected ")" without a matching "("`},
		{"()", 2, `expected a condition after "(", found ")"`},
		// Extra tokens.
		{"a = 1 b", 7, `expected "and", "or" or the end after a condition, found "b"`},
		{"a = b = c", 7, `found "="`},
		{"a < 'x' < 'y'", 9, `found "<"`},
		{"a ! b", 3, `found "!"`},
		{"a = true false", 10, `found "false"`},
		// null.
		{"a = null", 5, `null equals nothing: write "a is null" instead of "a = null"`},
		{"a <> null", 6, `write "a is not null" instead of "a <> null"`},
		{"`x y` != null", 10, "write \"`x y` is not null\""},
		{"a < null", 5, `null does not compare: test it with "a is null"`},
		{"null = a", 1, "null is not a condition"},
		{"a is null and null", 15, "null is not a condition"},
		{"a in (1, null)", 10, `null in an "in" list matches nothing`},
		// Bare values.
		{"'abc'", 6, "expected a comparison after 'abc', found end of input"},
		{"305", 4, `expected a comparison after "305"`},
		{"'abc' and a", 7, `expected a comparison after 'abc', found "and"`},
		// in.
		{"a in 1", 6, `expected "(" after "in", found "1"`},
		{"a not in", 9, `expected "(" after "in", found end of input`},
		{"a in ()", 7, `expected a value after "(", found ")"`},
		{"a in (1,)", 9, `expected a value after ",", found ")"`},
		{"a in (1 2)", 9, `expected "," or ")" in the "in" list, found "2"`},
		{"a in ('x' 'y')", 11, `expected "," or ")" in the "in" list, found 'y'`},
		{"a in (1", 8, `expected "," or ")" in the "in" list, found end of input`},
		{"a in (b)", 7, `found the field "b" (an "in" list holds values only)`},
		{"a in [1]", 6, `unexpected character '['`},
		// not, is.
		{"a not 1", 7, `expected "in", "like" or "matches" after "not", found "1"`},
		{"a not", 6, `expected "in", "like" or "matches" after "not", found end of input`},
		{"a is 1", 6, `expected "null" or "not null" after "is", found "1"`},
		{"a is", 5, `expected "null" or "not null" after "is", found end of input`},
		{"a is not 1", 10, `expected "null" after "is not", found "1"`},
		// like, matches.
		{"a like b", 8, `expected a quoted pattern after "like", found "b"`},
		{"a like", 7, `expected a quoted pattern after "like", found end of input`},
		{"a matches 1", 11, `expected a quoted pattern after "matches", found "1"`},
		{`x like 'a\\'`, 8, "like pattern ends with a backslash that escapes nothing"},
		{"a matches '('", 11, "invalid regular expression: error parsing regexp: missing closing ): `(`"},
		{"a matches 'a{2,1}'", 11, "invalid regular expression"},
		{`a matches '\\C'`, 11, "invalid regular expression"}, // RE2 has no \C
		// Strings.
		{"'unterminated", 1, "unterminated string"},
		{`a = "abc`, 5, "unterminated string"},
		{`'abc\`, 1, "unterminated string"},
		{`a = 'x\q'`, 7, `invalid escape "\q" in string`},
		{`'\u12'`, 2, `\u needs four hex digits`},
		{`'\u12G4'`, 2, `\u needs four hex digits`},
		{`'\ud800'`, 2, `\uD800 must be followed by the low half of its surrogate pair`},
		{`'\ud800\u0041'`, 2, `\uD800 must be followed by the low half`},
		{`'\udc00'`, 2, `\uDC00 is the low half of a surrogate pair without its high half`},
		// Numbers.
		{"a = 1a", 5, `invalid number "1a"`},
		{"a = 01", 5, `invalid number "01": no leading zeros`},
		{"a = 1.", 5, "digits must follow the decimal point"},
		{"a = 1.e3", 5, "digits must follow the decimal point"},
		{"a = .5", 5, `unexpected character '.'`},
		{"a = 1e", 5, "digits must follow the exponent's e"},
		{"a = 1e+", 5, "digits must follow the exponent's e"},
		{"a = 1.5.3", 5, `invalid number "1.5.3"`},
		{"a = -", 5, `unexpected character '-'`},
		{"a = +1", 5, `unexpected character '+'`},
		// Names and characters.
		{"`abc", 1, "unterminated backquoted field name"},
		{"a = ``", 5, "empty field name"},
		{"a @ b", 3, `unexpected character '@'`},
		{"a &b", 3, `unexpected "&" (write "&&" or "and")`},
		{"a | b", 3, `unexpected "|" (write "||" or "or")`},
		{"a = 1;", 6, `unexpected character ';'`},
		{"a = 1 -- comment", 7, `unexpected character '-'`},
		{"a\u00a0= 1", 2, `unexpected character '\u00a0'`},
		{"a = 'é' and 测 = 1", 13, "unexpected character '测' (backquote a field name"}, // positions count characters, not bytes
		{"a.b = 1 and c[0] = 2", 14, `unexpected character '['`},
		{"a = \xff", 5, "invalid UTF-8"},
		// Limits.
		{strings.Repeat("(", MaxDepth+1) + "a" + strings.Repeat(")", MaxDepth+1), MaxDepth + 1, "nest deeper than 64"},
		{strings.Repeat("not ", MaxDepth) + "!a", 4*MaxDepth + 1, "nest deeper than 64"},
		{"a = '" + strings.Repeat("x", MaxSourceLen) + "'", MaxSourceLen + 1, "longer than 65536 bytes"},
	} {
		t.Run(tc.src[:min(len(tc.src), 40)], func(t *testing.T) {
			e, err := Parse(tc.src)
			if err == nil {
				t.Fatalf("parsed as %s, want an error", e)
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %v is a %T, want a *SyntaxError", err, err)
			}
			if se.Pos != tc.pos || !strings.Contains(se.Msg, tc.msg) {
				t.Errorf("error %q, want at %d: ...%s...", err, tc.pos, tc.msg)
			}
			if !strings.HasPrefix(err.Error(), "at ") {
				t.Errorf("error %q does not start with its position", err)
			}
		})
	}
}
