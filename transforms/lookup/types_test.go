package lookup

import (
	"context"
	"strings"
	"testing"
	"time"
)

// Each PostgreSQL type becomes the value kind the doc promises.
func TestTypesBecomeValues(t *testing.T) {
	db := newDB(t)
	db.exec(t, `CREATE TABLE typed (k text PRIMARY KEY,
		t text, vc varchar(10), c char(3), i2 smallint, i4 int, i8 bigint,
		n numeric(10,4), nwhole numeric, nbig numeric, nnan numeric, f4 real, f8 float8, finf float8,
		b bool, tz timestamptz, tzfrac timestamptz, ts timestamp, d date, tzinf timestamptz,
		j json, jb jsonb, jstr jsonb, jnum jsonb, jnull jsonb, u uuid, iv interval, arr int[])`)
	db.exec(t, `SET TimeZone = 'Asia/Shanghai'`) // timestamptz literals below are Shanghai times
	db.exec(t, `INSERT INTO typed VALUES ('k',
		'text é', 'vc', 'ab', -7, 2147483647, 9223372036854775807,
		1234.5600, 42, 123456789012345678901234567890, 'NaN', 1.5, 0.1, 'Infinity',
		true, '2024-05-01 16:00:00', '2024-05-01 16:00:00.123456', '2024-05-01 16:00:00', '2024-05-01', 'infinity',
		'{"b": 1, "a": [1, 2]}', '{"b": 1, "a": [1, 2]}', '"quoted \" text"', '12.50', 'null',
		'6ba7b810-9dad-11d1-80b4-00c04fd430c8', '1 day 02:00:00', '{1,2,3}')`)
	db.exec(t, `INSERT INTO typed (k) VALUES ('nulls')`)
	columns := []string{"t", "vc", "c", "i2", "i4", "i8", "n", "nwhole", "nbig", "nnan", "f4", "f8", "finf",
		"b", "tz", "tzfrac", "ts", "d", "tzinf", "j", "jb", "jstr", "jnum", "jnull", "u", "iv", "arr"}
	want := map[string]string{
		"t": "string text é", "vc": "string vc", "c": "string ab ", "i2": "long -7", "i4": "long 2147483647",
		"i8": "long 9223372036854775807",
		"n":  "number 1234.5600", "nwhole": "long 42", "nbig": "number 123456789012345678901234567890", "nnan": "null",
		"f4": "double 1.5", "f8": "double 0.1", "finf": "null",
		"b":  "boolean true",
		"tz": "string 2024-05-01T08:00:00Z", "tzfrac": "string 2024-05-01T08:00:00.123456Z",
		"ts": "string 2024-05-01T16:00:00", "d": "string 2024-05-01", "tzinf": "string infinity",
		"j": `json {"b": 1, "a": [1, 2]}`, "jb": `json {"a": [1, 2], "b": 1}`, "jstr": `string quoted " text`,
		"jnum": "number 12.50", "jnull": "null",
		"u": "string 6ba7b810-9dad-11d1-80b4-00c04fd430c8", "iv": "string 1 day 02:00:00", "arr": "string {1,2,3}",
	}
	tbl, counter := db.open(t, Config{Table: "typed", KeyColumn: "k", Columns: columns})
	cleanup(t, tbl, counter)
	res := mustGet(t, tbl, "k", "nulls")
	if !res[0].Found || !res[1].Found {
		t.Fatalf("rows not found: %s, %s", show(res[0]), show(res[1]))
	}
	for i, col := range columns {
		v := res[0].Values[i]
		got := "null"
		if !v.IsNull() {
			got = v.Kind().String() + " " + v.Text()
		}
		if got != want[col] {
			t.Errorf("%s: %s, want %s", col, got, want[col])
		}
		if !res[1].Values[i].IsNull() {
			t.Errorf("%s NULL: %s %q", col, res[1].Values[i].Kind(), res[1].Values[i].Text())
		}
	}
}

