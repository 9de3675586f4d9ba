package rds

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/client"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// appendRecords makes n records for an append table, 0..n-1, the first
// split of them to topic "a" and the rest to topic "b".
func appendRecords(n, split int) []sdk.Record {
	out := make([]sdk.Record, n)
	for i := range out {
		topic := "a"
		if i >= split {
			topic = "b"
		}
		out[i] = sdk.Record{Topic: topic, Offset: int64(i), Value: fmt.Appendf(nil, `{"id":%d,"v":"row %d"}`, i, i)}
	}
	return out
}

// waitFor polls cond until it holds, failing the test after a while.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stateOf returns the processlist state of a connection.
func stateOf(t testing.TB, c *client.Conn, id uint32) string {
	got := query(t, c, fmt.Sprintf("SELECT IFNULL(STATE, '') FROM information_schema.PROCESSLIST WHERE ID = %d", id))
	if len(got) == 0 {
		return "gone"
	}
	return got[0]
}

// lockWaiting reports whether connection id waits for a row lock. The
// InnoDB monitor shows it at once, where INNODB_TRX may lag.
func lockWaiting(t testing.TB, c *client.Conn, id uint32) bool {
	status := strings.Join(query(t, c, "SHOW ENGINE INNODB STATUS"), "\n")
	_, trxs, _ := strings.Cut(status, "\nTRANSACTIONS\n")
	for _, trx := range strings.Split(trxs, "---TRANSACTION") {
		if strings.Contains(trx, fmt.Sprintf("thread id %d,", id)) {
			return strings.Contains(trx, "\nLOCK WAIT")
		}
	}
	return false
}

// writeAsync runs s.Write in the background.
func writeAsync(ctx context.Context, s *Sink, records []sdk.Record) <-chan writeResult {
	done := make(chan writeResult, 1)
	go func() {
		n, err := s.Write(ctx, records)
		done <- writeResult{n, err}
	}()
	return done
}

type writeResult struct {
	n   int
	err error
}

// The connection is killed while the third chunk waits for a table lock:
// Write reports the two committed chunks and a retriable error; the rest,
// handed again, is written on a new connection. The tables are append
// tables, so a chunk written twice would show as doubled rows.
func TestConnectionKilledMidBatch(t *testing.T) {
	db, c := testDB(t)
	mustExec(t, c, "CREATE TABLE a (id INT, v VARCHAR(16))")
	mustExec(t, c, "CREATE TABLE b (id INT, v VARCHAR(16))")
	s := openSink(t, db, "pk.mode", "none", "insert.mode", "insert", "delete.enabled", "false", "batch.size", "100")
	records := appendRecords(500, 200)

	locker := adminConn(t, db)
	mustExec(t, locker, "LOCK TABLES b WRITE")
	id := s.cn.c.GetConnectionID()
	done := writeAsync(context.Background(), s, records)
	waitFor(t, "the sink waits for the lock", func() bool { return strings.Contains(stateOf(t, c, id), "lock") })
	mustExec(t, c, fmt.Sprintf("KILL %d", id))
	res := <-done
	if res.n != 200 || !sdk.IsRetriable(res.err) {
		t.Fatalf("killed mid-batch: n=%d err=%v, want 200 and a retriable error", res.n, res.err)
	}
	t.Logf("killed: %v", res.err)
	mustExec(t, locker, "UNLOCK TABLES")
	if dead := writeAll(t, s, records[res.n:]); len(dead) > 0 {
		t.Fatalf("dead letters %v", dead)
	}
	equalLines(t, "rows", query(t, c, "SELECT (SELECT count(*) FROM a), (SELECT count(DISTINCT id) FROM a), (SELECT count(*) FROM b), (SELECT count(DISTINCT id) FROM b)"),
		[]string{"200\t200\t300\t300"})
}

