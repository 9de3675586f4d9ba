package mysql

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

const typesTable = `CREATE TABLE db1.types (
	id BIGINT UNSIGNED PRIMARY KEY,
	tiny TINYINT, small_u SMALLINT UNSIGNED, big BIGINT,
	dec_v DECIMAL(12,4), fl FLOAT, db DOUBLE,
	d DATE, dt3 DATETIME(3), dt6 DATETIME(6), ts6 TIMESTAMP(6) NULL, tm TIME(3), yr YEAR,
	txt VARCHAR(64), body TEXT, js JSON, bin VARBINARY(16), blb BLOB,
	en ENUM('new','paid','shipped'), st SET('a','b','c'), b1 BIT(1), b10 BIT(10), nothing INT
) DEFAULT CHARSET=utf8mb4`

const typesRow = `(%v, -128, 65535, -9223372036854775808,
	-12345678.1234, 0.1, 2.5,
	'2024-02-29', '2024-05-01 08:30:00.125', '1999-12-31 23:59:59.999999', '2024-05-01 08:30:00.000001', '-838:59:58.5', 2024,
	'héllo "quoted" \\ 😀', 'line1\nline2', '{"a": [1, 2.5, "x"], "b": null}', X'00FF10', X'DEADBEEF',
	'paid', 'a,c', b'1', b'1000000001', NULL)`

// Every supported type decodes to the same value from the snapshot and from
// the binlog, and to the documented encoding.
func TestTypesDecodeAlikeInSnapshotAndBinlog(t *testing.T) {
	srv := startServer(t)
	srv.exec(t, "SET GLOBAL time_zone = '+08:00'", "CREATE DATABASE db1", typesTable)
	// The session writing the rows runs in +08:00: TIMESTAMP values are
	// converted to UTC by the server, and must come out in UTC.
	srv.exec(t, "SET time_zone = '+08:00'", "INSERT INTO db1.types VALUES "+sprintf(typesRow, 1))
	s := openSource(t, srv.config("table.include.list", "db1\\.types"))
	snap := readEvents(t, s, 1)[0]
	srv.exec(t, "INSERT INTO db1.types VALUES "+sprintf(typesRow, uint64(18446744073709551615)))
	live := readEvents(t, s, 1)[0]

	want := map[string]any{
		"tiny": -128.0, "small_u": 65535.0, "big": -9223372036854775808.0,
		"dec_v": "-12345678.1234", "fl": 0.1, "db": 2.5,
		"d":   19782.0,           // days since 1970-01-01
		"dt3": 1714552200125.0,   // ms, wall time as UTC
		"dt6": 946684799999999.0, // µs
		"ts6": "2024-05-01T00:30:00.000001Z",
		"tm":  -3020398500000.0, // µs
		"yr":  2024.0,
		"txt": `héllo "quoted" \ 😀`, "body": "line1\nline2",
		"bin": "AP8Q", "blb": "3q2+7w==",
		"en": "paid", "st": "a,c", "b1": true, "b10": "AQI=", "nothing": nil,
	}
	for name, e := range map[string]event{"snapshot": snap, "binlog": live} {
		for col, w := range want {
			if got := e.After[col]; !reflect.DeepEqual(got, w) {
				t.Errorf("%s: column %s = %#v, want %#v", name, col, got, w)
			}
		}
		var doc any
		js, _ := e.After["js"].(string)
		if err := json.Unmarshal([]byte(js), &doc); err != nil || !reflect.DeepEqual(doc, map[string]any{"a": []any{1.0, 2.5, "x"}, "b": nil}) {
			t.Errorf("%s: json column %q (%v)", name, js, err)
		}
	}
	if live.Key != `{"id":18446744073709551615}` {
		t.Errorf("largest BIGINT UNSIGNED key is %s", live.Key)
	}
}

