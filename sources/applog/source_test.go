package applog

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// openSource opens a collector on a free port, with cfg over a minimal
// config, closed at the end of the test.
func openSource(t *testing.T, cfg sdk.Config, last ...sdk.Position) (*Source, string) {
	t.Helper()
	full := sdk.Config{"name": "col", "listen": "127.0.0.1:0", "topic": "events"}
	for k, v := range cfg {
		full[k] = v
	}
	s := &Source{}
	if err := s.Open(context.Background(), full, last); err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, "http://" + s.addr.String()
}

// reply is what a client got.
type reply struct {
	status int
	header http.Header
	body   response
	err    error
}

var client = &http.Client{Timeout: time.Minute}

// post sends body to the collector; headers are name, value pairs.
func post(url string, body []byte, headers ...string) reply {
	req, err := http.NewRequest(http.MethodPost, url+EventsPath, bytes.NewReader(body))
	if err != nil {
		return reply{err: err}
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return do(req)
}

func do(req *http.Request) reply {
	resp, err := client.Do(req)
	if err != nil {
		return reply{err: err}
	}
	defer resp.Body.Close()
	r := reply{status: resp.StatusCode, header: resp.Header}
	if err := json.NewDecoder(resp.Body).Decode(&r.body); err != nil && !errors.Is(err, io.EOF) {
		r.err = fmt.Errorf("decode answer: %w", err)
	}
	return r
}

// postAsync posts in a goroutine; the reply arrives on the channel.
func postAsync(url string, body []byte, headers ...string) <-chan reply {
	ch := make(chan reply, 1)
	go func() { ch <- post(url, body, headers...) }()
	return ch
}

// read reads whole batches until it has at least n records.
func read(t *testing.T, s *Source, n int) []sdk.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out []sdk.Record
	for len(out) < n {
		recs, err := s.Read(ctx)
		if err != nil {
			t.Fatalf("Read after %d of %d records: %v", len(out), n, err)
		}
		if len(recs) > s.cfg.BatchSize {
			t.Fatalf("Read returned %d records, batch.size is %d", len(recs), s.cfg.BatchSize)
		}
		out = append(out, recs...)
	}
	return out
}

// readNothing checks that no record is waiting.
func readNothing(t *testing.T, s *Source) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if recs, err := s.Read(ctx); len(recs) != 0 || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Read = %d records, %v; want none", len(recs), err)
	}
}

// ack acknowledges every record up to rec, as the runtime does after Kafka
// confirmed them.
func ack(t *testing.T, s *Source, rec sdk.Record) {
	t.Helper()
	if err := s.Ack(context.Background(), []sdk.Position{rec.Position}); err != nil {
		t.Fatal(err)
	}
}

// noReplyYet checks that a request is still waiting.
func noReplyYet(t *testing.T, ch <-chan reply) {
	t.Helper()
	select {
	case r := <-ch:
		t.Fatalf("answered %d %+v %v before Kafka acknowledged", r.status, r.body, r.err)
	case <-time.After(150 * time.Millisecond):
	}
}

func wait(t *testing.T, ch <-chan reply) reply {
	t.Helper()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatal(r.err)
		}
		return r
	case <-time.After(30 * time.Second):
		t.Fatal("no answer")
		return reply{}
	}
}

