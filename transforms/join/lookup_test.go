package join

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// lookupJoin is an inner join of students and users whose output carries
// the level of the student's channel, looked up by md5(channel_id) in
// channel_name_dictionary and kept fresh from the topic dim; cfg changes it.
func lookupJoin(cfg map[string]string) map[string]string {
	m := map[string]string{
		"topics": "student,user,dim", "lookup.topics": "dim",
		"lookup.connection.url": "set by newLookupHarness",
		"lookup.table":          "channel_name_dictionary", "lookup.key.column": "rowkey", "lookup.columns": "level",
		"lookup.key":          "md5(left.channel_id)",
		"lookup.cache.ttl.ms": "600000", "lookup.cache.negative.ttl.ms": "60000",
		"join.type":     "inner",
		"output.fields": "id = left.id, channel = left.channel_id, level = CASE WHEN lookup.level IN ('A','B','C','D') THEN lookup.level ELSE 'other' END",
	}
	maps.Copy(m, cfg)
	return m
}

// dimRow is a record of dwd.channel_name_dictionary as the
// registration-level pipeline writes it: keyed by the rowkey's text, the
// row with its rowkey.
func dimRow(channel int, level string) sdk.Record {
	return sdk.Record{Topic: "dim", Key: []byte(rowkey(channel)), Value: fmt.Appendf(nil,
		`{"id":"%d","chinese_name":"渠道%d","english_name":null,"level":%q,"pid":null,"create_time":null,"update_time":null,"dept_id":null,"rowkey":%q}`,
		channel, channel, level, rowkey(channel))}
}

func dimTombstone(channel int) sdk.Record {
	return sdk.Record{Topic: "dim", Key: []byte(rowkey(channel))}
}

// A cold cache reads the batch's channels in one query; a warm one answers
// from memory; past the TTL the table is read again. A channel the
// dictionary lacks, or a student without one, is level other.
func TestLookupWarmAndCold(t *testing.T) {
	db := newDB(t)
	db.dictionary(t, map[int]string{1: "A", 2: "B", 3: "C", 4: "Z"})
	h := newLookupHarness(t, db, lookupJoin(nil), 1)
	wantOut(t, h.send(student(1, 1), student(2, 2), student(3, 3), student(4, 1), student(5, 9), student(6, 4),
		rec("student", 7, `{"id":7,"channel_id":null}`),
		user(1, "a", "NORMAL"), user(2, "b", "NORMAL"), user(3, "c", "NORMAL"), user(4, "d", "NORMAL"), user(5, "e", "NORMAL"),
		user(6, "f", "NORMAL"), user(7, "g", "NORMAL")),
		`[1] {'op':'c','before':null,'after':{'id':1,'channel':1,'level':'A'}}`,
		`[2] {'op':'c','before':null,'after':{'id':2,'channel':2,'level':'B'}}`,
		`[3] {'op':'c','before':null,'after':{'id':3,'channel':3,'level':'C'}}`,
		`[4] {'op':'c','before':null,'after':{'id':4,'channel':1,'level':'A'}}`,
		`[5] {'op':'c','before':null,'after':{'id':5,'channel':9,'level':'other'}}`,
		`[6] {'op':'c','before':null,'after':{'id':6,'channel':4,'level':'other'}}`,
		`[7] {'op':'c','before':null,'after':{'id':7,'channel':null,'level':'other'}}`)
	wantCounts(t, h, map[string]int64{
		"lookup_queries": 1, "lookup_keys_queried": 5, "lookup_misses": 6, "lookup_hits": 0,
		"lookup_found": 5, "lookup_not_found": 1, "lookup_null_key": 1,
	})
	// Warm: the same channels, from memory, the missing one too.
	wantOut(t, h.send(user(1, "a", "FROZEN"), user(5, "e", "FROZEN"), user(6, "f", "FROZEN")))
	wantCounts(t, h, map[string]int64{"lookup_queries": 1, "lookup_hits": 2, "lookup_negative_hits": 1, "same_output": 3})
	// Past the TTL: read again, all in one query.
	db.exec(t, `UPDATE channel_name_dictionary SET level = 'D' WHERE id = '1'`)
	h.clock = h.clock.Add(10 * time.Minute)
	wantOut(t, h.send(user(1, "a", "NORMAL"), user(4, "d", "FROZEN"), user(2, "b", "FROZEN")),
		`[1] {'op':'u','before':{'id':1,'channel':1,'level':'A'},'after':{'id':1,'channel':1,'level':'D'}}`,
		`[4] {'op':'u','before':{'id':4,'channel':1,'level':'A'},'after':{'id':4,'channel':1,'level':'D'}}`)
	wantCounts(t, h, map[string]int64{"lookup_queries": 2, "lookup_keys_queried": 7})
}

