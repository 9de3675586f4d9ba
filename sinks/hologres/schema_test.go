package hologres

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// Columns added and dropped while the sink runs: a record with a new field
// makes the sink read the catalog again (with fields.unknown=error it would
// otherwise be refused), and a statement naming a dropped column (replace
// mode sets every column) is repeated after the catalog is read again.
func TestColumnsAddedAndDropped(t *testing.T) {
	db := newDB(t)
	db.exec(t, `CREATE TABLE t (id bigint PRIMARY KEY, a text, gone text)`)
	s := openSink(t, db, "fields.unknown", "error", "mutate.type", "insertorreplace")
	mustWrite(t, s, values(`{"id":1,"a":"x","gone":"g"}`))

	db.exec(t, `ALTER TABLE t ADD COLUMN added int`)
	s.byTopic["t"].loadedAt = time.Now().Add(-time.Hour) // as if read long ago
	mustWrite(t, s, values(`{"id":2,"a":"y","added":5}`))

	db.exec(t, `ALTER TABLE t DROP COLUMN gone`)
	mustWrite(t, s, values(`{"id":3,"a":"z","added":6}`))
	equal(t, "rows", db.rows(t, "SELECT * FROM t ORDER BY id"), []string{"(1,x,)", "(2,y,5)", "(3,z,6)"})

	// Read again just now, a field that matches no column is the record's
	// error.
	_, err := s.Write(t.Context(), values(`{"id":4,"gone":"g"}`))
	var re *sdk.RecordError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), "field gone matches no column") {
		t.Errorf("Write of a dropped column's field: %v, want a RecordError", err)
	}
}

// Configurations that cannot work fail at Open, saying why.
func TestOpenRefuses(t *testing.T) {
	db := newDB(t)
	db.exec(t, `CREATE TABLE keyed (id bigint PRIMARY KEY, a text UNIQUE, b text)`)
	db.exec(t, `CREATE TABLE keyless (id bigint, a text)`)
	for _, tt := range []struct {
		name string
		kv   []string
		want string
	}{
		{"append with deletes", []string{"table.name.format", "keyless", "insert.mode", "insert", "pk.mode", "none"}, "delete.enabled=false"},
		{"upsert without key", []string{"table.name.format", "keyless", "pk.mode", "none"}, "set pk.mode"},
		{"update never changing", []string{"table.name.format", "keyed", "insert.mode", "update", "mutate.type", "insertorignore"}, "never change"},
		{"auto.create without columns", []string{"table.name.format", "nope", "auto.create", "true"}, "table.schema.columns"},
		{"auto.create without pk.fields", []string{"table.name.format", "nope", "auto.create", "true", "table.schema.columns", "id bigint"}, "pk.fields"},
		{"auto.create with an unknown key", []string{"table.name.format", "nope", "auto.create", "true", "table.schema.columns", "id bigint", "pk.fields", "x"}, "not a column"},
		{"placeholder", []string{"table.name.format", "${topik}"}, "unknown placeholder"},
		{"missing table", []string{"table.name.format", "nope"}, "does not exist"},
		{"no primary key", []string{"table.name.format", "keyless"}, "has no primary key"},
		{"pk.fields without unique index", []string{"table.name.format", "keyed", "pk.fields", "b"}, "no primary key or unique index on exactly"},
		{"pk.fields unknown", []string{"table.name.format", "keyed", "pk.fields", "zz"}, "not a column"},
		{"orientation", []string{"table.name.format", "keyed", "table.orientation", "diagonal"}, "table.orientation"},
		{"a view", []string{"table.name.format", "pg_catalog.pg_tables"}, "not a table"},
		{"bad URL", []string{"connection.url", "postgres://[::1"}, "connection.url"},
		{"wrong password", []string{"table.name.format", "keyed", "connection.password", "wrong"}, "password"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := tryOpen(db, tt.kv...)
			if err == nil {
				s.Close()
				t.Fatal("Open accepted it")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Open: %v, want an error mentioning %q", err, tt.want)
			}
		})
	}
	// A unique index other than the primary key serves as the key.
	s := openSink(t, db, "table.name.format", "keyed", "pk.fields", "a")
	mustWrite(t, s, values(`{"id":1,"a":"k","b":"x"}`, `{"id":1,"a":"k","b":"y"}`))
	equal(t, "rows", db.rows(t, "SELECT * FROM keyed"), []string{"(1,k,y)"})
}