// The server stops while the third chunk waits (and is down for a Write,
// which fails as retriable at once), then starts again on the same data
// directory and port: Write reports the two chunks committed before, and
// once the rest is handed again every row is there. The tables are keyed:
// a shutdown may release the lock and commit the third chunk just before
// it kills the connection, so the sink cannot know that chunk committed
// (its reply is lost) and writes it again, which an upsert absorbs and an
// append would not (appends are at least once; the killed-connection test
// above shows a chunk that did not commit is not doubled).
func TestServerRestartMidBatch(t *testing.T) {
	db, c := testDB(t)
	mustExec(t, c, "CREATE TABLE a (id INT PRIMARY KEY, v VARCHAR(16))")
	mustExec(t, c, "CREATE TABLE b (id INT PRIMARY KEY, v VARCHAR(16))")
	s := openSink(t, db, "batch.size", "100", "write.timeout.ms", "5000")
	records := appendRecords(500, 200)

	locker := adminConn(t, db)
	mustExec(t, locker, "LOCK TABLES b WRITE")
	id := s.cn.c.GetConnectionID()
	done := writeAsync(context.Background(), s, records)
	waitFor(t, "the sink waits for the lock", func() bool { return strings.Contains(stateOf(t, c, id), "lock") })
	var res writeResult
	restartServer(t, func() {
		res = <-done
		n, err := s.Write(context.Background(), records[res.n:])
		if n != 0 || !sdk.IsRetriable(err) {
			t.Errorf("write while the server is down: n=%d err=%v, want 0 and a retriable error", n, err)
		}
		t.Logf("server down: %v", err)
	})
	if res.n != 200 || !sdk.IsRetriable(res.err) {
		t.Fatalf("server stopped mid-batch: n=%d err=%v, want 200 and a retriable error", res.n, res.err)
	}
	t.Logf("stopped: %v", res.err)
	if dead := writeAll(t, s, records[res.n:]); len(dead) > 0 {
		t.Fatalf("dead letters %v", dead)
	}
	c = adminConn(t, db)
	equalLines(t, "rows", query(t, c, "SELECT (SELECT count(*) FROM a), (SELECT count(DISTINCT id) FROM a), (SELECT count(*) FROM b), (SELECT count(DISTINCT id) FROM b)"),
		[]string{"200\t200\t300\t300"})
}

// A real deadlock: another transaction holds row 2 and then asks for row
// 1 while the sink, holding row 1, waits for row 2. InnoDB rolls back the
// lighter transaction, the sink's (the other has inserted many rows): the
// sink reports a retriable 1213 with nothing written, and the retry
// succeeds.
func TestDeadlockIsRetriable(t *testing.T) {
	db, c := testDB(t)
	mustExec(t, c, "CREATE TABLE t (id INT PRIMARY KEY, v INT)")
	mustExec(t, c, "CREATE TABLE heavy (id INT PRIMARY KEY)")
	mustExec(t, c, "INSERT INTO t VALUES (1, 0), (2, 0)")
	s := openSink(t, db)
	other := adminConn(t, db)
	mustExec(t, other, "BEGIN")
	mustExec(t, other, "INSERT INTO heavy SELECT seq FROM seq_1_to_500")
	mustExec(t, other, "UPDATE t SET v = 100 WHERE id = 2")

	records := recs("t", `{"id":2,"v":2}`, `{"id":1,"v":1}`)
	id := s.cn.c.GetConnectionID()
	done := writeAsync(context.Background(), s, records)
	waitFor(t, "the sink waits for row 2", func() bool { return lockWaiting(t, c, id) })
	if _, err := other.Execute("UPDATE t SET v = 101 WHERE id = 1"); err != nil {
		t.Fatalf("the other transaction was chosen as the victim (%v): the test cannot tell", err)
	}
	mustExec(t, other, "COMMIT")
	res := <-done
	if code, _ := serverCode(res.err); res.n != 0 || !sdk.IsRetriable(res.err) || code != erLockDeadlock {
		t.Fatalf("deadlock: n=%d err=%v, want 0 and a retriable 1213", res.n, res.err)
	}
	if dead := writeAll(t, s, records); len(dead) > 0 {
		t.Fatalf("dead letters %v", dead)
	}
	equalLines(t, "rows", query(t, c, "SELECT * FROM t ORDER BY id"), []string{"1\t1", "2\t2"})
}

