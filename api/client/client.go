package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Defaults of a Client.
const (
	DefaultTimeout       = 30 * time.Second
	DefaultRetryAttempts = 3
	DefaultRetryBackoff  = 200 * time.Millisecond
)

// maxBody bounds what the client reads of an answer.
const maxBody = 64 << 20

// Client talks to one Tributary worker (any worker of a cluster answers for
// the whole cluster). It is safe for concurrent use.
type Client struct {
	base      *url.URL
	token     string
	hc        *http.Client
	timeout   time.Duration
	attempts  int
	backoff   time.Duration
	userAgent string
}

// Option configures a Client.
type Option func(*Client)

// WithToken sends "Authorization: Bearer token" with every request; workers
// started with an API token refuse writes without it.
func WithToken(token string) Option { return func(c *Client) { c.token = token } }

// WithHTTPClient uses hc instead of a default http.Client (for TLS settings,
// proxies, or a transport of tests). The client never modifies hc.
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.hc = hc } }

// WithTimeout bounds each request, answer read included; 0 means no bound
// beyond the caller's context. The default is DefaultTimeout.
func WithTimeout(d time.Duration) Option { return func(c *Client) { c.timeout = d } }

// WithRetry sets how many times in all a GET is tried when the connection is
// refused, and the backoff before the first retry (doubling after each).
// attempts < 1 counts as 1 (no retry).
func WithRetry(attempts int, backoff time.Duration) Option {
	return func(c *Client) {
		c.attempts = max(attempts, 1)
		c.backoff = backoff
	}
}

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option { return func(c *Client) { c.userAgent = ua } }

// New returns a client of the worker at baseURL, e.g. "http://127.0.0.1:8083"
// (a path prefix, as behind a reverse proxy, is kept).
func New(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil {
		return nil, fmt.Errorf("client: base URL %q: %w", baseURL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("client: base URL %q: scheme must be http or https", baseURL)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("client: base URL %q has no host", baseURL)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("client: base URL %q must not have a query or fragment", baseURL)
	}
	c := &Client{
		base:      u,
		hc:        http.DefaultClient,
		timeout:   DefaultTimeout,
		attempts:  DefaultRetryAttempts,
		backoff:   DefaultRetryBackoff,
		userAgent: "tributary-client",
	}
	for _, opt := range opts {
		opt(c)
	}
	if c.hc == nil {
		c.hc = http.DefaultClient
	}
	return c, nil
}

// BaseURL returns the URL of the worker the client talks to.
func (c *Client) BaseURL() string { return c.base.String() }

// endpoint builds the URL of a route from its path segments, each escaped.
func (c *Client) endpoint(query url.Values, segments ...string) string {
	u := *c.base
	var raw strings.Builder
	raw.WriteString(u.EscapedPath())
	for _, s := range segments {
		raw.WriteByte('/')
		raw.WriteString(url.PathEscape(s))
	}
	if len(segments) == 0 {
		raw.WriteByte('/')
	}
	u.RawPath = raw.String()
	u.Path, _ = url.PathUnescape(u.RawPath)
	u.RawQuery = query.Encode()
	return u.String()
}

// call sends one request and decodes a 2xx answer into out (when out is not
// nil and the answer has a body). It returns the status of a 2xx answer; any
// other status is an *APIError.
func (c *Client) call(ctx context.Context, method, target string, in, out any) (int, error) {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return 0, fmt.Errorf("%s %s: encode request: %w", method, target, err)
		}
	}
	attempts := 1
	if method == http.MethodGet {
		attempts = c.attempts
	}
	backoff := c.backoff
	for attempt := 1; ; attempt++ {
		status, respBody, err := c.roundTrip(ctx, method, target, body)
		if err != nil {
			if attempt < attempts && errors.Is(err, syscall.ECONNREFUSED) && ctx.Err() == nil {
				if werr := sleep(ctx, backoff); werr != nil {
					return 0, fmt.Errorf("%s %s: %w", method, target, err)
				}
				backoff *= 2
				continue
			}
			return 0, fmt.Errorf("%s %s: %w", method, target, err)
		}
		if status < 200 || status > 299 {
			return status, decodeAPIError(status, respBody)
		}
		if out != nil && len(bytes.TrimSpace(respBody)) > 0 {
			dec := json.NewDecoder(bytes.NewReader(respBody))
			dec.UseNumber()
			if err := dec.Decode(out); err != nil {
				return status, fmt.Errorf("%s %s: decode answer (HTTP %d): %w", method, target, status, err)
			}
		}
		return status, nil
	}
}

// roundTrip sends one request and reads its whole answer within the timeout.
func (c *Client) roundTrip(ctx context.Context, method, target string, body []byte) (int, []byte, error) {
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if c.userAgent != "" {
		req.Header.Set("User-Agent", c.userAgent)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	respBody, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return 0, nil, fmt.Errorf("read answer (HTTP %d): %w", resp.StatusCode, err)
	}
	if len(respBody) > maxBody {
		return 0, nil, fmt.Errorf("answer (HTTP %d) larger than %d bytes", resp.StatusCode, maxBody)
	}
	return resp.StatusCode, respBody, nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
