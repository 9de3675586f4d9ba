package hbase

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

var keyRow = map[string]any{
	"id":        json.Number("1"),
	"user_id":   json.Number("18446744073709551615"),
	"room_id":   "r-9",
	"name":      "Zhāng",
	"flag":      true,
	"price":     json.Number("1234.5600"),
	"nothing":   nil,
	"obj":       map[string]any{"a": json.Number("1")},
	"arr":       []any{json.Number("1")},
	"order-id":  "o`1",
	"$weird_9":  "w",
	"it's":      "q",
	"empty_str": "",
}

func TestParseAndEval(t *testing.T) {
	tests := []struct {
		expr, canonical, want string
	}{
		{"id", "id", "1"},
		{"md5(id)", "md5(id)", "c4ca4238a0b923820dcc509a6f75849b"},
		{"  MD5 ( id ) ", "md5(id)", "c4ca4238a0b923820dcc509a6f75849b"},
		{"concat(user_id,'_',room_id)", "concat(user_id,'_',room_id)", "18446744073709551615_r-9"},
		{"md5(concat(user_id, room_id))", "md5(concat(user_id,room_id))", md5hex("18446744073709551615r-9")},
		{"upper(room_id)", "upper(room_id)", "R-9"},
		{"lower(name)", "lower(name)", "zhāng"},
		{"reverse(name)", "reverse(name)", "gnāhZ"},
		{"concat(price,'|',flag)", "concat(price,'|',flag)", "1234.5600|true"},
		{"concat('it''s', ':', `it's`)", "concat('it''s',':',`it's`)", "it's:q"},
		{"`order-id`", "`order-id`", "o`1"},
		{"$weird_9", "$weird_9", "w"},
		{"concat(id)", "concat(id)", "1"},
		{"'constant'", "'constant'", "constant"},
		{"concat(md5(id),'-',reverse(id))", "concat(md5(id),'-',reverse(id))", "c4ca4238a0b923820dcc509a6f75849b-1"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			e, err := parseExpr(tt.expr)
			if err != nil {
				t.Fatal(err)
			}
			if got := e.String(); got != tt.canonical {
				t.Errorf("String() = %q, want %q", got, tt.canonical)
			}
			got, err := e.eval(keyRow)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("eval = %q, want %q", got, tt.want)
			}
		})
	}
}

// md5hex is computed independently of the package's md5 function, with the
// standard library, so a mistake there cannot hide in the expected value.
func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestCanonicalQuoting(t *testing.T) {
	e, err := parseExpr("concat('it''s', ':', `it's`, `a``b`)")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := e.String(), "concat('it''s',':',`it's`,`a``b`)"; got != want {
		t.Fatalf("String() = %s, want %s", got, want)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		expr string
		col  int
		msg  string
	}{
		{"", 1, "empty expression: name a field, e.g. md5(id)"},
		{"   ", 4, "empty expression: name a field, e.g. md5(id)"},
		{"md5(id", 7, "expected ',' or ')' in the arguments of md5, found end of input"},
		{"md5(id))", 8, `unexpected ')' after the expression`},
		{"sha1(id)", 1, "unknown function sha1: use one of concat, lower, md5, reverse, upper"},
		{"md5(id, name)", 1, "md5 takes 1 argument(s), not 2"},
		{"concat()", 1, "concat takes at least 1 argument(s), not 0"},
		{"md5()", 1, "md5 takes 1 argument(s), not 0"},
		{"concat(a,,b)", 10, "expected a field, a 'string' or a function call, found ','"},
		{"concat(a b)", 10, "expected ',' or ')' in the arguments of concat, found 'b'"},
		{"'abc", 1, "unterminated string: missing closing '"},
		{"`abc", 1, "unterminated field name: missing closing `"},
		{"``", 1, "empty field name"},
		{"id name", 4, `unexpected 'n' after the expression`},
		{"1id", 1, "expected a field, a 'string' or a function call, found '1'"},
		{"é", 1, "expected a field, a 'string' or a function call, found 'é'"},
		{"concat('é', x y)", 15, "expected ',' or ')' in the arguments of concat, found 'y'"},
		{strings.Repeat("md5(", 40) + "id" + strings.Repeat(")", 40), 133, "nested more than 32 calls deep"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			_, err := parseExpr(tt.expr)
			var ee *ExprError
			if !errors.As(err, &ee) {
				t.Fatalf("err = %v, want an *ExprError", err)
			}
			if ee.Col != tt.col || ee.Msg != tt.msg {
				t.Fatalf("column %d %q, want column %d %q", ee.Col, ee.Msg, tt.col, tt.msg)
			}
		})
	}
}

func TestEvalErrors(t *testing.T) {
	tests := map[string]string{
		"md5(missing)":        `no field "missing"`,
		"concat(id, nothing)": `field "nothing" is null`,
		"obj":                 `field "obj" is an object, not a scalar`,
		"upper(arr)":          `field "arr" is an array, not a scalar`,
	}
	for src, want := range tests {
		e, err := parseExpr(src)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.eval(keyRow); err == nil || err.Error() != want {
			t.Errorf("%s: err = %v, want %q", src, err, want)
		}
	}
}

// FuzzParseExpr: rowkey.expression comes from users through the REST API.
// Parsing must never panic; what parses must print canonically, reparse to
// the same text and evaluate without panicking.
func FuzzParseExpr(f *testing.F) {
	for _, s := range []string{"md5(id)", "concat(user_id,'_',room_id)", "md5(concat(a,b))", "`a``b`", "'it''s'", "upper(", "concat(,)", "reverse(name)"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		e, err := parseExpr(src)
		if err != nil {
			var ee *ExprError
			if !errors.As(err, &ee) || ee.Col < 1 || ee.Col > len([]rune(src))+1 {
				t.Fatalf("%q: bad error %v", src, err)
			}
			return
		}
		canon := e.String()
		again, err := parseExpr(canon)
		if err != nil {
			t.Fatalf("%q printed as %q, which does not parse: %v", src, canon, err)
		}
		if again.String() != canon {
			t.Fatalf("%q printed as %q, reprinted as %q", src, canon, again.String())
		}
		v1, err1 := e.eval(keyRow)
		v2, err2 := again.eval(keyRow)
		if v1 != v2 || (err1 == nil) != (err2 == nil) {
			t.Fatalf("%q and its canonical form %q evaluate differently: %q/%v vs %q/%v", src, canon, v1, err1, v2, err2)
		}
	})
}
