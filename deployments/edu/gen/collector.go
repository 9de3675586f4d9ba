package gen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// Collector is the EventSink of the app collector (sources/applog): it
// posts events as NDJSON to its /v1/events, as an app does, and retries
// what the collector says to retry.
//
// A batch counts as delivered on 200 or 207 only. 429 (back-pressure) means
// nothing was taken, and the batch is sent again after Retry-After. After a
// 503, another 5xx, a timeout or a broken connection the batch may be in
// Kafka already: it is sent again, and the delivery reports Resent, so
// the report counts its events as possibly doubled. A connection refused
// took nothing. Other answers (400, 401, 415) are errors: retrying would
// not help.
type Collector struct {
	url        string
	client     *http.Client
	maxBackoff time.Duration

	posts, retries, errs atomic.Int64
}

// NewCollector returns a sink posting to url (http://host:port/v1/events).
// timeout bounds one attempt; the collector answers within its
// ack.timeout.ms (30 s by default), so give it more than that.
func NewCollector(url string, timeout time.Duration) *Collector {
	return &Collector{url: url, client: &http.Client{Timeout: timeout}, maxBackoff: 5 * time.Second}
}

// Transport returns the attempts so far.
func (c *Collector) Transport() Transport {
	return Transport{Posts: c.posts.Load(), Retries: c.retries.Load(), Errors: c.errs.Load()}
}

// Send posts events until the collector has them all.
func (c *Collector) Send(ctx context.Context, events []Event) (Sent, error) {
	body := make([]byte, 0, lineBytes(events))
	for i := range events {
		body = append(body, events[i].Line...)
		body = append(body, '\n')
	}
	var sent Sent
	unknown := false // an attempt's outcome is unknown: the batch may be in Kafka
	backoff := 100 * time.Millisecond
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			c.retries.Add(1)
			sent.Resent = sent.Resent || unknown
		}
		c.posts.Add(1)
		a, err := c.post(ctx, body)
		wait := backoff
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return sent, ctx.Err()
			}
			c.errs.Add(1)
			if !nothingSent(err) {
				unknown = true
			}
		case a.status == http.StatusOK:
			return sent, nil
		case a.status == http.StatusMultiStatus:
			sent.Refused = a.invalid
			return sent, nil
		case a.status == http.StatusTooManyRequests:
			c.errs.Add(1)
			wait = max(wait, a.retryAfter)
		case a.status == http.StatusRequestEntityTooLarge && len(events) > 1:
			c.errs.Add(1)
			return c.split(ctx, events, sent)
		case a.status >= 500:
			c.errs.Add(1)
			unknown = true
			wait = max(wait, a.retryAfter)
		default:
			c.errs.Add(1)
			return sent, fmt.Errorf("the collector at %s answered %d: %s", c.url, a.status, bytes.TrimSpace(a.body))
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return sent, ctx.Err()
		case <-timer.C:
		}
		backoff = min(2*backoff, c.maxBackoff)
	}
}

// split sends a batch the collector found too large as two.
func (c *Collector) split(ctx context.Context, events []Event, before Sent) (Sent, error) {
	half := len(events) / 2
	a, err := c.Send(ctx, events[:half])
	if err != nil {
		return a, err
	}
	b, err := c.Send(ctx, events[half:])
	return Sent{Resent: before.Resent || a.Resent || b.Resent, Refused: a.Refused + b.Refused}, err
}

type answer struct {
	status     int
	retryAfter time.Duration
	invalid    int
	body       []byte
}

func (c *Collector) post(ctx context.Context, body []byte) (answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return answer{}, err
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	resp, err := c.client.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil && resp.StatusCode/100 != 2 {
		return answer{}, err
	}
	a := answer{status: resp.StatusCode, body: data}
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && s > 0 {
		a.retryAfter = time.Duration(s) * time.Second
	}
	if a.status == http.StatusMultiStatus {
		var got struct {
			Invalid int `json:"invalid"`
		}
		if err := json.Unmarshal(data, &got); err != nil {
			return answer{}, fmt.Errorf("read the collector's 207 answer %q: %w", data, err)
		}
		a.invalid = got.Invalid
	}
	return a, nil
}

// nothingSent reports an error that came before the request left: the
// connection was never made.
func nothingSent(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}
