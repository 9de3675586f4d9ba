package hologres

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// Records of ever new sets of columns make ever new statements: the sink
// keeps at most maxCachedSQL of a table's statements, and as many prepared
// on the server, dropping them all when there would be more.
func TestStatementsStayBounded(t *testing.T) {
	db := newDB(t)
	var cols []string
	for i := range 11 {
		cols = append(cols, fmt.Sprintf("c%d int", i))
	}
	db.exec(t, "CREATE TABLE t (id bigint PRIMARY KEY, "+strings.Join(cols, ", ")+")")
	s := openSink(t, db)
	// 1100 records, each of another set of columns: one transaction of
	// 1100 statements.
	var vs []string
	for id := range maxCachedSQL + 76 {
		fields := []string{fmt.Sprintf(`"id":%d`, id)}
		for i := range 11 {
			if id&(1<<i) != 0 {
				fields = append(fields, fmt.Sprintf(`"c%d":%d`, i, i))
			}
		}
		vs = append(vs, "{"+strings.Join(fields, ",")+"}")
	}
	mustWrite(t, s, values(vs...))
	equal(t, "rows", db.rows(t, "SELECT count(*), sum(c10) FROM t"), []string{fmt.Sprintf("(%d,%d)", len(vs), 10*76)})
	var prepared int
	if err := s.conn.QueryRow(context.Background(), "SELECT count(*) FROM pg_prepared_statements").Scan(&prepared); err != nil {
		t.Fatal(err)
	}
	if prepared == 0 || prepared > 100 {
		t.Errorf("%d statements prepared on the sink's connection, want the few since the last were dropped", prepared)
	}
}
