package weblog

import (
	"bytes"
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// checkObject fails unless value is one JSON object, in valid UTF-8, without
// a repeated key.
func checkObject(t *testing.T, value []byte) map[string]any {
	t.Helper()
	if !utf8.Valid(value) {
		t.Fatalf("output is not UTF-8: %q", value)
	}
	dec := json.NewDecoder(bytes.NewReader(value))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("output is not an object: %s", value)
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("output %s: %v", value, err)
		}
		key := tok.(string)
		if seen[key] {
			t.Fatalf("output repeats key %q: %s", key, value)
		}
		seen[key] = true
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("output %s: %v", value, err)
		}
	}
	var obj map[string]any
	if err := json.Unmarshal(value, &obj); err != nil {
		t.Fatalf("output %s: %v", value, err)
	}
	return obj
}

// checkParse parses line twice with p and checks a success gives a sound
// object, the same both times.
func checkParse(t *testing.T, p *parser, line []byte) (map[string]any, bool) {
	t.Helper()
	got, err := p.parse(line)
	if err != nil {
		if !utf8.ValidString(err.Error()) {
			t.Fatalf("error message is not UTF-8: %q", err.Error())
		}
		return nil, false
	}
	obj := checkObject(t, got.value)
	again, err := p.parse(line)
	if err != nil || !bytes.Equal(again.value, got.value) {
		t.Fatalf("second parse differs: %s / %v, first %s", again.value, err, got.value)
	}
	return obj, true
}

func FuzzParseCombined(f *testing.F) {
	for _, s := range []string{
		`127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"`,
		`2001:db8::1 - - [01/Jan/2024:00:00:00 +0000] "POST /t.gif?x=1&y=%E2%9C%93&x=2 HTTP/2.0" 201 0 "-" "-"`,
		`192.0.2.7 - - [10/Oct/2000:13:55:36 -0700] "\x16\x03\x01\x00\xA5" 400 157 "-" "caf\xE9 \x22q\x22"`,
		`192.0.2.7 - - [10/Oct/2000:13:55:36 -0700] "" 400 0 "-" "-"`,
		`1 - - [29/Feb/2024:23:59:59 +0530] "GET /t.gif?=&&a HTTP/1.1" 200 43 "" ""`,
	} {
		f.Add(s)
	}
	p := newTestParser(f, formatCombined, "", "", "/t.gif")
	f.Fuzz(func(t *testing.T, line string) {
		obj, ok := checkParse(t, p, []byte(line))
		if !ok {
			return
		}
		if _, ok := obj["time"].(string); !ok {
			t.Fatalf("combined line without a time: %v", obj)
		}
		if _, ok := obj["status"].(float64); !ok {
			t.Fatalf("combined line without a numeric status: %v", obj)
		}
	})
}

func FuzzParseCustom(f *testing.F) {
	for _, s := range []struct{ format, line string }{
		{`$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time`,
			`::1 - - [05/Mar/2025:08:09:10 +0100] "GET /x HTTP/1.1" 200 2 "-" "Go-http-client/1.1" 0.005`},
		{`$time_iso8601 ${remote_addr} "$request_method $request_uri" $status rt=$request_time host=$host`,
			`2024-06-01T12:00:00+02:00 192.0.2.1 "GET /t.gif?a=1" 200 rt=0.120 host=shop.example`},
		{`$msec [$time_local] $status $uri?$args`, `1700000000.123 [14/Nov/2023:23:13:20 +0100] 204 /t.gif?a=1`},
		{`$time_local $remote_addr`, `14/Nov/2023:23:13:20 +0100 10.0.0.1`},
		{`"$request" "$request" $request_uri`, `"GET / HTTP/1.1" "x" /a?b`},
		{`${a}|$b|$status`, `x|\x22|200`},
	} {
		f.Add(s.format, s.line)
	}
	f.Fuzz(func(t *testing.T, format, line string) {
		for _, escape := range []string{escapeDefault, escapeJSON, escapeNone} {
			tf, err := compileFormat(format, escape)
			if err != nil {
				return
			}
			p := &parser{format: tf, name: formatCustom, beacons: beacons{paths: [][]byte{[]byte("/t.gif")}, repeated: repeatedArray}}
			checkParse(t, p, []byte(line))
		}
	})
}

func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{
		"ev=click&uid=42&q=caf%C3%A9+au+lait",
		"a=1&a=2&a=3&b",
		"=x&&%zz=1&k=%FF&k=%E2%9C",
		"%41%42=%43;d=e",
		"x=%2",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		if !utf8.ValidString(q) {
			return // lines are checked before they are parsed
		}
		var ev event
		ev.reset()
		parseQuery([]byte(q), repeatedArray, &ev)
		checkObject(t, ev.appendJSON(nil))

		pairs := 0
		for pair := range strings.SplitSeq(q, "&") {
			if k, _, _ := strings.Cut(pair, "="); k != "" {
				pairs++
			}
		}
		n := 0
		for _, p := range ev.params {
			n += len(p.vals)
			if !utf8.Valid(p.key) || len(p.key) == 0 {
				t.Fatalf("key %q", p.key)
			}
		}
		if n != pairs {
			t.Fatalf("%d values from %d pairs", n, pairs)
		}

		// Where net/url can decode the query, the results agree.
		want, err := url.ParseQuery(q)
		if err != nil || strings.Contains(q, ";") {
			return
		}
		for k, vs := range want {
			if !utf8.ValidString(k) || slices.ContainsFunc(vs, func(v string) bool { return !utf8.ValidString(v) }) {
				return // kept encoded here, by design
			}
		}
		delete(want, "")
		if len(want) != len(ev.params) {
			t.Fatalf("%d keys, net/url finds %d: %v", len(ev.params), len(want), want)
		}
		for _, p := range ev.params {
			var got []string
			for _, v := range p.vals {
				got = append(got, string(v))
			}
			if !slices.Equal(got, want[string(p.key)]) {
				t.Fatalf("key %q: %q, net/url %q", p.key, got, want[string(p.key)])
			}
		}
	})
}

func FuzzParseJSON(f *testing.F) {
	for _, s := range []string{
		`{"remote_addr":"::1","time_iso8601":"2024-01-01T10:00:00+02:00","request":"GET /t.gif?ev=view HTTP/1.1","status":200,"body_bytes_sent":43,"http_user_agent":"Go \"x\" ✓","request_time":0.000}`,
		`{"time":"10/Oct/2000:13:55:36 -0700","status":"404","x":[1,{"y":null}],"x":2}`,
		`{"msec":"1700000000.123","request_uri":"/a?b=c","uri":"/a"}`,
		`[1]`,
	} {
		f.Add(s)
	}
	p := newTestParser(f, formatJSON, "", "", "/t.gif")
	f.Fuzz(func(t *testing.T, line string) {
		checkParse(t, p, []byte(line))
	})
}
