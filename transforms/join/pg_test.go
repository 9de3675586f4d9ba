package join

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tributarydata/tributary/deployments/local"
	"github.com/tributarydata/tributary/transforms/lookup"
)

// The lookup tests share one PostgreSQL (deployments/local starts it, as
// the lookup package's tests do), started by the first test that needs it;
// each test gets a schema of its own, first on its search_path.
var (
	pgOnce   sync.Once
	pgServer *local.Postgres
	pgDir    string
	pgErr    error
	schemas  atomic.Int64
)

func TestMain(m *testing.M) {
	code := m.Run()
	if pgServer != nil {
		pgServer.Stop()
	}
	if pgDir != "" {
		os.RemoveAll(pgDir)
	}
	os.Exit(code)
}

func sharedServer(t testing.TB) *local.Postgres {
	t.Helper()
	if testing.Short() {
		t.Skip("starts PostgreSQL")
	}
	pgOnce.Do(func() {
		if pgDir, pgErr = os.MkdirTemp("", "join-test-"); pgErr != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		pgServer, pgErr = local.StartPostgres(ctx, local.PostgresOptions{Dir: pgDir, Args: []string{"-c", "fsync=off", "-c", "full_page_writes=off"}})
	})
	if pgErr != nil {
		t.Fatalf("start PostgreSQL: %v", pgErr)
	}
	return pgServer
}

// testDB is a schema of the test's own, a URL whose sessions see it first,
// and a connection for the test's statements.
type testDB struct {
	url  string
	conn *pgx.Conn
}

func newDB(t testing.TB) *testDB {
	t.Helper()
	srv := sharedServer(t)
	name := fmt.Sprintf("join_%d", schemas.Add(1))
	u, err := url.Parse(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	db := &testDB{url: u.String()}
	if db.conn, err = pgx.Connect(context.Background(), srv.URL()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.conn.Close(context.Background()) })
	db.exec(t, "CREATE SCHEMA "+name)
	db.exec(t, "SET search_path TO "+name)
	return db
}

func (db *testDB) exec(t testing.TB, sql string, args ...any) {
	t.Helper()
	if _, err := db.conn.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// dictionary creates channel_name_dictionary as the registration-level
// pipeline's sink creates it, holding the channels of levels: channel id →
// level.
func (db *testDB) dictionary(t testing.TB, levels map[int]string) {
	t.Helper()
	db.exec(t, `CREATE TABLE channel_name_dictionary (rowkey text NOT NULL PRIMARY KEY, id text, chinese_name text,
		english_name text, level text, pid text, create_time text, update_time text, dept_id text)`)
	for id, level := range levels {
		db.exec(t, `INSERT INTO channel_name_dictionary (rowkey, id, chinese_name, level) VALUES (md5($1::text), $1::text, $2, $3)`,
			fmt.Sprint(id), fmt.Sprintf("渠道%d", id), level)
	}
}

// rowkey is the dictionary's key of a channel: the hex MD5 of its id.
func rowkey(id int) string {
	sum := md5.Sum([]byte(fmt.Sprint(id)))
	return hex.EncodeToString(sum[:])
}

// newLookupHarness makes a harness of cfg that looks up in db, on the
// harness's clock, with a cold cache at every start.
func newLookupHarness(t testing.TB, db *testDB, cfg map[string]string, parts int) *harness {
	t.Helper()
	h := makeHarness(t, cfg, parts)
	h.cfg["lookup.connection.url"] = db.url
	h.lookupTable = func() *lookup.Table {
		p, err := compile(h.cfg)
		if err != nil {
			h.t.Fatal(err)
		}
		cfg := p.lookup.cfg
		cfg.Now = func() time.Time { return h.clock }
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		tbl, err := lookup.Open(ctx, p.lookup.url, cfg)
		if err != nil {
			h.t.Fatal(err)
		}
		return tbl
	}
	h.start()
	return h
}
