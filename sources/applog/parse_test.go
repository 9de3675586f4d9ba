package applog

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// wantEvent is an expected event: its bytes, and a part of its error ("" when valid).
type wantEvent struct {
	data string
	line int
	err  string
}

func TestParseBatch(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		ndjson  bool
		want    []wantEvent
		bodyErr string
	}{
		{name: "array", body: `[{"a":1},{"b":2}]`, want: []wantEvent{{data: `{"a":1}`}, {data: `{"b":2}`}}},
		{name: "array with whitespace", body: " \n\t[ {\"a\" : 1 } ,\n {\"b\":[1,2]}\n]\r\n ", want: []wantEvent{{data: `{"a" : 1 }`}, {data: `{"b":[1,2]}`}}},
		{name: "empty array", body: `[]`, want: nil},
		{name: "array of non-objects", body: `[{"a":1}, 2, "x", null, true, [1]]`, want: []wantEvent{
			{data: `{"a":1}`}, {data: `2`, err: "JSON number, not an object"}, {data: `"x"`, err: "JSON string"},
			{data: `null`, err: "JSON null"}, {data: `true`, err: "JSON boolean"}, {data: `[1]`, err: "JSON array"},
		}},
		{name: "ndjson", body: "{\"a\":1}\n{\"b\":2}\n", want: []wantEvent{{data: `{"a":1}`, line: 1}, {data: `{"b":2}`, line: 2}}},
		{name: "ndjson crlf and blank lines", body: "\r\n{\"a\":1}\r\n\r\n  \n{\"b\":2}", want: []wantEvent{{data: `{"a":1}`, line: 2}, {data: `{"b":2}`, line: 5}}},
		{name: "ndjson bad lines", body: "{\"a\":1}\nnot json\n{\"b\":\n[1]\n{\"c\":3}", want: []wantEvent{
			{data: `{"a":1}`, line: 1}, {data: `not json`, line: 2, err: "line is not valid JSON"},
			{data: `{"b":`, line: 3, err: "line is not valid JSON"}, {data: `[1]`, line: 4, err: "JSON array"},
			{data: `{"c":3}`, line: 5},
		}},
		{name: "ndjson content type with one array line", body: `[{"a":1}]`, ndjson: true, want: []wantEvent{{data: `[{"a":1}]`, line: 1, err: "JSON array"}}},
		{name: "single object", body: `{"a":1}`, want: []wantEvent{{data: `{"a":1}`}}},
		{name: "pretty-printed object", body: "{\n  \"a\": 1,\n  \"b\": {\"c\": 2}\n}\n", want: []wantEvent{{data: "{\n  \"a\": 1,\n  \"b\": {\"c\": 2}\n}"}}},
		{name: "single string", body: `"hello"`, want: []wantEvent{{data: `"hello"`, err: "JSON string"}}},
		{name: "unicode and emoji", body: `[{"msg":"héllo 世界 😀","e":"\ud83d\ude00"}]`, want: []wantEvent{{data: `{"msg":"héllo 世界 😀","e":"\ud83d\ude00"}`}}},
		{name: "byte order mark", body: "\xef\xbb\xbf[{\"a\":1}]", want: []wantEvent{{data: `{"a":1}`}}},
		{name: "invalid utf-8 in array", body: "[{\"a\":\"\xff\"}]", want: []wantEvent{{data: "{\"a\":\"\xff\"}", err: "not valid UTF-8"}}},
		{name: "invalid utf-8 line", body: "{\"a\":1}\n{\"a\":\"\xc3\"}", want: []wantEvent{{data: `{"a":1}`, line: 1}, {data: "{\"a\":\"\xc3\"}", line: 2, err: "not valid UTF-8"}}},
		{name: "empty body", body: "", bodyErr: "empty body"},
		{name: "whitespace body", body: " \r\n\t\n ", bodyErr: "empty body"},
		{name: "unterminated array", body: `[{"a":1},{"b":2}`, bodyErr: "malformed JSON array"},
		{name: "trailing comma", body: `[{"a":1},]`, bodyErr: "malformed JSON array at element 1"},
		{name: "missing comma", body: `[{"a":1} {"b":2}]`, bodyErr: "malformed JSON array"},
		{name: "broken element", body: `[{"a":1},{"b":}]`, bodyErr: "malformed JSON array at element 1"},
		{name: "data after the array", body: `[{"a":1}] {"b":2}`, bodyErr: "data after the JSON array"},
		{name: "two arrays", body: "[{\"a\":1}]\n[{\"b\":2}]", bodyErr: "data after the JSON array"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events, err := parseBatch([]byte(tt.body), tt.ndjson, 100)
			if tt.bodyErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.bodyErr) {
					t.Fatalf("error %v, want one containing %q (%d events)", err, tt.bodyErr, len(events))
				}
				return
			}
			if err != nil {
				t.Fatalf("error %v", err)
			}
			if len(events) != len(tt.want) {
				t.Fatalf("%d events, want %d: %+v", len(events), len(tt.want), events)
			}
			for i, w := range tt.want {
				ev := events[i]
				if string(ev.data) != w.data || ev.line != w.line {
					t.Errorf("event %d = %q line %d, want %q line %d", i, ev.data, ev.line, w.data, w.line)
				}
				switch {
				case w.err == "" && ev.err != nil:
					t.Errorf("event %d: unexpected error %v", i, ev.err)
				case w.err != "" && (ev.err == nil || !strings.Contains(ev.err.Error(), w.err)):
					t.Errorf("event %d: error %v, want one containing %q", i, ev.err, w.err)
				}
			}
		})
	}
}

// A large body of small events splits into all of them, in order.
func TestParseBatchHuge(t *testing.T) {
	const n = 50000
	var array, lines bytes.Buffer
	array.WriteByte('[')
	for i := range n {
		if i > 0 {
			array.WriteByte(',')
		}
		ev := `{"i":` + strconv.Itoa(i) + `,"pad":"` + strings.Repeat("x", 20) + `"}`
		array.WriteString(ev)
		lines.WriteString(ev + "\n")
	}
	array.WriteByte(']')
	for name, body := range map[string][]byte{"array": array.Bytes(), "ndjson": lines.Bytes()} {
		events, err := parseBatch(body, false, n)
		if err != nil || len(events) != n {
			t.Fatalf("%s: %d events, %v; want %d", name, len(events), err, n)
		}
		if _, err := parseBatch(body, false, n-1); !strings.Contains(fmt.Sprint(err), "more than 49999 events") {
			t.Fatalf("%s: one event over the limit: %v", name, err)
		}
		for _, i := range []int{0, n / 2, n - 1} {
			if want := `{"i":` + strconv.Itoa(i) + `,`; !bytes.HasPrefix(events[i].data, []byte(want)) || events[i].err != nil {
				t.Fatalf("%s: event %d = %.30q %v", name, i, events[i].data, events[i].err)
			}
		}
	}
}
