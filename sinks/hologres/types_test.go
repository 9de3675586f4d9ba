package hologres

import (
	"fmt"
	"testing"

	"github.com/tributarydata/tributary/sinks/row"
)

const typesTable = `CREATE TYPE mood AS ENUM ('sad', 'happy');
CREATE TABLE t (id bigint %s, i int, s smallint, num numeric(12,4), big numeric, dbl double precision, r real,
	txt text, vc varchar(5), ch char(3), flag boolean, d date, ts timestamp, tstz timestamptz,
	j jsonb, js json, b bytea, arr text[], iarr int[], u uuid, m mood)`

// typesRecords are a row of every type, one with numbers where Debezium
// writes them (days, epoch milliseconds) and explicit NULLs, and one that
// carries only its id.
var typesRecords = []string{
	`{"id":1,"i":"42","s":-7,"num":"12345678.1234","big":"123456789012345678901234567890.123456789","dbl":1.5e300,"r":0.25,
	  "txt":"héllo \"q\" 'x'","vc":"abcde","ch":"ab","flag":"true","d":"2024-05-01","ts":"2024-05-01 08:00:00.123456",
	  "tstz":"2024-05-01T08:00:00+08:00","j":{"a":[1,2.50,"x"],"b":null},"js":[1,2],"b":"AQID","arr":["a","b c"],"iarr":[1,2],
	  "u":"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11","m":"happy"}`,
	`{"id":2,"i":null,"s":null,"num":3,"big":null,"dbl":null,"r":null,"txt":null,"vc":null,"ch":null,"flag":0,
	  "d":19844,"ts":1714550400123,"tstz":1714550400123,"j":null,"js":null,"b":null,"arr":[],"iarr":null,"u":null,"m":null}`,
	`{"id":3}`,
}

var typesWant = []string{
	`(1,42,-7,12345678.1234,123456789012345678901234567890.123456789,1.5e+300,0.25,"héllo ""q"" 'x'",abcde,"ab ",t,2024-05-01,"2024-05-01 08:00:00.123456","2024-05-01 00:00:00+00","{""a"": [1, 2.50, ""x""], ""b"": null}","[1,2]","\\x010203","{a,""b c""}","{1,2}",a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11,happy)`,
	`(2,,,3.0000,,,,,,,f,2024-05-01,"2024-05-01 08:00:00.123","2024-05-01 08:00:00.123+00",,,,{},,,)`,
	`(3,,,,,,,,,,,,,,,,,,,,)`,
}

// copyTable has only the types COPY takes, so appends to it use COPY.
const copyTable = `CREATE TABLE t (id bigint, i int, s smallint, num numeric(12,4), big numeric, dbl double precision, r real,
	txt text, vc varchar(5), ch char(3), flag boolean, d date, ts timestamp, tstz timestamptz, j jsonb, js json, b bytea)`

var copyWant = []string{
	`(1,42,-7,12345678.1234,123456789012345678901234567890.123456789,1.5e+300,0.25,"héllo ""q"" 'x'",abcde,"ab ",t,2024-05-01,"2024-05-01 08:00:00.123456","2024-05-01 00:00:00+00","{""a"": [1, 2.50, ""x""], ""b"": null}","[1,2]","\\x010203")`,
	`(2,,,3.0000,,,,,,,f,2024-05-01,"2024-05-01 08:00:00.123","2024-05-01 08:00:00.123+00",,,)`,
	`(3,,,,,,,,,,,,,,,,)`,
}

// Every column type the row package converts, plus types it does not know
// (an enum, uuid, arrays) written as text the server casts; NULLs explicit
// and absent. The same values through every write path: arrays
// (PostgreSQL), VALUES lists (Hologres), COPY (appends), and INSERT for
// appends to a table with a type COPY is not given.
func TestTypes(t *testing.T) {
	for _, path := range []string{"postgres", "hologres", "copy", "append-insert"} {
		t.Run(path, func(t *testing.T) {
			db := newFlavorDB(t, path)
			want := typesWant
			var s *Sink
			switch path {
			case "copy", "append-insert":
				if path == "copy" {
					db.exec(t, copyTable)
					want = copyWant
				} else {
					db.exec(t, fmt.Sprintf(typesTable, ""))
				}
				s = openSink(t, db, "insert.mode", "insert", "pk.mode", "none", "delete.enabled", "false")
				if tb := s.byTopic["t"]; tb.copyOK != (path == "copy") {
					t.Fatalf("copyOK = %v on path %s", tb.copyOK, path)
				}
			default:
				db.exec(t, fmt.Sprintf(typesTable, "PRIMARY KEY"))
				s = openSink(t, db)
			}
			mustWrite(t, s, values(typesRecords...))
			equal(t, "rows", db.rows(t, "SELECT * FROM t ORDER BY id"), want)
			if s.settings.mode == row.ModeAppend {
				return
			}
			// A partial update: an explicit null clears, absent keeps.
			mustWrite(t, s, values(`{"id":1,"txt":null,"num":"-0.5"}`))
			equal(t, "after a partial update", db.rows(t, "SELECT id, num, txt, vc FROM t WHERE id = 1"), []string{"(1,-0.5000,,abcde)"})
		})
	}
}

