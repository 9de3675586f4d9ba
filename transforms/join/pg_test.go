package join

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tributarydata/tributary/deployments/local/localtest"
	"github.com/tributarydata/tributary/transforms/lookup"
)

// The lookup tests share one PostgreSQL; each test gets a schema of its
// own, first on its search_path.
var pg localtest.Postgres

func TestMain(m *testing.M) {
	code := m.Run()
	pg.Stop()
	os.Exit(code)
}

// testDB is a schema of the test's own, a URL whose sessions see it first,
// and a connection for the test's statements.
type testDB struct {
	url  string
	conn *pgx.Conn
}

func newDB(t testing.TB) *testDB {
	t.Helper()
	srv := pg.Server(t)
	name, dsn := pg.Schema(t, srv, "join_", nil)
	db := &testDB{url: dsn}
	var err error
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
