// Package expr is the condition language of the rule tables that classify
// and filter records: one line of text in a connector's config, parsed once
// into an Expr that is evaluated against each record's value.Row.
//
//	msgId = '305' AND msgType = '116' AND role = '2' AND targetId = 'match'
//	  AND targetType = 'template' AND action = 'match' AND subAction = 'drop:wrong'
//
// It is the WHERE clause of the warehouse's SQL, cut down to what a rule
// needs: comparisons of fields with values, combined with and, or and not.
// Its value expressions (ParseValue, see Values) are the select list cut
// down the same way: what a set step computes into a field.
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
// in list of many strings looks them up in a map. Field names are interned
// (value.Intern), so that comparing one with a row's costs no more than
// comparing two pointers when the row's names are interned too.
//
// A Table runs a rule table, the first rule that holds winning: it tests the
// terms all rules share once (Factor) and goes straight to the rules that
// can hold for the record's text of the field they tell apart.
//
// An Expr is safe for concurrent use: the position hints are atomic, and
// only written when a field has moved.
//
// # Values
//
// ParseValue reads a value expression, ParseAssignments a list of
// "field = value" separated by commas (commas inside strings, parentheses
// and cases belong to their value):
//
//	user_id = coalesce(user_id, -1), event = concat(event, '_AUDIO_STATE'),
//	level = CASE WHEN level IN ('A','B','C','D') THEN level ELSE 'other' END,
//	reg_date = cast(date_format(register_date_time, 'yyyyMMddHH') as long)
//
// The grammar, with expr the conditions above:
//
//	value = field | literal | "null"
//	      | "case" "when" expr "then" value { "when" expr "then" value } [ "else" value ] "end"
//	      | name "(" value { "," value } ")"
//	      | "cast" "(" value "as" type ")"
//	type  = "string" | "long" | "double" | "boolean"
//
// The tokens are the conditions'. case, when, then, else, end and as are
// keywords too, in any case, but only in a value expression (and in the
// conditions of its cases): a field so named is backquoted there, while
// Parse still reads them as field names. A name followed by "(" is a
// function, in any case; anywhere else it is a field. The types have the
// SQL aliases varchar (string); bigint, int, integer, smallint, tinyint
// (long, no range check); float (double); bool (boolean).
//
// The conditions of a case compare fields and literals, not function
// results: assign the function's value to a field first, as a later
// assignment sees the ones before it. A case without else is null when no
// condition holds.
//
// The functions, and what they make of null:
//
//   - coalesce(a, b, ...) is the first argument that is not null, and null
//     when all are. The arguments after it are not evaluated.
//   - concat(a, b, ...) joins the arguments' texts (value.Text: a number's
//     digits, true or false, an object's JSON) into a string. It is null
//     when any argument is null, as SQL's CONCAT is in Flink and MySQL; write
//     concat(coalesce(x, ”), ...) to read a null as empty text.
//   - md5(x) is the lower-case hex MD5 of x's text, so a number hashes its
//     digits as MD5(CAST(x AS VARCHAR)) does. Null for null.
//   - lower(x) and upper(x) are x's text mapped by strings.ToLower and
//     strings.ToUpper; trim(x) is x's text without white space (spaces,
//     tabs, line breaks; SQL's TRIM takes spaces only) at either end. All
//     three make a string, and null of null.
//   - cast(x as type) is value.Convert: a string holding a number to that
//     number, a number to its text, true/false or 1/0 to a boolean. Null
//     stays null, and a blank string cast to a number or boolean is null.
//     A value that does not convert ('abc' or 1.5 as a long) is an error
//     from Eval, never a silent null: a set step refuses the record, which
//     goes to the dead-letter topic.
//   - date_format(t, 'pattern' [, 'zone']) writes the time t by a Java-style
//     pattern of package timefmt (yyyy MM dd HH mm ss SSS, X for the offset,
//     'quoted text'; iso8601 for RFC 3339, and epoch_millis and the other
//     epoch units make a number) in the IANA zone, UTC when there is none. t
//     is read as epoch milliseconds when it is a number or a string of
//     digits, and otherwise as text: yyyy-MM-dd, yyyy-MM-dd HH:mm:ss with an
//     optional fraction, or the same with a T for the space, with or without
//     an RFC 3339 offset; text without an offset is a time in the zone.
//     Null for null; any other t is an error. The pattern and zone must be
//     quoted strings, which ParseValue checks.
//
// A function of literals only is worked out once, by ParseValue, and one
// that fails there (cast('abc' as long)) is a *SyntaxError. Values have the
// limits of conditions: MaxSourceLen bytes of source (for ParseAssignments,
// of the whole list), and MaxDepth counting cases and function calls with
// parentheses and nots. A function that would make text longer than
// MaxTextLen bytes is an error.
//
// ValueExpr.String prints lower-case keywords and function names, the
// canonical type names and no else null; it parses back to the same text.
//
// A ValueExpr is safe for concurrent use. Eval takes a Scratch, one per
// goroutine, that text is written into: a field, a literal or a case of
// them allocates nothing, and the functions making text cut it from the
// Scratch's chunks, which are never rewritten, so a value Eval returned
// stays valid. Only lower and upper of text that is not all ASCII allocate
// their result (strings.ToLower and ToUpper do the mapping).
package expr
