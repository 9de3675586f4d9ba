package value

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
)

func TestEqualIsLooseAcrossNumbersAndStrings(t *testing.T) {
	cases := []struct {
		a, b Value
		want bool
	}{
		{OfString("305"), OfInt(305), true},
		{OfInt(305), OfString(" 305 "), true},
		{OfInt(1), OfNumber("1.0"), true},
		{OfNumber("1.50"), OfFloat(1.5), true},
		{OfString("305"), OfString("305.0"), false}, // two strings compare as text
		{OfString("abc"), OfInt(1), false},
		{OfNumber("12345678901234567890"), OfNumber("12345678901234567890"), true},
		{OfInt(math.MaxInt64), OfInt(math.MaxInt64 - 1), false}, // exact, not via float64
		{OfBool(true), OfString("TRUE"), true},
		{OfBool(false), OfInt(0), false},
		{Value{}, Value{}, false},
		{Value{}, OfString(""), false},
		{OfJSON(`{"a":1}`), OfJSON(`{"a":1}`), true},
	}
	for _, c := range cases {
		if got := Equal(c.a, c.b); got != c.want {
			t.Errorf("Equal(%s %q, %s %q) = %v, want %v", c.a.Kind(), c.a.Text(), c.b.Kind(), c.b.Text(), got, c.want)
		}
	}
}

func TestCompareOrders(t *testing.T) {
	cases := []struct {
		a, b Value
		want int
		ok   bool
	}{
		{OfInt(2), OfString("10"), -1, true},
		{OfString("2"), OfString("10"), 1, true}, // text order between strings
		{OfNumber("1e2"), OfInt(99), 1, true},
		{OfString("x"), OfInt(1), 0, false},
		{Value{}, OfInt(1), 0, false},
	}
	for _, c := range cases {
		got, ok := Compare(c.a, c.b)
		if got != c.want || ok != c.ok {
			t.Errorf("Compare(%q, %q) = %d, %v; want %d, %v", c.a.Text(), c.b.Text(), got, ok, c.want, c.ok)
		}
	}
}

