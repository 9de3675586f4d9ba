package applog

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// Paths the collector serves.
const (
	EventsPath = "/v1/events"
	HealthPath = "/health"
)

// maxReported bounds the invalid events a 207 lists, so an answer stays
// small whatever the batch; "invalid" counts them all.
const maxReported = 1000

// response is the JSON body of every answer to a POST.
type response struct {
	Accepted int         `json:"accepted"`
	Invalid  int         `json:"invalid,omitempty"`
	Errors   []rejection `json:"errors,omitempty"`
	Error    string      `json:"error,omitempty"`
}

// rejection says why one event of a batch was refused.
type rejection struct {
	Index int    `json:"index"`          // 0-based, among the array's elements or the non-blank lines
	Line  int    `json:"line,omitempty"` // 1-based line of an NDJSON event
	Error string `json:"error"`
}

// batch is what one request brought.
type batch struct {
	records  []sdk.Record // valid events, and dead letters when tolerant, in body order
	accepted int
	invalid  int
	rejected []rejection // the first maxReported invalid events
	size     int64       // memory held, for max.pending.bytes
}

func (s *Source) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+EventsPath, s.handleEvents)
	mux.HandleFunc("GET "+HealthPath, s.handleHealth)
	return mux
}

// handleHealth answers 200 while the task runs and takes events, for load
// balancers: 503 once stopped, or after a request timed out until the
// runtime reads or acknowledges again (the connector is paused, or Kafka is
// not answering).
func (s *Source) handleHealth(w http.ResponseWriter, _ *http.Request) {
	if s.inbox.isStopped() {
		s.unavailable(w, errStopped.Error())
		return
	}
	if s.stalled.Load() {
		s.unavailable(w, "Kafka did not acknowledge events within ack.timeout.ms")
		return
	}
	events, bytes := s.inbox.pending()
	w.Header().Set("Content-Type", "application/json")
	_, _ = fmt.Fprintf(w, `{"status":"ok","pending_events":%d,"pending_bytes":%d}`+"\n", events, bytes)
}

