package lookup

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// An instant is written in UTC whatever zone pgx decoded it in (its
// process's local one); a wall time keeps its digits.
func TestTimesAreRFC3339(t *testing.T) {
	shanghai := time.FixedZone("CST", 8*3600)
	at := time.Date(2024, 5, 1, 16, 0, 0, 500_000_000, shanghai)
	for _, c := range []struct {
		k    kind
		h    any
		want string
	}{
		{kindTimestamptz, &pgtype.Timestamptz{Time: at, Valid: true}, "2024-05-01T08:00:00.5Z"},
		{kindTimestamptz, &pgtype.Timestamptz{InfinityModifier: pgtype.NegativeInfinity, Valid: true}, "-infinity"},
		{kindTimestamp, &pgtype.Timestamp{Time: time.Date(2024, 5, 1, 16, 0, 0, 0, time.UTC), Valid: true}, "2024-05-01T16:00:00"},
		{kindDate, &pgtype.Date{Time: time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC), Valid: true}, "2024-05-01"},
		{kindDate, &pgtype.Date{}, ""},
	} {
		v := c.k.decode(c.h)
		if got := v.Text(); got != c.want {
			t.Errorf("%T: %q, want %q", c.h, got, c.want)
		}
	}
}

func TestNumericAndJSONText(t *testing.T) {
	for _, c := range []struct {
		in   string
		json bool
		want string // kind and text
	}{
		{"42", false, "long 42"},
		{"-0", false, "long 0"},
		{"12.00", false, "number 12.00"},
		{"9223372036854775808", false, "number 9223372036854775808"},
		{"NaN", false, "null"},
		{"-Infinity", false, "null"},
		{`{"a": 1}`, true, `json {"a": 1}`},
		{` [1,2] `, true, `json [1,2]`},
		{`"a\nb"`, true, "string a\nb"},
		{`true`, true, "boolean true"},
		{`false`, true, "boolean false"},
		{`null`, true, "null"},
		{`1e3`, true, "number 1e3"},
		{`-5`, true, "long -5"},
	} {
		v := numericValue(c.in)
		if c.json {
			v = jsonValue(c.in)
		}
		got := "null"
		if !v.IsNull() {
			got = v.Kind().String() + " " + v.Text()
		}
		if got != c.want {
			t.Errorf("%q: %s, want %s", c.in, got, c.want)
		}
	}
}

// Whatever JSON document the server sends, its value writes valid JSON
// equal to it.
func FuzzJSONValue(f *testing.F) {
	for _, s := range []string{`{"a":[1,2]}`, `"x\"y"`, `12.5`, `-1`, `true`, `null`, `"\u00e9"`, `[]`, `1e400`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, doc string) {
		var want any
		if json.Unmarshal([]byte(doc), &want) != nil {
			return // the server sends only valid JSON
		}
		out := jsonValue(doc).AppendJSON(nil)
		var got any
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("%q became invalid JSON %q: %v", doc, out, err)
		}
		if !sameJSON(want, got) {
			t.Fatalf("%q became %q", doc, out)
		}
	})
}

// sameJSON compares decoded documents, numbers by value (-0 is 0).
func sameJSON(a, b any) bool {
	switch a := a.(type) {
	case map[string]any:
		b, ok := b.(map[string]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for k, v := range a {
			if w, ok := b[k]; !ok || !sameJSON(v, w) {
				return false
			}
		}
		return true
	case []any:
		b, ok := b.([]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if !sameJSON(a[i], b[i]) {
				return false
			}
		}
		return true
	}
	return a == b
}
