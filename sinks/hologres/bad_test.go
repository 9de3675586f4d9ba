package hologres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// Records that can never be written, caught by the mapper (wrong type,
// missing key, too long a string, an unknown field) or only by the database
// (a CHECK constraint, a NOT NULL column absent on insert, a unique index
// other than the key) each come back as a *sdk.RecordError with their index,
// after the records before them were written; the runtime's loop then
// writes the others. On both write paths, in batches of several chunks.
func TestBadRecordsAreReportedByIndex(t *testing.T) {
	for _, flavor := range flavors {
		t.Run(flavor, func(t *testing.T) {
			db := newFlavorDB(t, flavor)
			db.exec(t, `CREATE TABLE t (id bigint PRIMARY KEY, name varchar(5), score int CHECK (score >= 0),
				req text NOT NULL DEFAULT 'd', must text NOT NULL, email text UNIQUE)`)
			s := openSink(t, db, "batch.size", "4", "fields.unknown", "error")
			records := values(
				`{"id":1,"must":"m"}`,
				`{"id":"one","must":"m"}`, // 1: not an integer (mapper)
				`{"id":2,"must":"m"}`,
				`{"name":"x","must":"m"}`,             // 3: no key (mapper)
				`{"id":3,"must":"m","name":"abcdef"}`, // 4: too long (mapper)
				`{"id":4,"must":"m","score":-1}`,      // 5: CHECK (database)
				`{"id":5,"must":"m"}`,
				`{"id":6}`,                     // 7: must absent on insert (database)
				`{"id":7,"must":"m","nope":1}`, // 8: unknown field (mapper)
				`{"id":8,"must":"m","email":"a@x"}`,
				`{"id":9,"must":"m","email":"a@x"}`, // 10: unique email (database)
				`{"id":10,"must":"m","req":null}`,   // 11: explicit null into NOT NULL (mapper: the catalog says NOT NULL)
				`{"id":11,"must":"m"}`,
			)
			// The first call stops at the first bad record, having written
			// the one before it.
			n, err := s.Write(context.Background(), records)
			var re *sdk.RecordError
			if !errors.As(err, &re) || n != 1 || re.Index != 1 {
				t.Fatalf("Write = %d, %v; want 1 and a RecordError at index 1", n, err)
			}
			bad, errs := drive(t, s, records[2:])
			for i := range bad {
				bad[i] += 2
			}
			if got := fmt.Sprint(bad); got != "[3 4 5 7 8 10 11]" {
				t.Fatalf("bad records %s (%v), want [3 4 5 7 8 10 11]", got, errs)
			}
			for i, want := range map[int]string{
				2: "constraint t_score_check, SQLSTATE 23514",
				3: "column must, SQLSTATE 23502",
				5: "constraint t_email_key, SQLSTATE 23505",
			} {
				if msg := errs[i].Error(); !strings.Contains(msg, want) || !strings.Contains(msg, `"t"`) {
					t.Errorf("error of bad record %d is %q, want the table and %q", bad[i], msg, want)
				}
			}
			for _, e := range errs {
				if strings.Contains(e.Error(), "a@x") {
					t.Errorf("error %q quotes a value of the row", e)
				}
			}
			var pg *pgconn.PgError
			if !errors.As(errs[2], &pg) || pg.Code != "23514" {
				t.Errorf("the CHECK violation does not unwrap to SQLSTATE 23514: %v", errs[2])
			}
			equal(t, "ids written", db.rows(t, "SELECT id FROM t ORDER BY id"),
				[]string{"(1)", "(2)", "(5)", "(8)", "(11)"})
		})
	}
}

// Appends go through COPY, whose rows pgx encodes itself: a value the
// column cannot hold is found record by record like a server's error.
func TestAppendBadRecords(t *testing.T) {
	db := newDB(t)
	db.exec(t, `CREATE TABLE log (id bigint NOT NULL, r real, n int CHECK (n > 0))`)
	s := openSink(t, db, "insert.mode", "insert", "pk.mode", "none", "delete.enabled", "false", "table.name.format", "log")
	if !s.tables[tableName{Name: "log"}].copyOK {
		t.Fatal("the table is not written with COPY")
	}
	bad, errs := drive(t, s, values(`{"id":1,"r":1.5}`, `{"id":2,"r":1e300}`, `{"id":3,"n":0}`, `{"id":4}`, `{"r":2}`))
	if fmt.Sprint(bad) != "[1 2 4]" {
		t.Fatalf("bad records %v (%v), want [1 2 4]", bad, errs)
	}
	equal(t, "rows", db.rows(t, "SELECT * FROM log ORDER BY id"), []string{"(1,1.5,)", "(4,,)"})
}
