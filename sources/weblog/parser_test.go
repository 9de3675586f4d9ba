package weblog

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// newTestParser builds a parser as Open would, from config keys.
func newTestParser(t testing.TB, format, logFormat, escape string, beaconPaths ...string) *parser {
	t.Helper()
	c := Config{Format: format, LogFormat: logFormat, LogEscape: escape, BeaconPaths: beaconPaths, BeaconRepeated: repeatedArray}
	if c.LogEscape == "" {
		c.LogEscape = escapeDefault
	}
	p, err := newParser(&c)
	if err != nil {
		t.Fatalf("newParser: %v", err)
	}
	return p
}

type parseCase struct {
	name string
	line string
	want string // the exact JSON object, or "" when the line must fail
	err  string // a part of the error, when it must fail
	time string // the record time, RFC 3339, when the format has one
}

func runParseCases(t *testing.T, p *parser, cases []parseCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := p.parse([]byte(tc.line))
			if tc.want == "" {
				if err == nil {
					t.Fatalf("parse accepted the line: %s", got.value)
				}
				if !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %q does not mention %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if string(got.value) != tc.want {
				t.Fatalf("value\n got %s\nwant %s", got.value, tc.want)
			}
			if !json.Valid(got.value) {
				t.Fatalf("value is not JSON: %s", got.value)
			}
			if tc.time != "" {
				want, err := time.Parse(time.RFC3339Nano, tc.time)
				if err != nil {
					t.Fatal(err)
				}
				if !got.hasTime || !got.time.Equal(want) {
					t.Fatalf("time = %v (%v), want %v", got.time, got.hasTime, want)
				}
				_, gotOff := got.time.Zone()
				_, wantOff := want.Zone()
				if gotOff != wantOff {
					t.Fatalf("time zone offset = %d, want %d", gotOff, wantOff)
				}
			}
		})
	}
}

