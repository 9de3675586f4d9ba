package agg

import (
	"errors"
	"strings"
	"testing"
)

func TestParseSpec(t *testing.T) {
	for _, tc := range []struct {
		text  string
		want  Spec
		canon string // String(), when not text
	}{
		{"event_count=count()", Spec{"event_count", Count, ""}, "event_count=count(*)"},
		{"event_count=count(*)", Spec{"event_count", Count, ""}, ""},
		{"n=count(event)", Spec{"n", Count, "event"}, ""},
		{"event_sum=sum(lost)", Spec{"event_sum", Sum, "lost"}, ""},
		{"event_avg=avg(lost)", Spec{"event_avg", Avg, "lost"}, ""},
		{"lo=min(x)", Spec{"lo", Min, "x"}, ""},
		{"hi=max(x)", Spec{"hi", Max, "x"}, ""},
		{"leads=count_distinct(id)", Spec{"leads", CountDistinct, "id"}, ""},
		{"  s = SUM ( data.lost )  ", Spec{"s", Sum, "data.lost"}, "s=sum(data.lost)"},
		{"n=Count( * )", Spec{"n", Count, ""}, "n=count(*)"},
		{"\tn\n=\rcount_DISTINCT(a$b-c)", Spec{"n", CountDistinct, "a$b-c"}, "n=count_distinct(a$b-c)"},
		{"a.b-c$=max(_x9)", Spec{"a.b-c$", Max, "_x9"}, ""},
		{"n=count_distinct(`student id`)", Spec{"n", CountDistinct, "student id"}, ""},
		{"n=min(`a``b`)", Spec{"n", Min, "a`b"}, ""},
		{"n=count(`*`)", Spec{"n", Count, "*"}, ""},
		{"n=sum(`1x`)", Spec{"n", Sum, "1x"}, ""},
		{"n=sum(`名前`)", Spec{"n", Sum, "名前"}, ""},
	} {
		got, err := ParseSpec(tc.text)
		if err != nil {
			t.Errorf("ParseSpec(%q): %v", tc.text, err)
			continue
		}
		if got != tc.want {
			t.Errorf("ParseSpec(%q) = %#v, want %#v", tc.text, got, tc.want)
		}
		canon := tc.canon
		if canon == "" {
			canon = tc.text
		}
		if got.String() != canon {
			t.Errorf("ParseSpec(%q).String() = %q, want %q", tc.text, got.String(), canon)
		}
		again, err := ParseSpec(got.String())
		if err != nil || again != got {
			t.Errorf("ParseSpec(%q) = %#v, %v; want %#v", got.String(), again, err, got)
		}
	}
}

func TestParseSpecErrors(t *testing.T) {
	for _, tc := range []struct {
		text string
		pos  int
		msg  string // a part of the message
	}{
		{"", 1, `expected an output name, as in "n=count()", found end of input`},
		{"   ", 4, "expected an output name"},
		{"=count()", 1, `expected an output name, as in "n=count()", found '='`},
		{"1n=count()", 1, `found '1'`},
		{"`n`=count()", 1, "expected an output name"},
		{"n", 2, `expected "=" after the output name "n", found end of input`},
		{"n count()", 3, `expected "=" after the output name "n", found 'c'`},
		{"n=", 3, `expected a function (count, sum, avg, min, max or count_distinct) after "=", found end of input`},
		{"n=(x)", 3, "expected a function"},
		{"n=cnt(x)", 3, `unknown function "cnt" (want count, sum, avg, min, max or count_distinct)`},
		{"n=count", 8, `expected "(" after "count", found end of input`},
		{"n=sum x", 7, `expected "(" after "sum", found 'x'`},
		{"event_sum=sum(", 15, `expected a field name after "(", found end of input`},
		{"event_sum=sum()", 15, `expected a field name after "(", found ')': sum needs a field, as in sum(x)`},
		{"n=avg(*)", 7, "avg needs a field"},
		{"n=count_distinct()", 18, "count_distinct needs a field"},
		{"n=count(", 9, `expected a field name, "*" or ")" after "(", found end of input`},
		{"n=count(,)", 9, `expected a field name, "*" or ")" after "(", found ','`},
		{"n=count(*", 10, `expected ")" after "*", found end of input`},
		{"n=count(* x)", 11, `expected ")" after "*", found 'x'`},
		{"n=sum(a b)", 9, `expected ")" after the field name, found 'b'`},
		{"n=sum(a, b)", 8, `expected ")" after the field name, found ','`},
		{"n=sum(a", 8, `expected ")" after the field name, found end of input`},
		{"n=sum(`a", 7, "unterminated backquoted field name"},
		{"n=sum(``)", 7, "empty field name"},
		{"n=sum(a) x", 10, `expected the end after ")", found 'x'`},
		{"n=sum(a))", 9, `expected the end after ")", found ')'`},
		{"n=sum(a);", 9, `found ';'`},
		{"é=count()", 1, `found 'é'`},
		{"n=sum(é)", 7, `found 'é'`},
		{"n=sum(`a\xffb`)", 9, "invalid UTF-8"},
	} {
		_, err := ParseSpec(tc.text)
		var se *SpecError
		if !errors.As(err, &se) {
			t.Errorf("ParseSpec(%q) = %v, want a *SpecError", tc.text, err)
			continue
		}
		if se.Pos != tc.pos || !strings.Contains(se.Msg, tc.msg) {
			t.Errorf("ParseSpec(%q) = %q at %d, want %q at %d", tc.text, se.Msg, se.Pos, tc.msg, tc.pos)
		}
		if !strings.HasPrefix(err.Error(), `"`) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("ParseSpec(%q): message %q does not quote the text", tc.text, err)
		}
	}
	// The message the config validator shows.
	_, err := ParseSpec("event_sum=sum(")
	if want := `"event_sum=sum(": at 15: expected a field name after "(", found end of input`; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
}

