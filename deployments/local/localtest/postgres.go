package localtest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tributarydata/tributary/deployments/local"
)

// Postgres is the server a package's tests share: declare one as a package
// variable, call Stop from TestMain after m.Run.
type Postgres struct {
	once sync.Once
	srv  *local.Postgres
	dir  string
	err  error
	seq  atomic.Int64
}

// Server starts the server on first use and returns it; under -short it
// skips the test instead.
func (p *Postgres) Server(t testing.TB) *local.Postgres {
	t.Helper()
	if testing.Short() {
		t.Skip("starts PostgreSQL")
	}
	p.once.Do(func() {
		if p.dir, p.err = os.MkdirTemp("", "tributary-pg-test-"); p.err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		// Durability is not under test (a restart test runs its own
		// server): without fsync a schema or table is made in milliseconds.
		p.srv, p.err = local.StartPostgres(ctx, local.PostgresOptions{Dir: p.dir, Args: []string{"-c", "fsync=off", "-c", "full_page_writes=off"}})
	})
	if p.err != nil {
		t.Fatalf("start PostgreSQL: %v", p.err)
	}
	return p.srv
}

// Stop stops the server if a test started it, and removes its files.
func (p *Postgres) Stop() {
	if p.srv != nil {
		p.srv.Stop()
	}
	if p.dir != "" {
		os.RemoveAll(p.dir)
	}
}

// Schema creates a schema named prefix and a sequence number on srv, and
// returns its name and srv's URL with the schema as search_path and params
// added, so every session of the code under test sees the test's tables
// first.
func (p *Postgres) Schema(t testing.TB, srv *local.Postgres, prefix string, params url.Values) (name, dsn string) {
	t.Helper()
	name = fmt.Sprintf("%s%d", prefix, p.seq.Add(1))
	u, err := url.Parse(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	for k, vs := range params {
		q[k] = vs
	}
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+name); err != nil {
		t.Fatalf("create schema %s: %v", name, err)
	}
	return name, u.String()
}
