package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// DictionaryTable is the serving-store table the probes are looked for in:
// registration-level-serving's table (deployments/pipelines/edu).
const DictionaryTable = "channel_name_dictionary"

// latency sends the probes and finds their rows.
type latency struct {
	opts    *Options
	conn    *pgx.Conn
	run     int64 // tells this run's probe ids from an earlier run's
	next    int
	pending map[string]time.Time // probe id → when its POST began
	seen    []time.Duration
	sent    int
	lost    int
	errors  errorLog
}

func newLatency(ctx context.Context, opts *Options) (*latency, error) {
	conn, err := pgx.Connect(ctx, opts.Serving)
	if err != nil {
		return nil, fmt.Errorf("probe: connect to the serving store: %w", err)
	}
	return &latency{opts: opts, conn: conn, run: time.Now().UnixMilli(), pending: map[string]time.Time{}}, nil
}

func (l *latency) close() { l.conn.Close(context.Background()) }

// probeLine is a channel-dictionary line as the app posts one; delete is
// its removal, a change event the registration-level chain unwraps into a
// tombstone keyed by the same md5 rowkey.
func probeLine(id string, delete bool) []byte {
	type row struct {
		Type        string `json:"type,omitempty"`
		ID          string `json:"id"`
		ChineseName string `json:"chinese_name,omitempty"`
		EnglishName string `json:"english_name,omitempty"`
	}
	var v any = row{Type: "dictionary", ID: id, ChineseName: "探针", EnglishName: "tributary probe"}
	if delete {
		v = struct {
			Type   string `json:"type"`
			Op     string `json:"op"`
			Before row    `json:"before"`
		}{"dictionary", "d", row{ID: id}}
	}
	b, _ := json.Marshal(v) // plain strings: cannot fail
	return append(b, '\n')
}

// send posts the next probe.
func (l *latency) send(ctx context.Context) {
	l.next++
	id := fmt.Sprintf("tributary-probe-%d-%d", l.run, l.next)
	began := time.Now()
	if err := l.post(ctx, probeLine(id, false)); err != nil {
		if ctx.Err() == nil {
			l.errors.add("post a probe", err)
		}
		return
	}
	l.sent++
	l.pending[id] = began
}

func (l *latency) post(ctx context.Context, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, l.opts.Collector, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-ndjson")
	resp, err := l.opts.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("collector answered %s: %s", resp.Status, bytes.TrimSpace(msg))
	}
	return nil
}

// poll looks for the rows of the probes in flight, and gives up on those
// older than the timeout.
func (l *latency) poll(ctx context.Context) {
	if len(l.pending) == 0 {
		return
	}
	ids := make([]string, 0, len(l.pending))
	for id := range l.pending {
		ids = append(ids, id)
	}
	found, err := l.lookFor(ctx, ids)
	now := time.Now()
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr) && pgErr.Code == "42P01":
		// The sink creates the table with its first row.
	case err != nil:
		if ctx.Err() == nil {
			l.errors.add("look for probe rows", err)
		}
	}
	for _, id := range found {
		began, ok := l.pending[id]
		if !ok {
			continue
		}
		delete(l.pending, id)
		l.seen = append(l.seen, now.Sub(began))
		if err := l.post(ctx, probeLine(id, true)); err != nil && ctx.Err() == nil {
			l.errors.add("post a probe's delete", err)
		}
	}
	for id, began := range l.pending {
		if now.Sub(began) > l.opts.Timeout {
			delete(l.pending, id)
			l.lost++
		}
	}
}

// queryTimeout bounds one look for probe rows.
const queryTimeout = 5 * time.Second

// lookFor returns which of ids the dictionary holds. The query does not
// run on ctx itself: pgx closes a connection whose query's context ends,
// and the run's context ends while the probes in flight are still to be
// looked for. A connection that closed anyway (the server restarted) is
// opened again.
func (l *latency) lookFor(ctx context.Context, ids []string) ([]string, error) {
	qctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), queryTimeout)
	defer cancel()
	if l.conn.IsClosed() {
		conn, err := pgx.Connect(qctx, l.opts.Serving)
		if err != nil {
			return nil, fmt.Errorf("connect to the serving store again: %w", err)
		}
		l.conn = conn
	}
	rows, err := l.conn.Query(qctx, "SELECT id FROM "+DictionaryTable+" WHERE id = ANY($1)", ids)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// drain polls for the probes in flight until they are all seen or ctx
// ends.
func (l *latency) drain(ctx context.Context, tick <-chan time.Time) {
	for len(l.pending) > 0 {
		select {
		case <-ctx.Done():
			return
		case <-tick:
			l.poll(ctx)
		}
	}
}

// Latency is what the probes saw.
type Latency struct {
	Sent       int     `json:"sent"`       // probes the collector took
	Seen       int     `json:"seen"`       // probes whose row appeared
	Lost       int     `json:"lost"`       // not seen within the timeout
	Unfinished int     `json:"unfinished"` // in flight when the run ended
	P50Ms      float64 `json:"p50_ms"`
	P99Ms      float64 `json:"p99_ms"`
	MaxMs      float64 `json:"max_ms"`
	MeanMs     float64 `json:"mean_ms"`
}

func (l *latency) summary() Latency {
	s := Latency{Sent: l.sent, Seen: len(l.seen), Lost: l.lost, Unfinished: len(l.pending)}
	if len(l.seen) == 0 {
		return s
	}
	d := slices.Clone(l.seen)
	slices.Sort(d)
	var sum time.Duration
	for _, v := range d {
		sum += v
	}
	s.P50Ms, s.P99Ms = ms(percentile(d, 50)), ms(percentile(d, 99))
	s.MaxMs, s.MeanMs = ms(d[len(d)-1]), ms(sum/time.Duration(len(d)))
	return s
}

// percentile is the nearest-rank percentile p of sorted d: the smallest
// value with at least p % of the values at or below it.
func percentile(sorted []time.Duration, p float64) time.Duration {
	rank := int(p/100*float64(len(sorted)) + 0.999999999)
	return sorted[min(max(rank, 1), len(sorted))-1]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// line is the latency as a progress line gives it.
func (s Latency) line() string {
	if s.Seen == 0 {
		return fmt.Sprintf("latency: no probe seen yet (%d sent, %d lost)", s.Sent, s.Lost)
	}
	return fmt.Sprintf("latency p50 %.0f ms p99 %.0f ms max %.0f ms (%d seen, %d lost)", s.P50Ms, s.P99Ms, s.MaxMs, s.Seen, s.Lost)
}