// The combined join: a dimension change read from lookup.topics answers in
// place of the table, for the rows computed from then on, and the counts
// downstream move with it. The rows already emitted keep their level until
// a record of their key comes (processing-time lookup, as the seed's FOR
// SYSTEM_TIME AS OF PROCTIME()).
func TestCombinedJoin(t *testing.T) {
	db := newDB(t)
	db.dictionary(t, map[int]string{7: "B", 8: "C"})
	h := newLookupHarness(t, db, lookupJoin(map[string]string{"output.key.fields": "level"}), 1)
	a := newAggregator(t, map[string]string{"topic": "ads", "fields": "id:long,level", "group.by": "level", "aggregates": "leads=count_distinct(id)"})
	h.pipe(a, student(1, 7), student(2, 7), student(3, 8), user(1, "a", "NORMAL"), user(2, "b", "NORMAL"), user(3, "c", "NORMAL"))
	wantResults(t, a, `['B'] {'level':'B','leads':2}`, `['C'] {'level':'C','leads':1}`)

	// Channel 7 becomes level A; student 1's repeat is worked out again
	// with it, student 2 has no new record and stays B.
	h.pipe(a, dimRow(7, "A"), student(1, 7))
	wantResults(t, a, `['A'] {'level':'A','leads':1}`, `['B'] {'level':'B','leads':1}`, `['C'] {'level':'C','leads':1}`)
	wantCounts(t, h, map[string]int64{"lookup_queries": 1, "lookup_puts": 1, "dimension_changes": 1, "split": 1})

	// A record first and the change of its channel after it in one batch:
	// the batch is computed as of its end, with the change.
	h.pipe(a, user(2, "b2", "NORMAL"), student(3, 8), dimRow(8, "D"))
	wantResults(t, a, `['A'] {'level':'A','leads':2}`, `['D'] {'level':'D','leads':1}`)

	// A dimension row deleted on the stream is gone, whatever the table
	// says, and a dimension record that names no row is dead-lettered.
	h.pipe(a, dimTombstone(8), sdk.Record{Topic: "dim", Value: []byte(`{"level":"A"}`)}, student(3, 8))
	wantResults(t, a, `['A'] {'level':'A','leads':2}`, `['other'] {'level':'other','leads':1}`)
	if f := h.faultTexts(); len(f) != 1 || !strings.Contains(f[0], "no key to name its dimension row") {
		t.Fatalf("faults %q", f)
	}
	wantCounts(t, h, map[string]int64{"lookup_queries": 1, "lookup_deletes": 1})

	// The changes of the stream are not held in the state: a restarted
	// task's cache is cold, and the table answers until the sink has
	// written them. A row worked out again with the table's level goes
	// back; the state held the row emitted with the stream's level, so
	// the update retracts exactly that one.
	h.start()
	h.pipe(a, student(1, 7))
	wantResults(t, a, `['A'] {'level':'A','leads':1}`, `['B'] {'level':'B','leads':1}`, `['other'] {'level':'other','leads':1}`)
	db.exec(t, `UPDATE channel_name_dictionary SET level = 'A' WHERE id = '7'`) // the sink catches up
	h.clock = h.clock.Add(10 * time.Minute)
	h.pipe(a, student(1, 7))
	wantResults(t, a, `['A'] {'level':'A','leads':2}`, `['other'] {'level':'other','leads':1}`)
}

