package hologres

import (
	"fmt"
	"testing"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// A Write of appends longer than the mapper's pieces streams the rows of
// one table and set of columns into COPY while the rest is mapped; rows of
// another table or other columns, and a value COPY cannot carry, go the
// batch's way in the same transaction. A value the server refuses (1e300
// for a real) and a record the mapper refuses are each their record's
// error, found after the records before them are written; every other
// record is written once.
func TestAppendStream(t *testing.T) {
	db := newDB(t)
	db.exec(t, `CREATE TABLE t (id bigint, n int, r real, v text)`)
	db.exec(t, `CREATE TABLE u (id bigint, w text)`)
	s := openSink(t, db, "insert.mode", "insert", "pk.mode", "none", "delete.enabled", "false", "topics", "t,u")
	// Read long enough ago to be read again for a refused record (which
	// then ends the chunk), not so long ago that Write reads it first.
	s.byTopic["t"].loadedAt = time.Now().Add(-2 * remapGuard)

	var records []sdk.Record
	var wantT, wantU []string
	for i := range 1500 {
		r := sdk.Record{Topic: "t", Offset: int64(i)}
		switch {
		case i == 700:
			r.Value = []byte(`{"id":700,"n":700,"r":1e300,"v":"f700"}`)
		case i == 1000:
			r.Value = []byte(`{"id":1000,"n":"many"}`)
		case i%10 == 3:
			r.Topic, r.Value = "u", fmt.Appendf(nil, `{"id":%d,"w":"u%d"}`, i, i)
			wantU = append(wantU, fmt.Sprintf("(%d,u%d)", i, i))
		case i%10 == 7:
			r.Value = fmt.Appendf(nil, `{"id":%d,"v":"p%d"}`, i, i)
			wantT = append(wantT, fmt.Sprintf("(%d,,,p%d)", i, i))
		default:
			r.Value = fmt.Appendf(nil, `{"id":%d,"n":%d,"r":0.5,"v":"f%d"}`, i, i, i)
			wantT = append(wantT, fmt.Sprintf("(%d,%d,0.5,f%d)", i, i, i))
		}
		records = append(records, r)
	}
	bad, errs := drive(t, s, records)
	if fmt.Sprint(bad) != "[700 1000]" {
		t.Fatalf("bad records %v (%v), want [700 1000]", bad, errs)
	}
	equal(t, "rows of t", db.rows(t, "SELECT * FROM t ORDER BY id"), wantT)
	equal(t, "rows of u", db.rows(t, "SELECT * FROM u ORDER BY id"), wantU)
}

// A column added while appends stream: the record with the new field, in
// the middle of a Write, ends the chunk; the records before it are
// committed, the catalog is read again, and the record and those after it
// are written with the new column.
func TestAppendStreamColumnAdded(t *testing.T) {
	db := newDB(t)
	db.exec(t, `CREATE TABLE t (id bigint, v text)`)
	s := openSink(t, db, "insert.mode", "insert", "pk.mode", "none", "delete.enabled", "false", "fields.unknown", "error")
	db.exec(t, `ALTER TABLE t ADD COLUMN added int`)
	s.byTopic["t"].loadedAt = time.Now().Add(-2 * remapGuard) // see TestAppendStream
	var vs []string
	for i := range 1500 {
		if i < 800 {
			vs = append(vs, fmt.Sprintf(`{"id":%d,"v":"v%d"}`, i, i))
		} else {
			vs = append(vs, fmt.Sprintf(`{"id":%d,"v":"v%d","added":%d}`, i, i, i))
		}
	}
	mustWrite(t, s, values(vs...))
	equal(t, "rows", db.rows(t, "SELECT count(*), count(added), min(added), count(DISTINCT id) FROM t"), []string{"(1500,700,800,1500)"})
}
