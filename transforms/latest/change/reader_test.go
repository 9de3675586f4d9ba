package change

import (
	"strings"
	"testing"
	"time"

	"github.com/tributarydata/tributary/transforms/extract"
	"github.com/tributarydata/tributary/transforms/timefmt"
	"github.com/tributarydata/tributary/transforms/value"
)

func newReader(t testing.TB, fields string, times ...string) *Reader {
	t.Helper()
	var specs []extract.Spec
	for item := range strings.SplitSeq(fields, ",") {
		s, err := extract.ParseSpec(item)
		if err != nil {
			t.Fatal(err)
		}
		specs = append(specs, s)
	}
	tfs, err := ParseTimeFields(times, specs)
	if err != nil {
		t.Fatal(err)
	}
	in, _ := timefmt.Parse("yyyy-MM-dd HH:mm:ss")
	r, err := NewReader(specs, Options{Times: tfs, TimeIn: in, Zone: time.UTC, MaxDepth: 8})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func text(row *value.Row) string {
	if row.Len() == 0 {
		return "-"
	}
	return string(row.AppendJSON(nil))
}

func TestRead(t *testing.T) {
	cases := []struct {
		name, fields, in string
		op               Op
		before, after    string // "-": none
		err              string
	}{
		{name: "plain row", fields: "id:long,name", in: `{"name":"a","id":"5","x":{"op":"c"}}`,
			after: `{"id":5,"name":"a"}`},
		{name: "create", fields: "id:long,name", in: `{"before":null,"after":{"id":5,"name":"a"},"op":"c"}`,
			op: Create, after: `{"id":5,"name":"a"}`},
		{name: "update", fields: "id:long,name", in: `{"op":"u","before":{"id":5,"name":"a"},"after":{"id":5,"name":"b"},"source":{"x":[1]}}`,
			op: Update, before: `{"id":5,"name":"a"}`, after: `{"id":5,"name":"b"}`},
		{name: "delete", fields: "id:long,name", in: `{"op":"d","before":{"id":5,"name":"a"},"after":null}`,
			op: Delete, before: `{"id":5,"name":"a"}`},
		{name: "snapshot read, after absent fields null", fields: "id:long,name", in: `{"op":"r","after":{"id":5}}`,
			op: Read, after: `{"id":5,"name":null}`},
		{name: "nested paths inside the rows", fields: "id=data.id:long,tag=tags[1]", in: `{"op":"u","before":{"data":{"id":1},"tags":["a","b"]},"after":{"data":"{\"id\":2}"}}`,
			op: Update, before: `{"id":1,"tag":"b"}`, after: `{"id":2,"tag":null}`},
		{name: "quoted keys inside the rows", fields: "n=['a.b']:long", in: `{"op":"c","after":{"a.b":3}}`,
			op: Create, after: `{"n":3}`},
		{name: "an op without rows is a plain row", fields: "op,id", in: `{"op":"c","id":1}`,
			after: `{"op":"c","id":1}`},
		{name: "a before that is a string is no envelope", fields: "op,before", in: `{"op":"c","before":"{}"}`,
			after: `{"op":"c","before":"{}"}`},
		{name: "a field of the root that fails on an envelope", fields: "op:long,id:long", in: `{"op":"u","before":{"op":1,"id":1},"after":{"op":2,"id":1}}`,
			op: Update, before: `{"op":1,"id":1}`, after: `{"op":2,"id":1}`},
		{name: "a plain row whose after column is not json", fields: "id:long", in: `{"id":1,"before":"x","after":"{nope"}`,
			after: `{"id":1}`},
		{name: "time fields", fields: "id:long,t", in: `{"op":"u","before":{"id":1,"t":null},"after":{"id":1,"t":"2024-01-15 23:10:00"}}`,
			op: Update, before: `{"id":1,"t":null,"day":null}`, after: `{"id":1,"t":"2024-01-15 23:10:00","day":"2024-01-15"}`},

		{name: "not json", fields: "id", in: `{"id":`, err: "unexpected end"},
		{name: "not an object", fields: "id", in: `[{"id":1}]`, err: "not an object"},
		{name: "too deep", fields: "id", in: `{"id":1,"x":[[[[[[[[[1]]]]]]]]]}`, err: "deep"},
		{name: "unknown op", fields: "id", in: `{"op":"x","after":{"id":1}}`, err: `unknown op "x"`},
		{name: "after an array", fields: "id", in: `{"op":"c","after":[{"id":1}]}`, err: "after is an array"},
		{name: "before a number", fields: "id", in: `{"op":"u","before":5,"after":{"id":1}}`, err: "before is a long"},
		{name: "a bad before", fields: "id:long", in: `{"op":"u","before":{"id":"x"},"after":{"id":1}}`, err: `before: id (id): "x" is not a long`},
		{name: "a bad after", fields: "id:long", in: `{"op":"u","before":{"id":1},"after":{"id":"y"}}`, err: `after: id (id): "y" is not a long`},
		{name: "a bad plain field", fields: "id:long", in: `{"id":"z"}`, err: `id (id): "z" is not a long`},
		{name: "a bad time", fields: "id:long,t", in: `{"op":"c","after":{"id":1,"t":"15.01.2024"}}`, err: "after: time field day (from t)"},
		{name: "a bad time in before", fields: "id:long,t", in: `{"op":"d","before":{"id":1,"t":7}}`, err: "before: time field day"},
		{name: "a bad plain time", fields: "id:long,t", in: `{"id":1,"t":"x"}`, err: "time field day (from t)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var times []string
			if strings.Contains(","+tc.fields+",", ",t,") {
				times = []string{"day=t:yyyy-MM-dd"}
			}
			r := newReader(t, tc.fields, times...)
			var before, after value.Row
			before.Append("kept", value.OfInt(1)) // rows are appended to
			after.Append("kept", value.OfInt(2))
			c, err := r.Read([]byte(tc.in), &before, &after)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one mentioning %q", err, tc.err)
				}
				if before.Len() != 1 || after.Len() != 1 {
					t.Fatalf("rows changed on error: %s %s", text(&before), text(&after))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			before.Fields, after.Fields = before.Fields[1:], after.Fields[1:]
			if tc.before == "" {
				tc.before = "-"
			}
			if tc.after == "" {
				tc.after = "-"
			}
			if c.Op != tc.op || text(&before) != tc.before || text(&after) != tc.after || c.HasBefore != (tc.before != "-") || c.HasAfter != (tc.after != "-") {
				t.Fatalf("op %s before %s after %s (%+v)\nwant op %s before %s after %s", c.Op, text(&before), text(&after), c, tc.op, tc.before, tc.after)
			}
		})
	}
}

func TestParseTimeFields(t *testing.T) {
	specs := []extract.Spec{{Name: "t"}, {Name: "id"}}
	good, err := ParseTimeFields([]string{" day = t : yyyy-MM-dd", "minute=t:yyyy-MM-dd HH:mm"}, specs)
	if err != nil || len(good) != 2 || good[1].Format.Layout() != "2006-01-02 15:04" || good[0].Name != "day" || good[0].Field != "t" {
		t.Fatalf("%+v, %v", good, err)
	}
	for _, bad := range [][]string{{"day"}, {"day=t"}, {"=t:yyyy"}, {"day=:yyyy"}, {"day=t:yyyy-Q"}, {"day=x:yyyy"},
		{"id=t:yyyy"}, {"d=t:yyyy", "d=t:MM"}, {"d=t:yyyy", "e=d:MM"}} {
		if _, err := ParseTimeFields(bad, specs); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestNames(t *testing.T) {
	r := newReader(t, "id:long,t", "day=t:yyyy-MM-dd")
	if got := strings.Join(r.Names(), ","); got != "id,t,day" {
		t.Fatalf("names %s", got)
	}
}
