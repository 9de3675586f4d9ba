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
