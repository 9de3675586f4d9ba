package elasticsearch

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	es "github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esapi"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// recState is where a record of the batch stands.
type recState uint8

const (
	stPending recState = iota // not sent yet
	stDone                    // stored, superseded within its item, or nothing to do
	stRetry                   // failed with a fault that may pass
	stBad                     // refused for good
)

// outcome is how an item ended.
type outcome struct {
	state recState
	err   error
}

// Write sends the records as bulk requests of up to batch.size records and
// returns when Elasticsearch answered every item: nothing is buffered past
// Write, so Flush has nothing left to do.
//
// It returns how many leading records are stored. The first record that can
// never be stored (it cannot be read, names no document, or Elasticsearch
// refused it with a 4xx) is a *sdk.RecordError; items that still fail with
// 429, 409 or 5xx after max.retries make a retriable error. Records after the
// first unstored one that were stored are remembered, so when the runtime
// hands them over again they are not sent twice.
func (s *Sink) Write(ctx context.Context, records []sdk.Record) (int, error) {
	if s.client == nil {
		return 0, errors.New("elasticsearch sink: not open")
	}
	skip := s.applied
	s.applied = nil

	state := make([]recState, len(records))
	errs := make([]error, len(records))
	ops := make([]*op, len(records))
	end := len(records) // records from end on were not planned
	var bad *sdk.RecordError
	for i := range records {
		r := &records[i]
		if skip[recID{r.Topic, r.Partition, r.Offset}] {
			state[i] = stDone
			continue
		}
		o, err := s.plan(r)
		if err != nil {
			bad = &sdk.RecordError{Index: i, Err: err}
			end = i
			break
		}
		if o == nil {
			state[i] = stDone
		}
		ops[i] = o
	}

	var fatal error
	for start := 0; start < end && fatal == nil; start += s.cfg.BatchSize {
		stop := min(start+s.cfg.BatchSize, end)
		fatal = s.writeChunk(ctx, ops[start:stop], start, state, errs)
		if !allDone(state[start:stop]) {
			break // later chunks wait until this one is stored
		}
	}

	n := 0
	for n < end && state[n] == stDone {
		n++
	}
	if n == end {
		if bad != nil {
			return end, bad
		}
		return len(records), nil
	}
	s.remember(records[:end], state, n)
	if fatal != nil {
		return n, fatal
	}
	for i := n; i < end; i++ {
		switch state[i] {
		case stBad:
			return n, &sdk.RecordError{Index: i, Err: errs[i]}
		case stRetry:
			return n, sdk.Retriable(errs[i])
		}
	}
	// Only pending records are left, which writeChunk never leaves behind
	// without a failure before them.
	return n, fmt.Errorf("elasticsearch sink: internal error: record %d was not sent", n)
}

func allDone(states []recState) bool {
	for _, st := range states {
		if st != stDone {
			return false
		}
	}
	return true
}

// remember keeps the records after n that are done, for the next Write. It
// keeps nothing when records share a Kafka identity (records that did not
// come from Kafka), since skipping by identity would then skip the wrong ones.
func (s *Sink) remember(records []sdk.Record, state []recState, n int) {
	seen := make(map[recID]bool, len(records))
	for i := range records {
		id := recID{records[i].Topic, records[i].Partition, records[i].Offset}
		if seen[id] {
			return
		}
		seen[id] = true
	}
	for i := n + 1; i < len(records); i++ {
		if state[i] == stDone {
			if s.applied == nil {
				s.applied = map[recID]bool{}
			}
			s.applied[recID{records[i].Topic, records[i].Partition, records[i].Offset}] = true
		}
	}
}

// writeChunk sends the ops of records base.. and sets their states. A
// returned error is fatal to the task.
func (s *Sink) writeChunk(ctx context.Context, ops []*op, base int, state []recState, errs []error) error {
	items := foldOps(ops, base)
	for _, it := range items {
		if err := it.encode(); err != nil {
			// Values read from JSON always encode; this would be a bug.
			return fmt.Errorf("elasticsearch sink: encode document %q: %w", it.op.id, err)
		}
	}
	out, err := s.send(ctx, items)
	if err != nil {
		return err
	}
	for i, it := range items {
		o := out[i]
		switch {
		case o.state == stBad && len(it.recs) > 1:
			// The folded document was refused: find out which record's
			// op it is by sending them one by one, in order.
			if err := s.isolate(ctx, it.recs, ops, base, state, errs); err != nil {
				return err
			}
		default:
			for _, r := range it.recs {
				state[r], errs[r] = o.state, o.err
			}
		}
	}
	return nil
}

// isolate sends the ops of recs one at a time, stopping at the first that
// does not succeed; the records after it stay pending.
func (s *Sink) isolate(ctx context.Context, recs []int, ops []*op, base int, state []recState, errs []error) error {
	for _, r := range recs {
		it := &item{op: *ops[r-base], recs: []int{r}}
		if err := it.encode(); err != nil {
			return fmt.Errorf("elasticsearch sink: encode document %q: %w", it.op.id, err)
		}
		out, err := s.send(ctx, []*item{it})
		if err != nil {
			return err
		}
		state[r], errs[r] = out[0].state, out[0].err
		if out[0].state != stDone {
			return nil
		}
	}
	return nil
}

