package expr

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/tributarydata/tributary/transforms/value"
)

// valueRow holds the fields the value tests read; "missing" is not in it.
func valueRow() *value.Row {
	r := &value.Row{}
	for _, f := range []struct {
		name string
		v    value.Value
	}{
		{"event", value.OfString("join")},
		{"level", value.OfString("B")},
		{"odd_level", value.OfString("Z")},
		{"user_id", value.OfInt(1001)},
		{"no_user", value.Value{}},
		{"channel_id", value.OfInt(7)},
		{"channel_s", value.OfString("7")},
		{"n150", value.OfNumber("1.50")},
		{"f25", value.OfFloat(2.5)},
		{"tt", value.OfBool(true)},
		{"obj", value.OfJSON(`{"a":1}`)},
		{"empty", value.OfString("")},
		{"blank", value.OfString("   ")},
		{"padded", value.OfString(" \tpad me\n ")},
		{"mixed", value.OfString("MiXed Case_1")},
		{"zh", value.OfString("测试ÀBC")},
		{"abc", value.OfString("abc")},
		{"s305", value.OfString("305")},
		{"ms", value.OfInt(1614564000123)},
		{"ms_text", value.OfString("1614564000123")},
		{"ms_float", value.OfNumber("1614564000123.9")},
		{"confirm_date_time", value.OfString("2021-03-01 23:30:00")},
		{"dt_frac", value.OfString("2021-03-01 10:00:00.5")},
		{"date", value.OfString("2021-03-01")},
		{"iso", value.OfString("2021-03-01T10:00:00+08:00")},
		{"iso_local", value.OfString("2021-03-01T10:00:00")},
		{"soon", value.OfString("soon")},
		{"bad_month", value.OfString("2021-13-01 00:00:00")},
		{"end", value.OfString("a field named end")},
	} {
		r.Append(f.name, f.v)
	}
	return r
}

// show writes a value as its kind and JSON, so that a test tells 1001 from
// '1001' and null from ”.
func show(v value.Value) string { return v.Kind().String() + " " + string(v.AppendJSON(nil)) }

type valueCase struct {
	src  string
	want string // show of the value, or "error: " and a part of the error
}

func runValueCases(t *testing.T, cases []valueCase) {
	t.Helper()
	r := valueRow()
	var s Scratch
	for _, tc := range cases {
		t.Run(tc.src, func(t *testing.T) {
			e, err := ParseValue(tc.src)
			if err != nil {
				t.Fatalf("ParseValue: %v", err)
			}
			got, err := e.Eval(r, &s)
			ref, refErr := refValue(e.root, r)
			if (err == nil) != (refErr == nil) || err == nil && show(got) != show(ref) {
				t.Errorf("reference evaluator = %s, %v; Eval = %s, %v", show(ref), refErr, show(got), err)
			}
			if msg, ok := strings.CutPrefix(tc.want, "error: "); ok {
				if err == nil || !strings.Contains(err.Error(), msg) {
					t.Fatalf("Eval = %s, %v; want an error saying %q", show(got), err, msg)
				}
				return
			}
			if err != nil {
				t.Fatalf("Eval: %v", err)
			}
			if show(got) != tc.want {
				t.Errorf("Eval = %s, want %s", show(got), tc.want)
			}
		})
	}
}

func TestValueFieldsAndLiterals(t *testing.T) {
	runValueCases(t, []valueCase{
		{"event", `string "join"`},
		{"user_id", `long 1001`},
		{"missing", `null null`},
		{"no_user", `null null`},
		{"obj", `json {"a":1}`},
		{"`end`", `string "a field named end"`},
		{"'x'", `string "x"`},
		{`"it's"`, `string "it's"`},
		{"-1", `long -1`},
		{"1.50", `number 1.50`},
		{"12345678901234567890", `number 12345678901234567890`},
		{"true", `boolean true`},
		{"FALSE", `boolean false`},
		{"null", `null null`},
		{"NULL", `null null`},
	})
}

