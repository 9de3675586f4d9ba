package hologres

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// changeEvents are Debezium change events over 20 keys, on two partitions
// (a key's events stay on one, in order): creates, partial updates,
// deletes and re-creates, offsets counting per partition.
func changeEvents(n int) []sdk.Record {
	var out []sdk.Record
	next := [2]int64{}
	for i := range n {
		id := i % 20
		p := int32(id % 2)
		var v string
		switch {
		case i%7 == 3:
			v = fmt.Sprintf(`{"op":"d","before":{"id":%d},"after":null}`, id)
		case i%5 == 1:
			v = fmt.Sprintf(`{"op":"u","before":{"id":%d},"after":{"id":%d,"n":%d}}`, id, id, i)
		default:
			v = fmt.Sprintf(`{"op":"c","before":null,"after":{"id":%d,"v":"v%d","n":%d}}`, id, i, i)
		}
		out = append(out, sdk.Record{Topic: "t", Partition: p, Offset: next[p], Value: []byte(v)})
		next[p]++
	}
	return out
}

func writeIn(t *testing.T, s *Sink, records []sdk.Record, size int) {
	t.Helper()
	for len(records) > 0 {
		k := min(size, len(records))
		mustWrite(t, s, records[:k])
		records = records[k:]
	}
}

// A sink crashes (is abandoned without Close) after writing part of the
// stream, and a new one resumes from an earlier position, as the runtime
// does from the last committed consumer offset. Upserted tables end up
// exactly as one pass leaves them. An append table without offsets.table
// gets the replayed rows twice (at-least-once, as documented); with
// offsets.table the new sink skips what is already written and the table
// holds every row once.
func TestCrashAndReplay(t *testing.T) {
	db := newDB(t)
	for _, name := range []string{"once", "up"} {
		db.exec(t, "CREATE TABLE "+name+" (id bigint PRIMARY KEY, v text, n int)")
	}
	db.exec(t, "CREATE TABLE app (id bigint, v text)")
	db.exec(t, "CREATE TABLE app_exact (id bigint, v text)")
	events := changeEvents(100)

	writeIn(t, openSink(t, db, "table.name.format", "once"), events, 10)
	crashed := openSink(t, db, "table.name.format", "up")
	writeIn(t, crashed, events[:60], 10)
	writeIn(t, openSink(t, db, "table.name.format", "up"), events[30:], 10)
	want := db.rows(t, "SELECT * FROM once ORDER BY id")
	if len(want) == 0 {
		t.Fatal("the one pass wrote nothing")
	}
	equal(t, "upserted table after a replay", db.rows(t, "SELECT * FROM up ORDER BY id"), want)

	var rows []sdk.Record
	for i := range 100 {
		rows = append(rows, rec(int64(i), "", fmt.Sprintf(`{"id":%d,"v":"r%d"}`, i, i)))
	}
	appendKeys := []string{"insert.mode", "insert", "pk.mode", "none", "delete.enabled", "false"}
	writeIn(t, openSink(t, db, append(appendKeys, "table.name.format", "app")...), rows[:60], 10)
	writeIn(t, openSink(t, db, append(appendKeys, "table.name.format", "app")...), rows[30:], 10)
	if n, dup := db.count(t, "SELECT * FROM app"), db.count(t, "SELECT id FROM app GROUP BY id HAVING count(*) = 2"); n != 130 || dup != 30 {
		t.Errorf("append table without offsets.table: %d rows, %d twice; want 130 and the 30 replayed twice", n, dup)
	}

	exact := append(appendKeys, "table.name.format", "app_exact", "offsets.table", "sink_offsets")
	writeIn(t, openSink(t, db, exact...), rows[:60], 10)
	resumed := openSink(t, db, exact...)
	stored, err := resumed.StoredOffsets(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := map[sdk.TopicPartition]int64{{Topic: "t", Partition: 0}: 60}; !reflect.DeepEqual(stored, want) {
		t.Errorf("StoredOffsets = %v, want %v", stored, want)
	}
	writeIn(t, resumed, rows[30:], 10)
	if n, distinct := db.count(t, "SELECT * FROM app_exact"), db.count(t, "SELECT DISTINCT id FROM app_exact"); n != 100 || distinct != 100 {
		t.Errorf("append table with offsets.table: %d rows, %d distinct; want 100 and 100", n, distinct)
	}
}

// Upserts keep their offsets too when asked, on both partitions, and a
// second connector's offsets are its own.
func TestOffsetsPerConnector(t *testing.T) {
	db := newDB(t)
	db.exec(t, "CREATE TABLE up (id bigint PRIMARY KEY, v text, n int)")
	s := openSink(t, db, "table.name.format", "up", "offsets.table", "offs")
	writeIn(t, s, changeEvents(100), 30)
	stored, err := s.StoredOffsets(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := map[sdk.TopicPartition]int64{{Topic: "t", Partition: 0}: 50, {Topic: "t", Partition: 1}: 50}; !reflect.DeepEqual(stored, want) {
		t.Errorf("StoredOffsets = %v, want %v", stored, want)
	}
	other, err := tryOpen(db, "name", "other", "table.name.format", "up", "offsets.table", "offs")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if stored, err := other.StoredOffsets(context.Background()); err != nil || len(stored) != 0 {
		t.Errorf("another connector's StoredOffsets = %v, %v; want none", stored, err)
	}
}
