package local

import (
	"context"
	"strings"
	"testing"
	"time"
)

// The server starts on a fresh directory, serves the TCP account, and starts
// again on the same directory with the data kept.
func TestStartMariaDBKeepsDataAcrossRestarts(t *testing.T) {
	if testing.Short() {
		t.Skip("starts mariadbd")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	m, err := StartMariaDB(ctx, MariaDBOptions{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.ExecRoot(ctx, "CREATE DATABASE kept; CREATE TABLE kept.t (id INT PRIMARY KEY); INSERT INTO kept.t VALUES (7)"); err != nil {
		t.Fatal(err)
	}
	m.Stop()
	m, err = StartMariaDB(ctx, MariaDBOptions{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Stop()
	// make run exports MYSQL_HOST for the CDC connectors; the client must
	// still talk to this server, not to whatever listens on the default
	// port.
	t.Setenv("MYSQL_HOST", "127.0.0.1")
	t.Setenv("MYSQL_TCP_PORT", "1")
	out, err := m.QueryRoot(ctx, "SELECT id FROM kept.t; SELECT @@binlog_format, @@binlog_row_image, @@binlog_row_metadata")
	if err != nil {
		t.Fatal(err)
	}
	if want := "7\nROW\tFULL\tFULL"; strings.TrimSpace(out) != want {
		t.Fatalf("after a restart the server answers %q, want %q", out, want)
	}
}