// waitPending waits until the source holds n events.
func waitPending(t *testing.T, s *Source, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, _ := s.inbox.pending()
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d events pending, want %d", got, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func seqOf(t *testing.T, r sdk.Record) int64 {
	t.Helper()
	n, err := sdk.OffsetInt(r.Position.Offset[offsetKeySeq])
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestAnswersOnlyAfterAck(t *testing.T) {
	s, url := openSource(t, sdk.Config{
		"api.keys": "appA:secret1", "route.field": "type", "route.topics": "qos:ods.qos_log", "key.field": "id",
	})
	before := time.Now()
	body := `[{"id":"e1","type":"qos","v":1},{"id":"e2","type":"signal","msg":"héllo 😀"}]`
	ch := postAsync(url, []byte(body), "X-API-Key", "secret1", "Content-Type", "application/json")
	recs := read(t, s, 2)
	noReplyYet(t, ch)

	want := []struct{ value, topic, key string }{
		{`{"id":"e1","type":"qos","v":1}`, "ods.qos_log", "e1"},
		{`{"id":"e2","type":"signal","msg":"héllo 😀"}`, "events", "e2"},
	}
	for i, r := range recs {
		if string(r.Value) != want[i].value || r.Topic != want[i].topic || string(r.Key) != want[i].key || r.Fault != nil {
			t.Errorf("record %d = %q topic %q key %q", i, r.Value, r.Topic, r.Key)
		}
		if app, _ := r.Header(HeaderApp); string(app) != "appA" {
			t.Errorf("record %d app header %q", i, app)
		}
		at, _ := r.Header(HeaderReceivedAt)
		ts, err := time.Parse(time.RFC3339Nano, string(at))
		if err != nil || ts.Before(before.Truncate(time.Millisecond)) || ts.After(time.Now()) || r.Timestamp.Before(before) || r.Timestamp.After(time.Now()) {
			t.Errorf("record %d received at %q (%v), timestamp %v", i, at, err, r.Timestamp)
		}
		if r.Position.Partition[partitionKeyCollector] != "col" || r.Position.Partition[partitionKeyTask] != 0 || seqOf(t, r) != 1 {
			t.Errorf("record %d position %+v", i, r.Position)
		}
	}
	ack(t, s, recs[1])
	if r := wait(t, ch); r.status != http.StatusOK || r.body.Accepted != 2 || r.body.Errors != nil {
		t.Fatalf("answer %d %+v, want 200 with 2 accepted", r.status, r.body)
	}
	if n, b := s.inbox.pending(); n != 0 || b != 0 {
		t.Fatalf("%d events, %d bytes still pending", n, b)
	}
}

// Read merges requests and splits them at batch.size; each request is
// answered once all of its events are acknowledged.
func TestMergeAndSplit(t *testing.T) {
	s, url := openSource(t, sdk.Config{"batch.size": "3"})
	a := postAsync(url, []byte("{\"r\":\"a\",\"i\":0}\n{\"r\":\"a\",\"i\":1}\n"))
	waitPending(t, s, 2)
	b := postAsync(url, []byte(`[{"r":"b","i":0},{"r":"b","i":1},{"r":"b","i":2}]`))
	waitPending(t, s, 5)

	first := read(t, s, 1)
	if len(first) != 3 || !strings.Contains(string(first[2].Value), `"r":"b","i":0`) || seqOf(t, first[0]) != 1 || seqOf(t, first[2]) != 2 {
		t.Fatalf("first batch %d records, last %q", len(first), first[len(first)-1].Value)
	}
	// The ack of the first read covers request a; b is still half read.
	ack(t, s, first[2])
	if r := wait(t, a); r.status != http.StatusOK || r.body.Accepted != 2 {
		t.Fatalf("request a: %d %+v", r.status, r.body)
	}
	noReplyYet(t, b)
	second := read(t, s, 2)
	if len(second) != 2 || seqOf(t, second[1]) != 2 {
		t.Fatalf("second batch %d records", len(second))
	}
	ack(t, s, second[1])
	if r := wait(t, b); r.status != http.StatusOK || r.body.Accepted != 3 {
		t.Fatalf("request b: %d %+v", r.status, r.body)
	}
}

func TestCloseAnswers503(t *testing.T) {
	s, url := openSource(t, sdk.Config{"retry.after.ms": "2500"})
	read1 := postAsync(url, []byte(`{"n":1}`))
	recs := read(t, s, 1)
	queued := postAsync(url, []byte(`{"n":2}`))
	waitPending(t, s, 2)

	start := time.Now()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > shutdownGrace {
		t.Fatalf("Close took %v", d)
	}
	for name, ch := range map[string]<-chan reply{"read": read1, "queued": queued} {
		r := wait(t, ch)
		if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") != "3" || !strings.Contains(r.body.Error, "not running") {
			t.Errorf("%s request: %d Retry-After %q %+v", name, r.status, r.header.Get("Retry-After"), r.body)
		}
	}
	// A late Ack finds nothing to answer; new requests are refused.
	ack(t, s, recs[0])
	if r := post(url, []byte(`{"n":3}`)); r.err == nil && r.status != http.StatusServiceUnavailable {
		t.Fatalf("request after Close: %d", r.status)
	}
	if err := s.Close(); err != nil {
		t.Fatal("second Close:", err)
	}
}