func TestValueCase(t *testing.T) {
	const level = "CASE WHEN level IN ('A','B','C','D') THEN level ELSE 'other' END"
	runValueCases(t, []valueCase{
		{level, `string "B"`},
		{strings.ReplaceAll(level, "level", "odd_level"), `string "other"`},
		{strings.ReplaceAll(level, "level", "missing"), `string "other"`}, // in is false for null
		{"CASE WHEN `user_id` is NULL THEN -1 else user_id END", `long 1001`},
		{"case when no_user is null then -1 else no_user end", `long -1`},
		{"case when user_id > 2000 then 'big' when user_id > 1000 then 'mid' else 'small' end", `string "mid"`},
		{"case when user_id > 2000 then 'big' end", `null null`}, // no else: null
		{"case when tt then 'yes' end", `string "yes"`},
		{"case when not tt or abc like 'a%' then 1 end", `long 1`},
		{"case when (event = 'join' and level = 'B') then concat(event, level) end", `string "joinB"`},
		{"case when event = 'x' then 1 when event = 'join' then case when level = 'B' then 2 end end", `long 2`},
		{"case when true then 'always' else 'never' end", `string "always"`},
		{"case when false then 'never' when 1 = 2 then 'never' else 'else' end", `string "else"`},
		{"case when false then 'never' end", `null null`},
		{"case when `end` like 'a %' then `end` end", `string "a field named end"`},
		{"case when 'end' = 'end' then 1 end", `long 1`},
	})
}

func TestValueCoalesce(t *testing.T) {
	runValueCases(t, []valueCase{
		{"coalesce(user_id, -1)", `long 1001`},
		{"coalesce(no_user, -1)", `long -1`},
		{"coalesce(missing, no_user, 'third')", `string "third"`},
		{"coalesce(missing, no_user)", `null null`},
		{"coalesce(missing)", `null null`},
		{"coalesce(empty, 'x')", `string ""`},                 // '' is not null
		{"COALESCE(user_id, cast(abc as long))", `long 1001`}, // later arguments are not evaluated
		{"coalesce(no_user, cast(abc as long))", `error: cast: "abc" is not a long`},
	})
}

func TestValueConcat(t *testing.T) {
	runValueCases(t, []valueCase{
		{"concat(event, '_AUDIO_STATE')", `string "join_AUDIO_STATE"`},
		{"CONCAT(event,'_VIDEO_STATE')", `string "join_VIDEO_STATE"`},
		{"concat(user_id, '-', f25, '-', n150, '-', tt, '-', obj)", `string "1001-2.5-1.50-true-{\"a\":1}"`},
		{"concat(event)", `string "join"`},
		{"concat(empty, empty)", `string ""`},
		{"concat(event, no_user)", `null null`}, // SQL: null if any argument is null
		{"concat(event, missing, 'x')", `null null`},
		{"concat(event, coalesce(missing, ''), 'x')", `string "joinx"`},
		{"concat(concat(event, '-'), concat(level, concat('-', user_id)))", `string "join-B-1001"`},
		{"concat('a,b', ')', '(')", `string "a,b)("`},
		{"concat(no_user, cast(abc as long))", `null null`}, // stops at the first null
	})
}

func TestValueMD5(t *testing.T) {
	runValueCases(t, []valueCase{
		{"md5(channel_id)", `string "8f14e45fceea167a5a36dedd4bea2543"`}, // a number hashes its digits
		{"md5(channel_s)", `string "8f14e45fceea167a5a36dedd4bea2543"`},
		{"md5('')", `string "d41d8cd98f00b204e9800998ecf8427e"`},
		{"MD5(concat(event, user_id))", `string "` + md5Hex("join1001") + `"`},
		{"md5(no_user)", `null null`},
	})
}

