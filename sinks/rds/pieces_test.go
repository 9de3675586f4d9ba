package rds

import (
	"fmt"
	"slices"
	"testing"

	"github.com/tributarydata/tributary/sinks/row/rowtest"
)

// A transaction of more records than its first piece is read and written
// in pieces, each merged by key on its own. The table ends as if every
// record had been written on its own, in order, for every write mode.
func TestPiecesKeepBatchSemantics(t *testing.T) {
	values := rowtest.ChangeEvents(1500, 97)
	for _, mode := range []string{"insertorupdate", "insertorreplace", "insertorignore"} {
		t.Run(mode, func(t *testing.T) {
			db, c := testDB(t)
			for _, name := range []string{"pieces", "one_by_one"} {
				mustExec(t, c, "CREATE TABLE "+name+" (id INT PRIMARY KEY, a VARCHAR(16), b VARCHAR(16) DEFAULT 'dflt', n INT)")
			}
			// One Write: a transaction of 1500 records, in a first piece of
			// 512 and a second of 988.
			s := openSink(t, db, "table.name.format", "pieces", "mutate.type", mode)
			if dead := writeAll(t, s, recs("t", values...)); len(dead) > 0 {
				t.Fatalf("dead letters %v", dead)
			}
			ref := openSink(t, db, "table.name.format", "one_by_one", "mutate.type", mode, "batch.size", "1")
			if dead := writeAll(t, ref, recs("t", values...)); len(dead) > 0 {
				t.Fatalf("dead letters %v", dead)
			}
			want := query(t, c, "SELECT * FROM one_by_one ORDER BY id")
			if len(want) < 50 {
				t.Fatalf("only %d rows: the records hardly test anything", len(want))
			}
			equalLines(t, "rows", query(t, c, "SELECT * FROM pieces ORDER BY id"), want)
		})
	}
}

// Records that cannot be written, in the first piece of a transaction or
// a later one, refused by the mapper or by the server, are each their own
// record's error; every other record is written once.
func TestPiecesWithBadRecords(t *testing.T) {
	db, c := testDB(t)
	mustExec(t, c, "CREATE TABLE t (id INT PRIMARY KEY, n INT CHECK (n >= 0))")
	s := openSink(t, db)
	bad := map[int]string{
		300:  `{"id":300,"n":"many"}`, // mapper, first piece
		900:  `{"id":900,"n":-1}`,     // server, second piece
		1300: `{"id":1300,"n":[1]}`,   // mapper, second piece
		1700: `{"id":1700,"n":-2}`,    // server, the next transaction's first piece
	}
	var values, want []string
	for i := range 2500 {
		if v, ok := bad[i]; ok {
			values = append(values, v)
			continue
		}
		values = append(values, fmt.Sprintf(`{"id":%d,"n":%d}`, i, i))
		want = append(want, fmt.Sprintf("%d\t%d", i, i))
	}
	if dead := writeAll(t, s, recs("t", values...)); !slices.Equal(dead, []int{300, 900, 1300, 1700}) {
		t.Errorf("dead letters %v, want [300 900 1300 1700]", dead)
	}
	equalLines(t, "rows", query(t, c, "SELECT id, n FROM t ORDER BY id"), want)
}
