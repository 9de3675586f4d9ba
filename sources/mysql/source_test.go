package mysql

import (
	"fmt"
	"testing"
	"time"
)

// A first start snapshots the table (op r, the last one marked "last"), then
// streams inserts, updates and deletes (with tombstones) from exactly where
// the snapshot's transaction stood.
func TestSnapshotThenStream(t *testing.T) {
	srv := startServer(t)
	srv.exec(t,
		"CREATE DATABASE shop",
		"CREATE TABLE shop.orders (id INT PRIMARY KEY, status TINYINT NOT NULL, note VARCHAR(40))",
		"INSERT INTO shop.orders VALUES (1, 1, 'a'), (2, 1, 'b'), (3, 1, NULL)",
		"CREATE TABLE shop.ignored (id INT PRIMARY KEY)",
		"INSERT INTO shop.ignored VALUES (1)",
	)
	s := openSource(t, srv.config("table.include.list", "shop\\.orders", "snapshot.fetch.size", "2"))
	snap := readEvents(t, s, 3)
	for i, e := range snap {
		if e.Op != "r" || e.Topic != "srv.shop.orders" || e.Key != fmt.Sprintf(`{"id":%d}`, i+1) {
			t.Fatalf("snapshot event %d: op %s topic %s key %s", i, e.Op, e.Topic, e.Key)
		}
		want := "true"
		if i == 2 {
			want = "last"
		}
		if e.Source["snapshot"] != want {
			t.Fatalf("snapshot event %d has source.snapshot %v, want %s", i, e.Source["snapshot"], want)
		}
	}
	if snap[2].After["note"] != nil || snap[0].After["note"] != "a" {
		t.Fatalf("snapshot rows %v / %v", snap[0].After, snap[2].After)
	}

	srv.exec(t,
		"INSERT INTO shop.orders VALUES (4, 1, 'd')",
		"UPDATE shop.orders SET status = 3 WHERE id = 1",
		"DELETE FROM shop.orders WHERE id = 2",
		"INSERT INTO shop.ignored VALUES (2)",
		"UPDATE shop.orders SET id = 30 WHERE id = 3",
	)
	got := readEvents(t, s, 7)
	type want struct{ op, key string }
	wants := []want{
		{"c", `{"id":4}`}, {"u", `{"id":1}`}, {"d", `{"id":2}`}, {"", `{"id":2}`},
		{"d", `{"id":3}`}, {"", `{"id":3}`}, {"c", `{"id":30}`},
	}
	for i, w := range wants {
		e := got[i]
		if e.Op != w.op || e.Key != w.key {
			t.Fatalf("event %d: op %q key %s, want op %q key %s", i, e.Op, e.Key, w.op, w.key)
		}
		if w.op == "" && e.Rec.Value != nil {
			t.Fatalf("event %d should be a tombstone, value %s", i, e.Rec.Value)
		}
	}
	if got[1].Before["status"] != float64(1) || got[1].After["status"] != float64(3) {
		t.Fatalf("update before %v after %v", got[1].Before, got[1].After)
	}
	if got[0].Source["snapshot"] != "false" || got[0].Source["file"] == "" || got[0].Source["gtid"] == nil {
		t.Fatalf("stream event source block %v", got[0].Source)
	}
	_ = time.Second
}