func TestValueTextFunctions(t *testing.T) {
	runValueCases(t, []valueCase{
		{"lower(mixed)", `string "mixed case_1"`},
		{"upper(mixed)", `string "MIXED CASE_1"`},
		{"lower(abc)", `string "abc"`},
		{"upper(zh)", `string "测试ÀBC"`},
		{"lower(zh)", `string "测试àbc"`},
		{"lower(user_id)", `string "1001"`}, // text, as SQL's LOWER
		{"upper(tt)", `string "TRUE"`},
		{"lower(obj)", `string "{\"a\":1}"`},
		{"lower(no_user)", `null null`},
		{"upper(missing)", `null null`},
		{"trim(padded)", `string "pad me"`},
		{"trim(blank)", `string ""`},
		{"trim(f25)", `string "2.5"`},
		{"trim(no_user)", `null null`},
		{"Trim(Upper(padded))", `string "PAD ME"`},
	})
}

func TestValueCast(t *testing.T) {
	runValueCases(t, []valueCase{
		{"cast(s305 as long)", `long 305`},
		{"cast(s305 as bigint)", `long 305`},
		{"CAST(s305 AS INT)", `long 305`},
		{"cast(user_id as string)", `string "1001"`},
		{"cast(user_id as varchar)", `string "1001"`},
		{"cast(f25 as string)", `string "2.5"`},
		{"cast(n150 as double)", `double 1.5`},
		{"cast(s305 as double)", `double 305`},
		{"cast('TRUE' as boolean)", `boolean true`},
		{"cast(1 as bool)", `boolean true`},
		{"cast(obj as string)", `string "{\"a\":1}"`},
		{"cast(no_user as long)", `null null`},
		{"cast(missing as string)", `null null`},
		{"cast(empty as long)", `null null`}, // a blank string is "not set"
		{"cast(blank as boolean)", `null null`},
		{"cast(empty as string)", `string ""`},
		{"cast(abc as long)", `error: cast: "abc" is not a long`},
		{"cast(n150 as long)", `error: cast: number 1.50 is not a long`},
		{"cast(tt as long)", `error: is not a long`},
		{"cast(obj as double)", `error: is not a double`},
		{"cast(user_id as boolean)", `error: is not a boolean`},
	})
}

func TestValueDateFormat(t *testing.T) {
	runValueCases(t, []valueCase{
		{"date_format(confirm_date_time, 'yyyy-MM-dd')", `string "2021-03-01"`},
		{"date_format(confirm_date_time, 'yyyyMMddHH')", `string "2021030123"`},
		{"cast(date_format(confirm_date_time, 'yyyyMMddHH') as bigint)", `long 2021030123`},
		// Text without an offset is a time in the zone; the output is in the zone.
		{"date_format(confirm_date_time, 'yyyy-MM-dd HH:mm', 'Asia/Shanghai')", `string "2021-03-01 23:30"`},
		{"date_format(ms, 'yyyy-MM-dd HH:mm:ss.SSS')", `string "2021-03-01 02:00:00.123"`},
		{"date_format(ms, 'yyyy-MM-dd HH:mm:ss.SSS', 'Asia/Shanghai')", `string "2021-03-01 10:00:00.123"`},
		{"date_format(ms_text, 'yyyy-MM-dd HH:mm:ss.SSS')", `string "2021-03-01 02:00:00.123"`},
		{"date_format(ms_float, 'HH:mm:ss.SSS')", `string "02:00:00.123"`},
		{"date_format(1614564000123, 'yyyy')", `string "2021"`},
		{"date_format(dt_frac, 'HH:mm:ss.SSS')", `string "10:00:00.500"`},
		{"date_format(date, 'yyyy/MM/dd HH:mm')", `string "2021/03/01 00:00"`},
		{"date_format(iso, 'yyyy-MM-dd HH:mm')", `string "2021-03-01 02:00"`},
		{"date_format(iso, 'yyyy-MM-dd HH:mm', 'Asia/Shanghai')", `string "2021-03-01 10:00"`},
		{"date_format(iso_local, 'yyyy-MM-dd HH:mm')", `string "2021-03-01 10:00"`},
		{"date_format(iso, 'iso8601')", `string "2021-03-01T02:00:00Z"`},
		{"date_format(iso, 'epoch_millis')", `long 1614564000000`},
		{`date_format(confirm_date_time, "yyyy-MM-dd'T'HH:mm:ssXXX", 'Asia/Shanghai')`, `string "2021-03-01T23:30:00+08:00"`},
		{"date_format(no_user, 'yyyy')", `null null`},
		{"date_format(missing, 'yyyy')", `null null`},
		{"date_format(soon, 'yyyy')", `error: date_format: "soon" is not a time`},
		{"date_format(bad_month, 'yyyy')", `error: month out of range`},
		{"date_format(tt, 'yyyy')", `error: date_format: boolean true is not a time`},
		{"date_format(obj, 'yyyy')", `error: is not a time`},
	})
}