// The before of an update is the row emitted, never a recomputation: the
// dictionary changed since, and the retraction still takes out the row
// that was counted.
func TestLookupBeforeIsTheRowEmitted(t *testing.T) {
	db := newDB(t)
	db.dictionary(t, map[int]string{7: "B"})
	h := newLookupHarness(t, db, lookupJoin(map[string]string{"output.fields": "id = left.id, level = lookup.level, name = right.name"}), 1)
	h.send(student(1, 7), user(1, "a", "NORMAL"))
	db.exec(t, `UPDATE channel_name_dictionary SET level = 'C'`)
	h.clock = h.clock.Add(time.Hour)
	wantOut(t, h.send(user(1, "b", "NORMAL")),
		`[1] {'op':'u','before':{'id':1,'level':'B','name':'a'},'after':{'id':1,'level':'C','name':'b'}}`)
}

// A lookup that fails fails the batch, retriably, and changes nothing: the
// same batch processed again once the store is back (as a retry, or as the
// restarted task's replay) gives what an uninterrupted run gives.
func TestLookupFailureLeavesStateUntouched(t *testing.T) {
	db := newDB(t)
	db.dictionary(t, map[int]string{1: "A", 2: "B", 3: "C"})
	db.exec(t, `CREATE TABLE slow (on_ boolean NOT NULL)`)
	db.exec(t, `INSERT INTO slow VALUES (false)`)
	db.exec(t, `CREATE FUNCTION maybe_sleep() RETURNS boolean LANGUAGE plpgsql AS $$
		BEGIN IF (SELECT on_ FROM slow) THEN PERFORM pg_sleep(5); END IF; RETURN true; END $$`)
	db.exec(t, `CREATE VIEW dict AS SELECT * FROM channel_name_dictionary WHERE (SELECT maybe_sleep())`)
	cfg := lookupJoin(map[string]string{"lookup.table": "dict", "lookup.timeout.ms": "300", "join.type": "left"})
	first := []sdk.Record{student(1, 1), user(1, "a", "NORMAL"), student(2, 2)}
	second := []sdk.Record{dimRow(2, "D"), user(2, "b", "NORMAL"), student(3, 3), student(1, 2), tombstone("student", 2), student(4, 3)}

	straight := newLookupHarness(t, db, cfg, 1)
	straight.send(first...)
	straight.send(second...)

	for _, restart := range []bool{false, true} {
		h := newLookupHarness(t, db, cfg, 1)
		h.send(first...)
		logged, held := len(h.log[0]), stateOf(h.op)
		db.exec(t, `UPDATE slow SET on_ = true`)
		_, err := h.op.Process(t.Context(), second)
		db.exec(t, `UPDATE slow SET on_ = false`)
		if err == nil || !sdk.IsRetriable(err) {
			t.Fatalf("a lookup past its timeout: %v, want a retriable error", err)
		}
		if c := h.op.Changes(); len(c) != 0 {
			t.Fatalf("a failed batch logged %d state changes", len(c))
		}
		if got := stateOf(h.op); !maps.Equal(got, held) || len(h.log[0]) != logged {
			t.Fatal("a failed batch changed the state")
		}
		if restart {
			h.start()
		}
		h.send(second...)
		if len(h.out) != len(straight.out) {
			t.Fatalf("restart %v: %d outputs, uninterrupted %d", restart, len(h.out), len(straight.out))
		}
		for i := range h.out {
			if string(h.out[i].Key) != string(straight.out[i].Key) || string(h.out[i].Value) != string(straight.out[i].Value) {
				t.Fatalf("restart %v: output %d is %s %s, uninterrupted %s %s", restart, i, h.out[i].Key, h.out[i].Value, straight.out[i].Key, straight.out[i].Value)
			}
		}
		if !sameState(h.op, straight.op) {
			t.Fatalf("restart %v: the state differs from the uninterrupted run's", restart)
		}
	}
}

