package hologres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tributarydata/tributary/deployments/local"
	"github.com/tributarydata/tributary/plugins/sdk"
)

func TestClassify(t *testing.T) {
	for code, want := range map[string]fault{
		"40001": faultRetriable, "40P01": faultRetriable, "55P03": faultRetriable, "53300": faultRetriable,
		"08006": faultRetriable, "57P01": faultRetriable, "57014": faultRetriable,
		"22001": faultData, "22P02": faultData, "23502": faultData, "23505": faultData, "23514": faultData, "21000": faultData,
		"42703": faultSchema, "42P01": faultSchema,
		"42501": faultFatal, "28P01": faultFatal, "42804": faultFatal,
	} {
		err := fmt.Errorf("write to x: %w", &pgconn.PgError{Code: code})
		if got := classify(err); got != want {
			t.Errorf("SQLSTATE %s: %v, want %v", code, got, want)
		}
	}
	for _, err := range []error{io.ErrUnexpectedEOF, syscall.ECONNREFUSED, context.DeadlineExceeded, pgconn.ErrConnClosed} {
		if classify(fmt.Errorf("x: %w", err)) != faultRetriable {
			t.Errorf("%v is not retriable", err)
		}
	}
	if classify(errors.New("unable to encode")) != faultFatal {
		t.Error("an unknown error is retried")
	}
}

