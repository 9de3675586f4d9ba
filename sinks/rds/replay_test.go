package rds

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// changeEvents makes n Debezium change events of an orders table over ids
// 1..ids: an id's first event creates it, later ones update it, every fifth
// deletes it and the next creates it again. Notes carry quotes, CJK and
// emoji. It returns the records and the rows they leave, ordered by id, as
// query prints them.
func changeEvents(topic string, n, ids int) ([]sdk.Record, []string) {
	records := make([]sdk.Record, n)
	version := make([]int, ids+1)
	last := make([]string, ids+1)
	for i := range n {
		id := i%ids + 1
		version[id]++
		v := version[id]
		row := fmt.Sprintf(`{"id":%d,"status":%d,"amount":"%d.%02d","note":"v%d it's \"ok\" 课堂 🎓"}`, id, v%4, v*3, v%100, v)
		var value string
		switch {
		case last[id] == "":
			value = `{"op":"c","before":null,"after":` + row + `}`
			last[id] = fmt.Sprintf("%d\t%d\t%d.%02d\tv%d it's \"ok\" 课堂 🎓", id, v%4, v*3, v%100, v)
		case v%5 == 0:
			value = fmt.Sprintf(`{"op":"d","before":{"id":%d},"after":null}`, id)
			last[id] = ""
		default:
			value = `{"op":"u","before":{"id":` + fmt.Sprint(id) + `},"after":` + row + `}`
			last[id] = fmt.Sprintf("%d\t%d\t%d.%02d\tv%d it's \"ok\" 课堂 🎓", id, v%4, v*3, v%100, v)
		}
		records[i] = sdk.Record{Topic: topic, Offset: int64(i), Key: fmt.Appendf(nil, `{"id":%d}`, id), Value: []byte(value)}
	}
	var rows []string
	for _, r := range last {
		if r != "" {
			rows = append(rows, r)
		}
	}
	return records, rows
}

// A sink stops in the middle of a transaction (its task cancelled while a
// chunk waits for a lock) and another is left without Close; a new sink
// replays from an offset well before both stopped. The upserted table ends
// equal to one pass over the events.
func TestCrashAndReplayEqualsOnePass(t *testing.T) {
	db, c := testDB(t)
	mustExec(t, c, "CREATE TABLE orders (id BIGINT PRIMARY KEY, status INT NOT NULL, amount DECIMAL(12,2), note VARCHAR(64))")
	events, want := changeEvents("orders", 5500, 1000)
	crashed := func(s *Sink) { t.Cleanup(s.dropConn) } // abandoned: no Close

	first := openSink(t, db, "batch.size", "250")
	writeAll(t, first, events[:1000])
	crashed(first)

	second := openSink(t, db, "batch.size", "250")
	locker := adminConn(t, db)
	mustExec(t, locker, "BEGIN")
	// id 600's event at offset 1599 falls in the third chunk of [1000, 2000),
	// the only one of these chunks with an event of it.
	mustExec(t, locker, "SELECT * FROM orders WHERE id = 600 FOR UPDATE")
	ctx, cancel := context.WithCancel(context.Background())
	id := second.cn.c.GetConnectionID()
	done := writeAsync(ctx, second, events[1000:2000])
	waitFor(t, "the second sink waits for the lock", func() bool { return lockWaiting(t, c, id) })
	cancel()
	res := <-done
	if res.n != 500 || !errors.Is(res.err, context.Canceled) {
		t.Fatalf("crash mid-transaction: n=%d err=%v, want 500 committed and context.Canceled", res.n, res.err)
	}
	mustExec(t, locker, "COMMIT")
	crashed(second)

	replay := openSink(t, db, "batch.size", "250")
	writeAll(t, replay, events[800:])
	if len(want) != 500 {
		t.Fatalf("the events leave %d rows; the test wants deleted and re-created ones", len(want))
	}
	equalLines(t, "table after the replay", query(t, c, "SELECT * FROM orders ORDER BY id"), want)
}

// Append tables (pk.mode=none) have no key to make a replay idempotent: the
// replayed records are appended again. This test pins that down.
func TestReplayOfAppendTableRepeatsRows(t *testing.T) {
	db, c := testDB(t)
	mustExec(t, c, "CREATE TABLE log (id INT, v VARCHAR(16))")
	records := appendRecords(1000, 1000)
	for i := range records {
		records[i].Topic = "log"
	}
	first := openSink(t, db, "pk.mode", "none", "insert.mode", "insert", "delete.enabled", "false")
	writeAll(t, first, records[:600])
	t.Cleanup(first.dropConn)
	replay := openSink(t, db, "pk.mode", "none", "insert.mode", "insert", "delete.enabled", "false")
	writeAll(t, replay, records[400:])
	equalLines(t, "counts", query(t, c, "SELECT count(*), count(DISTINCT id) FROM log"), []string{"1200\t1000"})
	dup := query(t, c, "SELECT min(id), max(id), count(*) FROM (SELECT id FROM log GROUP BY id HAVING count(*) > 1) d")
	equalLines(t, "repeated rows", dup, []string{"400\t599\t200"})
}