// A task stopping cancels a Write blocked in the server: the connection is
// closed, the chunk rolled back, and Write returns at once with what was
// committed before.
func TestCancelInterruptsWrite(t *testing.T) {
	db, c := testDB(t)
	mustExec(t, c, "CREATE TABLE a (id INT, v VARCHAR(16))")
	mustExec(t, c, "CREATE TABLE b (id INT, v VARCHAR(16))")
	s := openSink(t, db, "pk.mode", "none", "insert.mode", "insert", "delete.enabled", "false", "batch.size", "100")
	locker := adminConn(t, db)
	mustExec(t, locker, "LOCK TABLES b WRITE")
	id := s.cn.c.GetConnectionID()
	ctx, cancel := context.WithCancel(context.Background())
	done := writeAsync(ctx, s, appendRecords(300, 100))
	waitFor(t, "the sink waits for the lock", func() bool { return strings.Contains(stateOf(t, c, id), "lock") })
	cancel()
	select {
	case res := <-done:
		if res.n != 100 || !errors.Is(res.err, context.Canceled) {
			t.Fatalf("cancelled: n=%d err=%v, want 100 and context.Canceled", res.n, res.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Write did not return after its context was cancelled")
	}
	mustExec(t, locker, "UNLOCK TABLES")
	waitFor(t, "the server drops the connection", func() bool { return stateOf(t, c, id) == "gone" })
	equalLines(t, "rows", query(t, c, "SELECT (SELECT count(*) FROM a), (SELECT count(*) FROM b)"), []string{"100\t0"})
}

// A column dropped while the sink runs fails the next chunk with 1054,
// which is retriable and makes the sink read the catalog again; the field
// is then unknown and ignored.
func TestCatalogReadAgainAfterUnknownColumn(t *testing.T) {
	db, c := testDB(t)
	mustExec(t, c, "CREATE TABLE t (id INT PRIMARY KEY, a INT, b INT)")
	s := openSink(t, db)
	writeAll(t, s, recs("t", `{"id":1,"a":1,"b":1}`))
	mustExec(t, c, "ALTER TABLE t DROP COLUMN b")
	records := recs("t", `{"id":2,"a":2,"b":2}`)
	n, err := s.Write(context.Background(), records)
	if code, _ := serverCode(err); n != 0 || !sdk.IsRetriable(err) || code != erBadFieldError {
		t.Fatalf("after the column was dropped: n=%d err=%v, want 0 and a retriable 1054", n, err)
	}
	writeAll(t, s, records)
	equalLines(t, "rows", query(t, c, "SELECT * FROM t ORDER BY id"), []string{"1\t1", "2\t2"})
}

// Statements stay within max_allowed_packet: a chunk larger than it is split
// into several statements, and a row larger than it is its record's error.
func TestPacketLimit(t *testing.T) {
	db, c := testDB(t)
	mustExec(t, c, "CREATE TABLE t (id INT PRIMARY KEY, b LONGBLOB)")
	mustExec(t, c, "SET GLOBAL max_allowed_packet = 1048576")
	t.Cleanup(func() { mustExec(t, adminConn(t, db), "SET GLOBAL max_allowed_packet = 16777216") })
	s := openSink(t, db)
	if s.cn.maxPacket != 1<<20 {
		t.Fatalf("max_allowed_packet read as %d", s.cn.maxPacket)
	}
	blob := func(n int) string {
		return `"` + strings.Repeat("QUJD", n/3) + `"` // base64 of n bytes
	}
	var values []string
	for i := range 20 {
		values = append(values, fmt.Sprintf(`{"id":%d,"b":%s}`, i, blob(300_000)))
	}
	values = append(values, `{"id":99,"b":`+blob(1_100_000)+`}`)
	dead := writeAll(t, s, recs("t", values...))
	if len(dead) != 1 || dead[0] != 20 {
		t.Errorf("dead letters %v, want [20]", dead)
	}
	equalLines(t, "rows", query(t, c, "SELECT count(*), sum(length(b)) FROM t"), []string{"20\t6000000"})
}
