package gen

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tributarydata/tributary/deployments/local"
)

// script is a collector that answers each POST with the next status of a
// script (then 200), and keeps every body it was sent. A status of -1
// cuts the connection without an answer, after reading the body.
type script struct {
	mu      sync.Mutex
	answers []int
	bodies  []string
	// split answers 413 to bodies of more lines than this, when set.
	split int
}

func (s *script) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body bytes.Buffer
	_, _ = body.ReadFrom(r.Body)
	s.mu.Lock()
	s.bodies = append(s.bodies, body.String())
	status := http.StatusOK
	if len(s.answers) > 0 {
		status, s.answers = s.answers[0], s.answers[1:]
	}
	lines := strings.Count(body.String(), "\n")
	if s.split > 0 && lines > s.split {
		status = http.StatusRequestEntityTooLarge
	}
	s.mu.Unlock()
	if r.Header.Get("Content-Type") != "application/x-ndjson" {
		status = http.StatusUnsupportedMediaType
	}
	switch status {
	case -1:
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
		return
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		w.Header().Set("Retry-After", "0")
	}
	w.WriteHeader(status)
	switch status {
	case http.StatusOK:
		fmt.Fprintf(w, `{"accepted":%d}`, lines)
	case http.StatusMultiStatus:
		fmt.Fprintf(w, `{"accepted":%d,"invalid":2,"errors":[]}`, lines-2)
	default:
		fmt.Fprint(w, `{"error":"scripted"}`)
	}
}

func events(n int) []Event {
	evs := make([]Event, n)
	for i := range evs {
		evs[i] = Event{Kind: KindQoS, Line: fmt.Appendf(nil, `{"type":"qos","n":%d}`, i)}
	}
	return evs
}

// TestCollectorRetries sends a batch through scripted answers: 429 takes
// nothing (no doubt), 503 and a cut connection may have taken it (the
// delivery says Resent), 207 counts the refused lines, 413 splits, and a
// 400 is an error. Every attempt carries the whole batch as NDJSON.
func TestCollectorRetries(t *testing.T) {
	for _, tc := range []struct {
		name    string
		answers []int
		split   int
		posts   int
		resent  bool
		refused int
		fails   bool
	}{
		{name: "200", posts: 1},
		{name: "429 then 200", answers: []int{429, 429}, posts: 3},
		{name: "503 then 200", answers: []int{503}, posts: 2, resent: true},
		{name: "cut then 200", answers: []int{-1}, posts: 2, resent: true},
		{name: "429 503 207", answers: []int{429, 503, 207}, posts: 3, resent: true, refused: 2},
		{name: "207", answers: []int{207}, posts: 1, refused: 2},
		{name: "413 splits", split: 2, posts: 5}, // 5 → 2 + 3, 3 → 1 + 2
		{name: "400", answers: []int{400}, posts: 1, fails: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := &script{answers: tc.answers, split: tc.split}
			ts := httptest.NewServer(srv)
			defer ts.Close()
			c := NewCollector(ts.URL+"/v1/events", 0)
			c.maxBackoff = 0
			evs := events(5)
			sent, err := c.Send(context.Background(), evs)
			if (err != nil) != tc.fails {
				t.Fatalf("Send: %v", err)
			}
			if sent.Resent != tc.resent || sent.Refused != tc.refused {
				t.Errorf("Send = %+v, want resent %v refused %d", sent, tc.resent, tc.refused)
			}
			if got := c.Transport(); got.Posts != int64(tc.posts) || got.Retries != int64(tc.posts-1) && tc.split == 0 {
				t.Errorf("transport %+v, want %d posts", got, tc.posts)
			}
			// What was delivered, in order: the last body of the whole
			// batch, or the accepted parts of a split one.
			var delivered []string
			for _, b := range srv.bodies {
				if tc.split > 0 && strings.Count(b, "\n") > tc.split {
					continue
				}
				sc := bufio.NewScanner(strings.NewReader(b))
				var lines []string
				for sc.Scan() {
					lines = append(lines, sc.Text())
				}
				if tc.split > 0 {
					delivered = append(delivered, lines...)
				} else {
					delivered = lines
				}
			}
			if tc.fails {
				return
			}
			if len(delivered) != len(evs) {
				t.Fatalf("delivered %d lines, want %d: %q", len(delivered), len(evs), srv.bodies)
			}
			for i, line := range delivered {
				if line != string(evs[i].Line) {
					t.Fatalf("line %d is %s, want %s", i, line, evs[i].Line)
				}
			}
		})
	}
}

// TestNothingSent tells a refused connection, which took nothing, from one
// cut after the request went out, which may have.
func TestNothingSent(t *testing.T) {
	port, err := local.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	_, err = http.Post(fmt.Sprintf("http://127.0.0.1:%d/", port), "text/plain", nil)
	if err == nil || !nothingSent(err) {
		t.Errorf("a refused connection: %v, nothingSent %v", err, nothingSent(err))
	}
	ts := httptest.NewServer(&script{answers: []int{-1}})
	defer ts.Close()
	_, err = http.Post(ts.URL, "application/x-ndjson", strings.NewReader("x\n"))
	if err == nil || nothingSent(err) {
		t.Errorf("a cut connection: %v, nothingSent %v", err, nothingSent(err))
	}
}

// TestRunCountsDoubt runs a short day against a collector whose first
// answer is 503: the first batch goes again, and the report counts its
// events as uncertain (they may be in Kafka twice) and nothing else; the
// summary is printed at the end.
func TestRunCountsDoubt(t *testing.T) {
	srv := &script{answers: []int{503}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	cfg := smallDay()
	cfg.Duration = 10 * time.Minute
	cfg.Malformed = 0
	var progress bytes.Buffer
	r, err := Run(context.Background(), cfg, NewCollector(ts.URL+"/v1/events", time.Minute), nil, Options{MaxBatchEvents: 100, Progress: &progress})
	if err != nil {
		t.Fatal(err)
	}
	first := strings.Count(srv.bodies[0], "\n")
	if srv.bodies[0] != srv.bodies[1] || first == 0 || first > 100 {
		t.Fatalf("the first batch (%d lines) was not sent again whole", first)
	}
	if r.Uncertain["events"] != int64(first) || r.Transport.Retries != 1 || !r.Complete {
		t.Errorf("uncertain %v, transport %+v, complete %v; want the %d events of the first batch", r.Uncertain, r.Transport, r.Complete, first)
	}
	lines := 0
	for _, b := range srv.bodies[1:] {
		lines += strings.Count(b, "\n")
	}
	var taken int64
	for _, n := range r.Topics {
		taken += n
	}
	if taken != int64(lines) {
		t.Errorf("the report counts %d records, the collector took %d lines", taken, lines)
	}
	if !strings.Contains(progress.String(), "gen: simulated") || !strings.Contains(progress.String(), "complete") {
		t.Errorf("no summary: %q", progress.String())
	}
}
