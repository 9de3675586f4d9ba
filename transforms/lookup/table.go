package lookup

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/tributarydata/tributary/transforms/value"
)

// Table looks keys up in one dimension table through a cache. It is safe
// for concurrent use.
type Table struct {
	cfg   resolved
	db    Querier
	owned *connPool // the pool Open made, closed by Close
	sql   string    // SELECT key, columns… FROM table WHERE key = ANY($1)
	kinds []kind    // of Columns, in order

	// base is the context of the queries: they run for every Get waiting
	// on them, not for the one that started them, and stop at Close.
	base   context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // running fetches

	mu      sync.Mutex
	cache   *lru
	flights map[string]*call // keys being queried, and the query that answers them
	closed  bool

	counts counters
}

// Result is what a lookup found for one key.
type Result struct {
	// Values are the row's Columns in order, SQL NULL as the null Value;
	// nil when not Found. They are shared with the cache and other callers:
	// read them, never change them.
	Values []value.Value
	// Found is false when the table has no row for the key (or the stream
	// deleted it), which a row whose columns are all NULL is not.
	Found bool
}

// Open connects to the serving store at url (a PostgreSQL URL or DSN, as
// pgx takes it) with a pool of up to MaxConns connections, and makes a
// Table on it, checking that the table and columns exist. Close closes the
// pool.
func Open(ctx context.Context, url string, cfg Config) (*Table, error) {
	rc, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	cc, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("lookup %s: %w", cfg.Table, err)
	}
	if _, set := cc.RuntimeParams["application_name"]; !set {
		cc.RuntimeParams["application_name"] = "tributary lookup " + cfg.Table
	}
	pool := newConnPool(cc, rc.MaxConns)
	t, err := newTable(ctx, pool, rc)
	if err != nil {
		pool.close()
		return nil, err
	}
	t.owned = pool
	return t, nil
}

// New makes a Table on a pool the caller owns and closes (a *pgxpool.Pool,
// say), checking that the table and columns exist.
func New(ctx context.Context, db Querier, cfg Config) (*Table, error) {
	rc, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	return newTable(ctx, db, rc)
}

func newTable(ctx context.Context, db Querier, cfg resolved) (*Table, error) {
	t := &Table{cfg: cfg, db: db, cache: newLRU(cfg.CacheSize), flights: map[string]*call{}}
	if err := t.describe(ctx); err != nil {
		return nil, err
	}
	t.base, t.cancel = context.WithCancel(context.Background())
	return t, nil
}

// describe learns the columns' types, which decide how each is read, and
// builds the query.
func (t *Table) describe(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, t.cfg.Timeout)
	defer cancel()
	key := pgx.Identifier{t.cfg.KeyColumn}.Sanitize()
	list := []string{key}
	for _, c := range t.cfg.Columns {
		list = append(list, pgx.Identifier{c}.Sanitize())
	}
	from := " FROM " + t.cfg.table.Sanitize()
	// LIMIT 0 runs nothing, not even a view's subqueries.
	rows, err := t.db.Query(ctx, "SELECT "+strings.Join(list, ", ")+from+" LIMIT 0")
	if err != nil {
		return markRetriable(fmt.Errorf("lookup %s: %w", t.cfg.Table, err), undefinedTable)
	}
	// Copied before the rows are closed: pgx reuses the slice, and a pool
	// gives the connection to other queries once they are.
	fields := slices.Clone(rows.FieldDescriptions())
	rows.Close()
	if err := rows.Err(); err != nil {
		return markRetriable(fmt.Errorf("lookup %s: %w", t.cfg.Table, err))
	}
	if len(fields) != len(list) {
		return fmt.Errorf("lookup %s: the server described %d columns for %d", t.cfg.Table, len(fields), len(list))
	}
	if oid := fields[0].DataTypeOID; oid != pgtype.TextOID && oid != pgtype.VarcharOID {
		return fmt.Errorf("lookup %s: key column %s is not text or varchar (type oid %d)", t.cfg.Table, t.cfg.KeyColumn, oid)
	}
	t.kinds = make([]kind, len(t.cfg.Columns))
	list = list[:1]
	for i, c := range t.cfg.Columns {
		t.kinds[i] = kindOf(fields[i+1].DataTypeOID)
		list = append(list, t.kinds[i].selectExpr(c))
	}
	t.sql = "SELECT " + strings.Join(list, ", ") + from + " WHERE " + key + " = ANY($1)"
	return nil
}

// Close stops the queries under way, waits for them and closes the pool
// when Open made it. Gets after Close fail with ErrClosed.
func (t *Table) Close() {
	t.mu.Lock()
	already := t.closed
	t.closed = true
	t.mu.Unlock()
	if already {
		return
	}
	t.cancel()
	t.wg.Wait()
	if t.owned != nil {
		t.owned.close()
	}
}

