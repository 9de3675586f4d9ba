package rds

import (
	"testing"
)

// Each mutate type against rows written by an earlier Write (so the server's
// ON DUPLICATE KEY UPDATE decides) and within one Write (so the batch's
// deduplication decides): both must give the state of the records applied
// one by one.
func TestMutateTypes(t *testing.T) {
	tests := []struct {
		mode          string
		first, second []string
		want          []string
	}{
		{
			mode:   "insertorupdate",
			first:  []string{`{"id":1,"a":"a1","b":10}`, `{"id":2,"a":"a2","b":20}`},
			second: []string{`{"id":1,"b":11}`, `{"id":2,"a":null}`, `{"id":3}`},
			// Absent columns keep their value; an explicit null is written.
			want: []string{"1\ta1\t11\tdef", "2\tNULL\t20\tdef", "3\tNULL\t7\tdef"},
		},
		{
			mode:   "insertorreplace",
			first:  []string{`{"id":1,"a":"a1","b":10,"c":"set"}`, `{"id":2,"a":"a2","b":20}`},
			second: []string{`{"id":1,"b":11}`, `{"id":2,"a":"x","b":21,"c":"y"}`},
			// Absent columns go back to their default, not to what was there.
			want: []string{"1\tNULL\t11\tdef", "2\tx\t21\ty"},
		},
		{
			mode:   "insertorignore",
			first:  []string{`{"id":1,"a":"first","b":10}`},
			second: []string{`{"id":1,"a":"second","b":11}`, `{"id":2,"a":"new"}`},
			want:   []string{"1\tfirst\t10\tdef", "2\tnew\t7\tdef"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			db, c := testDB(t)
			for _, tbl := range []string{"across", "within"} {
				mustExec(t, c, "CREATE TABLE "+tbl+" (id BIGINT PRIMARY KEY, a VARCHAR(16), b INT NOT NULL DEFAULT 7, c VARCHAR(8) DEFAULT 'def')")
			}
			across := openSink(t, db, "mutate.type", tt.mode, "table.name.format", "across")
			writeAll(t, across, recs("t", tt.first...))
			writeAll(t, across, recs("t", tt.second...))
			equalLines(t, "across two writes", query(t, c, "SELECT * FROM across ORDER BY id"), tt.want)

			within := openSink(t, db, "mutate.type", tt.mode, "table.name.format", "within")
			writeAll(t, within, recs("t", append(append([]string{}, tt.first...), tt.second...)...))
			equalLines(t, "within one write", query(t, c, "SELECT * FROM within ORDER BY id"), tt.want)
		})
	}
}

// Records of one key in a batch are merged as one by one they would act:
// an upsert then a delete deletes (a batch that ran its statements in
// arrival order, deletes first, would keep the row), a delete then a
// partial re-creation leaves none of the old row's columns, partial rows
// merge. insert.mode=insert merges nothing: a key twice is a duplicate.
func TestBatchMergesByKey(t *testing.T) {
	db, c := testDB(t)
	mustExec(t, c, "CREATE TABLE u (id INT PRIMARY KEY, a VARCHAR(8), b VARCHAR(8))")
	mustExec(t, c, "INSERT INTO u VALUES (1,'old','old'), (3,'old','old')")
	up := openSink(t, db, "table.name.format", "u")
	writeAll(t, up, recs("t",
		`{"op":"d","before":{"id":1},"after":null}`,
		`{"op":"c","before":null,"after":{"id":1,"a":"new"}}`,
		`{"id":2,"a":"p"}`, `{"id":2,"b":"q"}`, `{"id":2,"a":"p2"}`,
		`{"id":3,"a":"x"}`, `{"op":"d","before":{"id":3},"after":null}`,
		`{"id":4,"a":"x"}`, `{"op":"d","before":{"id":4},"after":null}`, `{"id":4,"b":"y"}`,
	))
	equalLines(t, "merged", query(t, c, "SELECT * FROM u ORDER BY id"),
		[]string{"1\tnew\tNULL", "2\tp2\tq", "4\tNULL\ty"})

	mustExec(t, c, "CREATE TABLE t (id INT PRIMARY KEY, a VARCHAR(8))")
	ins := openSink(t, db, "insert.mode", "insert", "delete.enabled", "false")
	dead := writeAll(t, ins, recs("t", `{"id":1,"a":"x"}`, `{"id":1,"a":"x2"}`, `{"id":2,"a":"y"}`))
	if len(dead) != 1 || dead[0] != 1 {
		t.Errorf("insert mode, a key twice in one batch: dead letters %v, want [1]", dead)
	}
	if dead := writeAll(t, ins, recs("t", `{"id":2,"a":"z"}`)); len(dead) != 1 {
		t.Errorf("insert mode, a key of an earlier batch: dead letters %v, want one", dead)
	}
	equalLines(t, "insert mode", query(t, c, "SELECT * FROM t ORDER BY id"), []string{"1\tx", "2\ty"})
}

