package hologres

import (
	"context"
	"errors"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tributarydata/tributary/deployments/local"
	"github.com/tributarydata/tributary/deployments/local/localtest"
	"github.com/tributarydata/tributary/plugins/sdk"
)

// The package's tests share one PostgreSQL; each test gets a schema of its
// own.
var pg localtest.Postgres

func TestMain(m *testing.M) {
	code := m.Run()
	pg.Stop()
	os.Exit(code)
}

// testDB is a fresh schema, first on the search_path of its URL (a
// schema is made in milliseconds, a database in a quarter of a second), and
// a connection for the test's own statements and checks.
type testDB struct {
	url    string
	conn   *pgx.Conn
	schema string
}

func newDB(t testing.TB) *testDB {
	t.Helper()
	return newDBOn(t, pg.Server(t))
}

func newDBOn(t testing.TB, srv *local.Postgres) *testDB {
	t.Helper()
	ctx := context.Background()
	// timestamptz as UTC text in the checks.
	name, dsn := pg.Schema(t, srv, "t", url.Values{"timezone": {"UTC"}})
	db := &testDB{url: dsn, schema: name}
	var err error
	if db.conn, err = pgx.Connect(ctx, db.url); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.conn.Close(context.Background()) })
	return db
}

func (db *testDB) exec(t testing.TB, sql string, args ...any) {
	t.Helper()
	if _, err := db.conn.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// rows returns the rows of a query, each as PostgreSQL writes a record:
// "(1,ann,,t)".
func (db *testDB) rows(t testing.TB, query string) []string {
	t.Helper()
	rows, err := db.conn.Query(context.Background(), "SELECT q::text FROM ("+query+") q")
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return out
}

func (db *testDB) count(t testing.TB, query string) int {
	t.Helper()
	var n int
	if err := db.conn.QueryRow(context.Background(), "SELECT count(*) FROM ("+query+") q").Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// fakeHologres makes a PostgreSQL database look like Hologres to the sink:
// hg_version() exists, and set_table_property is a procedure that records
// its calls, with the id of the transaction that made each, in hg_calls.
func (db *testDB) fakeHologres(t testing.TB) {
	t.Helper()
	db.exec(t, `CREATE FUNCTION hg_version() RETURNS text LANGUAGE sql AS $$ SELECT 'Hologres 2.2.0 (a PostgreSQL pretending, for tests)' $$`)
	db.recordTableProperties(t)
}

// recordTableProperties creates set_table_property as a recorder.
func (db *testDB) recordTableProperties(t testing.TB) {
	t.Helper()
	db.exec(t, `CREATE TABLE hg_calls (seq serial, xid bigint, tbl text, prop text, val text)`)
	db.exec(t, `CREATE PROCEDURE set_table_property(tbl text, prop text, val text) LANGUAGE sql
		AS $$ INSERT INTO hg_calls (xid, tbl, prop, val) VALUES (txid_current(), tbl, prop, val) $$`)
}

// flavors are the two ways the sink writes: arrays on PostgreSQL, VALUES
// lists on Hologres (here a PostgreSQL database pretending to be one).
var flavors = []string{"postgres", "hologres"}

func newFlavorDB(t testing.TB, flavor string) *testDB {
	t.Helper()
	db := newDB(t)
	if flavor == "hologres" {
		db.fakeHologres(t)
	}
	return db
}

// openSink opens a sink on db with the given keys (topics defaults to t).
func openSink(t testing.TB, db *testDB, kv ...string) *Sink {
	t.Helper()
	s, err := tryOpen(db, kv...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func tryOpen(db *testDB, kv ...string) (*Sink, error) {
	cfg := sdk.Config{"name": "test", "connection.url": db.url, "topics": "t"}
	for i := 0; i+1 < len(kv); i += 2 {
		cfg[kv[i]] = kv[i+1]
	}
	s := &Sink{}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return s, s.Open(ctx, cfg)
}

// rec is a record of topic t at an offset; a value "" is a tombstone.
func rec(offset int64, key, value string) sdk.Record {
	r := sdk.Record{Topic: "t", Offset: offset}
	if key != "" {
		r.Key = []byte(key)
	}
	if value != "" {
		r.Value = []byte(value)
	}
	return r
}

// values makes records of topic t from values, at offsets from 0.
func values(vs ...string) []sdk.Record {
	out := make([]sdk.Record, len(vs))
	for i, v := range vs {
		out[i] = rec(int64(i), "", v)
	}
	return out
}

func mustWrite(t testing.TB, s *Sink, records []sdk.Record) {
	t.Helper()
	n, err := s.Write(context.Background(), records)
	if err != nil || n != len(records) {
		t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(records))
	}
}

// drive writes records as the runtime does: on a *sdk.RecordError the bad
// record is set aside (dead-lettered) and the rest written again. It
// returns the indexes of the bad records, with their errors.
func drive(t testing.TB, s *Sink, records []sdk.Record) (bad []int, errs []error) {
	t.Helper()
	rest, base := records, 0
	for len(rest) > 0 {
		n, err := s.Write(context.Background(), rest)
		var re *sdk.RecordError
		switch {
		case errors.As(err, &re):
			if n != re.Index {
				t.Fatalf("Write returned written=%d with a RecordError at %d: the records before it must be written", n, re.Index)
			}
			bad, errs = append(bad, base+re.Index), append(errs, re.Err)
			rest, base = rest[re.Index+1:], base+re.Index+1
		case err != nil:
			t.Fatalf("Write: %v", err)
		default:
			if n != len(rest) {
				t.Fatalf("Write = %d of %d without an error", n, len(rest))
			}
			rest = nil
		}
	}
	return bad, errs
}

func equal(t testing.TB, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\n got %q\nwant %q", what, got, want)
	}
}