// Names are quoted, never folded or pasted in: a schema, table and
// columns with capitals, spaces, quotes and a dot work, and a column name
// that tries to end the statement is only a column that does not exist.
func TestIdentifiersAreQuoted(t *testing.T) {
	db := newDB(t)
	schema := db.name + ` Odd "S"`
	db.exec(t, `CREATE SCHEMA "`+strings.ReplaceAll(schema, `"`, `""`)+`"`)
	db.exec(t, `CREATE TABLE "`+strings.ReplaceAll(schema, `"`, `""`)+`"."Dim.Table" ("Row Key" varchar(40) PRIMARY KEY, "Level""" text)`)
	db.exec(t, `INSERT INTO "`+strings.ReplaceAll(schema, `"`, `""`)+`"."Dim.Table" VALUES ('a', 'L1')`)
	tbl, counter := db.open(t, Config{Table: schema + ".Dim.Table", KeyColumn: "Row Key", Columns: []string{`Level"`}})
	cleanup(t, tbl, counter)
	res := mustGet(t, tbl, "a", "b")
	if got := show(res[0]) + " " + show(res[1]); got != "[string L1] missing" {
		t.Errorf("got %s", got)
	}

	_, _, err := db.tryOpen(Config{Table: schema + ".Dim.Table", KeyColumn: "Row Key", Columns: []string{`x" FROM pg_class; --`}})
	if err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("a column name with SQL in it: %v, want a column that does not exist", err)
	}
}

// With no columns a lookup tells whether the key exists.
func TestExistenceCheck(t *testing.T) {
	db := newDB(t)
	db.dictionary(t, 2)
	tbl, counter := db.open(t, Config{Columns: []string{}})
	cleanup(t, tbl, counter)
	res := mustGet(t, tbl, key(1), key(5))
	if !res[0].Found || len(res[0].Values) != 0 || res[0].Values == nil || res[1].Found {
		t.Errorf("got %+v", res)
	}
	if err := tbl.Put("x", nil); err != nil {
		t.Fatal(err)
	}
	if res := mustGet(t, tbl, "x"); !res[0].Found {
		t.Errorf("Put of an existence: %+v", res)
	}
}

// A table, column or key type that does not fit is refused when the Table
// is made, not at the first Get; and these are not worth retrying, except
// a table that does not exist yet: the pipeline's own sink creates it when
// its task starts, which may be after the join's.
func TestNewRefusesTablesThatDoNotFit(t *testing.T) {
	db := newDB(t)
	db.dictionary(t, 1)
	db.exec(t, `CREATE TABLE by_int (id bigint PRIMARY KEY, name text)`)
	for _, c := range []struct {
		name      string
		cfg       Config
		want      string
		retriable bool
	}{
		{"no table", Config{Table: "nope"}, `relation "nope" does not exist`, true},
		{"no column", Config{Columns: []string{"id", "colour"}}, `column "colour" does not exist`, false},
		{"no key column", Config{KeyColumn: "key"}, `column "key" does not exist`, false},
		{"key not text", Config{Table: "by_int", KeyColumn: "id", Columns: []string{"name"}}, "key column id is not text or varchar", false},
		{"no ttl", Config{TTL: -1}, "TTL", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			tbl, counter, err := db.tryOpen(c.cfg)
			if err == nil {
				cleanup(t, tbl, counter)
				t.Fatalf("made a Table, want an error with %q", c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q, want it to say %q", err, c.want)
			}
			if isRetriable(err) != c.retriable {
				t.Errorf("%v: retriable %v, want %v", err, isRetriable(err), c.retriable)
			}
		})
	}
}

// Open makes a pool of its own, which Close closes; a Get after Close fails.
func TestOpenAndClose(t *testing.T) {
	db := newDB(t)
	db.dictionary(t, 2)
	ctx := context.Background()
	tbl, err := Open(ctx, db.url, Config{Table: "dict", KeyColumn: "rowkey", Columns: []string{"level"}, TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if got := show(mustGet(t, tbl, key(1))[0]); got != "[string L1]" {
		t.Errorf("got %s", got)
	}
	var sessions int
	if err := db.conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1`, db.name).Scan(&sessions); err != nil || sessions != 1 {
		t.Errorf("sessions of the pool: %d, %v; want 1", sessions, err)
	}
	tbl.Close()
	tbl.Close()
	if _, err := tbl.Get(ctx, []string{key(1)}); err != ErrClosed {
		t.Errorf("Get after Close: %v, want ErrClosed", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := db.conn.QueryRow(ctx, `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1`, db.name).Scan(&sessions); err != nil {
			t.Fatal(err)
		}
		if sessions == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions left after Close", sessions)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := Open(ctx, db.url, Config{Table: "nope", KeyColumn: "rowkey", TTL: time.Minute}); err == nil {
		t.Error("Open of a table that does not exist succeeded")
	}
}