func TestParseSpecs(t *testing.T) {
	specs, err := ParseSpecs([]string{"event_count=count()", "event_sum=sum(lost)", "event_avg=avg(lost)"})
	if err != nil {
		t.Fatal(err)
	}
	want := []Spec{{"event_count", Count, ""}, {"event_sum", Sum, "lost"}, {"event_avg", Avg, "lost"}}
	if len(specs) != len(want) {
		t.Fatalf("specs = %v, want %v", specs, want)
	}
	for i := range want {
		if specs[i] != want[i] {
			t.Errorf("specs[%d] = %v, want %v", i, specs[i], want[i])
		}
	}

	_, err = ParseSpecs([]string{"n=count()", "s=sum(x)", "n=max(x)"})
	if err == nil || !strings.Contains(err.Error(), `two aggregates named "n": "n=count(*)" and "n=max(x)"`) {
		t.Errorf("duplicate outputs: err = %v", err)
	}
	_, err = ParseSpecs([]string{"n=count()", "s=sum("})
	if err == nil || !strings.Contains(err.Error(), `"s=sum("`) {
		t.Errorf("bad second spec: err = %v", err)
	}
	if specs, err := ParseSpecs(nil); err != nil || len(specs) != 0 {
		t.Errorf("ParseSpecs(nil) = %v, %v", specs, err)
	}
}

func TestNewSetChecksSpecs(t *testing.T) {
	for _, tc := range []struct {
		specs []Spec
		msg   string
	}{
		{[]Spec{{"", Count, ""}}, "is not a name"},
		{[]Spec{{"a b", Count, ""}}, "is not a name"},
		{[]Spec{{"n", 0, "x"}}, "unknown function 0"},
		{[]Spec{{"n", CountDistinct + 1, "x"}}, "unknown function 7"},
		{[]Spec{{"n", Sum, ""}}, "sum needs a field"},
		{[]Spec{{"n", Count, ""}, {"n", Sum, "x"}}, `two aggregates named "n"`},
	} {
		_, err := NewSet(tc.specs)
		if err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("NewSet(%v) = %v, want an error with %q", tc.specs, err, tc.msg)
		}
	}
	s, err := NewSet([]Spec{{"n", Count, ""}, {"s", Sum, "x"}, {"a", Avg, "x"}, {"lo", Min, "x"}, {"hi", Max, "x"}, {"d", CountDistinct, "x"}, {"c", Count, "x"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(s.Names(), ","); got != "n,s,a,lo,hi,d,c" {
		t.Errorf("Names = %s", got)
	}
	// sum and avg share a sum, min and max a multiset; count(*) needs none.
	if len(s.slots) != 4 || s.words != 1+sumWords || s.sets != 2 {
		t.Errorf("slots %d, words %d, sets %d; want 4, %d, 2", len(s.slots), s.words, s.sets, 1+sumWords)
	}
}
