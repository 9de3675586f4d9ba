package lookup

import (
	"context"
	"fmt"

	"github.com/tributarydata/tributary/transforms/value"
)

// call is one fetch of missed keys: the Get that missed them first starts
// it, and every Get that misses one of them while it runs waits for it
// rather than asking again.
type call struct {
	keys []string      // distinct, in the order they were missed
	done chan struct{} // closed when rows and err are set

	rows map[string][]value.Value // the keys found; the others have no row
	err  error

	// superseded are keys a Put, Delete or Invalidate overtook while the
	// query ran: their answer is returned but not cached. Guarded by
	// Table.mu.
	superseded map[string]struct{}
}

// fetch reads c's keys in queries of BatchSize and caches the answers: rows
// for TTL, absences for NegativeTTL. When a query fails, the keys it and
// the queries after it would have read are not cached at all, and every
// waiting Get fails.
func (t *Table) fetch(c *call) {
	defer t.wg.Done()
	start := t.cfg.Now() // the answers are as old as the first query
	rows := make(map[string][]value.Value, len(c.keys))
	read := 0 // c.keys[:read] were answered
	var err error
	for read < len(c.keys) {
		chunk := c.keys[read:min(read+t.cfg.BatchSize, len(c.keys))]
		if err = t.query(chunk, rows); err != nil {
			t.counts.queryErrors.Add(1)
			err = markRetriable(fmt.Errorf("lookup %s: %w", t.cfg.Table, err))
			break
		}
		read += len(chunk)
	}

	t.mu.Lock()
	for i, k := range c.keys {
		if t.flights[k] == c {
			delete(t.flights, k)
		}
		if i >= read {
			continue
		}
		if _, ok := c.superseded[k]; ok {
			continue
		}
		if values, found := rows[k]; found {
			t.cache.set(k, values, true, start.Add(t.cfg.TTL), start)
		} else if t.cfg.NegativeTTL > 0 {
			t.cache.set(k, nil, false, start.Add(t.cfg.NegativeTTL), start)
		}
	}
	c.rows, c.err = rows, err
	t.mu.Unlock()
	close(c.done)
}

// query reads the rows of keys into rows. A key the table holds twice
// keeps the first row the server returns.
func (t *Table) query(keys []string, rows map[string][]value.Value) error {
	ctx, cancel := context.WithTimeout(t.base, t.cfg.Timeout)
	defer cancel()
	t.counts.queries.Add(1)
	t.counts.keysQueried.Add(int64(len(keys)))
	result, err := t.db.Query(ctx, t.sql, keys)
	if err != nil {
		return err
	}
	defer result.Close()
	var key string
	dest := make([]any, 1+len(t.kinds))
	dest[0] = &key
	for i, k := range t.kinds {
		dest[1+i] = k.holder()
	}
	var n int64
	for result.Next() {
		if err := result.Scan(dest...); err != nil {
			return err
		}
		n++
		if _, dup := rows[key]; dup {
			continue
		}
		values := make([]value.Value, len(t.kinds))
		for i, k := range t.kinds {
			values[i] = k.decode(dest[1+i])
		}
		rows[key] = values
	}
	t.counts.rows.Add(n)
	return result.Err()
}
