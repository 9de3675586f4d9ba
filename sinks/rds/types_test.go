package rds

import (
	"slices"
	"testing"
)

// Every column type the warehouse uses round-trips exactly: integers at
// their limits (an unsigned bigint beyond int64), exact decimals, utf8mb4
// text with emoji, times in UTC from text and epoch numbers, JSON and bytes;
// an explicit null is NULL, an absent field is the default.
func TestTypes(t *testing.T) {
	db, c := testDB(t)
	mustExec(t, c, `CREATE TABLE types (
		id BIGINT PRIMARY KEY, sb BIGINT, u BIGINT UNSIGNED, i INT, ti TINYINT, d DECIMAL(30,10), f DOUBLE,
		s VARCHAR(8), tx TEXT, dt DATETIME(3), ts TIMESTAMP(3) NULL, da DATE, j JSON, b BLOB,
		dflt VARCHAR(8) DEFAULT 'dflt')`)
	s := openSink(t, db, "table.name.format", "types")
	dead := writeAll(t, s, recs("t",
		`{"id":1,"sb":-9223372036854775808,"u":18446744073709551615,"i":-2147483648,"ti":-128,"d":"12345678901234567890.0123456789",
		  "f":1.5e-300,"s":"ab🎓课堂xyz","tx":"it's \"quoted\" \\ back\nslash","dt":"2024-05-01T08:30:00.125Z",
		  "ts":1714552200125,"da":"2024-05-01","j":{"k":[1,"x",null]},"b":"AP+AAQ=="}`,
		`{"id":2,"sb":null,"u":null,"i":null,"ti":null,"d":null,"f":null,"s":null,"tx":null,"dt":null,"ts":null,"da":null,"j":null,"b":null,"dflt":null}`,
		`{"id":3,"sb":"9223372036854775807","u":"9223372036854775808","i":"2147483647","ti":127,"d":1.5,"f":"-0.25","s":"","tx":"",
		  "dt":1714552200125,"ts":"2024-05-01 16:30:00.125+08:00","da":19844,"j":"{\"raw\": true}","b":""}`,
		`{"id":4}`,
	))
	if len(dead) > 0 {
		t.Fatalf("dead letters %v", dead)
	}
	got := query(t, c, "SELECT id, sb, u, i, ti, d, CAST(f AS CHAR), s, tx, dt, ts, da, j, HEX(b), dflt FROM types ORDER BY id")
	want := []string{
		"1\t-9223372036854775808\t18446744073709551615\t-2147483648\t-128\t12345678901234567890.0123456789\t1.5e-300\tab🎓课堂xyz\tit's \"quoted\" \\ back\nslash\t" +
			"2024-05-01 08:30:00.125\t2024-05-01 08:30:00.125\t2024-05-01\t{\"k\":[1,\"x\",null]}\t00FF8001\tdflt",
		"2\tNULL\tNULL\tNULL\tNULL\tNULL\tNULL\tNULL\tNULL\tNULL\tNULL\tNULL\tNULL\tNULL\tNULL",
		"3\t9223372036854775807\t9223372036854775808\t2147483647\t127\t1.5000000000\t-0.25\t\t\t2024-05-01 08:30:00.125\t2024-05-01 08:30:00.125\t2024-05-01\t{\"raw\":true}\t\tdflt",
		"4\tNULL\tNULL\tNULL\tNULL\tNULL\tNULL\tNULL\tNULL\tNULL\tNULL\tNULL\tNULL\tNULL\tdflt",
	}
	equalLines(t, "rows", got, want)

	// A partial update: null clears a column, absence keeps it.
	writeAll(t, s, recs("t", `{"id":1,"s":null,"i":5}`))
	equalLines(t, "partial update", query(t, c, "SELECT i, s, tx IS NOT NULL, HEX(b) FROM types WHERE id = 1"),
		[]string{"5\tNULL\t1\t00FF8001"})
}

// Values a column cannot hold are refused by the mapper or by the server,
// each as the error of its own record, never stored altered.
func TestTypesRefused(t *testing.T) {
	db, c := testDB(t)
	mustExec(t, c, "CREATE TABLE t (id INT PRIMARY KEY, ti TINYINT UNSIGNED, s VARCHAR(4), f DOUBLE, j JSON, dt DATETIME)")
	s := openSink(t, db)
	bad := []string{
		`{"id":1,"ti":256}`,                   // mapper: out of range
		`{"id":2,"ti":-1}`,                    // mapper: negative unsigned
		`{"id":3,"s":"12345"}`,                // mapper: too long
		`{"id":4,"f":"NaN"}`,                  // server: no NaN in a DOUBLE
		`{"id":5,"j":"not json"}`,             // JSON text or else a JSON string: stored as "not json"
		`{"id":6,"dt":"0000-00-00 00:00:00"}`, // mapper: not a time
		`{"id":7,"s":"\udc00"}`,               // a lone surrogate, decoded as U+FFFD: stored
	}
	dead := writeAll(t, s, recs("t", bad...))
	if want := []int{0, 1, 2, 3, 5}; !slices.Equal(dead, want) {
		t.Errorf("dead letters %v, want %v", dead, want)
	}
	equalLines(t, "rows", query(t, c, "SELECT id, HEX(s), j FROM t ORDER BY id"), []string{"5\tNULL\t\"not json\"", "7\tEFBFBD\tNULL"})

	// A text column whose CHECK asks more than json_valid stays text, and
	// the server's CHECK refuses what it refuses.
	mustExec(t, c, "CREATE TABLE text_json (id INT PRIMARY KEY, j LONGTEXT CHECK (json_valid(j) AND j <> '{}'))")
	tj := openSink(t, db, "table.name.format", "text_json")
	if dead := writeAll(t, tj, recs("t", `{"id":1,"j":"not json"}`, `{"id":2,"j":{}}`)); !slices.Equal(dead, []int{0, 1}) {
		t.Errorf("text column with a CHECK: dead letters %v, want [0 1]", dead)
	}
}