func TestParseCombined(t *testing.T) {
	p := newTestParser(t, formatCombined, "", "", "/t.gif", "/collect")
	runParseCases(t, p, []parseCase{
		{
			name: "apache docs example",
			line: `127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326 "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)"`,
			want: `{"remote_addr":"127.0.0.1","remote_user":"frank","time":"2000-10-10T13:55:36-07:00","method":"GET","path":"/apache_pb.gif","protocol":"HTTP/1.0","status":200,"bytes":2326,"referer":"http://www.example.com/start.html","user_agent":"Mozilla/4.08 [en] (Win98; I ;Nav)"}`,
			time: "2000-10-10T13:55:36-07:00",
		},
		{
			name: "dash is empty, IPv6, UTC",
			line: `2001:db8::1 - - [01/Jan/2024:00:00:00 +0000] "POST /api/v1/items?x=1&y= HTTP/2.0" 201 0 "-" "-"`,
			want: `{"remote_addr":"2001:db8::1","time":"2024-01-01T00:00:00Z","method":"POST","path":"/api/v1/items","query":"x=1&y=","protocol":"HTTP/2.0","status":201,"bytes":0}`,
			time: "2024-01-01T00:00:00Z",
		},
		{
			name: "IPv4-mapped IPv6 and a half-hour zone",
			line: `::ffff:10.0.0.1 - - [29/Feb/2024:23:59:59 +0530] "HEAD / HTTP/1.1" 304 0 "-" "kube-probe/1.29"`,
			want: `{"remote_addr":"::ffff:10.0.0.1","time":"2024-02-29T23:59:59+05:30","method":"HEAD","path":"/","protocol":"HTTP/1.1","status":304,"bytes":0,"user_agent":"kube-probe/1.29"}`,
		},
		{
			name: "nginx escapes decoded",
			line: `10.1.2.3 - - [10/Oct/2000:13:55:36 -0700] "GET /s?q=\x22x\x22 HTTP/1.1" 200 5 "-" "Mozilla \x22quoted\x22 back\x5Cslash \xE2\x9C\x93"`,
			want: `{"remote_addr":"10.1.2.3","time":"2000-10-10T13:55:36-07:00","method":"GET","path":"/s","query":"q=\"x\"","protocol":"HTTP/1.1","status":200,"bytes":5,"user_agent":"Mozilla \"quoted\" back\\slash ✓"}`,
		},
		{
			name: "escapes that are not UTF-8 are kept as written",
			line: `10.1.2.3 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5 "-" "caf\xE9"`,
			want: `{"remote_addr":"10.1.2.3","time":"2000-10-10T13:55:36-07:00","method":"GET","path":"/","protocol":"HTTP/1.1","status":200,"bytes":5,"user_agent":"caf\\xE9"}`,
		},
		{
			name: "control characters escaped in JSON",
			line: `10.1.2.3 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 200 5 "-" "a\x0Ab\x09c\x01"`,
			want: `{"remote_addr":"10.1.2.3","time":"2000-10-10T13:55:36-07:00","method":"GET","path":"/","protocol":"HTTP/1.1","status":200,"bytes":5,"user_agent":"a\nb\tc\u0001"}`,
		},
		{
			name: "TLS handshake on the plain port is kept as request",
			line: `192.0.2.7 - - [10/Oct/2000:13:55:36 -0700] "\x16\x03\x01\x00\xA5\x01\x00" 400 157 "-" "-"`,
			want: `{"remote_addr":"192.0.2.7","time":"2000-10-10T13:55:36-07:00","request":"\\x16\\x03\\x01\\x00\\xA5\\x01\\x00","status":400,"bytes":157}`,
		},
		{
			name: "empty request line",
			line: `192.0.2.7 - - [10/Oct/2000:13:55:36 -0700] "" 400 0 "-" "-"`,
			want: `{"remote_addr":"192.0.2.7","time":"2000-10-10T13:55:36-07:00","status":400,"bytes":0}`,
		},
		{
			name: "HTTP/0.9 request without protocol",
			line: `192.0.2.7 - - [10/Oct/2000:13:55:36 -0700] "GET /old" 200 3 "-" "-"`,
			want: `{"remote_addr":"192.0.2.7","time":"2000-10-10T13:55:36-07:00","method":"GET","path":"/old","status":200,"bytes":3}`,
		},
		{
			name: "user name with a space and brackets",
			line: `192.0.2.7 - john doe [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.1" 401 0 "-" "-"`,
			want: `{"remote_addr":"192.0.2.7","remote_user":"john doe","time":"2000-10-10T13:55:36-07:00","method":"GET","path":"/","protocol":"HTTP/1.1","status":401,"bytes":0}`,
		},
		{
			name: "beacon",
			line: `203.0.113.9 - - [10/Oct/2000:13:55:36 -0700] "GET /t.gif?ev=click&uid=42&q=caf%C3%A9+au+lait&tag=a&tag=b&flag&=x&bad=%ZZ&raw=%FF HTTP/1.1" 200 43 "https://shop.example/p?id=1" "Mozilla/5.0"`,
			want: `{"remote_addr":"203.0.113.9","time":"2000-10-10T13:55:36-07:00","method":"GET","path":"/t.gif","query":"ev=click&uid=42&q=caf%C3%A9+au+lait&tag=a&tag=b&flag&=x&bad=%ZZ&raw=%FF","protocol":"HTTP/1.1","status":200,"bytes":43,"referer":"https://shop.example/p?id=1","user_agent":"Mozilla/5.0","params":{"ev":"click","uid":"42","q":"café au lait","tag":["a","b"],"flag":"","bad":"%ZZ","raw":"%FF"}}`,
		},
		{
			name: "beacon path needs an exact match",
			line: `203.0.113.9 - - [10/Oct/2000:13:55:36 -0700] "GET /t.gif.bak?ev=click HTTP/1.1" 404 0 "-" "-"`,
			want: `{"remote_addr":"203.0.113.9","time":"2000-10-10T13:55:36-07:00","method":"GET","path":"/t.gif.bak","query":"ev=click","protocol":"HTTP/1.1","status":404,"bytes":0}`,
		},
		{
			name: "beacon without query",
			line: `203.0.113.9 - - [10/Oct/2000:13:55:36 -0700] "GET /collect HTTP/1.1" 200 43 "-" "-"`,
			want: `{"remote_addr":"203.0.113.9","time":"2000-10-10T13:55:36-07:00","method":"GET","path":"/collect","protocol":"HTTP/1.1","status":200,"bytes":43}`,
		},
		{name: "truncated line", line: `127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 23`, err: `no " \"" after $body_bytes_sent`},
		{name: "cut inside a quoted value", line: `127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HT`, err: `no "\" " after $request`},
		{name: "status not a number", line: `127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" OK 1 "-" "-"`, err: "$status: not a number"},
		{name: "no such date", line: `127.0.0.1 - - [31/Jun/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1 "-" "-"`, err: "$time_local"},
		{name: "bad month", line: `127.0.0.1 - - [10/Foo/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1 "-" "-"`, err: "$time_local"},
		{name: "trailing data (main format)", line: `127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1 "-" "-" "1.2.3.4"`, err: "after the end of the format"},
		{name: "invalid UTF-8", line: "127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET /\xff HTTP/1.0\" 200 1 \"-\" \"-\"", err: "not valid UTF-8 at byte 49"},
		{name: "binary garbage", line: "\x00\x01\x02PK\x03\x04 garbage", err: "does not match the combined format"},
		{name: "another format", line: `{"remote_addr":"1.2.3.4"}`, err: "does not match the combined format"},
	})
}

