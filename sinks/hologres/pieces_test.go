package hologres

import (
	"fmt"
	"testing"
	"time"

	"github.com/tributarydata/tributary/sinks/row/rowtest"
)

// A transaction of more records than firstPiece is written in two pieces,
// each merged by key on its own. The table ends as if every record had
// been written on its own, in order, in every write mode and on both
// write paths.
func TestPiecesKeepBatchSemantics(t *testing.T) {
	records := values(rowtest.ChangeEvents(1500, 97)...)
	for _, flavor := range flavors {
		for _, mode := range []string{"insertorupdate", "insertorreplace", "insertorignore"} {
			t.Run(flavor+"/"+mode, func(t *testing.T) {
				db := newFlavorDB(t, flavor)
				for _, name := range []string{"pieces", "one_by_one"} {
					db.exec(t, "CREATE TABLE "+name+" (id bigint PRIMARY KEY, a text, b text DEFAULT 'dflt', n int)")
				}
				s := openSink(t, db, "table.name.format", "pieces", "mutate.type", mode)
				mustWrite(t, s, records)
				ref := openSink(t, db, "table.name.format", "one_by_one", "mutate.type", mode, "batch.size", "1")
				mustWrite(t, ref, records)
				want := db.rows(t, "SELECT * FROM one_by_one ORDER BY id")
				if len(want) < 50 {
					t.Fatalf("only %d rows: the records hardly test anything", len(want))
				}
				equal(t, "rows", db.rows(t, "SELECT * FROM pieces ORDER BY id"), want)
			})
		}
	}
}

// Records that cannot be written, in either piece, refused by the mapper
// or by the server, are each their record's error; every other record is
// written once. A refusal while the table's catalog is due to be read
// again commits the records before it first.
func TestPiecesWithBadRecords(t *testing.T) {
	db := newDB(t)
	db.exec(t, `CREATE TABLE t (id bigint PRIMARY KEY, n int CHECK (n >= 0))`)
	s := openSink(t, db)
	s.byTopic["t"].loadedAt = time.Now().Add(-2 * remapGuard) // see TestAppendStream
	bad := map[int]string{
		300:  `{"id":300,"n":"many"}`, // mapper, first piece
		900:  `{"id":900,"n":-1}`,     // server, second piece
		1300: `{"id":1300,"n":[1]}`,   // mapper, second piece
		2300: `{"id":2300,"n":-2}`,    // server, the next transaction's first piece
	}
	var vs, want []string
	for i := range 2700 {
		if v, ok := bad[i]; ok {
			vs = append(vs, v)
			continue
		}
		vs = append(vs, fmt.Sprintf(`{"id":%d,"n":%d}`, i, i))
		want = append(want, fmt.Sprintf("(%d,%d)", i, i))
	}
	got, errs := drive(t, s, values(vs...))
	if fmt.Sprint(got) != "[300 900 1300 2300]" {
		t.Fatalf("bad records %v (%v), want [300 900 1300 2300]", got, errs)
	}
	equal(t, "rows", db.rows(t, "SELECT * FROM t ORDER BY id"), want)
}
