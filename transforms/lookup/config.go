package lookup

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Config says which rows to read and how long to trust them.
type Config struct {
	// Table is the dimension table, "table" or "schema.table" (split at the
	// first dot). Each part is the name exactly as the catalog spells it:
	// it is quoted, never case-folded, so "Dict" and "dict" differ.
	Table string
	// KeyColumn is the column the keys are matched against, of type text or
	// varchar and unique (a primary key): when several rows share a key,
	// the first the server returns wins.
	KeyColumn string
	// Columns are the columns a found row returns, in this order. Empty
	// makes a lookup an existence check.
	Columns []string

	// CacheSize is the most entries the cache holds, rows and absences
	// together; the least recently used entry leaves to make room.
	// 0 means 100,000.
	CacheSize int
	// TTL is how long a row read from the table, or put or deleted from
	// the stream, is trusted before the table is asked again. Required.
	TTL time.Duration
	// NegativeTTL is how long "the table has no such row" is trusted.
	// 0 turns negative caching off: every lookup of a missing key queries.
	NegativeTTL time.Duration
	// BatchSize is the most keys one query asks for. 0 means 1,000.
	BatchSize int
	// Timeout bounds each query. 0 means 5 seconds.
	Timeout time.Duration
	// MaxConns is the most connections the pool Open makes may hold.
	// 0 means 4: queries are few, one per batch of misses.
	MaxConns int

	// Now is the clock entries expire by; nil means time.Now. Tests pass a
	// fake one.
	Now func() time.Time
}

// The defaults of the zero fields.
const (
	DefaultCacheSize = 100_000
	DefaultBatchSize = 1_000
	DefaultTimeout   = 5 * time.Second
	DefaultMaxConns  = 4
)

// resolved is a checked Config with its defaults filled in.
type resolved struct {
	Config
	table pgx.Identifier
}

func (c Config) resolve() (resolved, error) {
	var errs []error
	table := tableIdentifier(c.Table)
	if table == nil {
		errs = append(errs, fmt.Errorf("table %q: want table or schema.table", c.Table))
	}
	if c.KeyColumn == "" {
		errs = append(errs, errors.New("key column is empty"))
	}
	for i, col := range c.Columns {
		if col == "" {
			errs = append(errs, fmt.Errorf("column %d is empty", i))
		}
	}
	if c.TTL <= 0 {
		errs = append(errs, fmt.Errorf("TTL %v: must be positive (how long a row read from the table is trusted)", c.TTL))
	}
	if c.NegativeTTL < 0 {
		errs = append(errs, fmt.Errorf("negative TTL %v: must be 0 (off) or positive", c.NegativeTTL))
	}
	if c.CacheSize < 0 {
		errs = append(errs, fmt.Errorf("cache size %d: must be 0 (default) or positive", c.CacheSize))
	}
	if c.BatchSize < 0 {
		errs = append(errs, fmt.Errorf("batch size %d: must be 0 (default) or positive", c.BatchSize))
	}
	if c.MaxConns < 0 {
		errs = append(errs, fmt.Errorf("max conns %d: must be 0 (default) or positive", c.MaxConns))
	}
	if c.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout %v: must be 0 (default) or positive", c.Timeout))
	}
	if err := errors.Join(errs...); err != nil {
		return resolved{}, fmt.Errorf("lookup config: %w", err)
	}
	if c.CacheSize == 0 {
		c.CacheSize = DefaultCacheSize
	}
	if c.BatchSize == 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxConns == 0 {
		c.MaxConns = DefaultMaxConns
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	c.Columns = append([]string(nil), c.Columns...)
	return resolved{Config: c, table: table}, nil
}

// tableIdentifier splits "schema.table" at the first dot; nil when a part
// is empty.
func tableIdentifier(name string) pgx.Identifier {
	schema, table, qualified := strings.Cut(name, ".")
	switch {
	case !qualified && name != "":
		return pgx.Identifier{name}
	case qualified && schema != "" && table != "":
		return pgx.Identifier{schema, table}
	}
	return nil
}