// edgeRecords carry values at the edges of what each COPY type takes:
// times with zones and fractions below a microsecond, before 1970 and
// 2000, at years 1 and 9999; decimals in exponent notation, rounded to
// the column's scale, negative zero; integers and floats at their limits;
// text with quotes, escapes, control characters and four-byte UTF-8; JSON
// objects, strings holding JSON and plain strings; bytes with zeros;
// explicit NULLs.
var edgeRecords = []string{
	`{"id":1,"i":2147483647,"s":-32768,"num":"12345678.12345","big":"-0.000","dbl":1.7976931348623157e308,"r":3.4028235e38,
	  "txt":"tab\t nl\n quote\" back\\ \u00e9 \ud83c\udf93 \u2028","vc":"ñññññ","ch":"a","flag":false,"d":"2024-02-29",
	  "ts":"2024-05-01T08:00:00.1234567+08:00","tstz":"2024-05-01T08:00:00.1234567+08:00","j":{"é":[1,2.50,{"x":null}]},"js":"{\"a\": 1}","b":"AAEA/w=="}`,
	`{"id":2,"i":-1,"s":0,"num":"-1e3","big":"1e-20","dbl":-0.0,"r":1e-38,"txt":"","vc":"","ch":"","flag":true,"d":-1,
	  "ts":0,"tstz":-1,"j":"\"just a string\"","js":"not json","b":""}`,
	`{"id":3,"i":-2147483648,"s":32767,"num":"0","big":"123456789012345678901234567890e-15","dbl":5e-324,"r":-1.5,"txt":"x",
	  "ts":"0001-01-01 00:00:00","tstz":"9999-12-31T23:59:59.999999Z","d":"1999-12-31","j":{},"js":[]}`,
	`{"id":4,"i":null,"s":null,"num":null,"big":null,"dbl":null,"r":null,"txt":null,"vc":null,"ch":null,"flag":null,"d":null,
	  "ts":null,"tstz":null,"j":null,"js":null,"b":null}`,
	`{"id":5,"num":"-0.00005","big":"1E+20","ts":"1999-12-31 23:59:59.9999999","tstz":"1969-07-20T20:17:40.000001-05:00",
	  "d":"0001-01-01","txt":"\u0001\u001f"}`,
}

// The sink's own binary encoding (the arrays of upserts on PostgreSQL,
// COPY of appends) stores what pgx's encoding of the same values stores
// (the VALUES lists of upserts on Hologres): every column type COPY takes,
// at the edges of its values.
func TestEncodingsAgree(t *testing.T) {
	cols := `i int, s smallint, num numeric(12,4), big numeric, dbl double precision, r real, txt text, vc varchar(5),
		ch char(3), flag boolean, d date, ts timestamp, tstz timestamptz, j jsonb, js json, b bytea`
	rows := map[string][]string{}
	for _, path := range []string{"hologres", "postgres", "copy"} {
		db := newFlavorDB(t, path)
		var s *Sink
		if path == "copy" {
			db.exec(t, "CREATE TABLE t (id bigint, "+cols+")")
			s = openSink(t, db, "insert.mode", "insert", "pk.mode", "none", "delete.enabled", "false")
			if !s.byTopic["t"].copyOK {
				t.Fatal("the append table is not written with COPY")
			}
		} else {
			db.exec(t, "CREATE TABLE t (id bigint PRIMARY KEY, "+cols+")")
			s = openSink(t, db)
		}
		mustWrite(t, s, values(edgeRecords...))
		rows[path] = db.rows(t, "SELECT * FROM t ORDER BY id")
	}
	if len(rows["hologres"]) != len(edgeRecords) {
		t.Fatalf("pgx's encoding stored %d rows, want %d", len(rows["hologres"]), len(edgeRecords))
	}
	equal(t, "arrays (PostgreSQL) against pgx's encoding", rows["postgres"], rows["hologres"])
	equal(t, "COPY against pgx's encoding", rows["copy"], rows["hologres"])
}