func md5Hex(s string) string {
	v, err := MustParseValue("md5(x)").Eval(&value.Row{Fields: []value.Field{{Name: "x", Value: value.OfString(s)}}}, nil)
	if err != nil {
		panic(err)
	}
	return v.Text()
}

// TestValueStringRoundTrip: String is canonical, and parses back to itself.
func TestValueStringRoundTrip(t *testing.T) {
	for _, tc := range []struct{ src, want string }{
		{"CASE WHEN level IN ('A','B','C','D') THEN level ELSE 'other' END", "case when level in ('A', 'B', 'C', 'D') then level else 'other' end"},
		{"CASE WHEN `userId` is NULL THEN -1 else userId END", "case when userId is null then -1 else userId end"},
		{"case when a then 1 else null end", "case when a then 1 end"},
		{"case when a=1 or b=2 and not c then `end` end", "case when a == 1 or b == 2 and not c then `end` end"},
		{"case when `then` = 'x' then `case` end", "case when `then` == 'x' then `case` end"},
		{"COALESCE(user_id,-1)", "coalesce(user_id, -1)"},
		{"Concat(event , \"_AUDIO_STATE\")", "concat(event, '_AUDIO_STATE')"},
		{"md5(channel_id)", "md5(channel_id)"},
		{"date_format(confirm_date_time,'yyyy-MM-dd')", "date_format(confirm_date_time, 'yyyy-MM-dd')"},
		{"date_format(t,'yyyy', \"Asia/Shanghai\")", "date_format(t, 'yyyy', 'Asia/Shanghai')"},
		{"CAST(x AS VARCHAR)", "cast(x as string)"},
		{"cast(x as BIGINT)", "cast(x as long)"},
		{"lower(upper(trim(x)))", "lower(upper(trim(x)))"},
		{"`md5`", "md5"}, // a name is a function only before (
		{"`a b`", "`a b`"},
		{"`as`", "`as`"},
		{"null", "null"},
		{"'it''s'", ""}, // not SQL's doubled quote: an error
		{"'a\\'b\\n'", `'a\'b\n'`},
		{"1.50", "1.50"},
		{"concat(x, '\\u00e9\\t')", "concat(x, 'é\\t')"},
	} {
		e, err := ParseValue(tc.src)
		if tc.want == "" {
			if err == nil {
				t.Errorf("ParseValue(%q) = %s, want an error", tc.src, e)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseValue(%q): %v", tc.src, err)
			continue
		}
		if got := e.String(); got != tc.want {
			t.Errorf("ParseValue(%q).String() = %q, want %q", tc.src, got, tc.want)
			continue
		}
		again, err := ParseValue(tc.want)
		if err != nil || again.String() != tc.want {
			t.Errorf("ParseValue(%q) = %v, %v; want it to print as itself", tc.want, again, err)
		}
	}
}

// TestValueKeywordsStayFieldsInConditions: case, when, then, else, end and
// as are keywords only in value expressions, so rules that use them as
// field names parse and print as they did.
func TestValueKeywordsStayFieldsInConditions(t *testing.T) {
	e, err := Parse("end = 1 and case = 'x' or as is null or when and then and else")
	if err != nil {
		t.Fatal(err)
	}
	if want := "end == 1 and case == 'x' or as is null or when and then and else"; e.String() != want {
		t.Errorf("String = %q, want %q", e.String(), want)
	}
	if _, err := ParseValue("end"); err == nil || !strings.Contains(err.Error(), `expected a value, found "end"`) {
		t.Errorf("ParseValue(end): %v, want end to be a keyword", err)
	}
}

func TestValueFields(t *testing.T) {
	e := MustParseValue("case when a = b and c is null then concat(d, a, 'lit') when e then f else coalesce(g, d) end")
	if got := fmt.Sprint(e.Fields()); got != "[a b c d e f g]" {
		t.Errorf("Fields = %s", got)
	}
	if got := MustParseValue("'x'").Fields(); len(got) != 0 {
		t.Errorf("Fields of a literal = %v", got)
	}
}

func TestValueSyntaxErrors(t *testing.T) {
	for _, tc := range []struct {
		src string
		pos int
		msg string
	}{
		{"", 1, "expected a value, found end of input"},
		{"a b", 3, `expected the end after a value, found "b"`},
		{"a = 1", 3, `expected the end after a value, found "="`},
		{"foo(1)", 1, `unknown function "foo" (the functions are cast, coalesce, concat, date_format, lower, md5, trim, upper)`},
		{"concat(a,", 10, `expected a value after ",", found end of input`},
		{"concat(a b)", 10, `expected "," or ")" in the arguments of concat, found "b"`},
		{"concat()", 8, `expected a value after "(", found ")"`},
		{"md5(a, b)", 1, "md5 takes 1 argument, found 2"},
		{"date_format(a)", 1, "date_format takes 2 or 3 arguments, found 1"},
		{"date_format(a, 'y', 'UTC', 1)", 1, "date_format takes 2 or 3 arguments, found 4"},
		{"date_format(a, b)", 16, "the pattern of date_format must be a quoted string"},
		{"date_format(a, 'yyyy-QQ')", 16, `date_format: pattern letters "QQ" are not supported`},
		{"date_format(a, 'yyyy', 'Mars/Base')", 24, `date_format: unknown time zone "Mars/Base"`},
		{"date_format(a, 'yyyy', 8)", 24, "the zone of date_format must be a quoted zone name"},
		{"cast(a)", 7, `expected "as" and a type after the value in cast, found ")"`},
		{"cast(a as)", 10, `expected a type after "as" (string, long, double or boolean), found ")"`},
		{"cast(a as integer2)", 11, `expected a type after "as"`},
		{"cast(a as auto)", 11, `expected a type after "as"`},
		{"cast(a as long, b)", 15, `expected ")" after the type of cast, found ","`},
		{"cast('abc' as long)", 1, `cast: "abc" is not a long`},
		{"concat('a', cast('x' as double))", 13, `cast: "x" is not a double`},
		{"date_format('soon', 'yyyy')", 1, `date_format: "soon" is not a time`},
		{"case", 5, `expected "when" after "case", found end of input`},
		{"case when then 1 end", 11, `expected a condition after "when", found "then"`},
		{"case when a 1 end", 13, `expected "then" after the condition, found "1"`},
		{"case when lower(a) = 'x' then 1 end", 16, `found "(" (a condition compares fields and literals`},
		{"case when a then end", 18, `expected a value after "then", found "end"`},
		{"case when a then 1", 19, `expected "when", "else" or "end" in the case at 1, found end of input`},
		{"x, case when a then 1 else end", 2, `expected the end after a value, found ","`},
		{"case when a then 1 else end", 25, `expected a value after "else", found "end"`},
		{"case when a = null then 1 end", 15, `write "a is null"`},
		{"case when end = 1 then 1 end", 11, `expected a condition after "when", found "end"`},
		{"concat(a, 'x'", 14, `expected "," or ")" in the arguments of concat, found end of input`},
		{"'x", 1, "unterminated string"},
		{"\xff", 1, "invalid UTF-8"},
		{strings.Repeat("lower(", MaxDepth+1) + "a" + strings.Repeat(")", MaxDepth+1), MaxDepth*6 + 6, "nest deeper than 64"},
		{strings.Repeat("case when a then ", MaxDepth+1) + "1" + strings.Repeat(" end", MaxDepth+1), MaxDepth*17 + 1, "nest deeper than 64"},
		{strings.Repeat("lower(", MaxDepth/2) + "case when " + strings.Repeat("(", MaxDepth/2+1) + "a", 0, "nest deeper than 64"},
		{"'" + strings.Repeat("x", MaxSourceLen) + "'", MaxSourceLen + 1, "longer than"},
	} {
		_, err := ParseValue(tc.src)
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("ParseValue(%.40q) = %v, want a *SyntaxError", tc.src, err)
			continue
		}
		if tc.pos != 0 && se.Pos != tc.pos || !strings.Contains(se.Msg, tc.msg) {
			t.Errorf("ParseValue(%.40q) = %q, want at %d: …%s…", tc.src, err, tc.pos, tc.msg)
		}
	}
	// Nesting up to MaxDepth is fine.
	if _, err := ParseValue(strings.Repeat("lower(", MaxDepth) + "a" + strings.Repeat(")", MaxDepth)); err != nil {
		t.Errorf("%d nested functions: %v", MaxDepth, err)
	}
}