// stateOf is the changelog value of every key held.
func stateOf(o *Operator) map[string]string {
	m := map[string]string{}
	for i, pt := range o.state.Parts() {
		for k, e := range pt.Rows {
			m[fmt.Sprint(i, k)] = string(appendState(nil, o.p.print, e))
		}
	}
	return m
}

// Open connects with lookup.connection.user and password over the URL's,
// checks the table, and Close lets go.
func TestOpenWithCredentials(t *testing.T) {
	db := newDB(t)
	db.dictionary(t, map[int]string{1: "A"})
	u := strings.Replace(db.url, "tributary:tributary@", "nobody:wrong@", 1)
	cfg := configOf(lookupJoin(map[string]string{
		"lookup.connection.url": u, "lookup.connection.user": "tributary", "lookup.connection.password": "tributary",
	}))
	op := &Operator{}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if err := op.Open(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	out, err := op.Process(ctx, []sdk.Record{student(1, 1), user(1, "a", "NORMAL")})
	if err != nil || len(out) != 1 || !strings.Contains(string(out[0].Value), `"level":"A"`) {
		t.Fatalf("%v, %v", out, err)
	}
	if err := op.Close(); err != nil {
		t.Fatal(err)
	}
	cfg["lookup.connection.password"] = "wrong"
	if err := (&Operator{}).Open(ctx, cfg); err == nil {
		t.Fatal("Open with a wrong password succeeded")
	}
	cfg["lookup.connection.password"] = "tributary"
	// A missing table is worth waiting for at Open: the pipeline's own
	// sink creates it (auto.create) when its task starts, perhaps after
	// the join's; the runtime retries a Retriable open for a while.
	cfg["lookup.table"] = "no_such_table"
	if err := (&Operator{}).Open(ctx, cfg); err == nil || !sdk.IsRetriable(err) || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("Open of a missing table: %v, want a retriable error saying it does not exist", err)
	}
}

// withCredentials puts the user and password over a URL's or a key=value
// string's, as pgx reads them.
func TestWithCredentials(t *testing.T) {
	for _, tc := range []struct{ conn, user, password string }{
		{"postgres://a:b@h:5432/db", "tributary", "p@ss w+rd/?&='\\"},
		{"postgresql://h/db?sslmode=disable&user=x", "u", ""},
		{"host=h dbname=db user=x password='y z'", "it's", `p\w 'd'`},
		{"host=h user=x", "", "only"},
	} {
		got, err := pgx.ParseConfig(withCredentials(tc.conn, tc.user, tc.password))
		if err != nil {
			t.Fatalf("%q: %v", tc.conn, err)
		}
		orig, _ := pgx.ParseConfig(tc.conn)
		wantUser, wantPassword := tc.user, tc.password
		if wantUser == "" {
			wantUser = orig.User
		}
		if wantPassword == "" {
			wantPassword = orig.Password
		}
		if got.User != wantUser || got.Password != wantPassword || got.Host != "h" || got.Database != orig.Database {
			t.Errorf("%q with %q/%q: user %q password %q host %q db %q", tc.conn, tc.user, tc.password, got.User, got.Password, got.Host, got.Database)
		}
	}
	if got := withCredentials("postgres://h/db", "", ""); got != "postgres://h/db" {
		t.Errorf("no credentials changed the URL to %q", got)
	}
}

