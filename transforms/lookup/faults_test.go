package lookup

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tributarydata/tributary/deployments/local"
)

// A connection the server ends under the lookup fails the Get with a
// retriable error and caches nothing for its keys; the next Get works.
func TestTerminatedBackend(t *testing.T) {
	db := newDB(t)
	db.dictionary(t, 5)
	tbl, counter := db.open(t, Config{NegativeTTL: time.Hour})
	cleanup(t, tbl, counter)
	mustGet(t, tbl, key(0)) // opens the pool's connection
	before := tbl.Stats()

	ctx := context.Background()
	var ended int
	if err := db.conn.QueryRow(ctx, `SELECT count(pg_terminate_backend(pid, 10000)) FROM pg_stat_activity WHERE application_name = $1`, db.name).Scan(&ended); err != nil || ended != 1 {
		t.Fatalf("terminated %d backends (%v), want 1", ended, err)
	}
	_, err := tbl.Get(ctx, []string{key(1), key(7)})
	if err == nil {
		t.Fatal("Get on a terminated connection succeeded")
	}
	if !isRetriable(err) {
		t.Errorf("%v is not marked retriable", err)
	}
	after := tbl.Stats()
	if after.Entries != before.Entries || after.QueryErrors != 1 {
		t.Errorf("after the fault: %d entries (before %d), %d query errors; want nothing cached, 1 error", after.Entries, before.Entries, after.QueryErrors)
	}

	// key(7) was missing when the query failed: had its absence been
	// cached, the row inserted now would not be found.
	db.exec(t, `INSERT INTO dict VALUES (md5('7'), '7', 'L2', 'channel 7')`)
	res := mustGet(t, tbl, key(1), key(7))
	if got := show(res[0]) + " " + show(res[1]); got != channel(1)+" "+channel(7) {
		t.Errorf("after recovery: %s", got)
	}
	wantStats(t, tbl, map[string]int64{"queries": 3, "keys_queried": 5, "query_errors": 1})
}

// A server that stops fails Gets with retriable errors while it is down
// and caches nothing; once it is back, Gets work again on new connections.
func TestServerStoppedAndRestarted(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	dir := t.TempDir()
	srv, err := local.StartPostgres(ctx, local.PostgresOptions{Dir: dir, Args: []string{"-c", "fsync=off"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Stop() })
	db := newDBOn(t, srv)
	db.dictionary(t, 5)
	tbl, counter := db.open(t, Config{NegativeTTL: time.Hour, Timeout: 5 * time.Second})
	cleanup(t, tbl, counter)
	mustGet(t, tbl, key(0))
	db.conn.Close(ctx)

	srv.Stop()
	for i := range 2 { // first on the pool's dead connection, then connecting
		_, err := tbl.Get(ctx, []string{key(1), absent(1)})
		if err == nil {
			t.Fatalf("Get %d with the server down succeeded", i)
		}
		if !isRetriable(err) {
			t.Errorf("Get %d: %v is not marked retriable", i, err)
		}
	}
	if s := tbl.Stats(); s.Entries != 1 {
		t.Errorf("%d entries after failed Gets, want the 1 from before", s.Entries)
	}

	srv, err = local.StartPostgres(ctx, local.PostgresOptions{Dir: dir, Port: srv.Port, Args: []string{"-c", "fsync=off"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Stop() })
	res := mustGet(t, tbl, key(1), absent(1))
	if got := show(res[0]) + " " + show(res[1]); got != channel(1)+" missing" {
		t.Errorf("after the restart: %s", got)
	}
	wantStats(t, tbl, map[string]int64{"query_errors": 2, "entries": 3})
}

// A query that takes longer than Timeout fails retriably; the caller's
// context is its own to end: its Get returns at once with the context's
// error, not marked retriable.
func TestTimeouts(t *testing.T) {
	db := newDB(t)
	db.dictionary(t, 3)
	db.slowDictionary(t, 2*time.Second)
	tbl, counter := db.open(t, Config{Table: "slow_dict", Timeout: 200 * time.Millisecond})
	cleanup(t, tbl, counter)
	_, err := tbl.Get(context.Background(), []string{key(1)})
	if err == nil || !isRetriable(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("query past its timeout: %v, want a retriable deadline error", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = tbl.Get(ctx, []string{key(2)})
	if !errors.Is(err, context.DeadlineExceeded) || isRetriable(err) {
		t.Errorf("caller's deadline: %v", err)
	}
	if waited := time.Since(start); waited > 150*time.Millisecond {
		t.Errorf("Get returned %v after its context ended", waited)
	}
	if s := tbl.Stats(); s.Entries != 0 {
		t.Errorf("%d entries after failed queries", s.Entries)
	}
}
