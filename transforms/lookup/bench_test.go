package lookup

import (
	"context"
	"math/rand/v2"
	"testing"
)

const (
	benchRows  = 100_000
	benchBatch = 500
)

// benchTable is a channel_name_dictionary of 100k channels and a Table on
// it holding up to cacheSize entries.
func benchTable(b *testing.B, cacheSize int) (*Table, []string) {
	b.Helper()
	db := newDB(b)
	db.dictionary(b, benchRows)
	tbl, counter := db.open(b, Config{CacheSize: cacheSize, BatchSize: 1000})
	cleanup(b, tbl, counter)
	keys := make([]string, benchRows)
	for i := range keys {
		keys[i] = key(i)
	}
	return tbl, keys
}

func reportKeys(b *testing.B, keys int64) {
	b.ReportMetric(float64(keys)/b.Elapsed().Seconds(), "keys/s")
}

// BenchmarkGetWarm is a batch of 500 random keys that are all in a cache
// of 100k rows: the steady state of the registrations job.
func BenchmarkGetWarm(b *testing.B) {
	tbl, keys := benchTable(b, benchRows)
	ctx := context.Background()
	if _, err := tbl.Get(ctx, keys); err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	batches := make([][]string, 64)
	for i := range batches {
		batches[i] = make([]string, benchBatch)
		for j := range batches[i] {
			batches[i][j] = keys[rng.IntN(len(keys))]
		}
	}
	before := tbl.Stats()
	var n int64
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tbl.Get(ctx, batches[n%int64(len(batches))]); err != nil {
			b.Fatal(err)
		}
		n++
	}
	reportKeys(b, n*benchBatch)
	if s := tbl.Stats(); s.Queries != before.Queries || s.Hits-before.Hits != n*benchBatch {
		b.Fatalf("not all hits: %+v", s)
	}
}

// BenchmarkGetCold is a batch of 500 distinct keys none of which is cached
// (the cache holds two batches and the keys cycle through 100k): one query
// per batch against the real table.
func BenchmarkGetCold(b *testing.B) {
	tbl, keys := benchTable(b, 2*benchBatch)
	ctx := context.Background()
	rand.New(rand.NewPCG(3, 4)).Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	before := tbl.Stats()
	var n int64
	b.ReportAllocs()
	for b.Loop() {
		start := int(n*benchBatch) % len(keys)
		if _, err := tbl.Get(ctx, keys[start:start+benchBatch]); err != nil {
			b.Fatal(err)
		}
		n++
	}
	reportKeys(b, n*benchBatch)
	s := tbl.Stats()
	if s.Hits != before.Hits || s.Queries-before.Queries != n {
		b.Fatalf("not one query per batch of misses: %+v", s)
	}
	b.ReportMetric(float64(s.RowsFetched-before.RowsFetched)/b.Elapsed().Seconds(), "rows/s")
}
