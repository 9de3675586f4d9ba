package lookup

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tributarydata/tributary/deployments/local"
	"github.com/tributarydata/tributary/deployments/local/localtest"
	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/transforms/value"
)

// The package's tests share one PostgreSQL; each test gets a schema of its
// own, first on its search_path.
var pg localtest.Postgres

func TestMain(m *testing.M) {
	code := m.Run()
	pg.Stop()
	os.Exit(code)
}

// testDB is a schema of the test's own, a URL whose sessions see it first
// and are named after it (application_name), and a connection for the
// test's statements.
type testDB struct {
	url    string
	name   string // the schema, also the sessions' application_name
	conn   *pgx.Conn
	server *local.Postgres
}

func newDB(t testing.TB) *testDB {
	t.Helper()
	return newDBOn(t, pg.Server(t))
}

func newDBOn(t testing.TB, srv *local.Postgres) *testDB {
	t.Helper()
	// The schema names the sessions too (application_name), so a test
	// can find its own lookup queries in pg_stat_activity.
	name, dsn := pg.Schema(t, srv, "lookup_", nil)
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("application_name", name)
	u.RawQuery = q.Encode()
	db := &testDB{url: u.String(), name: name, server: srv}
	if db.conn, err = pgx.Connect(context.Background(), srv.URL()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.conn.Close(context.Background()) })
	db.exec(t, "SET search_path TO "+name)
	return db
}

func (db *testDB) exec(t testing.TB, sql string, args ...any) {
	t.Helper()
	if _, err := db.conn.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// key is the dictionary's row key of channel id: the hex MD5 of its text,
// as the warehouse keys channel_name_dictionary.
func key(id int) string {
	sum := md5.Sum([]byte(fmt.Sprint(id)))
	return hex.EncodeToString(sum[:])
}

// absent is a key no dictionary row has.
func absent(i int) string { return fmt.Sprintf("absent-%d", i) }

// dictionary creates the table dict shaped like channel_name_dictionary
// with channels 0..n-1: rowkey md5(id), level L<id mod 5>, name channel <id>.
func (db *testDB) dictionary(t testing.TB, n int) {
	t.Helper()
	db.exec(t, `CREATE TABLE dict (rowkey text PRIMARY KEY, id text, level text, name text)`)
	db.exec(t, `INSERT INTO dict SELECT md5(i::text), i::text, 'L' || i % 5, 'channel ' || i FROM generate_series(0, $1::int - 1) i`, n)
	db.exec(t, `ANALYZE dict`)
}

// slowDictionary is a view of dict whose every query takes d, so a test can
// act while one is under way.
func (db *testDB) slowDictionary(t testing.TB, d time.Duration) {
	t.Helper()
	db.exec(t, `CREATE FUNCTION sleep_true(s float8) RETURNS bool LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(s); RETURN true; END $$`)
	db.exec(t, fmt.Sprintf(`CREATE VIEW slow_dict AS SELECT * FROM dict WHERE (SELECT sleep_true(%g))`, d.Seconds()))
}

// waitQueryRunning waits until a lookup query of db's sessions runs on the
// server.
func (db *testDB) waitQueryRunning(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var n int
		err := db.conn.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
			WHERE application_name = $1 AND state = 'active' AND query LIKE '%= ANY($1)%'`, db.name).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no lookup query ever ran")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// countingDB is the pool Open makes, counting the lookup queries it runs:
// the tests' own count of what the server was asked, beside the Table's.
type countingDB struct {
	*connPool
	queries atomic.Int64
}

func (c *countingDB) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if strings.Contains(sql, "= ANY($1)") {
		c.queries.Add(1)
	}
	return c.connPool.Query(ctx, sql, args...)
}

// open makes a Table on db with cfg (table dict, key rowkey, columns id,
// level, name, TTL an hour unless set) and a counting pool of its own.
func (db *testDB) open(t testing.TB, cfg Config) (*Table, *countingDB) {
	t.Helper()
	tbl, counter, err := db.tryOpen(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return tbl, counter
}

func (db *testDB) tryOpen(cfg Config) (*Table, *countingDB, error) {
	if cfg.Table == "" {
		cfg.Table = "dict"
	}
	if cfg.KeyColumn == "" {
		cfg.KeyColumn = "rowkey"
	}
	if cfg.Columns == nil {
		cfg.Columns = []string{"id", "level", "name"}
	}
	if cfg.TTL == 0 {
		cfg.TTL = time.Hour
	}
	cc, err := pgx.ParseConfig(db.url)
	if err != nil {
		return nil, nil, err
	}
	counter := &countingDB{connPool: newConnPool(cc, 4)}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tbl, err := New(ctx, counter, cfg)
	if err != nil {
		counter.close()
		return nil, nil, err
	}
	return tbl, counter, nil
}

// cleanup closes tbl and its pool at the end of the test.
func cleanup(t testing.TB, tbl *Table, db *countingDB) {
	t.Cleanup(func() {
		tbl.Close()
		db.close()
	})
}

// fakeClock is a clock the test moves.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *fakeClock { return &fakeClock{now: time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func mustGet(t testing.TB, tbl *Table, keys ...string) []Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := tbl.Get(ctx, keys)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if len(res) != len(keys) {
		t.Fatalf("Get returned %d results for %d keys", len(res), len(keys))
	}
	return res
}

// show writes a result as the tests compare it: missing, or the values'
// texts with their kinds, e.g. [string 7 | string L2 | null].
func show(r Result) string {
	if !r.Found {
		if r.Values != nil {
			return "missing with values!"
		}
		return "missing"
	}
	parts := make([]string, len(r.Values))
	for i, v := range r.Values {
		if v.IsNull() {
			parts[i] = "null"
		} else {
			parts[i] = v.Kind().String() + " " + v.Text()
		}
	}
	return "[" + strings.Join(parts, " | ") + "]"
}

// channel is show of the dictionary row of channel id.
func channel(id int) string {
	return fmt.Sprintf("[string %d | string L%d | string channel %d]", id, id%5, id)
}

func strs(vs ...string) []value.Value {
	out := make([]value.Value, len(vs))
	for i, s := range vs {
		out[i] = value.OfString(s)
	}
	return out
}

// wantStats compares the counters a test cares about, named as in Counts.
func wantStats(t testing.TB, tbl *Table, want map[string]int64) {
	t.Helper()
	got := tbl.Counts()
	var bad []string
	for name, n := range want {
		g, ok := got[name]
		if !ok {
			bad = append(bad, "no counter "+name)
		} else if g != n {
			bad = append(bad, fmt.Sprintf("%s = %d, want %d", name, g, n))
		}
	}
	if len(bad) > 0 {
		t.Errorf("counters: %s\n(all: %v)", strings.Join(bad, "; "), got)
	}
}

func wantQueries(t testing.TB, db *countingDB, n int64) {
	t.Helper()
	if got := db.queries.Load(); got != n {
		t.Errorf("the server ran %d lookup queries, want %d", got, n)
	}
}

func isRetriable(err error) bool { return sdk.IsRetriable(err) }
