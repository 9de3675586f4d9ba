package lookup

import (
	"strings"
	"testing"
	"time"
)

func TestConfigChecks(t *testing.T) {
	ok := Config{Table: "dict", KeyColumn: "rowkey", Columns: []string{"level"}, TTL: time.Minute}
	for _, c := range []struct {
		name   string
		change func(*Config)
		want   string // in the error; "" for none
	}{
		{"ok", func(*Config) {}, ""},
		{"schema", func(c *Config) { c.Table = "serving.dict" }, ""},
		{"no table", func(c *Config) { c.Table = "" }, `table ""`},
		{"empty schema", func(c *Config) { c.Table = ".dict" }, `table ".dict"`},
		{"empty table", func(c *Config) { c.Table = "serving." }, `table "serving."`},
		{"no key", func(c *Config) { c.KeyColumn = "" }, "key column is empty"},
		{"empty column", func(c *Config) { c.Columns = []string{"a", ""} }, "column 1 is empty"},
		{"no ttl", func(c *Config) { c.TTL = 0 }, "TTL 0s: must be positive"},
		{"negative negative ttl", func(c *Config) { c.NegativeTTL = -time.Second }, "negative TTL"},
		{"cache size", func(c *Config) { c.CacheSize = -1 }, "cache size -1"},
		{"batch size", func(c *Config) { c.BatchSize = -1 }, "batch size -1"},
		{"timeout", func(c *Config) { c.Timeout = -1 }, "timeout -1ns"},
		{"max conns", func(c *Config) { c.MaxConns = -1 }, "max conns -1"},
	} {
		cfg := ok
		c.change(&cfg)
		_, err := cfg.resolve()
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%s: error %v, want it to say %q", c.name, err, c.want)
		}
	}
	r, err := ok.resolve()
	if err != nil {
		t.Fatal(err)
	}
	if r.CacheSize != DefaultCacheSize || r.BatchSize != DefaultBatchSize || r.Timeout != DefaultTimeout || r.MaxConns != DefaultMaxConns || r.Now == nil {
		t.Errorf("defaults not filled in: %+v", r.Config)
	}
	if got := tableIdentifier("s.a.b").Sanitize(); got != `"s"."a.b"` {
		t.Errorf("s.a.b is %s", got)
	}
}

func TestCountsNamesAreStable(t *testing.T) {
	s := Stats{Hits: 1, NegativeHits: 2, Misses: 3, Coalesced: 4, KeysQueried: 5, Queries: 6, QueryErrors: 7,
		RowsFetched: 8, Evictions: 9, Expirations: 10, Puts: 11, Deletes: 12, Invalidates: 13, Entries: 14}
	want := map[string]int64{"hits": 1, "negative_hits": 2, "misses": 3, "coalesced": 4, "keys_queried": 5,
		"queries": 6, "query_errors": 7, "rows_fetched": 8, "evictions": 9, "expirations": 10, "puts": 11,
		"deletes": 12, "invalidates": 13, "entries": 14}
	got := s.Counts()
	if len(got) != len(want) {
		t.Errorf("%d counts, want %d: %v", len(got), len(want), got)
	}
	for name, n := range want {
		if got[name] != n {
			t.Errorf("%s = %d, want %d", name, got[name], n)
		}
	}
}