// handleEvents takes a batch of events and answers once Kafka has them all.
func (s *Source) handleEvents(w http.ResponseWriter, r *http.Request) {
	if s.inbox.isStopped() {
		s.unavailable(w, errStopped.Error())
		return
	}
	app, ok := s.keys.app(r)
	if !ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="applog"`)
		writeJSON(w, http.StatusUnauthorized, response{Error: "missing or unknown API key: send it in X-API-Key or Authorization: Bearer"})
		return
	}
	select {
	case s.slots <- struct{}{}:
	default:
		s.tooMany(w, "too many requests are being read at once")
		return
	}
	b, err := s.readBatch(w, r, app)
	<-s.slots
	if err != nil {
		s.refuse(w, err)
		return
	}
	if len(b.records) == 0 {
		s.answer(w, &b)
		return
	}
	req, err := s.inbox.put(b.records, b.size)
	if err != nil {
		s.refuse(w, err)
		return
	}

	timer := time.NewTimer(s.cfg.AckTimeout)
	defer timer.Stop()
	select {
	case err = <-req.done:
	case <-timer.C:
		if s.inbox.abandon(req) {
			s.stalled.Store(true)
			s.unavailable(w, "Kafka did not acknowledge the events within ack.timeout.ms; retry the batch (events already on their way may arrive twice)")
			return
		}
		err = <-req.done
	case <-r.Context().Done():
		if s.inbox.abandon(req) {
			return // the client is gone
		}
		err = <-req.done
	}
	if err != nil {
		s.unavailable(w, err.Error()+"; retry the batch")
		return
	}
	s.answer(w, &b)
}

// httpError is a refusal with its HTTP status.
type httpError struct {
	status int
	err    error
}

func (e *httpError) Error() string { return e.err.Error() }

// refuse answers a request whose batch was not taken.
func (s *Source) refuse(w http.ResponseWriter, err error) {
	var he *httpError
	var many *tooManyEvents
	switch {
	case errors.Is(err, errFull):
		s.tooMany(w, err.Error())
	case errors.Is(err, errTooLarge):
		writeJSON(w, http.StatusRequestEntityTooLarge, response{Error: err.Error() + ": send smaller batches"})
	case errors.Is(err, errStopped):
		s.unavailable(w, err.Error())
	case errors.As(err, &many):
		writeJSON(w, http.StatusRequestEntityTooLarge, response{Error: err.Error()})
	case errors.As(err, &he):
		writeJSON(w, he.status, response{Error: he.err.Error()})
	default:
		writeJSON(w, http.StatusBadRequest, response{Error: err.Error()})
	}
}

// readBatch reads, decompresses and parses the body, and builds the records.
// It checks that the batch fits in the inbox before building its records,
// so a request that cannot be taken costs little.
func (s *Source) readBatch(w http.ResponseWriter, r *http.Request, app string) (batch, error) {
	body, status, err := s.readBody(w, r)
	if err != nil {
		return batch{}, &httpError{status, err}
	}
	received := time.Now()
	events, err := parseBatch(body, isNDJSON(r.Header.Get("Content-Type")), s.cfg.MaxPendingEvents)
	if err != nil {
		return batch{}, err
	}
	size := int64(len(body)) + int64(len(events))*recordOverhead
	if err := s.inbox.room(len(events), size); err != nil {
		return batch{}, err
	}
	b := s.build(events, app, received)
	b.size = size
	return b, nil
}

// build turns a request's events into records, and reports the invalid ones.
func (s *Source) build(events []rawEvent, app string, received time.Time) batch {
	var shared []sdk.Header
	if app != "" {
		shared = append(shared, sdk.Header{Key: HeaderApp, Value: []byte(app)})
	}
	shared = append(shared, sdk.Header{Key: HeaderReceivedAt, Value: received.UTC().AppendFormat(nil, "2006-01-02T15:04:05.000Z07:00")})
	// Each record gets its own header slice (one allocation for all), so a
	// change to one record's headers cannot reach another's.
	h := len(shared)
	headers := make([]sdk.Header, 0, h*len(events))
	b := batch{records: make([]sdk.Record, 0, len(events))}
	for i, ev := range events {
		headers = append(headers, shared...)
		own := headers[len(headers)-h : len(headers) : len(headers)]
		err := ev.err
		var rec sdk.Record
		if err == nil {
			rec, err = s.builder.record(ev.data, own, received)
		}
		if err != nil {
			b.invalid++
			if len(b.rejected) < maxReported {
				b.rejected = append(b.rejected, rejection{Index: i, Line: ev.line, Error: err.Error()})
			}
			if s.tolerant {
				b.records = append(b.records, s.builder.fault(ev.data, own, received, err))
			}
			continue
		}
		b.records = append(b.records, rec)
		b.accepted++
	}
	return b
}

// answer reports a batch whose records are all in Kafka: 200, or 207 when
// some events were invalid.
func (s *Source) answer(w http.ResponseWriter, b *batch) {
	if b.invalid == 0 {
		writeJSON(w, http.StatusOK, response{Accepted: b.accepted})
		return
	}
	writeJSON(w, http.StatusMultiStatus, response{Accepted: b.accepted, Invalid: b.invalid, Errors: b.rejected})
}

// tooMany answers 429: the client should slow down and retry.
func (s *Source) tooMany(w http.ResponseWriter, msg string) {
	s.retryAfter(w)
	writeJSON(w, http.StatusTooManyRequests, response{Error: msg})
}

// unavailable answers 503: nothing of the batch is known to be in Kafka, the
// client should retry.
func (s *Source) unavailable(w http.ResponseWriter, msg string) {
	s.retryAfter(w)
	writeJSON(w, http.StatusServiceUnavailable, response{Error: msg})
}

func (s *Source) retryAfter(w http.ResponseWriter) {
	secs := (s.cfg.RetryAfter + time.Second - 1) / time.Second
	w.Header().Set("Retry-After", strconv.FormatInt(int64(secs), 10))
}

func writeJSON(w http.ResponseWriter, status int, body response) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
