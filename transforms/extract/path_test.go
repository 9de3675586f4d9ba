package extract

import (
	"reflect"
	"strings"
	"testing"
)

func key(k string) segment   { return segment{key: k, index: -1} }
func index(i int) segment    { return segment{index: i} }
func segs(s ...segment) Path { return Path{segs: s} }

func TestParsePath(t *testing.T) {
	cases := []struct {
		in    string
		want  Path
		canon string
	}{
		{"data.msg.msg_data.target_id", segs(key("data"), key("msg"), key("msg_data"), key("target_id")), "data.msg.msg_data.target_id"},
		{"$.data.userid", segs(key("data"), key("userid")), "data.userid"},
		{"$data", segs(key("$data")), "$data"},
		{"_id.$oid", segs(key("_id"), key("$oid")), "_id.$oid"},
		{"$['$']", segs(key("$")), "['$']"},
		{"$[0]", segs(index(0)), "[0]"},
		{"[2][10]", segs(index(2), index(10)), "[2][10]"},
		{"items[0].name", segs(key("items"), index(0), key("name")), "items[0].name"},
		{"a['b.c'].d", segs(key("a"), key("b.c"), key("d")), "a['b.c'].d"},
		{`["a b"]["x\"y"]`, segs(key("a b"), key(`x"y`)), `['a b']['x"y']`},
		{`['it\'s']['back\\slash']`, segs(key("it's"), key(`back\slash`)), `['it\'s']['back\\slash']`},
		{`['']`, segs(key("")), `['']`},
		{"café.😀", segs(key("café"), key("😀")), "café.😀"},
		{"a-b.c:d", segs(key("a-b"), key("c:d")), "a-b.c:d"},
		{"['0']", segs(key("0")), "0"},
		{"a['0']", segs(key("a"), key("0")), "a.0"},
		{"a[2147483647]", segs(key("a"), index(2147483647)), "a[2147483647]"},
	}
	for _, tc := range cases {
		p, err := ParsePath(tc.in)
		if err != nil {
			t.Errorf("ParsePath(%q): %v", tc.in, err)
			continue
		}
		if !reflect.DeepEqual(p, tc.want) {
			t.Errorf("ParsePath(%q) = %#v, want %#v", tc.in, p, tc.want)
		}
		if got := p.String(); got != tc.canon {
			t.Errorf("ParsePath(%q).String() = %q, want %q", tc.in, got, tc.canon)
		}
	}
}

func TestParsePathErrors(t *testing.T) {
	cases := []struct{ in, err string }{
		{"", "empty path"},
		{"$", "names no field"},
		{"$.", "missing key at the end at offset 2"},
		{"a.", "missing key at the end at offset 2"},
		{".a", "empty key before '.' at offset 0"},
		{"a..b", "empty key before '.' at offset 2"},
		{"a.[0]", "empty key before '[' at offset 2"},
		{"a b", `unexpected ' ' in a key (quote such keys: ['a b']) at offset 1`},
		{"a]", `unexpected ']' in a key`},
		{`a"b`, `unexpected '"' in a key`},
		{"a\tb", `unexpected '\t' in a key`},
		{"a[", "unterminated [ at offset 2"},
		{"a[0", "missing ] at offset 3"},
		{"a[0x]", "unexpected 'x', want ] at offset 3"},
		{"a[01]", "index 01 has a leading zero at offset 2"},
		{"a[-1]", "negative index at offset 2"},
		{"a[99999999999]", "index 99999999999 is too large at offset 2"},
		{"a[x]", "unexpected 'x' after [, want an index or a quoted key at offset 2"},
		{"a[]", "unexpected ']' after ["},
		{"a['b]", "unterminated quoted key at offset 2"},
		{`a['b\`, "unterminated quoted key at offset 2"},
		{`a['b\n']`, `invalid escape \n in a quoted key (only \\, \' and \") at offset 4`},
		{"a['b'", "missing ] at offset 5"},
		{"a['b']c", "unexpected 'c', want . or [ at offset 6"},
		{"$x.", "missing key at the end at offset 3"},
	}
	for _, tc := range cases {
		_, err := ParsePath(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.err) {
			t.Errorf("ParsePath(%q) error %v, want one with %q", tc.in, err, tc.err)
			continue
		}
		if !strings.HasPrefix(err.Error(), "invalid path ") {
			t.Errorf("ParsePath(%q) error %q does not say it is a path", tc.in, err)
		}
	}
}

func TestPathLastKey(t *testing.T) {
	for in, want := range map[string]string{
		"data.msg.action": "action",
		"id":              "id",
		"items[0]":        "",
		"a['b.c']":        "",
		"['$']":           "",
		"a.$":             "$",
	} {
		p, err := ParsePath(in)
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if got := p.LastKey(); got != want {
			t.Errorf("LastKey(%s) = %q, want %q", in, got, want)
		}
	}
}