// Deletes: a Debezium delete by its before row, a tombstone under
// record_key; a tombstone under record_value changes nothing and is counted;
// delete.enabled=false keeps rows.
func TestDeletes(t *testing.T) {
	db, c := testDB(t)
	for _, tbl := range []string{"byvalue", "bykey", "kept"} {
		mustExec(t, c, "CREATE TABLE "+tbl+" (id INT, region VARCHAR(4), v INT, PRIMARY KEY (id, region))")
		mustExec(t, c, "INSERT INTO "+tbl+" VALUES (1,'eu',1),(2,'eu',2),(2,'us',3),(3,'eu',4)")
	}

	byValue := openSink(t, db, "table.name.format", "byvalue")
	writeAll(t, byValue, recs("t",
		`{"op":"d","before":{"id":2,"region":"eu","v":2},"after":null,"source":{}}`,
		`<nil>`, // the tombstone a CDC source writes after a delete
		`{"schema":{},"payload":{"op":"d","before":{"id":3,"region":"eu"},"after":null}}`,
	))
	equalLines(t, "deleted by before row", query(t, c, "SELECT * FROM byvalue ORDER BY id, region"),
		[]string{"1\teu\t1", "2\tus\t3"})
	if tb := byValue.byName[tableName{db, "byvalue"}]; tb == nil || tb.skipped.Load() != 1 {
		t.Errorf("tombstone under record_value not counted as skipped: %+v", tb)
	}

	byKey := openSink(t, db, "table.name.format", "bykey", "pk.mode", "record_key")
	tomb := recs("t", "<nil>", "<nil>")
	tomb[0].Key = []byte(`{"id":1,"region":"eu"}`)
	tomb[1].Key = []byte(`{"schema":{},"payload":{"id":2,"region":"us"}}`)
	writeAll(t, byKey, tomb)
	equalLines(t, "deleted by tombstone key", query(t, c, "SELECT * FROM bykey ORDER BY id, region"),
		[]string{"2\teu\t2", "3\teu\t4"})

	kept := openSink(t, db, "table.name.format", "kept", "delete.enabled", "false")
	writeAll(t, kept, recs("t", `{"op":"d","before":{"id":1,"region":"eu"},"after":null}`))
	if got := query(t, c, "SELECT count(*) FROM kept"); got[0] != "4" {
		t.Errorf("delete.enabled=false deleted rows: %v left", got)
	}
}

