package hologres

import (
	"fmt"
	"testing"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// Each write mode against a real table, on both write paths: a partial
// row updates, replaces or is ignored; records of one key within a batch
// are merged as the mode says; a later batch applies on top.
func TestWriteModes(t *testing.T) {
	tests := []struct {
		mode string
		want []string
	}{
		// Row 1: full row, then a partial one in a later batch. Row 2:
		// two records in one batch. Row 3: a row with only its key.
		{"insertorupdate", []string{"(1,x2,y,1)", "(2,q,dflt,7)", "(3,,dflt,)"}},
		{"insertorreplace", []string{"(1,x2,dflt,)", "(2,q,dflt,)", "(3,,dflt,)"}},
		{"insertorignore", []string{"(1,x,y,1)", "(2,p,dflt,7)", "(3,,dflt,)"}},
	}
	for _, flavor := range flavors {
		for _, tt := range tests {
			t.Run(flavor+"/"+tt.mode, func(t *testing.T) {
				db := newFlavorDB(t, flavor)
				db.exec(t, `CREATE TABLE t (id bigint PRIMARY KEY, a text, b text DEFAULT 'dflt', n int)`)
				s := openSink(t, db, "mutate.type", tt.mode)
				if s.srv.hologres != (flavor == "hologres") {
					t.Fatalf("server taken for Hologres: %v, on %s", s.srv.hologres, flavor)
				}
				mustWrite(t, s, values(`{"id":1,"a":"x","b":"y","n":1}`))
				mustWrite(t, s, values(
					`{"id":1,"a":"x2"}`,
					`{"id":2,"a":"p","n":7}`,
					`{"id":2,"a":"q"}`,
					`{"id":3}`,
				))
				equal(t, "rows", db.rows(t, "SELECT * FROM t ORDER BY id"), tt.want)
			})
		}
	}
}

// Partial updates of a table with a NOT NULL column that has no default:
// PostgreSQL checks NOT NULL on the row it would insert before it looks
// for a conflict, so a plain INSERT ... ON CONFLICT of (id, a) fails even
// when row id exists. insertorupdate updates the existing row; for a new
// key the row really lacks its required column and is the record's error.
func TestPartialUpdateOfRequiredColumns(t *testing.T) {
	db := newDB(t)
	db.exec(t, `CREATE TABLE t (id bigint PRIMARY KEY, a text, req text NOT NULL)`)
	s := openSink(t, db)
	mustWrite(t, s, values(`{"id":1,"a":"x","req":"r"}`))
	bad, errs := drive(t, s, values(`{"id":1,"a":"x2"}`, `{"id":2,"a":"new"}`, `{"id":1,"a":"x3"}`))
	if fmt.Sprint(bad) != "[1]" {
		t.Fatalf("bad records %v (%v), want [1]: the new row without req", bad, errs)
	}
	equal(t, "rows", db.rows(t, "SELECT * FROM t ORDER BY id"), []string{"(1,x3,r)"})

	// insertorignore with the same partial rows: an existing key is left
	// alone, no error.
	db.exec(t, `CREATE TABLE u (id bigint PRIMARY KEY, a text, req text NOT NULL)`)
	db.exec(t, `INSERT INTO u VALUES (1, 'keep', 'r')`)
	ign := openSink(t, db, "mutate.type", "insertorignore", "table.name.format", "u")
	mustWrite(t, ign, values(`{"id":1,"a":"other"}`))
	equal(t, "rows", db.rows(t, "SELECT * FROM u"), []string{"(1,keep,r)"})
}

// insert.mode=update changes rows that exist and never inserts; with
// insertorreplace the columns a record lacks go back to their default.
func TestUpdateOnly(t *testing.T) {
	for _, flavor := range flavors {
		t.Run(flavor, func(t *testing.T) {
			db := newFlavorDB(t, flavor)
			db.exec(t, `CREATE TABLE t (id bigint PRIMARY KEY, a text, b text DEFAULT 'dflt')`)
			db.exec(t, `INSERT INTO t VALUES (1, 'a1', 'b1'), (2, 'a2', 'b2')`)
			s := openSink(t, db, "insert.mode", "update")
			mustWrite(t, s, values(`{"id":1,"a":"new"}`, `{"id":3,"a":"never"}`))
			r := openSink(t, db, "insert.mode", "update", "mutate.type", "insertorreplace")
			mustWrite(t, r, values(`{"id":2,"a":"replaced"}`))
			equal(t, "rows", db.rows(t, "SELECT * FROM t ORDER BY id"), []string{"(1,new,b1)", "(2,replaced,dflt)"})
		})
	}
}

// Deletes: Debezium op=d by the before image, tombstones under
// pk.mode=record_key, a delete and a re-create of a key in one batch (the
// old row's columns must not survive a partial re-create), and deletes
// ignored with delete.enabled=false.
func TestDeletes(t *testing.T) {
	for _, flavor := range flavors {
		t.Run(flavor, func(t *testing.T) {
			db := newFlavorDB(t, flavor)
			db.exec(t, `CREATE TABLE t (id bigint PRIMARY KEY, a text, b text)`)
			db.exec(t, `INSERT INTO t VALUES (1, 'a', 'b'), (2, 'a', 'b'), (3, 'a', 'b'), (4, 'a', 'b')`)
			s := openSink(t, db)
			mustWrite(t, s, values(
				`{"op":"d","before":{"id":1,"a":"a"},"after":null,"source":{},"ts_ms":1}`,
				`{"op":"d","before":{"id":3},"after":null}`,
				`{"op":"c","before":null,"after":{"id":3,"a":"again"}}`,
			))
			// The tombstone Debezium writes after a delete changes nothing
			// under record_value but counts as written.
			mustWrite(t, s, []sdk.Record{rec(0, `{"id":2}`, "")})
			equal(t, "after op=d", db.rows(t, "SELECT * FROM t ORDER BY id"), []string{"(2,a,b)", "(3,again,)", "(4,a,b)"})

			byKey := openSink(t, db, "pk.mode", "record_key")
			mustWrite(t, byKey, []sdk.Record{rec(0, `{"id":2}`, ""), rec(1, `4`, "")})
			equal(t, "after tombstones", db.rows(t, "SELECT * FROM t ORDER BY id"), []string{"(3,again,)"})

			off := openSink(t, db, "delete.enabled", "false")
			mustWrite(t, off, values(`{"op":"d","before":{"id":3}}`))
			equal(t, "deletes disabled", db.rows(t, "SELECT id FROM t"), []string{"(3)"})
		})
	}
}

// Plain JSON rows, Debezium envelopes and envelopes wrapped in
// schema+payload (the JsonConverter with schemas) write the same rows.
func TestEnvelopes(t *testing.T) {
	db := newDB(t)
	db.exec(t, `CREATE TABLE t (id bigint PRIMARY KEY, a text)`)
	s := openSink(t, db)
	mustWrite(t, s, values(
		`{"id":1,"a":"plain"}`,
		`{"op":"c","before":null,"after":{"id":2,"a":"debezium"},"source":{"db":"x"},"ts_ms":5}`,
		`{"schema":{"type":"struct"},"payload":{"op":"u","before":{"id":3},"after":{"id":3,"a":"wrapped"}}}`,
		`{"schema":{"type":"struct"},"payload":{"id":4,"a":"wrapped plain"}}`,
		`{"op":"r","before":null,"after":{"id":5,"a":"snapshot"}}`,
	))
	equal(t, "rows", db.rows(t, "SELECT * FROM t ORDER BY id"), []string{
		"(1,plain)", "(2,debezium)", "(3,wrapped)", `(4,"wrapped plain")`, "(5,snapshot)",
	})
}