// Get looks keys up and returns a Result per key, in the order of keys.
// Keys the cache holds are answered from memory; the others, once each
// however often they repeat, are read from the table in queries of at most
// BatchSize keys, or taken from a query another Get already has under way
// for them. A failed query fails the whole Get, marked sdk.Retriable when
// it is about the connection or the server, and leaves nothing cached for
// the keys it asked for. ctx bounds the wait; a query the caller stops
// waiting for still finishes (within Timeout) and fills the cache.
func (t *Table) Get(ctx context.Context, keys []string) ([]Result, error) {
	out := make([]Result, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	var (
		hits, negativeHits, misses, coalesced int64
		own                                   *call
		waits                                 []*call // own first
		pending                               []pendingKey
	)
	now := t.cfg.Now()
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return nil, ErrClosed
	}
	for i, k := range keys {
		if e := t.cache.get(k, now); e != nil {
			out[i] = Result{Values: e.values, Found: e.found}
			if e.found {
				hits++
			} else {
				negativeHits++
			}
			continue
		}
		misses++
		c := t.flights[k]
		switch {
		case c == nil:
			if own == nil {
				own = &call{done: make(chan struct{})}
				waits = append(waits, own)
			}
			c = own
			t.flights[k] = own
			own.keys = append(own.keys, k)
		case c != own:
			coalesced++
			if !slices.Contains(waits, c) {
				waits = append(waits, c)
			}
		}
		pending = append(pending, pendingKey{index: i, call: c})
	}
	if own != nil {
		t.wg.Add(1)
	}
	t.mu.Unlock()

	t.counts.hits.Add(hits)
	t.counts.negativeHits.Add(negativeHits)
	t.counts.misses.Add(misses)
	t.counts.coalesced.Add(coalesced)
	if own != nil {
		go t.fetch(own)
	}
	for _, c := range waits {
		select {
		case <-c.done:
		case <-ctx.Done():
			return nil, fmt.Errorf("lookup %s: %w", t.cfg.Table, ctx.Err())
		}
		if c.err != nil {
			return nil, c.err
		}
	}
	for _, p := range pending {
		if values, ok := p.call.rows[keys[p.index]]; ok {
			out[p.index] = Result{Values: values, Found: true}
		}
	}
	return out, nil
}

// pendingKey is a key of a Get that a query answers.
type pendingKey struct {
	index int
	call  *call
}

// Put stores a row for key, as the stream of the dimension's changes has
// it, in place of what the cache or the table says. It is trusted for TTL
// from now, like a row read from the table, and wins over a query for key
// under way. values are copied, one per column of Columns.
func (t *Table) Put(key string, values []value.Value) error {
	if len(values) != len(t.cfg.Columns) {
		return fmt.Errorf("lookup %s: put %d values for %d columns", t.cfg.Table, len(values), len(t.cfg.Columns))
	}
	values = slices.Clone(values)
	if values == nil {
		values = []value.Value{}
	}
	t.counts.puts.Add(1)
	t.override(key, values, true)
	return nil
}

// Delete records that the stream deleted the row of key: Get answers "not
// found" for TTL from now (the TTL of rows, not NegativeTTL: it is news from
// the stream, not an absence read from a table that may lag), even with
// negative caching off.
func (t *Table) Delete(key string) {
	t.counts.deletes.Add(1)
	t.override(key, nil, false)
}

func (t *Table) override(key string, values []value.Value, found bool) {
	now := t.cfg.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.supersede(key)
	t.cache.set(key, values, found, now.Add(t.cfg.TTL), now)
}

// Invalidate forgets what the cache knows of key, so the next Get reads the
// table; a query for key under way will not cache its answer.
func (t *Table) Invalidate(key string) {
	t.counts.invalidates.Add(1)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.supersede(key)
	t.cache.delete(key)
}

// supersede keeps a query under way for key from caching its answer, which
// it read before the news that supersedes it, and lets later Gets start a
// query of their own rather than wait for that one. The Gets already
// waiting get its answer.
func (t *Table) supersede(key string) {
	c := t.flights[key]
	if c == nil {
		return
	}
	delete(t.flights, key)
	if c.superseded == nil {
		c.superseded = map[string]struct{}{}
	}
	c.superseded[key] = struct{}{}
}

// Stats returns the counters.
func (t *Table) Stats() Stats {
	t.mu.Lock()
	entries, evictions, expirations := t.cache.len(), t.cache.evictions, t.cache.expirations
	t.mu.Unlock()
	c := &t.counts
	return Stats{
		Hits: c.hits.Load(), NegativeHits: c.negativeHits.Load(), Misses: c.misses.Load(), Coalesced: c.coalesced.Load(),
		KeysQueried: c.keysQueried.Load(), Queries: c.queries.Load(), QueryErrors: c.queryErrors.Load(), RowsFetched: c.rows.Load(),
		Evictions: evictions, Expirations: expirations,
		Puts: c.puts.Load(), Deletes: c.deletes.Load(), Invalidates: c.invalidates.Load(),
		Entries: int64(entries),
	}
}

// Counts is Stats().Counts(), the form the runtime exports as metrics.
func (t *Table) Counts() map[string]int64 { return t.Stats().Counts() }