// Text in latin1 and GBK columns comes out as the same UTF-8 from the
// snapshot and the binlog; a row whose text cannot be decoded (a charset the
// connector does not convert) becomes a faulty record naming why, for the
// dead-letter topic, and the stream goes on.
func TestCharsets(t *testing.T) {
	srv := startServer(t)
	srv.exec(t, "CREATE DATABASE db1", `CREATE TABLE db1.texts (id INT PRIMARY KEY,
		l VARCHAR(20) CHARACTER SET latin1, g VARCHAR(20) CHARACTER SET gbk, j VARCHAR(20) CHARACTER SET sjis)`,
		"INSERT INTO db1.texts VALUES (1, 'café Ãé', '课堂信号', NULL)")
	s := openSource(t, srv.config("table.include.list", "db1\\.texts"))
	snap := readEvents(t, s, 1)[0]
	srv.exec(t, "INSERT INTO db1.texts VALUES (2, 'café Ãé', '课堂信号', NULL)",
		"INSERT INTO db1.texts VALUES (3, 'x', 'y', '日本語')",
		"INSERT INTO db1.texts VALUES (4, 'after', 'the bad row', NULL)")
	live := readEvents(t, s, 3)
	for name, e := range map[string]event{"snapshot": snap, "binlog": live[0]} {
		if e.After["l"] != "café Ãé" || e.After["g"] != "课堂信号" {
			t.Errorf("%s: latin1 %q gbk %q", name, e.After["l"], e.After["g"])
		}
	}
	bad := live[1].Rec
	if bad.Fault == nil || !strings.Contains(bad.Fault.Error(), "not valid UTF-8") || !strings.Contains(bad.Fault.Error(), "db1.texts") {
		t.Fatalf("row 3 should be faulty with the reason, fault %v value %s", bad.Fault, bad.Value)
	}
	if live[2].Key != `{"id":4}` || live[2].Rec.Fault != nil {
		t.Fatalf("the stream did not go on after the bad row: %s %v", live[2].Key, live[2].Rec.Fault)
	}
}

// Snapshot corner cases: a table keyed by an ENUM is read whole (ENUMs sort
// by index but compare as text, so paging would skip rows); BINARY(n) and
// FLOAT values equal the binlog's; a value that does not convert (a date
// with day 0) dead-letters its row, and the snapshot goes on.
func TestSnapshotCornerCases(t *testing.T) {
	srv := startServer(t)
	srv.exec(t, "CREATE DATABASE db1",
		"CREATE TABLE db1.by_enum (k ENUM('b','a','c') PRIMARY KEY)",
		"INSERT INTO db1.by_enum VALUES ('b'), ('a'), ('c')",
		"CREATE TABLE db1.vals (id INT PRIMARY KEY, bin BINARY(4), f FLOAT, d DATE)",
		"INSERT INTO db1.vals VALUES (1, X'AB', 1.2345678, '2020-01-01'), (2, X'AB', 1.2345678, '2020-01-00'), (3, X'AB', 123456789, '2020-01-02')")
	s := openSource(t, srv.config("snapshot.fetch.size", "1"))
	snap := readEvents(t, s, 6)
	var keys []string
	for _, e := range snap[:3] {
		keys = append(keys, e.Key)
	}
	if strings.Join(keys, " ") != `{"k":"b"} {"k":"a"} {"k":"c"}` {
		t.Fatalf("ENUM-keyed table read as %v", keys)
	}
	if f := snap[4].Rec.Fault; f == nil || !strings.Contains(f.Error(), "2020-01-00") {
		t.Fatalf("row with day 0 should be faulty, fault %v", f)
	}
	srv.exec(t, "INSERT INTO db1.vals VALUES (4, X'AB', 1.2345678, '2020-01-01')")
	live := readEvents(t, s, 1)[0]
	for _, col := range []string{"bin", "f", "d"} {
		if !reflect.DeepEqual(snap[3].After[col], live.After[col]) {
			t.Errorf("column %s: snapshot %#v, binlog %#v", col, snap[3].After[col], live.After[col])
		}
	}
	if snap[3].After["bin"] != "qwAAAA==" || snap[5].After["f"] != 123456790.0 {
		t.Errorf("snapshot values %v / %v", snap[3].After, snap[5].After)
	}
}