// Without an acknowledgement in time a request gets 503; events no Read took
// are withdrawn, so the client's retry is their only copy.
func TestAckTimeout(t *testing.T) {
	s, url := openSource(t, sdk.Config{"ack.timeout.ms": "300"})
	r := post(url, []byte(`[{"n":1},{"n":2}]`))
	if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") != "1" || !strings.Contains(r.body.Error, "ack.timeout.ms") {
		t.Fatalf("unacknowledged request: %d %+v", r.status, r.body)
	}
	// Load balancers learn that this task does not deliver, until the
	// runtime reads again.
	if status := health(t, url); status != http.StatusServiceUnavailable {
		t.Fatalf("health after a timeout: %d", status)
	}
	readNothing(t, s)
	waitPending(t, s, 0)
	if status := health(t, url); status != http.StatusOK {
		t.Fatalf("health once the runtime reads again: %d", status)
	}

	ch := postAsync(url, []byte(`{"n":3}`))
	recs := read(t, s, 1)
	if r := wait(t, ch); r.status != http.StatusServiceUnavailable {
		t.Fatalf("request read but not acknowledged: %d %+v", r.status, r.body)
	}
	waitPending(t, s, 0)
	ack(t, s, recs[0]) // late: nothing left to answer

	// The source goes on: the next request is served.
	ch = postAsync(url, []byte(`{"n":4}`))
	recs = read(t, s, 1)
	if string(recs[0].Value) != `{"n":4}` || seqOf(t, recs[0]) != 3 {
		t.Fatalf("next record %q seq %d", recs[0].Value, seqOf(t, recs[0]))
	}
	ack(t, s, recs[0])
	if r := wait(t, ch); r.status != http.StatusOK {
		t.Fatalf("next request: %d %+v", r.status, r.body)
	}
}

// A client that hangs up before its events were read withdraws them.
func TestClientGoneWithdraws(t *testing.T) {
	s, url := openSource(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, url+EventsPath, strings.NewReader(`{"n":1}`))
	done := make(chan reply, 1)
	go func() { done <- do(req) }()
	waitPending(t, s, 1)
	cancel()
	<-done
	waitPending(t, s, 0)
	readNothing(t, s)
}

