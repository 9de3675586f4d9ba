// Package lookup is the lookup side of the stream engine's lookup joins: it
// reads dimension rows from a table in the serving store (PostgreSQL
// protocol: PostgreSQL, Hologres) through a cache, so that thousands of
// records a second do not become thousands of queries.
//
// # The job
//
// The warehouse's hourly-registrations job enriches each registration with
// its channel's level from channel_name_dictionary (rowkey text primary key,
// the hex MD5 of the channel id; id, level, … all text), the table the
// registration-level pipeline loads from dwd.channel_name_dictionary. A
// Table stands for one such dimension table: the job calls Get once per
// batch of records with the batch's keys and gets one Result per key, in
// order: the row's Columns as values, or "not found", which a row whose
// columns are all NULL is not.
//
// # Cache
//
// Entries are rows and absences, at most CacheSize of them; when room is
// needed the least recently used leaves (an O(1) intrusive list beside the
// map). A row read from the table is trusted for TTL, after which the next
// Get of its key reads the table again: TTL is how stale a dimension may be.
// Expired entries are dropped when read, and are the first to go when room
// is needed since nothing reads them; they are never swept.
//
// Negative caching: "no such row" is trusted for NegativeTTL. Without it a
// stream of records whose dimension row does not exist yet (a channel
// created after its first registration) queries for every record; with it a
// row inserted later is seen at most NegativeTTL late. 0 turns it off.
//
// # Queries
//
// A Get answers what the cache holds from memory, under one lock for the
// whole batch. Its misses, each key once however often it repeats, are read
// with SELECT key, columns FROM table WHERE key = ANY($1), at most BatchSize
// keys a query, one round trip and one index scan of the key for each. A
// key another Get is already reading is not asked again: that Get waits for
// the query under way (singleflight). The queries run apart from the Get
// that started them, each bounded by Timeout, so a caller that stops
// waiting (its context ends) does not waste them: their rows still reach
// the cache.
//
// # The combined join
//
// The job also reads the dimension's changelog topic, which is fresher than
// the table (the sink writes the table from that very topic), and feeds it to
// the cache: Put for a row, Delete for a tombstone. Both answer Gets in place
// of the table for TTL from the call, a Put exactly as long as a row read at
// that moment would live, a Delete as an absence for TTL too (not
// NegativeTTL: it is news from the stream, not an absence read from a table
// that may lag), even with negative caching off. A Put or Delete also wins
// over a query for its key under way: that query's answer, read before the
// change, is given to the Gets waiting for it but not cached. Invalidate
// drops what the cache knows of a key so that the next Get reads the table.
//
// # Values
//
// Columns become transforms/value values by their PostgreSQL type: text,
// varchar, char and name are strings; smallint, integer and bigint ints;
// real and double precision floats (NaN and infinities null); boolean
// booleans; numeric an int when it is whole and fits an int64, else a number
// keeping its digits and scale (1234.5600), NaN and infinities null;
// timestamptz RFC 3339 text in UTC (2024-05-01T08:00:00.123456Z), timestamp
// RFC 3339 text without an offset, date 2006-01-02, infinity as the string
// infinity; json and jsonb objects and arrays as JSON, their scalars as
// strings, numbers and booleans; every other type (uuid, interval, arrays,
// enums…) PostgreSQL's text for it, as a string. SQL NULL is the null value.
// The key column must be text or varchar: keys are strings, and a cast of
// each to another type would fail the whole query on one malformed key.
//
// # Errors
//
// A failed query fails the Get, and every Get waiting for it, with an error
// marked sdk.Retriable (test it with sdk.IsRetriable) when it is about the
// connection or the server (a lost connection, a server shutting down or
// starting, Timeout, too many connections) so the runtime retries the
// batch; nothing is cached for the keys of that query or of the queries
// after it. A missing table or column, or a key column of another type, is
// found when the Table is made; of these only a missing table is
// retriable, since the pipeline's own sink creates it when its task starts,
// which may be after the lookup's (the runtime retries a task's open).
//
// # Connections
//
// Open makes a small pool of its own (MaxConns connections, a broken one
// replaced at the next query). New takes any Querier the caller owns, such
// as a *pgxpool.Pool; this package does not import pgxpool because the module
// does not require its puddle dependency.
//
// # Counters
//
// Stats, and Counts under stable names for the runtime's metrics: hits,
// negative_hits, misses (keys the cache could not answer, repeats
// included), coalesced (misses that waited for another Get's query),
// keys_queried, queries, query_errors, rows_fetched, evictions, expirations,
// puts, deletes, invalidates and entries (a gauge).
package lookup