func TestParseAssignments(t *testing.T) {
	src := "user_id=coalesce(user_id, -1), event=concat(event, '_AUDIO_STATE')," +
		" attribution_time = date_format(confirm_date_time, 'yyyy-MM-dd'),\n" +
		" level=CASE WHEN level IN ('A','B','C','D') THEN level ELSE 'other' END, rowkey=md5(channel_id)," +
		" `end` = 'x, y', event = lower(event)"
	list, err := ParseAssignments(src)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range list {
		got = append(got, a.String())
	}
	want := []string{
		"user_id = coalesce(user_id, -1)",
		"event = concat(event, '_AUDIO_STATE')",
		"attribution_time = date_format(confirm_date_time, 'yyyy-MM-dd')",
		"level = case when level in ('A', 'B', 'C', 'D') then level else 'other' end",
		"rowkey = md5(channel_id)",
		"`end` = 'x, y'",
		"event = lower(event)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("assignments:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, tc := range []struct {
		src string
		pos int
		msg string
	}{
		{"", 1, "expected a field name, found end of input"},
		{"a = 1,", 7, "expected a field name, found end of input"},
		{"a = 1, , b = 2", 8, `expected a field name, found ","`},
		{"'a' = 1", 1, "expected a field name, found 'a'"},
		{"end = 1", 1, "expected a field name, found \"end\" (backquote a field named like a keyword: `end`)"},
		{"a", 2, `expected "=" after the field name "a", found end of input`},
		{"a == 1", 3, `expected "=" after the field name "a", found "=="`},
		{"a =", 4, `expected a value after "=", found end of input`},
		{"a = 1 b = 2", 7, `expected "," or the end after the value of "a", found "b"`},
		{"a = 1, b = cast('x' as long)", 12, `cast: "x" is not a long`},
	} {
		_, err := ParseAssignments(tc.src)
		var se *SyntaxError
		if !errors.As(err, &se) || se.Pos != tc.pos || !strings.Contains(se.Msg, tc.msg) {
			t.Errorf("ParseAssignments(%q) = %v, want at %d: …%s…", tc.src, err, tc.pos, tc.msg)
		}
	}
}

// TestValueEvalAllocations: fields, literals and cases allocate nothing,
// nor do functions once their Scratch has grown.
func TestValueEvalAllocations(t *testing.T) {
	r := valueRow()
	for _, tc := range []struct {
		src    string
		allocs float64
	}{
		{"event", 0},
		{"'lit'", 0},
		{"null", 0},
		{"case when level in ('A', 'B', 'C', 'D') then level else 'other' end", 0},
		{"case when no_user is null then -1 else no_user end", 0},
		{"coalesce(missing, user_id, -1)", 0},
		{"concat(event, '_AUDIO_STATE', user_id)", 0},
		{"md5(channel_id)", 0},
		{"upper(mixed)", 0},
		{"trim(padded)", 0},
		{"cast(s305 as long)", 0},
		{"cast(user_id as string)", 0},
		{"date_format(ms, 'yyyy-MM-dd HH:mm:ss.SSS', 'Asia/Shanghai')", 0},
		{"date_format(confirm_date_time, 'yyyy-MM-dd')", 0},
	} {
		e := MustParseValue(tc.src)
		var s Scratch
		if _, err := e.Eval(r, &s); err != nil {
			t.Fatalf("%s: %v", tc.src, err)
		}
		// The chunks of a Scratch fill up; average over enough runs that a
		// new 4 KiB chunk now and then does not count as one per run.
		const runs = 1000
		got := testing.AllocsPerRun(runs, func() {
			if _, err := e.Eval(r, &s); err != nil {
				t.Fatal(err)
			}
		})
		if got > tc.allocs+0.05 {
			t.Errorf("%s: %.2f allocations per Eval, want %.0f", tc.src, got, tc.allocs)
		}
	}
}

// TestValueTextStaysValid: a string Eval returned keeps its text while the
// same Scratch makes more.
func TestValueTextStaysValid(t *testing.T) {
	e := MustParseValue("concat(event, '-', user_id, '-', md5(user_id))")
	var s Scratch
	var kept []value.Value
	r := &value.Row{}
	for i := range 2000 {
		r.Reset()
		r.Append("event", value.OfString(strings.Repeat("e", i%50)))
		r.Append("user_id", value.OfInt(int64(i)))
		v, err := e.Eval(r, &s)
		if err != nil {
			t.Fatal(err)
		}
		kept = append(kept, v)
	}
	for i, v := range kept {
		want := fmt.Sprintf("%s-%d-%s", strings.Repeat("e", i%50), i, md5Hex(fmt.Sprint(i)))
		if v.Text() != want {
			t.Fatalf("value %d changed to %q, want %q", i, v.Text(), want)
		}
	}
}

// TestValueConcurrentEval: one ValueExpr, a Scratch per goroutine (run with
// -race).
func TestValueConcurrentEval(t *testing.T) {
	e := MustParseValue("case when level in ('A', 'B') then concat(upper(event), '_', date_format(ms, 'HH:mm:ss.SSS')) else md5(event) end")
	want := `string "JOIN_02:00:00.123"`
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			var s Scratch
			r := valueRow()
			if g%2 == 1 { // other positions, so the hints move
				r.Fields[0], r.Fields[len(r.Fields)-1] = r.Fields[len(r.Fields)-1], r.Fields[0]
			}
			for range 500 {
				v, err := e.Eval(r, &s)
				if err != nil || show(v) != want {
					t.Errorf("Eval = %s, %v; want %s", show(v), err, want)
					return
				}
			}
		})
	}
	wg.Wait()
}

func TestValueConcatIsBounded(t *testing.T) {
	big := strings.Repeat("x", 1<<20)
	r := &value.Row{Fields: []value.Field{{Name: "b", Value: value.OfString(big)}}}
	e := MustParseValue("concat(" + strings.TrimSuffix(strings.Repeat("b, ", 20), ", ") + ")")
	if _, err := e.Eval(r, nil); err == nil || !strings.Contains(err.Error(), "longer than") {
		t.Errorf("20 MiB of concat: %v, want an error", err)
	}
}

func BenchmarkValueEval(b *testing.B) {
	r := valueRow()
	for _, src := range []string{
		"case when level in ('A', 'B', 'C', 'D') then level else 'other' end",
		"coalesce(no_user, -1)",
		"concat(event, '_AUDIO_STATE')",
		"md5(channel_id)",
		"date_format(confirm_date_time, 'yyyy-MM-dd')",
	} {
		e := MustParseValue(src)
		b.Run(src, func(b *testing.B) {
			var s Scratch
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.Eval(r, &s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