func TestInvalidEvents(t *testing.T) {
	body := "{\"type\":\"qos\",\"n\":1}\nnot json\n\n[1,2]\n{\"type\":7}\n{\"type\":\"qos\",\"n\":2}\n"
	wantErrors := []rejection{
		{Index: 1, Line: 2, Error: "line is not valid JSON: invalid character 'o' in literal null (expecting 'u')"},
		{Index: 2, Line: 4, Error: "event is a JSON array, not an object"},
		{Index: 3, Line: 5, Error: `route field "type" is a JSON number, not a string`},
	}
	cfg := sdk.Config{"route.field": "type", "route.topics": "qos:ods.qos_log"}

	t.Run("tolerance none", func(t *testing.T) {
		s, url := openSource(t, cfg)
		ch := postAsync(url, []byte(body), "Content-Type", "application/x-ndjson")
		recs := read(t, s, 2)
		if len(recs) != 2 || string(recs[1].Value) != `{"type":"qos","n":2}` || recs[0].Fault != nil || recs[1].Fault != nil {
			t.Fatalf("records %+v", recs)
		}
		noReplyYet(t, ch)
		ack(t, s, recs[1])
		r := wait(t, ch)
		if r.status != http.StatusMultiStatus || r.body.Accepted != 2 || r.body.Invalid != 3 || fmt.Sprint(r.body.Errors) != fmt.Sprint(wantErrors) {
			t.Fatalf("answer %d %+v, want 207 with %+v", r.status, r.body, wantErrors)
		}
		// A 207 lists the first maxReported invalid events and counts all.
		r = post(url, []byte("["+strings.Repeat("1,", maxReported+499)+"1]"))
		if r.status != http.StatusMultiStatus || r.body.Invalid != maxReported+500 || len(r.body.Errors) != maxReported ||
			r.body.Errors[maxReported-1].Index != maxReported-1 {
			t.Fatalf("many invalid events: %d, invalid %d, %d errors", r.status, r.body.Invalid, len(r.body.Errors))
		}
		// A batch of nothing but invalid events is answered at once.
		r = post(url, []byte(`[1,"x"]`))
		if r.status != http.StatusMultiStatus || r.body.Accepted != 0 || r.body.Invalid != 2 {
			t.Fatalf("all-invalid batch: %d %+v", r.status, r.body)
		}
		readNothing(t, s)
	})

	t.Run("tolerance all", func(t *testing.T) {
		s, url := openSource(t, sdk.Config{"errors.tolerance": "all", "route.field": "type", "route.topics": "qos:ods.qos_log"})
		ch := postAsync(url, []byte(body))
		recs := read(t, s, 5)
		wantValues := []string{`{"type":"qos","n":1}`, "not json", "[1,2]", `{"type":7}`, `{"type":"qos","n":2}`}
		for i, r := range recs {
			if string(r.Value) != wantValues[i] || seqOf(t, r) != 1 {
				t.Errorf("record %d = %q seq %d", i, r.Value, seqOf(t, r))
			}
			if bad := i >= 1 && i <= 3; bad != (r.Fault != nil) {
				t.Errorf("record %d fault %v", i, r.Fault)
			} else if bad && (r.Fault.Error() != wantErrors[i-1].Error || r.Topic != "events") {
				t.Errorf("record %d fault %q topic %q, want %q", i, r.Fault, r.Topic, wantErrors[i-1].Error)
			}
		}
		noReplyYet(t, ch)
		ack(t, s, recs[4])
		if r := wait(t, ch); r.status != http.StatusMultiStatus || r.body.Accepted != 2 || fmt.Sprint(r.body.Errors) != fmt.Sprint(wantErrors) {
			t.Fatalf("answer %d %+v", r.status, r.body)
		}
	})
}

func TestAPIKeys(t *testing.T) {
	s, url := openSource(t, sdk.Config{"api.keys": "appA:secret1, appB:s3cr:et2"})
	for name, headers := range map[string][]string{
		"no key":          nil,
		"wrong key":       {"X-API-Key", "secret2"},
		"prefix of a key": {"X-API-Key", "secret"},
		"basic auth":      {"Authorization", "Basic c2VjcmV0MQ=="},
		"empty bearer":    {"Authorization", "Bearer "},
	} {
		r := post(url, []byte(`{"n":1}`), headers...)
		if r.status != http.StatusUnauthorized || r.header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: %d %+v", name, r.status, r.body)
		}
	}
	readNothing(t, s)
	for app, headers := range map[string][]string{
		"appA": {"X-API-Key", "secret1"},
		"appB": {"Authorization", "bearer s3cr:et2"},
	} {
		ch := postAsync(url, []byte(`{"n":1}`), headers...)
		recs := read(t, s, 1)
		if got, _ := recs[0].Header(HeaderApp); string(got) != app {
			t.Errorf("app header %q, want %s", got, app)
		}
		ack(t, s, recs[0])
		if r := wait(t, ch); r.status != http.StatusOK {
			t.Errorf("%s: %d %+v", app, r.status, r.body)
		}
	}
	// Health needs no key.
	resp, err := client.Get(url + HealthPath)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("health: %d", resp.StatusCode)
	}
}