func TestParseCustom(t *testing.T) {
	t.Run("combined with request time", func(t *testing.T) {
		p := newTestParser(t, formatCustom, `$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time`, "")
		runParseCases(t, p, []parseCase{
			{
				name: "good",
				line: `::1 - - [05/Mar/2025:08:09:10 +0100] "GET /x HTTP/1.1" 200 2 "-" "Go-http-client/1.1" 0.005`,
				want: `{"remote_addr":"::1","time":"2025-03-05T08:09:10+01:00","method":"GET","path":"/x","protocol":"HTTP/1.1","status":200,"bytes":2,"user_agent":"Go-http-client/1.1","request_time":0.005}`,
				time: "2025-03-05T08:09:10+01:00",
			},
			{name: "bad request time", line: `::1 - - [05/Mar/2025:08:09:10 +0100] "GET /x HTTP/1.1" 200 2 "-" "Go" 1e3`, err: "$request_time: not a number"},
			{name: "missing request time", line: `::1 - - [05/Mar/2025:08:09:10 +0100] "GET /x HTTP/1.1" 200 2 "-" "Go"`, err: `no "\" " after $http_user_agent`},
		})
	})
	t.Run("other variables, braces, iso time", func(t *testing.T) {
		p := newTestParser(t, formatCustom, `$time_iso8601 ${REMOTE_ADDR} "$request_method $request_uri" $status rt=$request_time urt="$upstream_response_time" xff="$http_x_forwarded_for" host=$host`, "", "/t.gif")
		runParseCases(t, p, []parseCase{
			{
				name: "good",
				line: `2024-06-01T12:00:00+02:00 192.0.2.1 "GET /t.gif?a=1&b=%E2%9C%93" 200 rt=0.120 urt="0.100, 0.020" xff="198.51.100.1, 10.0.0.1" host=shop.example`,
				want: `{"time":"2024-06-01T12:00:00+02:00","remote_addr":"192.0.2.1","method":"GET","path":"/t.gif","query":"a=1&b=%E2%9C%93","status":200,"request_time":0.12,"upstream_response_time":"0.100, 0.020","http_x_forwarded_for":"198.51.100.1, 10.0.0.1","host":"shop.example","params":{"a":"1","b":"✓"}}`,
				time: "2024-06-01T12:00:00+02:00",
			},
			{
				name: "empty values",
				line: `2024-06-01T12:00:00Z 192.0.2.1 "GET /" 200 rt=0.000 urt="-" xff="-" host=-`,
				want: `{"time":"2024-06-01T12:00:00Z","remote_addr":"192.0.2.1","method":"GET","path":"/","status":200,"request_time":0}`,
			},
		})
	})
	t.Run("msec and a time variable twice", func(t *testing.T) {
		p := newTestParser(t, formatCustom, `$msec [$time_local] $status`, "")
		runParseCases(t, p, []parseCase{
			{
				name: "good",
				line: `1700000000.123 [14/Nov/2023:23:13:20 +0100] 204`,
				want: `{"time":"2023-11-14T22:13:20.123Z","time_local":"14/Nov/2023:23:13:20 +0100","status":204}`,
				time: "2023-11-14T22:13:20.123Z",
			},
			{name: "bad msec", line: `17000x0000.123 [14/Nov/2023:23:13:20 +0100] 204`, err: "$msec"},
		})
	})
	t.Run("time_local followed by a space", func(t *testing.T) {
		p := newTestParser(t, formatCustom, `$time_local $remote_addr $status`, "")
		runParseCases(t, p, []parseCase{{
			name: "good",
			line: `14/Nov/2023:23:13:20 +0100 10.0.0.1 200`,
			want: `{"time":"2023-11-14T23:13:20+01:00","remote_addr":"10.0.0.1","status":200}`,
		}})
	})
	t.Run("escape=json", func(t *testing.T) {
		p := newTestParser(t, formatCustom, `$remote_addr "$request" "$http_user_agent"`, escapeJSON)
		runParseCases(t, p, []parseCase{
			{
				name: "quotes and unicode",
				line: `10.0.0.1 "GET /a HTTP/1.1" "say \"hi\" \\ \u00e9 ✓ \ud83d\ude00 \n"`,
				want: `{"remote_addr":"10.0.0.1","method":"GET","path":"/a","protocol":"HTTP/1.1","user_agent":"say \"hi\" \\ é ✓ 😀 \n"}`,
			},
			{
				name: "malformed escape kept as written",
				line: `10.0.0.1 "GET /a HTTP/1.1" "bad \q"`,
				want: `{"remote_addr":"10.0.0.1","method":"GET","path":"/a","protocol":"HTTP/1.1","user_agent":"bad \\q"}`,
			},
		})
	})
	t.Run("escape=none", func(t *testing.T) {
		p := newTestParser(t, formatCustom, `$remote_addr|$request_body|$status`, escapeNone)
		runParseCases(t, p, []parseCase{{
			name: "raw value",
			line: `10.0.0.1|{"a":"\x22"}|200`,
			want: `{"remote_addr":"10.0.0.1","request_body":"{\"a\":\"\\x22\"}","status":200}`,
		}})
	})
}