func TestConvertLikeSQLCasts(t *testing.T) {
	cases := []struct {
		in      Value
		to      Type
		want    string // JSON of the result
		wantErr string
	}{
		{OfString("1001"), TypeLong, `1001`, ""},
		{OfString(""), TypeLong, `null`, ""},
		{OfString("12.00"), TypeLong, `12`, ""},
		{OfString("12.5"), TypeLong, ``, `"12.5" is not a long`},
		{OfString("abc"), TypeLong, ``, `"abc" is not a long`},
		{OfNumber("1e3"), TypeLong, `1000`, ""},
		{OfNumber("9223372036854775808"), TypeLong, ``, `number 9223372036854775808 is not a long`},
		{OfInt(116), TypeString, `"116"`, ""},
		{OfJSON(`{"a":1}`), TypeString, `"{\"a\":1}"`, ""},
		{OfString("2.5"), TypeDouble, `2.5`, ""},
		{OfString("1"), TypeBoolean, ``, `"1" is not a boolean`},
		{OfInt(1), TypeBoolean, `true`, ""},
		{OfString("False"), TypeBoolean, `false`, ""},
		{OfBool(true), TypeLong, ``, `boolean true is not a long`},
		{Value{}, TypeLong, `null`, ""},
	}
	for _, c := range cases {
		got, err := Convert(c.in, c.to)
		if c.wantErr != "" {
			if err == nil || err.Error() != c.wantErr {
				t.Errorf("Convert(%q, %s) error = %v, want %q", c.in.Text(), c.to, err, c.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("Convert(%q, %s): %v", c.in.Text(), c.to, err)
			continue
		}
		if js := string(got.AppendJSON(nil)); js != c.want {
			t.Errorf("Convert(%q, %s) = %s, want %s", c.in.Text(), c.to, js, c.want)
		}
	}
}

// TestRowJSONIsValidWhateverTheValues is the fix of the seed's CONCAT: quotes,
// backslashes, newlines, control characters and invalid UTF-8 in values
// still make one valid JSON object with the same strings in it.
func TestRowJSONIsValidWhateverTheValues(t *testing.T) {
	nasty := []string{`say "hi"`, `C:\path`, "line\nbreak\ttab", "\x00\x1f", "emoji 🎓", "bad \xff utf8", "\u2028"}
	var r Row
	for i, s := range nasty {
		r.Append(string(rune('a'+i)), OfString(s))
	}
	r.Append("n", Value{})
	r.Append("i", OfInt(-7))
	r.Append("flt", OfFloat(0.1))
	r.Append("big", OfNumber("12345678901234567890"))
	r.Append("obj", OfJSON(`{"x":[1,2]}`))
	out := r.AppendJSON(nil)
	var got map[string]any
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.UseNumber()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	for i, s := range nasty {
		want := s
		if s == "bad \xff utf8" {
			want = "bad \ufffd utf8"
		}
		if got[string(rune('a'+i))] != want {
			t.Errorf("field %c = %q, want %q", 'a'+i, got[string(rune('a'+i))], want)
		}
	}
	if got["n"] != nil || got["i"] != json.Number("-7") || got["flt"] != json.Number("0.1") || got["big"] != json.Number("12345678901234567890") {
		t.Errorf("numbers or null changed: %s", out)
	}
}

func TestRowEdits(t *testing.T) {
	var r Row
	r.Set("a", OfInt(1))
	r.Set("b", OfInt(2))
	r.Set("a", OfInt(3)) // replaces in place
	r.Rename("b", "c")
	r.Append("d", OfInt(4))
	r.Rename("d", "a") // replaces a, keeps d's value
	if got := string(r.AppendJSON(nil)); got != `{"a":4,"c":2}` {
		t.Fatalf("row = %s", got)
	}
	if !r.Delete("a") || r.Delete("a") || r.Len() != 1 {
		t.Fatalf("delete: %s", r.AppendJSON(nil))
	}
	if i := r.IndexFrom(5, "c"); i != 0 {
		t.Fatalf("IndexFrom with a stale hint = %d", i)
	}
}

// signalRow is the signal ETL's output row.
func signalRow() *Row {
	var r Row
	r.Append("messageCreateTime", OfString("2021-03-01 10:00:00"))
	r.Append("timeStamp", OfInt(1614564000123))
	r.Append("messageTimeStamp", OfString("2021-03-01 10:00:00.123"))
	r.Append("userId", OfInt(101234))
	r.Append("roomId", OfInt(20123))
	r.Append("role", OfInt(2))
	r.Append("msgId", OfInt(305))
	r.Append("msgType", OfInt(116))
	r.Append("targetId", OfString("match"))
	r.Append("targetType", OfString("template"))
	r.Append("action", OfString("match"))
	r.Append("subAction", OfString("drop:wrong"))
	r.Append("pageIndex", OfInt(13))
	r.Append("event", OfString("STUDENT_MATCH_WRONG"))
	return &r
}

// BenchmarkRowEncoder writes the signal ETL's output row with its names
// as steps configure them (interned) and as copies (as read from records).
func BenchmarkRowEncoder(b *testing.B) {
	for _, intern := range []bool{true, false} {
		name := "copied_names"
		if intern {
			name = "interned_names"
		}
		b.Run(name, func(b *testing.B) {
			r := signalRow()
			for i := range r.Fields {
				if intern {
					r.Fields[i].Name = Intern(r.Fields[i].Name)
				} else {
					r.Fields[i].Name = strings.Clone(r.Fields[i].Name)
				}
			}
			var e RowEncoder
			var buf []byte
			for b.Loop() {
				buf = e.Append(buf[:0], r)
			}
			b.SetBytes(int64(len(buf)))
		})
	}
}
