package rds

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"syscall"
	"testing"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	pingcap "github.com/pingcap/errors"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// Bad records, refused by the mapper or by the server, each come back as a
// RecordError at their index after the records before them are committed;
// the records after them are written when the rest is handed again.
func TestBadRecordsAreReportedInPlace(t *testing.T) {
	db, c := testDB(t)
	mustExec(t, c, "CREATE TABLE parent (id INT PRIMARY KEY)")
	mustExec(t, c, "INSERT INTO parent VALUES (1)")
	mustExec(t, c, `CREATE TABLE t (id INT PRIMARY KEY, score INT CHECK (score < 100), must INT NOT NULL,
		note TINYTEXT, code VARCHAR(8) UNIQUE, parent INT, FOREIGN KEY (parent) REFERENCES parent (id))`)
	s := openSink(t, db, "batch.size", "10")

	var values []string
	bad := map[int]string{
		3:  `{"id":3,"score":"high","must":1}`,                             // mapper: wrong type
		7:  `{"score":1,"must":1}`,                                         // mapper: no primary key
		14: `{"id":14,"score":1000,"must":1}`,                              // server: CHECK (4025)
		15: `{"id":15,"score":1}`,                                          // server: NOT NULL without default, absent on insert (1364)
		21: `{"id":21,"must":1,"note":"` + strings.Repeat("é", 200) + `"}`, // server: 400 bytes in TINYTEXT (1366 on MariaDB, cut in a character)
		22: `{"id":22,"must":1,"code":"dup"}`,                              // server: secondary unique key (1062)
		27: `{"id":27,"must":1,"parent":2}`,                                // server: foreign key (1452)
	}
	want := []string{}
	for i := range 30 {
		if v, ok := bad[i]; ok {
			values = append(values, v)
			continue
		}
		code := "null"
		if i == 2 {
			code = `"dup"`
		}
		values = append(values, fmt.Sprintf(`{"id":%d,"score":%d,"must":%d,"code":%s,"parent":1}`, i, i, i, code))
		want = append(want, fmt.Sprint(i))
	}
	records := recs("t", values...)

	// The first Write commits what precedes the first bad record.
	n, err := s.Write(context.Background(), records)
	var re *sdk.RecordError
	if !errors.As(err, &re) || re.Index != 3 || n != 3 {
		t.Fatalf("first write: n=%d err=%v, want 3 and a record error at 3", n, err)
	}
	if got := query(t, c, "SELECT count(*) FROM t"); got[0] != "3" {
		t.Fatalf("%s rows after the first write, want 3", got[0])
	}
	dead := writeAll(t, s, records[4:])
	for i := range dead {
		dead[i] += 4
	}
	if got, want := fmt.Sprint(dead), "[7 14 15 21 22 27]"; got != want {
		t.Errorf("dead letters %s, want %s", got, want)
	}
	equalLines(t, "rows", query(t, c, "SELECT id FROM t ORDER BY id"), want)

	// A server-refused record names table, column and error number.
	n, err = s.Write(context.Background(), recs("t", `{"id":100,"must":1,"note":"`+strings.Repeat("x", 300)+`"}`))
	if !errors.As(err, &re) || n != 0 || !strings.Contains(err.Error(), "1406") ||
		!strings.Contains(err.Error(), "'note'") || !strings.Contains(err.Error(), "`t`") {
		t.Errorf("too long a text: n=%d err=%v", n, err)
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		err  error
		want fault
	}{
		{gomysql.NewError(1213, "Deadlock found"), faultRetry},
		{gomysql.NewError(1205, "Lock wait timeout"), faultRetry},
		{gomysql.NewError(1040, "Too many connections"), faultRetry},
		{gomysql.NewError(1290, "--read-only"), faultRetry},
		{gomysql.NewError(1836, "read-only mode"), faultRetry},
		{gomysql.NewError(1927, "Connection was killed"), faultRetry},
		{gomysql.NewError(2006, "server has gone away"), faultRetry},
		{gomysql.NewError(2013, "Lost connection"), faultRetry},
		{gomysql.NewError(1054, "Unknown column"), faultRetry},
		{pingcap.Trace(gomysql.NewError(1213, "wrapped by go-mysql")), faultRetry},
		{pingcap.Wrapf(gomysql.ErrBadConn, "io.ReadFull(header) failed. err %v", io.EOF), faultRetry},
		{fmt.Errorf("dial: %w", syscall.ECONNREFUSED), faultRetry},
		{io.ErrUnexpectedEOF, faultRetry},
		{gomysql.NewError(1406, "Data too long"), faultData},
		{gomysql.NewError(1366, "Incorrect integer value"), faultData},
		{gomysql.NewError(1292, "Incorrect datetime value"), faultData},
		{gomysql.NewError(1048, "cannot be null"), faultData},
		{gomysql.NewError(1364, "no default"), faultData},
		{gomysql.NewError(1264, "Out of range"), faultData},
		{gomysql.NewError(1452, "foreign key"), faultData},
		{gomysql.NewError(4025, "CONSTRAINT failed"), faultData},
		{gomysql.NewError(3819, "Check constraint"), faultData},
		{gomysql.NewError(1062, "Duplicate entry"), faultData},
		{gomysql.NewError(1045, "Access denied"), faultFatal},
		{gomysql.NewError(1049, "Unknown database"), faultFatal},
		{gomysql.NewError(1064, "syntax"), faultFatal},
		{gomysql.NewError(1142, "command denied"), faultFatal},
		{errors.New("invalid argument type"), faultFatal},
	}
	for _, tt := range tests {
		if got := classify(tt.err); got != tt.want {
			t.Errorf("classify(%v) = %d, want %d", tt.err, got, tt.want)
		}
	}
}
