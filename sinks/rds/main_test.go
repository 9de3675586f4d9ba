package rds

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/client"

	"github.com/tributarydata/tributary/deployments/local"
	"github.com/tributarydata/tributary/plugins/sdk"
)

// One MariaDB serves the package's tests; each test works in a database of
// its own. The restart test stops and starts it on the same directory and
// port, so server is read under serverMu.
var (
	serverMu  sync.Mutex
	server    *local.MariaDB
	serverDir string
	serverErr error
)

func TestMain(m *testing.M) {
	flag.Parse()
	code := func() int {
		if testing.Short() {
			return m.Run()
		}
		dir, err := os.MkdirTemp("", "rds-test-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		serverDir = filepath.Join(dir, "mariadb")
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		server, serverErr = local.StartMariaDB(ctx, local.MariaDBOptions{Dir: serverDir})
		cancel()
		code := m.Run()
		serverMu.Lock()
		if server != nil {
			server.Stop()
		}
		serverMu.Unlock()
		return code
	}()
	os.Exit(code)
}

// mariadb returns the package's server, skipping in -short mode.
func mariadb(t testing.TB) *local.MariaDB {
	t.Helper()
	if testing.Short() {
		t.Skip("starts MariaDB")
	}
	if serverErr != nil {
		t.Fatalf("start MariaDB: %v", serverErr)
	}
	serverMu.Lock()
	defer serverMu.Unlock()
	return server
}

// restartServer stops the server and starts it again on the same directory
// and port, as a server restart or failover looks to a client.
func restartServer(t testing.TB, between func()) {
	t.Helper()
	serverMu.Lock()
	defer serverMu.Unlock()
	server.Stop()
	if between != nil {
		between()
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	m, err := local.StartMariaDB(ctx, local.MariaDBOptions{Dir: serverDir, Port: server.Port})
	if err != nil {
		t.Fatal(err)
	}
	server = m
}

var nonWord = regexp.MustCompile(`[^a-z0-9]+`)

// testDB creates a database for the test and returns its name and an admin
// connection to it.
func testDB(t testing.TB) (string, *client.Conn) {
	t.Helper()
	m := mariadb(t)
	name := "t_" + strings.Trim(nonWord.ReplaceAllString(strings.ToLower(t.Name()), "_"), "_")
	if len(name) > 60 {
		name = name[:60]
	}
	if err := m.ExecRoot(context.Background(), "DROP DATABASE IF EXISTS `"+name+"`; CREATE DATABASE `"+name+"`"); err != nil {
		t.Fatal(err)
	}
	return name, adminConn(t, name)
}

func adminConn(t testing.TB, db string) *client.Conn {
	t.Helper()
	m := mariadb(t)
	c, err := client.Connect(m.Addr(), m.User, m.Password, db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := c.Execute("SET time_zone = '+00:00'"); err != nil {
		t.Fatal(err)
	}
	return c
}

func mustExec(t testing.TB, c *client.Conn, sql string, args ...any) {
	t.Helper()
	if _, err := c.Execute(sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// query returns the rows of sql, each a tab-joined line, NULL as "NULL".
func query(t testing.TB, c *client.Conn, sql string) []string {
	t.Helper()
	res, err := c.Execute(sql)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	defer res.Close()
	var out []string
	for i := range res.RowNumber() {
		var cols []string
		for j := range res.ColumnNumber() {
			v, _ := res.GetValue(i, j)
			if v == nil {
				cols = append(cols, "NULL")
				continue
			}
			s, _ := res.GetString(i, j)
			cols = append(cols, s)
		}
		out = append(out, strings.Join(cols, "\t"))
	}
	return out
}

// dsn is the go-sql-driver form of the server's address, as RDS_URL is.
func dsn(t testing.TB, db string) string {
	m := mariadb(t)
	return fmt.Sprintf("%s:%s@tcp(%s)/%s", m.User, m.Password, m.Addr(), db)
}

// openSink opens a sink on db with the given config keys over defaults,
// closing it when the test ends.
func openSink(t testing.TB, db string, kv ...string) *Sink {
	t.Helper()
	s, err := tryOpen(t, db, kv...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func tryOpen(t testing.TB, db string, kv ...string) (*Sink, error) {
	t.Helper()
	cfg := sdk.Config{"name": t.Name(), "connection.url": dsn(t, db), "topics": "t"}
	for i := 0; i+1 < len(kv); i += 2 {
		cfg[kv[i]] = kv[i+1]
	}
	s := &Sink{}
	return s, s.Open(context.Background(), cfg)
}

// recs makes records of topic from values, with offsets from 0; "<nil>"
// makes a tombstone.
func recs(topic string, values ...string) []sdk.Record {
	out := make([]sdk.Record, len(values))
	for i, v := range values {
		out[i] = sdk.Record{Topic: topic, Offset: int64(i)}
		if v != "<nil>" {
			out[i].Value = []byte(v)
		}
	}
	return out
}

// writeAll hands records to the sink as the runtime does: a record error
// dead-letters that record and the rest is handed again. It returns the
// indexes dead-lettered and fails on any other error.
func writeAll(t testing.TB, s *Sink, records []sdk.Record) []int {
	t.Helper()
	var dead []int
	base := 0
	rest := records
	for len(rest) > 0 {
		n, err := s.Write(context.Background(), rest)
		var re *sdk.RecordError
		switch {
		case errors.As(err, &re):
			if re.Index != n {
				t.Fatalf("record error at %d but %d written: records between are lost", re.Index, n)
			}
			dead = append(dead, base+re.Index)
			t.Logf("dead letter %d: %v", base+re.Index, re.Err)
			base += re.Index + 1
			rest = rest[re.Index+1:]
		case err != nil:
			t.Fatalf("write: %v", err)
		case n != len(rest):
			t.Fatalf("wrote %d of %d without an error", n, len(rest))
		default:
			return dead
		}
	}
	return dead
}

func equalLines(t testing.TB, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s\n got: %q\nwant: %q", what, got, want)
	}
}