func gzipped(t *testing.T, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestBodies(t *testing.T) {
	s, url := openSource(t, sdk.Config{"max.body.bytes": "1000", "max.pending.events": "20"})
	events := `[{"a":1},{"a":2}]`

	ch := postAsync(url, gzipped(t, []byte(events)), "Content-Encoding", "gzip")
	recs := read(t, s, 2)
	if string(recs[0].Value) != `{"a":1}` || string(recs[1].Value) != `{"a":2}` {
		t.Fatalf("gzipped records %q %q", recs[0].Value, recs[1].Value)
	}
	ack(t, s, recs[1])
	if r := wait(t, ch); r.status != http.StatusOK {
		t.Fatalf("gzipped: %d %+v", r.status, r.body)
	}

	bomb := gzipped(t, bytes.Repeat([]byte(" "), 500<<10))
	if len(bomb) >= 1000 {
		t.Fatalf("the bomb is %d bytes gzipped", len(bomb))
	}
	big := "[" + strings.Repeat(`{"a":1},`, 200) + `{"a":1}]`
	many := "[" + strings.Repeat(`{},`, 20) + `{}]`
	tests := []struct {
		name    string
		body    []byte
		headers []string
		status  int
		err     string
	}{
		{"too large", []byte(big), nil, http.StatusRequestEntityTooLarge, "max.body.bytes=1000"},
		{"gzip bomb", bomb, []string{"Content-Encoding", "gzip"}, http.StatusRequestEntityTooLarge, "decompressed body over max.body.bytes=1000"},
		{"too many events for the queue", []byte(many), nil, http.StatusRequestEntityTooLarge, "send smaller batches"},
		{"empty", nil, nil, http.StatusBadRequest, "empty body"},
		{"whitespace", []byte(" \n "), nil, http.StatusBadRequest, "empty body"},
		{"malformed array", []byte(`[{"a":1},`), nil, http.StatusBadRequest, "malformed JSON array"},
		{"not gzip", []byte(events), []string{"Content-Encoding", "gzip"}, http.StatusBadRequest, "malformed gzip body"},
		{"truncated gzip", gzipped(t, []byte(events))[:20], []string{"Content-Encoding", "gzip"}, http.StatusBadRequest, "malformed gzip body"},
		{"brotli", []byte(events), []string{"Content-Encoding", "br"}, http.StatusUnsupportedMediaType, "use gzip or none"},
		{"empty array", []byte(`[]`), nil, http.StatusOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := post(url, tt.body, tt.headers...)
			if r.err != nil || r.status != tt.status || !strings.Contains(r.body.Error, tt.err) {
				t.Fatalf("%d %+v %v; want %d %q", r.status, r.body, r.err, tt.status, tt.err)
			}
		})
	}
	// A body of unknown length (chunked) is cut at the limit too.
	req, _ := http.NewRequest(http.MethodPost, url+EventsPath, io.MultiReader(strings.NewReader(big)))
	req.ContentLength = -1
	if r := do(req); r.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("chunked large body: %d %+v %v", r.status, r.body, r.err)
	}
	readNothing(t, s)
	waitPending(t, s, 0)
}

func TestQueueFull(t *testing.T) {
	s, url := openSource(t, sdk.Config{"max.pending.events": "5", "retry.after.ms": "0"})
	first := postAsync(url, []byte(`[{"n":1},{"n":2},{"n":3},{"n":4}]`))
	waitPending(t, s, 4)
	r := post(url, []byte(`[{"n":5},{"n":6}]`))
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") != "0" {
		t.Fatalf("over max.pending.events: %d %+v", r.status, r.body)
	}
	recs := read(t, s, 4)
	// Read records still count until acknowledged.
	if r := post(url, []byte(`[{"n":5},{"n":6}]`)); r.status != http.StatusTooManyRequests {
		t.Fatalf("records read but not acknowledged were released: %d", r.status)
	}
	ack(t, s, recs[3])
	if r := wait(t, first); r.status != http.StatusOK {
		t.Fatalf("first request: %d", r.status)
	}
	retry := postAsync(url, []byte(`[{"n":5},{"n":6}]`))
	recs = read(t, s, 2)
	ack(t, s, recs[1])
	if r := wait(t, retry); r.status != http.StatusOK {
		t.Fatalf("retry: %d %+v", r.status, r.body)
	}

	t.Run("bytes", func(t *testing.T) {
		s, url := openSource(t, sdk.Config{"max.pending.bytes": "1000", "max.body.bytes": "600"})
		ch := postAsync(url, []byte(`{"pad":"`+strings.Repeat("x", 400)+`"}`))
		waitPending(t, s, 1)
		if r := post(url, []byte(`{"pad":"`+strings.Repeat("y", 400)+`"}`)); r.status != http.StatusTooManyRequests {
			t.Fatalf("over max.pending.bytes: %d %+v", r.status, r.body)
		}
		recs := read(t, s, 1)
		ack(t, s, recs[0])
		wait(t, ch)
	})
}