func TestCompileFormatErrors(t *testing.T) {
	for format, want := range map[string]string{
		"":                 "empty",
		"$a$b":             "directly follows",
		"$remote_addr $":   `"$" not followed`,
		"${remote_addr":    `without "}"`,
		"${}":              "empty variable name",
		"${a-b}":           "invalid variable name",
		"\xff $status":     "not valid UTF-8",
		`$status${status}`: "directly follows",
	} {
		_, err := compileFormat(format, escapeDefault)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("compileFormat(%q) = %v, want an error with %q", format, err, want)
		}
	}
}

func TestParseJSON(t *testing.T) {
	p := newTestParser(t, formatJSON, "", "", "/t.gif")
	runParseCases(t, p, []parseCase{
		{
			name: "nginx escape=json line",
			line: `{"remote_addr":"::1","time_iso8601":"2024-01-01T10:00:00+02:00","request":"GET /t.gif?ev=view&u=%E2%82%AC HTTP/1.1","status":200,"body_bytes_sent":43,"http_referer":"","http_user_agent":"Go \"x\" ✓","request_time":0.000,"upstream":"-","n":1.5,"ok":true,"nested":{"a":[1]}}`,
			want: `{"remote_addr":"::1","time":"2024-01-01T10:00:00+02:00","method":"GET","path":"/t.gif","query":"ev=view&u=%E2%82%AC","protocol":"HTTP/1.1","status":200,"bytes":43,"user_agent":"Go \"x\" ✓","request_time":0,"upstream":"-","n":1.5,"ok":true,"nested":{"a":[1]},"params":{"ev":"view","u":"€"}}`,
			time: "2024-01-01T10:00:00+02:00",
		},
		{
			name: "status as a string, time_local, output names as keys",
			line: ` {"time":"10/Oct/2000:13:55:36 -0700", "status":"404", "bytes":"0", "user_agent":"curl", "path":"/x", "method":"GET", "remote_user":null} `,
			want: `{"time":"2000-10-10T13:55:36-07:00","status":404,"bytes":0,"user_agent":"curl","path":"/x","method":"GET"}`,
		},
		{
			name: "repeated keys keep the first",
			line: `{"status":200,"status":500,"x":"a","x":"b"}`,
			want: `{"status":200,"x":"a"}`,
		},
		{name: "not an object", line: `["a"]`, err: "not a JSON object"},
		{name: "truncated", line: `{"status":200,"request":"GET / HT`, err: "invalid JSON"},
		{name: "two objects", line: `{"status":200}{"status":201}`, err: "data after the JSON object"},
		{name: "status not a number", line: `{"status":"two hundred"}`, err: `"status": $status: not a number`},
		{name: "object for a known key", line: `{"status":{"code":200}}`, err: "want a string or a number"},
		{name: "combined line", line: `127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 1 "-" "-"`, err: "not a JSON object"},
	})
}