// send sends items and sends again those that failed with a fault that may
// pass, up to max.retries times with doubling backoff. A returned error is
// fatal to the task.
func (s *Sink) send(ctx context.Context, items []*item) ([]outcome, error) {
	out := make([]outcome, len(items))
	pending := make([]int, len(items))
	for i := range pending {
		pending[i] = i
	}
	backoff := s.cfg.RetryBackoff
	for attempt := 0; ; attempt++ {
		if err := s.sendOnce(ctx, items, pending, out); err != nil {
			return nil, err
		}
		pending = pending[:0:0]
		for i, o := range out {
			if o.state == stRetry {
				pending = append(pending, i)
			}
		}
		if len(pending) == 0 || attempt >= s.cfg.MaxRetries {
			return out, nil
		}
		s.log.Debug("elasticsearch sink: retrying bulk items", "items", len(pending), "attempt", attempt+1, "backoff", backoff, "err", out[pending[0]].err)
		if err := s.sleep(ctx, backoff); err != nil {
			return nil, err
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// sendOnce sends the items idx in requests of at most batch.max.bytes
// (an item larger than that goes alone).
func (s *Sink) sendOnce(ctx context.Context, items []*item, idx []int, out []outcome) error {
	start, size := 0, 0
	for i, k := range idx {
		n := len(items[k].body)
		if i > start && size+n > s.cfg.BatchMaxBytes {
			if err := s.request(ctx, items, idx[start:i], out); err != nil {
				return err
			}
			start, size = i, 0
		}
		size += n
	}
	if start < len(idx) {
		return s.request(ctx, items, idx[start:], out)
	}
	return nil
}

var ndjson = http.Header{"Content-Type": {"application/x-ndjson"}}

// request sends one bulk request for the items idx and sets their outcomes.
// A returned error is fatal to the task.
func (s *Sink) request(ctx context.Context, items []*item, idx []int, out []outcome) error {
	var body bytes.Buffer
	for _, k := range idx {
		body.Write(items[k].body)
	}
	all := func(o outcome) {
		for _, k := range idx {
			out[k] = o
		}
	}
	rctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
	defer cancel()
	res, err := esapi.BulkRequest{Body: &body, Header: ndjson}.Do(rctx, s.client)
	var data []byte
	if err == nil {
		data, err = io.ReadAll(res.Body)
		res.Body.Close()
	}
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err() // the task is stopping
		}
		err = fmt.Errorf("elasticsearch sink: bulk request: %w", err)
		if permanentTransportError(err) {
			return err
		}
		all(outcome{stRetry, err})
		return nil
	}

	switch code := res.StatusCode; {
	case code >= 200 && code < 300:
	case code == http.StatusRequestEntityTooLarge:
		if len(idx) > 1 {
			// Over the cluster's http.max_content_length: halve until it fits.
			h := len(idx) / 2
			if err := s.request(ctx, items, idx[:h], out); err != nil {
				return err
			}
			return s.request(ctx, items, idx[h:], out)
		}
		all(outcome{stBad, fmt.Errorf("elasticsearch sink: document %q of %d bytes is larger than the cluster accepts (HTTP 413, http.max_content_length): %s",
			items[idx[0]].op.id, len(items[idx[0]].body), errorBody(data))})
		return nil
	case code == http.StatusTooManyRequests || code >= 500:
		all(outcome{stRetry, fmt.Errorf("elasticsearch sink: bulk request: HTTP %d: %s", code, errorBody(data))})
		return nil
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return fmt.Errorf("elasticsearch sink: bulk request refused (HTTP %d): check connection.username and connection.password and the user's index privileges: %s", code, errorBody(data))
	default:
		return fmt.Errorf("elasticsearch sink: bulk request refused: HTTP %d: %s", code, errorBody(data))
	}

	results, err := parseBulkResponse(data, len(idx))
	if err != nil {
		return fmt.Errorf("elasticsearch sink: bulk response: %w", err)
	}
	for j, k := range idx {
		it, res := items[k], results[j]
		if res.action != it.op.act.String() {
			return fmt.Errorf("elasticsearch sink: bulk response item %d answers %q, %q was sent", j, res.action, it.op.act)
		}
		out[k] = itemOutcome(it, res)
	}
	return nil
}

// itemOutcome classifies one item's answer. 429 (a full queue), 409 (a
// concurrent change the update's own retries did not absorb) and 5xx (a
// shard moving) may pass; other 4xx refuse the document itself.
func itemOutcome(it *item, res itemResult) outcome {
	switch code := res.status; {
	case code >= 200 && code < 300:
		return outcome{state: stDone}
	case code == http.StatusNotFound && it.op.act == actDelete:
		return outcome{state: stDone} // already gone
	case code == http.StatusTooManyRequests || code == http.StatusConflict || code >= 500:
		return outcome{stRetry, fmt.Errorf("elasticsearch sink: %s %s/%s: HTTP %d %s: %s", it.op.act, it.op.index, it.op.id, code, res.errType, res.reason)}
	}
	return outcome{stBad, fmt.Errorf("elasticsearch sink: %s %s/%s refused (HTTP %d %s): %s", it.op.act, it.op.index, it.op.id, res.status, res.errType, res.reason)}
}

// permanentTransportError reports transport failures that no retry cures:
// a server that is not Elasticsearch (the v8 client does not export that
// error, so its text is matched; TestNotElasticsearch guards it), a
// certificate that does not verify, a closed client.
func permanentTransportError(err error) bool {
	var certErr *tls.CertificateVerificationError
	return errors.As(err, &certErr) || errors.Is(err, es.ErrClosed) ||
		strings.Contains(err.Error(), "the server is not Elasticsearch")
}
