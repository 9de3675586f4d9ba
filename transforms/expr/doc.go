// Package expr is the condition language of the rule tables that classify
// and filter records: one line of text in a connector's config, parsed once
// into an Expr that is evaluated against each record's value.Row.
//
//	msgId = '305' AND msgType = '116' AND role = '2' AND targetId = 'match'
//	  AND targetType = 'template' AND action = 'match' AND subAction = 'drop:wrong'
//
// It is the WHERE clause of the warehouse's SQL, cut down to what a rule
// needs: comparisons of fields with values, combined with and, or and not.
// Comparisons are loose the way that SQL's are (see value.Equal): '305'
// equals 305, so a rule matches whether the app sent a number or a string.
//
// # Grammar
//
//	expr      = and { ("or" | "||") and }
//	and       = unary { ("and" | "&&") unary }
//	unary     = ("not" | "!") unary | "(" expr ")" | condition
//	condition = operand ( "==" | "=" | "!=" | "<>" | "<" | "<=" | ">" | ">=" ) operand
//	          | operand ["not"] "in" "(" literal { "," literal } ")"
//	          | operand "is" ["not"] "null"
//	          | operand ["not"] "like" string
//	          | operand ["not"] "matches" string
//	          | field | "true" | "false"
//	operand   = field | literal
//	literal   = string | number | "true" | "false"
//
// Precedence: not binds tighter than and, and and tighter than or. A
// comparison's operands are values, never conditions, so not applies to the
// whole comparison after it: "not a = 1 and b or c" is
// "((not (a = 1)) and b) or c".
// Keywords (and or not in is null like matches true false) are
// case-insensitive; field names are not.
//
// Tokens:
//
//   - A field is a name [A-Za-z_][A-Za-z0-9_.$-]* that is not a keyword, or
//     any text between backquotes, a backquote in it doubled: `user name`,
//     `not`. Names with dots are plain names (flattened fields), and a - is
//     part of a name, so write a = -1, not a=b-1.
//   - A string is quoted with ' or ", with the escapes \\ \' \" \n \r \t and
//     \uXXXX (a character outside the BMP as a surrogate pair,
//     \uD83D\uDE00). \% and \_ stay as written, backslash and all, so that a
//     like pattern can escape its wildcards without doubling the backslash.
//     Any other escape is an error.
//   - A number is JSON's: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?. A
//     whole number that fits an int64 is a value.OfInt, any other a
//     value.OfNumber (1.50 and 1e3 keep their text).
//   - null may only follow is: "x = null" is an error that says to write
//     "x is null", since null equals nothing.
//   - Spaces, tabs and line breaks separate tokens. The source must be valid
//     UTF-8.
//
// # Meaning
//
// A field the row does not have is null. Every comparison with null is
// false, == and != alike: SQL's three-valued logic with unknown collapsed
// to false at each comparison. So "x != 1" is false for a missing x, while
// "not x = 1" is true.
//
//   - a == b is value.Equal: numbers by value whatever their kind, a string
//     holding a number equal to that number ('305' = 305, '305.0' = 305),
//     two strings by their text ('305.0' != '305'), a boolean equal to the
//     string 'true' or 'false' (any case), anything else the same kind and
//     text.
//   - a != b is true when neither is null and they are not equal, including
//     when they do not compare at all ('abc' != 5).
//   - < <= > >= are value.Compare: numbers by value, strings byte-wise,
//     false < true; a number against a numeric string as numbers. Values
//     that do not compare ('abc' < 5, null) make the comparison false.
//   - x in (v, ...) is x == v for some v; x not in (...) is x != v for every
//     v. Both are false when x is null.
//   - x is null is true when x is missing or null; is not null is the
//     opposite.
//   - x like 'pattern' is SQL's LIKE, case-sensitive, on x's text
//     (value.Text: numbers as digits, true or false, JSON as its text): %
//     matches any run of characters, _ exactly one character (a UTF-8 rune; a
//     byte that is not valid UTF-8 counts as one), and a backslash makes the
//     next character literal: '100\%', 'a\_b', 'a\\\\b' for a\b (the string
//     escape first makes \\ of \\\\). A pattern may not end in a lone
//     backslash. The empty pattern matches only the empty text. null is
//     neither like nor not like anything.
//   - x matches 're' is true when the RE2 regular expression (package
//     regexp) matches somewhere in x's text; anchor it with ^ and $ to match
//     all of it. It is compiled once, by Parse. Like like, false for null
//     either way.
//   - A field alone is x == true: a boolean true, or a string that reads
//     true ('true', 'TRUE', ' true '). 1 is not true. true and false alone
//     are constants.
//
// A comparison of two literals ('1' = 1) is allowed and worked out once.
//
// # Limits
//
// Parse refuses sources longer than MaxSourceLen bytes, parentheses and
// nots nested more than MaxDepth deep, and in lists of more than MaxInList
// values, so a rule cannot make parsing or evaluation unbounded. Errors are
// *SyntaxError values that give the character position (from 1) and what
// was expected there: `at 29: expected a value after "==", found end of
// input`.
//
// String gives the canonical text, which parses back to the same tree; it
// can be longer than the source (a=1 becomes a == 1), so a source close to
// MaxSourceLen may print as text Parse refuses.
//
// # Evaluation
//
// Parse compiles the tree into typed nodes with their literals converted
// once; an and of field = 'literal' terms, the bulk of a rule table, runs as
// one loop without calls through interfaces. Each field reference remembers
// the position it was last found at in a row (value.Row.IndexFrom), so a
// stream whose records share a layout finds each field at the first look.
// Eval allocates nothing, except that matches on a number formats it. An
// in list of many strings looks them up in a map.
//
// An Expr is safe for concurrent use: the position hints are atomic, and
// only written when a field has moved.
package expr
