package applog

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// FuzzParseBatch feeds request bodies, raw or gzipped, through everything a
// client's bytes meet before they are queued: decompression with its bound,
// the split into events and the building of records.
func FuzzParseBatch(f *testing.F) {
	for _, seed := range []string{
		`[{"type":"qos","id":"e1","ts":1700000000000},{"type":"signal","meta":{"kind":"x"}}]`,
		"{\"a\":1}\n{\"type\":7}\nnot json\n\r\n[1]\n",
		`{"type":"a:b","ts":"2025-01-02T03:04:05Z","id":{"n":1}}`,
		"\xef\xbb\xbf[ {\"e\":\"😀\"} , 2 ]",
		`[{"a":1},]`, `[{"a":1}] x`, "", " ", `"s"`, "[", "{", "\x1f\x8b",
		"{\"a\":\"\xff\"}\n{\"ts\":-1}\n{\"ts\":1e400}\n{\"type\":\"../x\"}",
		`{"t\u0079pe":"qos","type":"x","type":"a:b", "id" : [1,{"]":"}"}], "":0, "meta":{"kind":"k\"}"}}`,
	} {
		f.Add([]byte(seed), false, false)
		f.Add([]byte(seed), true, true)
	}
	const limit = 1 << 12
	var c Config
	if err := sdk.Decode(sdk.Config{
		"listen": ":0", "topic": "events", "route.field": "type", "route.topics": "qos:ods.qos,a:b:ods.ab",
		"topic.prefix": "app.", "key.field": "id", "timestamp.field": "ts",
	}, &c); err != nil {
		f.Fatal(err)
	}
	b, err := newBuilder(&c, 2048)
	if err != nil {
		f.Fatal(err)
	}
	received := time.Now()
	f.Fuzz(func(t *testing.T, data []byte, ndjson, gzipped bool) {
		sent, encoding := data, ""
		if gzipped {
			var zb bytes.Buffer
			zw := gzipWriters.Get().(*gzip.Writer)
			zw.Reset(&zb)
			_, _ = zw.Write(data)
			_ = zw.Close()
			gzipWriters.Put(zw)
			sent, encoding = zb.Bytes(), "gzip"
		}
		body, status, err := decodeBody(bytes.NewReader(sent), encoding, limit, int64(len(sent)))
		if err != nil {
			if len(data) <= limit || status != http.StatusRequestEntityTooLarge {
				t.Fatalf("decodeBody of %d bytes: %d %v", len(data), status, err)
			}
			return
		}
		if !bytes.Equal(body, data) {
			t.Fatalf("decodeBody changed the body")
		}
		// Garbage announced as gzip is refused, never read as something else.
		if _, status, err := decodeBody(bytes.NewReader(data), "gzip", limit, -1); err == nil && !bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
			t.Fatalf("non-gzip data decoded as gzip (status %d)", status)
		}

		const maxEvents = 50
		events, err := parseBatch(body, ndjson, maxEvents)
		if many, ok := errors.AsType[*tooManyEvents](err); ok {
			all, err := parseBatch(body, ndjson, 1<<30)
			if many.max != maxEvents || err != nil || len(all) <= maxEvents {
				t.Fatalf("refused as too many events, but has %d (%v)", len(all), err)
			}
			return
		}
		if err != nil {
			if !ndjson && isArrayOfValues(body) {
				t.Fatalf("refused a JSON array: %v", err)
			}
			return
		}
		if len(events) > maxEvents {
			t.Fatalf("%d events, more than the %d allowed", len(events), maxEvents)
		}
		rest := body
		for i, ev := range events {
			if len(ev.data) == 0 || len(trimSpace(ev.data)) != len(ev.data) {
				t.Fatalf("event %d %q is empty or has surrounding space", i, ev.data)
			}
			if ev.line > 0 { // NDJSON events are the lines, in order
				at := bytes.Index(rest, ev.data)
				if at < 0 {
					t.Fatalf("event %d %q is not next in the body", i, ev.data)
				}
				rest = rest[at+len(ev.data):]
			}
			if ev.err != nil {
				continue
			}
			if ev.data[0] != '{' || !json.Valid(ev.data) || !utf8.Valid(ev.data) {
				t.Fatalf("event %d %q passed as an object", i, ev.data)
			}
			// The scanner agrees with encoding/json on the members.
			var top map[string]json.RawMessage
			if err := json.Unmarshal(ev.data, &top); err != nil {
				t.Fatalf("event %d %q: %v", i, ev.data, err)
			}
			for _, name := range []string{"type", "id", "ts", "meta", ""} {
				if got, want := member(ev.data, name), top[name]; !bytes.Equal(got, want) {
					t.Fatalf("event %q: member %q = %q, encoding/json says %q", ev.data, name, got, want)
				}
			}
			headers := []sdk.Header{{Key: HeaderApp, Value: []byte("app")}}
			rec, err := b.record(ev.data, headers, received)
			if err != nil {
				dead := b.fault(ev.data, headers, received, err)
				if len(dead.Value) > b.faultValueMax || dead.Fault == nil {
					t.Fatalf("dead letter of event %d: %d bytes, fault %v", i, len(dead.Value), dead.Fault)
				}
				continue
			}
			if !legalTopic(rec.Topic) || !bytes.Equal(rec.Value, ev.data) || recordSize(&rec) > b.maxRecordBytes {
				t.Fatalf("event %d %q: record topic %q, %d bytes", i, ev.data, rec.Topic, recordSize(&rec))
			}
			if rec.Timestamp.Year() < 1970 || rec.Timestamp.After(received.Add(maxClockSkew)) {
				t.Fatalf("event %d %q: timestamp %v", i, ev.data, rec.Timestamp)
			}
		}
		if n, ok := arrayLen(body); ok && !ndjson && len(events) != n {
			t.Fatalf("%d events in an array of %d", len(events), n)
		}
	})
}

// gzipWriters saves the fuzzer a costly gzip.NewWriter per input.
var gzipWriters = sync.Pool{New: func() any { return gzip.NewWriter(io.Discard) }}

// isArrayOfValues reports whether body is a JSON array, as encoding/json
// reads it (with a UTF-8 byte order mark allowed before it).
func isArrayOfValues(body []byte) bool {
	_, ok := arrayLen(body)
	return ok
}

func arrayLen(body []byte) (int, bool) {
	body = trimSpace(bytes.TrimPrefix(body, utf8BOM))
	if len(body) == 0 || body[0] != '[' {
		return 0, false
	}
	var elems []json.RawMessage
	if json.Unmarshal(body, &elems) != nil {
		return 0, false
	}
	return len(elems), true
}