// Plain JSON rows and Debezium envelopes (bare or schema/payload wrapped,
// ops c, r, u) land the same way.
func TestEnvelopes(t *testing.T) {
	db, c := testDB(t)
	mustExec(t, c, "CREATE TABLE t (id INT PRIMARY KEY, name VARCHAR(16))")
	s := openSink(t, db)
	writeAll(t, s, recs("t",
		`{"id":1,"name":"plain"}`,
		`{"op":"c","before":null,"after":{"id":2,"name":"create"},"source":{"db":"x"},"ts_ms":1}`,
		`{"op":"r","before":null,"after":{"id":3,"name":"snapshot"}}`,
		`{"schema":{"type":"struct"},"payload":{"op":"u","before":{"id":4},"after":{"id":4,"name":"wrapped"}}}`,
		`{"op":"u","before":{"id":1,"name":"plain"},"after":{"id":1,"name":"updated"}}`,
	))
	equalLines(t, "rows", query(t, c, "SELECT * FROM t ORDER BY id"),
		[]string{"1\tupdated", "2\tcreate", "3\tsnapshot", "4\twrapped"})
}

// insert.mode=update updates rows that exist and creates none.
func TestUpdateMode(t *testing.T) {
	db, c := testDB(t)
	mustExec(t, c, "CREATE TABLE t (id INT PRIMARY KEY, a VARCHAR(8), b INT NOT NULL)")
	mustExec(t, c, "INSERT INTO t VALUES (1,'x',1)")
	s := openSink(t, db, "insert.mode", "update")
	writeAll(t, s, recs("t", `{"id":1,"a":"y"}`, `{"id":2,"a":"new","b":2}`))
	equalLines(t, "rows", query(t, c, "SELECT * FROM t"), []string{"1\ty\t1"})
	if s.missing != 1 {
		t.Errorf("missing rows counted %d, want 1", s.missing)
	}
}

// A partial update may leave out a NOT NULL column without a default when
// the row exists (the INSERT half of an upsert would refuse it); the same
// record for a row that does not exist is the server's 1364.
func TestPartialUpdateOfRequiredColumns(t *testing.T) {
	db, c := testDB(t)
	mustExec(t, c, "CREATE TABLE t (id INT PRIMARY KEY, a VARCHAR(8), must INT NOT NULL)")
	mustExec(t, c, "INSERT INTO t VALUES (1,'x',1)")
	s := openSink(t, db)
	dead := writeAll(t, s, recs("t", `{"id":1,"a":"y"}`, `{"id":2,"a":"z"}`, `{"id":3,"a":"w","must":3}`, `{"id":1}`))
	if len(dead) != 1 || dead[0] != 1 {
		t.Errorf("dead letters %v, want [1]", dead)
	}
	equalLines(t, "rows", query(t, c, "SELECT * FROM t ORDER BY id"), []string{"1\ty\t1", "3\tw\t3"})

	ignore := openSink(t, db, "mutate.type", "insertorignore")
	if dead := writeAll(t, ignore, recs("t", `{"id":1,"a":"ignored"}`)); len(dead) != 0 {
		t.Errorf("insertorignore of an existing row without the required column: dead letters %v", dead)
	}
	equalLines(t, "ignored", query(t, c, "SELECT a FROM t WHERE id = 1"), []string{"y"})
}

func TestOpenRefuses(t *testing.T) {
	db, c := testDB(t)
	mustExec(t, c, "CREATE TABLE t (id INT PRIMARY KEY, a INT)")
	mustExec(t, c, "CREATE TABLE nokey (id INT, a INT)")
	for name, kv := range map[string][]string{
		"auto.create without columns": {"auto.create", "true"},
		"appends with deletes":        {"pk.mode", "none", "insert.mode", "insert"},
		"upserts without a key":       {"pk.mode", "none"},
		"updates without a key":       {"pk.mode", "none", "insert.mode", "update"},
		"updates that ignore":         {"insert.mode", "update", "mutate.type", "insertorignore"},
		"bad url":                     {"connection.url", "ftp://x/y"},
		"missing table":               {"table.name.format", "nope"},
		"wrong password":              {"connection.password", "wrong"},
		"unknown database":            {"connection.url", dsn(t, "no_such_db")},
		"pk.fields not a unique key":  {"pk.fields", "a", "table.name.format", "t"},
		"table without a key":         {"table.name.format", "nokey"},
	} {
		if _, err := tryOpen(t, db, kv...); err == nil {
			t.Errorf("%s: accepted", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}
