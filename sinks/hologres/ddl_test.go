package hologres

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/tributarydata/tributary/sinks/row"
)

func TestCreateTableStatements(t *testing.T) {
	cols, err := row.ParseColumns(`user_id bigint not null, "Room Id" varchar(32), event text, start_time timestamp not null, tags text[]`)
	if err != nil {
		t.Fatal(err)
	}
	props := tableProps{Orientation: "column", Distribution: []string{"USER_ID"}, Clustering: []string{"start_time:desc", "Room Id"},
		EventTime: "start_time", TTLSeconds: 86400}
	name := tableName{Schema: "dwd", Name: "Student's Signal"}
	got, err := createTable(name, cols, []string{"user_id", "START_TIME"}, props, true)
	if err != nil {
		t.Fatal(err)
	}
	create := `CREATE TABLE "dwd"."Student's Signal" ("user_id" bigint NOT NULL, "Room Id" varchar(32), "event" text, ` +
		`"start_time" timestamp NOT NULL, "tags" text[], PRIMARY KEY ("user_id", "start_time"))`
	equal(t, "Hologres DDL", got, []string{
		create,
		`CALL set_table_property('dwd."Student''s Signal"', 'orientation', 'column')`,
		`CALL set_table_property('dwd."Student''s Signal"', 'distribution_key', 'user_id')`,
		`CALL set_table_property('dwd."Student''s Signal"', 'clustering_key', 'start_time:desc,"Room Id"')`,
		`CALL set_table_property('dwd."Student''s Signal"', 'event_time_column', 'start_time')`,
		`CALL set_table_property('dwd."Student''s Signal"', 'time_to_live_in_seconds', '86400')`,
	})
	got, err = createTable(name, cols, []string{"user_id", "start_time"}, props, false)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "PostgreSQL DDL", got, []string{create})

	got, err = createTable(tableName{Name: "plain"}, cols[:1], nil, tableProps{Orientation: "row"}, true)
	if err != nil {
		t.Fatal(err)
	}
	equal(t, "no key, one property", got, []string{`CREATE TABLE "plain" ("user_id" bigint NOT NULL)`,
		`CALL set_table_property('plain', 'orientation', 'row')`})

	for what, p := range map[string]tableProps{
		"unknown distribution column": {Distribution: []string{"nope"}},
		"bad clustering order":        {Clustering: []string{"event:up"}},
		"unknown event time column":   {EventTime: "nope"},
	} {
		if _, err := createTable(name, cols, nil, p, true); err == nil {
			t.Errorf("%s: accepted", what)
		}
	}
	if _, err := createTable(name, cols, []string{"nope"}, tableProps{}, false); err == nil {
		t.Error("a primary key on an unknown column accepted")
	}
	evil := []row.Column{{Name: "x", Kind: row.KindJSON, SQLType: "int); DROP TABLE y; --[]"}}
	if _, err := createTable(name, evil, nil, tableProps{}, false); err == nil {
		t.Error("a type that is SQL accepted into DDL")
	}
}

const declared = `user_id bigint not null, room_id varchar(32), event text, start_time timestamp not null, score numeric(6,2)`

func autoCreateConfig(db *testDB) []string {
	return []string{
		"auto.create", "true", "table.schema.columns", declared, "pk.fields", "user_id,start_time",
		"table.name.format", db.schema + "_dwd.signal_${topic}",
		"table.orientation", "column", "table.distribution.key", "user_id", "table.clustering.key", "start_time:asc",
		"table.event.time.column", "start_time", "table.time.to.live.seconds", "3600",
	}
}

// On PostgreSQL, auto.create makes the table (and its schema) from the
// declared columns with pk.fields as primary key, and issues no
// set_table_property: a recording procedure of that name stays silent.
func TestAutoCreateOnPostgres(t *testing.T) {
	db := newDB(t)
	db.recordTableProperties(t)
	s := openSink(t, db, autoCreateConfig(db)...)
	mustWrite(t, s, values(`{"user_id":1,"start_time":"2024-05-01 08:00:00","event":"e","score":"1.25"}`))
	table := db.schema + "_dwd.signal_t"
	equal(t, "rows", db.rows(t, "SELECT * FROM "+table), []string{`(1,,e,"2024-05-01 08:00:00",1.25)`})
	equal(t, "columns", db.rows(t, fmt.Sprintf(`SELECT column_name, data_type, character_maximum_length, numeric_precision, numeric_scale, is_nullable
		FROM information_schema.columns WHERE table_schema = '%s_dwd' AND table_name = 'signal_t' ORDER BY ordinal_position`, db.schema)), []string{
		"(user_id,bigint,,64,0,NO)",
		`(room_id,"character varying",32,,,YES)`,
		"(event,text,,,,YES)",
		`(start_time,"timestamp without time zone",,,,NO)`,
		"(score,numeric,,6,2,YES)",
	})
	equal(t, "primary key", db.rows(t, fmt.Sprintf(`SELECT k.column_name FROM information_schema.table_constraints c
		JOIN information_schema.key_column_usage k USING (constraint_schema, constraint_name)
		WHERE c.table_schema = '%s_dwd' AND c.table_name = 'signal_t' AND c.constraint_type = 'PRIMARY KEY' ORDER BY k.ordinal_position`, db.schema)),
		[]string{"(user_id)", "(start_time)"})
	if n := db.count(t, "SELECT * FROM hg_calls"); n != 0 {
		t.Errorf("%d set_table_property calls on PostgreSQL: %q", n, db.rows(t, "SELECT tbl, prop, val FROM hg_calls"))
	}
	// A second sink finds the table and creates nothing.
	openSink(t, db, autoCreateConfig(db)...)
}

// On Hologres (a PostgreSQL pretending), the properties follow the CREATE
// TABLE in the transaction that created it.
func TestAutoCreateOnHologres(t *testing.T) {
	db := newDB(t)
	db.fakeHologres(t)
	s := openSink(t, db, autoCreateConfig(db)...)
	mustWrite(t, s, values(`{"user_id":1,"start_time":"2024-05-01 08:00:00","event":"e"}`))
	target := db.schema + "_dwd.signal_t"
	equal(t, "set_table_property calls", db.rows(t, "SELECT tbl, prop, val FROM hg_calls ORDER BY seq"), []string{
		"(" + target + ",orientation,column)",
		"(" + target + ",distribution_key,user_id)",
		"(" + target + ",clustering_key,start_time:asc)",
		"(" + target + ",event_time_column,start_time)",
		"(" + target + ",time_to_live_in_seconds,3600)",
	})
	var created int64
	if err := db.conn.QueryRow(context.Background(), `SELECT xmin::text::bigint FROM pg_class WHERE oid = $1::regclass`, target).Scan(&created); err != nil {
		t.Fatal(err)
	}
	if other := db.rows(t, fmt.Sprintf("SELECT DISTINCT xid %% 4294967296 FROM hg_calls WHERE xid %% 4294967296 <> %d", created)); len(other) > 0 {
		t.Errorf("set_table_property ran in transactions %v, not in %d which created the table", other, created)
	}
	if !strings.Contains(s.srv.version, "PostgreSQL") || !s.srv.hologres {
		t.Errorf("server %+v, want Hologres detected by hg_version", s.srv)
	}
}