// otherConn is a connection of the test's beside db.conn.
func otherConn(t *testing.T, db *testDB) *pgx.Conn {
	t.Helper()
	c, err := pgx.Connect(context.Background(), db.url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// waitBlocked waits until the sink's session waits on a lock of the given
// type (relation, transactionid, advisory) and returns its pid.
func waitBlocked(t *testing.T, watch *pgx.Conn, lockType string) int {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var pid int
		err := watch.QueryRow(context.Background(), `SELECT a.pid FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid AND NOT l.granted
			WHERE a.application_name LIKE 'tributary hologres sink%' AND l.locktype = $1`, lockType).Scan(&pid)
		if err == nil {
			return pid
		}
		if !errors.Is(err, pgx.ErrNoRows) || time.Now().After(deadline) {
			t.Fatalf("the sink never waited on a %s lock: %v", lockType, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

type writeResult struct {
	n   int
	err error
}

func writeAsync(s *Sink, records []sdk.Record) <-chan writeResult {
	done := make(chan writeResult, 1)
	go func() {
		n, err := s.Write(context.Background(), records)
		done <- writeResult{n, err}
	}()
	return done
}

// The server ends the sink's session in the middle of a Write (the second
// of three transactions, waiting on a row the test holds): Write returns a
// retriable error counting the first transaction only, and writing the
// rest again, as the runtime does, reconnects and loses nothing.
func TestSessionKilledMidBatch(t *testing.T) {
	db := newDB(t)
	db.exec(t, `CREATE TABLE t (id bigint PRIMARY KEY, v text)`)
	db.exec(t, `INSERT INTO t VALUES (3, 'old')`)
	s := openSink(t, db, "batch.size", "2")
	tx, err := db.conn.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(context.Background(), `SELECT FROM t WHERE id = 3 FOR UPDATE`); err != nil {
		t.Fatal(err)
	}
	records := values(`{"id":1,"v":"a"}`, `{"id":2,"v":"b"}`, `{"id":3,"v":"c"}`, `{"id":4,"v":"d"}`, `{"id":5,"v":"e"}`)
	done := writeAsync(s, records)
	watch := otherConn(t, db)
	pid := waitBlocked(t, watch, "transactionid")
	if _, err := watch.Exec(context.Background(), `SELECT pg_terminate_backend($1)`, pid); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if !sdk.IsRetriable(r.err) || r.n != 2 {
		t.Fatalf("Write = %d, %v; want 2 and a retriable error", r.n, r.err)
	}
	if err := tx.Rollback(context.Background()); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, s, records[r.n:])
	equal(t, "rows", db.rows(t, "SELECT * FROM t ORDER BY id"), []string{"(1,a)", "(2,b)", "(3,c)", "(4,d)", "(5,e)"})
}

// The server stops in the middle of a Write and starts again on the same
// directory and port. An append table with offsets.table ends up with every
// record exactly once: the transaction cut short is rolled back and written
// again, and even a replay of everything from the start (a task restarted
// from an old consumer offset) adds nothing.
func TestServerRestartMidBatch(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL")
	}
	ctx := context.Background()
	dir := t.TempDir()
	srv, err := local.StartPostgres(ctx, local.PostgresOptions{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { srv.Stop() }()
	db := newDBOn(t, srv)
	db.exec(t, `CREATE TABLE log (id bigint, v text)`)
	// Inserting row 7 waits for an advisory lock the test holds, so the
	// server stops while the sink's second transaction is open.
	db.exec(t, `CREATE FUNCTION hold() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN IF NEW.id = 7 THEN PERFORM pg_advisory_xact_lock_shared(7); END IF; RETURN NEW; END $$`)
	db.exec(t, `CREATE TRIGGER hold BEFORE INSERT ON log FOR EACH ROW EXECUTE FUNCTION hold()`)
	db.exec(t, `SELECT pg_advisory_lock(7)`)
	s := openSink(t, db, "insert.mode", "insert", "pk.mode", "none", "delete.enabled", "false",
		"table.name.format", "log", "offsets.table", "sink_offsets", "batch.size", "3")
	var records []sdk.Record
	for i := range 10 {
		records = append(records, rec(int64(i), "", fmt.Sprintf(`{"id":%d,"v":"r%d"}`, i, i)))
	}
	mustWrite(t, s, records[:3])

	done := writeAsync(s, records[3:])
	waitBlocked(t, otherConn(t, db), "advisory")
	srv.Stop()
	r := <-done
	if !sdk.IsRetriable(r.err) || r.n != 3 {
		t.Fatalf("Write while the server stopped = %d, %v; want 3 and a retriable error", r.n, r.err)
	}
	if n, err := s.Write(ctx, records[6:]); !sdk.IsRetriable(err) || n != 0 {
		t.Fatalf("Write while the server is down = %d, %v; want 0 and a retriable error", n, err)
	}
	if srv, err = local.StartPostgres(ctx, local.PostgresOptions{Dir: dir, Port: srv.Port}); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, s, records[6:])
	mustWrite(t, s, records)
	check, err := pgx.Connect(ctx, db.url)
	if err != nil {
		t.Fatal(err)
	}
	defer check.Close(ctx)
	db.conn = check
	var want []string
	for i := range 10 {
		want = append(want, fmt.Sprintf("(%d,r%d)", i, i))
	}
	equal(t, "rows", db.rows(t, "SELECT * FROM log ORDER BY id, v"), want)
	equal(t, "offsets", db.rows(t, "SELECT connector, topic, kafka_partition, next_offset FROM sink_offsets"), []string{"(test,t,0,10)"})
}

// A deadlock between the sink's transaction and another is a retriable
// error, and the write succeeds when repeated. The sink's session detects
// deadlocks after 100 ms, the test's after 10 s, so the server aborts the
// sink's transaction: the sink updates row 2, pauses (a trigger waits for
// an advisory lock the test holds) while the test's transaction waits for
// row 2, then goes on to row 1, which the test's transaction holds.
func TestDeadlockIsRetriable(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	db.exec(t, `CREATE TABLE t (id bigint PRIMARY KEY, a text, b text)`)
	db.exec(t, `INSERT INTO t VALUES (1, '', ''), (2, '', '')`)
	db.exec(t, `CREATE FUNCTION pause() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN IF NEW.id = 2 THEN PERFORM pg_advisory_xact_lock_shared(9); END IF; RETURN NEW; END $$`)
	db.exec(t, `CREATE TRIGGER pause AFTER UPDATE ON t FOR EACH ROW EXECUTE FUNCTION pause()`)
	lock := otherConn(t, db)
	if _, err := lock.Exec(ctx, `SELECT pg_advisory_lock(9)`); err != nil {
		t.Fatal(err)
	}
	s, err := tryOpen(&testDB{url: db.url + "&deadlock_timeout=100ms"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	other := otherConn(t, db)
	otherPid := other.PgConn().PID()
	tx, err := other.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	for _, q := range []string{`SET LOCAL deadlock_timeout = '10s'`, `UPDATE t SET a = 'other' WHERE id = 1`} {
		if _, err := tx.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	// Two groups (different columns), in this order: row 2, then row 1.
	records := values(`{"id":2,"a":"sink"}`, `{"id":1,"b":"sink"}`)
	done := writeAsync(s, records)
	watch := otherConn(t, db)
	waitBlocked(t, watch, "advisory")
	otherDone := make(chan error, 1)
	go func() {
		_, err := tx.Exec(ctx, `UPDATE t SET a = 'other' WHERE id = 2`)
		otherDone <- err
	}()
	waitForPid(t, watch, otherPid)
	if _, err := lock.Exec(ctx, `SELECT pg_advisory_unlock(9)`); err != nil {
		t.Fatal(err)
	}
	r := <-done
	var pg *pgconn.PgError
	if !sdk.IsRetriable(r.err) || !errors.As(r.err, &pg) || pg.Code != "40P01" || r.n != 0 {
		t.Fatalf("Write = %d, %v; want 0 and a retriable deadlock (40P01)", r.n, r.err)
	}
	if err := <-otherDone; err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, s, records)
	equal(t, "rows", db.rows(t, "SELECT * FROM t ORDER BY id"), []string{"(1,other,sink)", `(2,sink,"")`})
}

// waitForPid waits until session pid waits on a lock.
func waitForPid(t *testing.T, watch *pgx.Conn, pid uint32) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var waiting bool
		if err := watch.QueryRow(context.Background(), `SELECT EXISTS (SELECT FROM pg_locks WHERE pid = $1 AND NOT granted)`, int(pid)).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("session %d never waited on a lock", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A session the server ended while the sink was idle (idle_session_timeout,
// a restart between batches) is replaced at the next Write without an
// error: nothing had been sent on it.
func TestIdleSessionEndedIsReplaced(t *testing.T) {
	db := newDB(t)
	db.exec(t, `CREATE TABLE t (id bigint PRIMARY KEY)`)
	s := openSink(t, db)
	mustWrite(t, s, values(`{"id":1}`))
	pid := s.conn.PgConn().PID()
	db.exec(t, `SELECT pg_terminate_backend($1)`, int(pid))
	for db.count(t, fmt.Sprintf("SELECT FROM pg_stat_activity WHERE pid = %d", pid)) > 0 {
		time.Sleep(10 * time.Millisecond)
	}
	mustWrite(t, s, values(`{"id":2}`))
	if s.conn.PgConn().PID() == pid {
		t.Error("the sink still uses the ended session")
	}
	equal(t, "rows", db.rows(t, "SELECT id FROM t ORDER BY id"), []string{"(1)", "(2)"})
}