func TestKeyField(t *testing.T) {
	line := []byte(`203.0.113.9 - - [10/Oct/2000:13:55:36 -0700] "GET /t.gif?uid=42&uid=43 HTTP/1.1" 200 43 "-" "-"`)
	for field, want := range map[string]string{
		"remote_addr": "203.0.113.9",
		"status":      "200",
		"time":        "2000-10-10T13:55:36-07:00",
		"params.uid":  "42",
		"referer":     "", // absent: no key
		"params.none": "",
	} {
		c := Config{Format: formatCombined, KeyField: field, BeaconPaths: []string{"/t.gif"}, BeaconRepeated: repeatedArray}
		p, err := newParser(&c)
		if err != nil {
			t.Fatal(err)
		}
		got, err := p.parse(line)
		if err != nil {
			t.Fatal(err)
		}
		if string(got.key) != want || (want == "" && got.key != nil) {
			t.Errorf("key.field=%s: key %q, want %q", field, got.key, want)
		}
	}
}

func TestParseQueryRepeated(t *testing.T) {
	for mode, want := range map[string]string{
		repeatedArray: `{"a":["1","2","3"],"b":"x"}`,
		repeatedFirst: `{"a":"1","b":"x"}`,
		repeatedLast:  `{"a":"3","b":"x"}`,
	} {
		var ev event
		ev.reset()
		parseQuery([]byte("a=1&b=x&a=2&a=3"), mode, &ev)
		got := string(ev.appendJSON(nil))
		if got != `{"params":`+want+`}` {
			t.Errorf("%s: %s, want params %s", mode, got, want)
		}
	}
}

func TestParserReuseDoesNotLeak(t *testing.T) {
	// The event and its scratch are reused from line to line: an earlier
	// line's values must not show through in a later one.
	p := newTestParser(t, formatCombined, "", "", "/t.gif")
	first := `1.1.1.1 - - [10/Oct/2000:13:55:36 -0700] "GET /t.gif?a=%41%42&b=1&b=2 HTTP/1.1" 200 1 "-" "x\x22y"`
	second := `2.2.2.2 - - [10/Oct/2000:13:55:37 -0700] "GET /t.gif?c=3 HTTP/1.1" 200 1 "-" "-"`
	a, err := p.parse([]byte(first))
	if err != nil {
		t.Fatal(err)
	}
	keep := string(a.value)
	b, err := p.parse([]byte(second))
	if err != nil {
		t.Fatal(err)
	}
	if string(a.value) != keep {
		t.Fatalf("the first value changed when parsing the second line: %s", a.value)
	}
	want := `{"remote_addr":"2.2.2.2","time":"2000-10-10T13:55:37-07:00","method":"GET","path":"/t.gif","query":"c=3","protocol":"HTTP/1.1","status":200,"bytes":1,"params":{"c":"3"}}`
	if string(b.value) != want {
		t.Fatalf("second line\n got %s\nwant %s", b.value, want)
	}
}