// A lookup key that is a field of a row, not a function of it, is the
// row's own text: the cache keeps a copy, not memory the next batch
// rewrites.
func TestLookupKeyOfAFieldIsKept(t *testing.T) {
	db := newDB(t)
	db.dictionary(t, map[int]string{101: "A", 102: "B", 103: "C"})
	h := newLookupHarness(t, db, lookupJoin(map[string]string{
		"left.fields": "id:long,channel_id:string", "lookup.key.column": "id", "lookup.key": "left.channel_id",
	}), 1)
	at := func(id, ch int) sdk.Record {
		return rec("student", id, fmt.Sprintf(`{"id":%d,"channel_id":"%d"}`, id, ch))
	}
	h.send(at(1, 101), user(1, "a", "NORMAL"))
	for i := range 20 {
		ch := 102 + i%2
		wantOut(t, h.send(at(100+i, ch), user(100+i, "b", "NORMAL")),
			fmt.Sprintf(`[%d] {'op':'c','before':null,'after':{'id':%d,'channel':'%d','level':'%c'}}`, 100+i, 100+i, ch, 'A'+rune(ch-101)))
	}
	// The user first: the student's channel lies elsewhere in the batch's
	// memory than in the first batch's.
	wantOut(t, h.send(user(2, "a", "NORMAL"), at(2, 101)),
		`[2] {'op':'c','before':null,'after':{'id':2,'channel':'101','level':'A'}}`)
	wantCounts(t, h, map[string]int64{"lookup_queries": 3, "lookup_hits": 19})
}

// A lookup key no PostgreSQL text holds (a NUL byte; invalid UTF-8, which
// an untyped field keeps in the raw JSON of an object) finds no row: it is
// not sent to the table, whose query would fail whole, and fail the batch
// again at every replay, one record stopping the pipeline.
func TestLookupKeyNoTextHoldsFindsNoRow(t *testing.T) {
	db := newDB(t)
	db.dictionary(t, map[int]string{101: "A"})
	for _, tc := range []struct{ fields, channel, want string }{
		{"id:long,channel_id:string", `"10\u00001"`, `'10\u00001'`},
		{"id:long,channel_id", "{\"a\":\"\xff\"}", "{'a':'\xff'}"},
	} {
		h := newLookupHarness(t, db, lookupJoin(map[string]string{
			"left.fields": tc.fields, "lookup.key.column": "id", "lookup.key": "left.channel_id",
		}), 1)
		out, err := h.op.Process(t.Context(), []sdk.Record{
			rec("student", 1, `{"id":1,"channel_id":`+tc.channel+`}`), user(1, "a", "NORMAL"),
			rec("student", 2, `{"id":2,"channel_id":"101"}`), user(2, "b", "NORMAL"),
		})
		if err != nil {
			t.Fatalf("the key of %s failed the batch: %v", tc.channel, err)
		}
		wantOut(t, h.take(out, true),
			"[1] {'op':'c','before':null,'after':{'id':1,'channel':"+tc.want+",'level':'other'}}",
			`[2] {'op':'c','before':null,'after':{'id':2,'channel':'101','level':'A'}}`)
		wantCounts(t, h, map[string]int64{"lookup_found": 1, "lookup_not_found": 1, "lookup_keys_queried": 1})
	}
}

// Counts are totals since Open, as sdk.Counted says: the runtime exports
// them as counters, and reads a total that went down as a restart. The
// number of entries the cache holds goes down, so it is not one of them.
func TestCountsNeverGoDown(t *testing.T) {
	db := newDB(t)
	db.dictionary(t, map[int]string{7: "B"})
	h := newLookupHarness(t, db, lookupJoin(map[string]string{"lookup.cache.negative.ttl.ms": "0"}), 1)
	h.send(student(1, 7), user(1, "a", "NORMAL"))
	before := h.op.Counts()
	// The channel leaves the table; past the TTL its entry expires, and
	// the absence read is not cached (negative caching is off).
	db.exec(t, `DELETE FROM channel_name_dictionary`)
	h.clock = h.clock.Add(time.Hour)
	h.send(student(1, 7))
	after := h.op.Counts()
	for k, n := range before {
		if after[k] < n {
			t.Errorf("%s went down from %d to %d", k, n, after[k])
		}
	}
}
