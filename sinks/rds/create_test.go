package rds

import (
	"context"
	"fmt"
	"testing"

	"github.com/tributarydata/tributary/sinks/row"
)

// auto.create makes a missing table from the declared columns, with the
// declared primary key, utf8mb4, and leaves an existing table as it is.
func TestAutoCreate(t *testing.T) {
	db, c := testDB(t)
	kv := []string{
		"auto.create", "true",
		"table.name.format", "${topic}_result",
		"table.schema.columns", "start_time datetime not null, webserver_id bigint not null, user_id bigint not null, " +
			"role int not null, event varchar(64) not null, cnt bigint, `Odd Name` decimal(12,2)",
		"table.primary.key", "start_time, webserver_id, user_id, role, event",
	}
	s := openSink(t, db, kv...)
	writeAll(t, s, append(
		recs("timeline", `{"start_time":"2024-05-01 08:01:00","webserver_id":3,"user_id":7,"role":1,"event":"STUDENT_LINE_DRAW","cnt":4,"Odd Name":"1.25"}`),
		recs("timeline", `{"start_time":"2024-05-01 08:01:00","webserver_id":3,"user_id":7,"role":1,"event":"STUDENT_LINE_DRAW","cnt":5}`)...))
	equalLines(t, "rows", query(t, c, "SELECT * FROM timeline_result"),
		[]string{"2024-05-01 08:01:00\t3\t7\t1\tSTUDENT_LINE_DRAW\t5\t1.25"})
	equalLines(t, "columns", query(t, c, fmt.Sprintf(`SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE, IFNULL(CHARACTER_SET_NAME, '')
		FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '%s' AND TABLE_NAME = 'timeline_result' ORDER BY ORDINAL_POSITION`, db)),
		[]string{
			"start_time\tdatetime\tNO\t", "webserver_id\tbigint(20)\tNO\t", "user_id\tbigint(20)\tNO\t", "role\tint(11)\tNO\t",
			"event\tvarchar(64)\tNO\tutf8mb4", "cnt\tbigint(20)\tYES\t", "Odd Name\tdecimal(12,2)\tYES\t",
		})
	equalLines(t, "primary key", query(t, c, fmt.Sprintf(`SELECT COLUMN_NAME FROM information_schema.STATISTICS
		WHERE TABLE_SCHEMA = '%s' AND TABLE_NAME = 'timeline_result' AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX`, db)),
		[]string{"start_time", "webserver_id", "user_id", "role", "event"})

	// An existing table is used as it is, even when the declaration differs.
	mustExec(t, c, "CREATE TABLE other_result (id INT PRIMARY KEY, note TEXT)")
	other := openSink(t, db, "auto.create", "true", "table.name.format", "other_result",
		"table.schema.columns", "id bigint not null, note varchar(4)", "table.primary.key", "id")
	writeAll(t, other, recs("x", `{"id":1,"note":"longer than four"}`))
	equalLines(t, "existing table", query(t, c, "SELECT * FROM other_result"), []string{"1\tlonger than four"})

	// Two tasks creating the same table at once both succeed.
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			s, err := tryOpen(t, db, "auto.create", "true", "table.name.format", "raced",
				"table.schema.columns", "id bigint, v int", "pk.fields", "id")
			if err == nil {
				defer s.Close()
				_, err = s.Write(context.Background(), recs("x", `{"id":1,"v":1}`))
			}
			errs <- err
		}()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Errorf("concurrent auto.create: %v", err)
		}
	}
}

func TestCreateTableSQLRefusesInjection(t *testing.T) {
	// The row package checks only the type's name; the arguments reach the DDL.
	for _, decl := range []string{"id int(1;drop table x)", "id int(1/*x*/)", "id datetime(1--)", "id enum('a`b')"} {
		cols, err := row.ParseColumns(decl)
		if err != nil {
			t.Fatalf("%s: %v (the test needs a declaration the row package accepts)", decl, err)
		}
		if sql, err := createTableSQL(tableName{"d", "t"}, cols, nil); err == nil {
			t.Errorf("%s: accepted as %s", decl, sql)
		}
	}
}