// Requests being read at once are bounded.
func TestConcurrentRequests(t *testing.T) {
	s, url := openSource(t, sdk.Config{"max.concurrent.requests": "1"})
	// A client that sends its headers and then stalls holds the one slot.
	pr, pw := io.Pipe()
	defer pw.Close()
	req, _ := http.NewRequest(http.MethodPost, url+EventsPath, pr)
	req.ContentLength = -1
	stalled := make(chan reply, 1)
	go func() { stalled <- do(req) }()
	deadline := time.Now().Add(10 * time.Second)
	for len(s.slots) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the stalled request never started")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if r := post(url, []byte(`{"n":1}`)); r.status != http.StatusTooManyRequests || !strings.Contains(r.body.Error, "being read") {
		t.Fatalf("second request: %d %+v", r.status, r.body)
	}
	_, _ = pw.Write([]byte(`{"n":0}`))
	pw.Close()
	recs := read(t, s, 1)
	ack(t, s, recs[0])
	if r := wait(t, stalled); r.status != http.StatusOK {
		t.Fatalf("stalled request: %d", r.status)
	}
}

func TestHealthAndMethods(t *testing.T) {
	s, url := openSource(t, nil)
	resp, err := client.Get(url + HealthPath)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"status":"ok"`) {
		t.Fatalf("health: %d %s", resp.StatusCode, body)
	}
	resp, err = client.Get(url + EventsPath)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET %s: %d", EventsPath, resp.StatusCode)
	}
	_ = s.Close()
	if resp, err := client.Get(url + HealthPath); err == nil {
		resp.Body.Close()
		t.Fatalf("health after Close: %d", resp.StatusCode)
	}
}

// Sequence numbers continue after the stored ones, per task.
func TestSequenceResumes(t *testing.T) {
	last := []sdk.Position{
		{Partition: map[string]any{"collector": "col", "task": float64(1)}, Offset: map[string]any{"seq": float64(99)}},
		{Partition: map[string]any{"collector": "col", "task": float64(0)}, Offset: map[string]any{"seq": json.Number("41")}},
		{Partition: map[string]any{"collector": "other", "task": float64(0)}, Offset: map[string]any{"seq": float64(7)}},
	}
	s, url := openSource(t, nil, last...)
	ch := postAsync(url, []byte(`{"n":1}`))
	recs := read(t, s, 1)
	if seqOf(t, recs[0]) != 42 {
		t.Fatalf("seq %d, want 42", seqOf(t, recs[0]))
	}
	// A position of another partition is not ours to settle.
	if err := s.Ack(context.Background(), []sdk.Position{last[0]}); err != nil {
		t.Fatal(err)
	}
	noReplyYet(t, ch)
	// Positions come back through JSON.
	stored := sdk.Position{
		Partition: map[string]any{"collector": "col", "task": float64(0)},
		Offset:    map[string]any{"seq": float64(42)},
	}
	if err := s.Ack(context.Background(), []sdk.Position{stored}); err != nil {
		t.Fatal(err)
	}
	if r := wait(t, ch); r.status != http.StatusOK {
		t.Fatalf("%d", r.status)
	}
}

// Tasks share the listen port on Linux; each numbers its positions.
func TestTasksShareThePort(t *testing.T) {
	tasks, err := taskConfigs(sdk.Config{"name": "col", "listen": "127.0.0.1:0", "topic": "events"}, 3)
	if err != nil {
		t.Fatal(err)
	}
	if !reusePort {
		if len(tasks) != 1 {
			t.Fatalf("%d tasks without SO_REUSEPORT", len(tasks))
		}
		t.Skip("no SO_REUSEPORT here")
	}
	if len(tasks) != 3 {
		t.Fatalf("%d tasks, want 3", len(tasks))
	}
	first, url := openSource(t, tasks[0])
	port := first.addr.String()
	sources := []*Source{first}
	for _, cfg := range tasks[1:] {
		cfg["listen"] = port
		s, _ := openSource(t, cfg)
		sources = append(sources, s)
	}
	for i, s := range sources {
		if s.addr.String() != port || s.partKey != fmt.Sprintf(`{"collector":"col","task":%d}`, i) {
			t.Fatalf("task %d listens on %s with partition %s", i, s.addr, s.partKey)
		}
	}
	// Connections spread over the tasks; each task answers its own.
	served := map[int]bool{}
	for n := 0; n < 60 && len(served) < 2; n++ {
		req, _ := http.NewRequest(http.MethodPost, url+EventsPath, strings.NewReader(`{"n":`+strconv.Itoa(n)+`}`))
		req.Close = true // a new connection each time
		ch := make(chan reply, 1)
		go func() { ch <- do(req) }()
		// Every task reads until one of them has the event.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		got := make(chan int, len(sources))
		var wg sync.WaitGroup
		for i, s := range sources {
			wg.Go(func() {
				if recs, err := s.Read(ctx); err == nil {
					_ = s.Ack(ctx, []sdk.Position{recs[len(recs)-1].Position})
					got <- i
				}
			})
		}
		select {
		case i := <-got:
			served[i] = true
		case <-ctx.Done():
			t.Fatalf("request %d was read by no task", n)
		}
		cancel()
		wg.Wait()
		if r := wait(t, ch); r.status != http.StatusOK {
			t.Fatalf("request %d: %d", n, r.status)
		}
	}
	if len(served) < 2 {
		t.Fatalf("60 connections all went to tasks %v", served)
	}
}

func TestConfig(t *testing.T) {
	if err := Plugin.Check(); err != nil {
		t.Fatal(err)
	}
	keys, err := sdk.Spec(Plugin.Config)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		if k.Name == "api.keys" && k.Type != "PASSWORD" {
			t.Fatalf("api.keys has type %s", k.Type)
		}
	}
	if m := sdk.Masked(Plugin.Config, sdk.Config{"api.keys": "a:b"}); m["api.keys"] != "[hidden]" {
		t.Fatalf("masked api.keys %q", m["api.keys"])
	}
	base := sdk.Config{"listen": "127.0.0.1:0", "topic": "t"}
	for name, bad := range map[string]sdk.Config{
		"no listen":           {"listen": ""},
		"no topic":            {"topic": " "},
		"bad topic":           {"topic": "a/b"},
		"bad keys":            {"api.keys": "secretwithoutapp"},
		"shared key":          {"api.keys": "a:secretshared,b:secretshared"},
		"route without topic": {"route.field": "type"},
		"bad route":           {"route.field": "type", "route.topics": "nocolon"},
		"bad listen":          {"listen": "nohost"},
		"zero batch":          {"batch.size": "0"},
		"bad max.record":      {"max.record.bytes": "x"},
		"body over pending":   {"max.body.bytes": "2000", "max.pending.bytes": "1000"},
	} {
		cfg := sdk.Config{}
		for k, v := range base {
			cfg[k] = v
		}
		for k, v := range bad {
			cfg[k] = v
		}
		s := &Source{}
		err := s.Open(context.Background(), cfg, nil)
		_ = s.Close()
		if err == nil {
			t.Errorf("%s: Open accepted %v", name, cfg)
		} else if strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: error shows a key: %v", name, err)
		}
	}
}

func health(t *testing.T, url string) int {
	t.Helper()
	resp, err := client.Get(url + HealthPath)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
