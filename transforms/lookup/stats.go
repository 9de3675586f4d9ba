package lookup

import "sync/atomic"

// Stats are a Table's counters since it was made, and the cache's size.
// Key counters count every key passed to Get, repeats included, so
// Hits + NegativeHits + Misses is the number of keys looked up; Queries and
// KeysQueried show what batching and de-duplication made of the misses.
type Stats struct {
	Hits         int64 // keys answered by a cached row
	NegativeHits int64 // keys answered by a cached absence (from the table or a Delete)
	Misses       int64 // keys the cache could not answer: they waited for a query
	Coalesced    int64 // misses that waited for a query another Get had started
	KeysQueried  int64 // distinct keys sent to the table
	Queries      int64 // queries run, failed ones included
	QueryErrors  int64 // queries that failed
	RowsFetched  int64 // rows the queries returned
	Evictions    int64 // live entries dropped to make room
	Expirations  int64 // entries dropped because their TTL had passed
	Puts         int64 // Put calls
	Deletes      int64 // Delete calls
	Invalidates  int64 // Invalidate calls
	Entries      int64 // entries in the cache now (a gauge)
}

// Counts returns the Stats under stable snake_case names, for the runtime
// to export as metrics.
func (s Stats) Counts() map[string]int64 {
	return map[string]int64{
		"hits":          s.Hits,
		"negative_hits": s.NegativeHits,
		"misses":        s.Misses,
		"coalesced":     s.Coalesced,
		"keys_queried":  s.KeysQueried,
		"queries":       s.Queries,
		"query_errors":  s.QueryErrors,
		"rows_fetched":  s.RowsFetched,
		"evictions":     s.Evictions,
		"expirations":   s.Expirations,
		"puts":          s.Puts,
		"deletes":       s.Deletes,
		"invalidates":   s.Invalidates,
		"entries":       s.Entries,
	}
}

// counters are the Stats counted outside the cache's mutex: Get adds its
// key counts once per call, the fetches their queries as they run.
type counters struct {
	hits, negativeHits, misses, coalesced   atomic.Int64
	keysQueried, queries, queryErrors, rows atomic.Int64
	puts, deletes, invalidates              atomic.Int64
}
