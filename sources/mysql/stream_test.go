package mysql

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// Columns added and dropped mid-stream decode correctly before and after the
// change, also when the events are read after the DDL ran (catching up), and
// the schema history records the DDL and each table shape.
func TestColumnsAddedAndDroppedMidStream(t *testing.T) {
	srv := startServer(t)
	srv.exec(t,
		"CREATE DATABASE app",
		"CREATE TABLE app.users (id INT PRIMARY KEY, name VARCHAR(20))",
		"INSERT INTO app.users VALUES (1, 'ann')",
		"ALTER TABLE app.users ADD COLUMN age INT AFTER id",
		"INSERT INTO app.users VALUES (2, 30, 'bob')",
		"ALTER TABLE app.users DROP COLUMN name",
		"INSERT INTO app.users VALUES (3, 40)",
	)
	// never: read the binlog from its start, so every event is read after
	// all three DDL statements ran.
	s := openSource(t, srv.config("snapshot.mode", "never"))
	var history []historyRecord
	var rows []map[string]any
	deadline := time.Now().Add(30 * time.Second)
	for len(rows) < 3 && time.Now().Before(deadline) {
		recs, err := s.Read(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if r.Topic == "srv.schema-history" {
				var h historyRecord
				if err := json.Unmarshal(r.Value, &h); err != nil {
					t.Fatal(err)
				}
				history = append(history, h)
				continue
			}
			var env struct{ After map[string]any }
			if err := json.Unmarshal(r.Value, &env); err != nil {
				t.Fatal(err)
			}
			rows = append(rows, env.After)
		}
	}
	want := []map[string]any{
		{"id": 1.0, "name": "ann"},
		{"id": 2.0, "age": 30.0, "name": "bob"},
		{"id": 3.0, "age": 40.0},
	}
	if fmt.Sprint(rows) != fmt.Sprint(want) {
		t.Fatalf("rows %v, want %v", rows, want)
	}
	var ddls []string
	shapes := 0
	for _, h := range history {
		if h.DDL != "" {
			ddls = append(ddls, h.DDL)
		}
		if len(h.TableChanges) > 0 {
			shapes++
		}
	}
	if len(ddls) != 4 || !strings.HasPrefix(ddls[2], "ALTER TABLE app.users ADD") || !strings.HasPrefix(ddls[3], "ALTER TABLE app.users DROP") {
		t.Fatalf("history DDL %q", ddls)
	}
	if shapes != 3 {
		t.Fatalf("history has %d table shapes, want 3 (one per schema the events had)", shapes)
	}
}

// A restart from any event's stored position, also from the middle of a
// multi-row transaction, continues with the next event: no gap, no
// duplicate. Both GTID and file/position resumption.
func TestResumeMidTransaction(t *testing.T) {
	for _, mode := range []string{"gtid", "file"} {
		t.Run(mode, func(t *testing.T) {
			srv := startServer(t)
			srv.exec(t, "CREATE DATABASE app", "CREATE TABLE app.t (id INT PRIMARY KEY, v INT)")
			// never: no snapshot racing the statements below; every event
			// comes from the binlog.
			cfg := srv.config("binlog.position.mode", mode, "tombstones.on.delete", "false", "snapshot.mode", "never")
			s := openSource(t, cfg)
			srv.exec(t,
				"BEGIN",
				"INSERT INTO app.t VALUES (1,1),(2,1),(3,1)",
				"SAVEPOINT half", // inside the transaction: ends nothing
				"UPDATE app.t SET v = 2",
				"INSERT INTO app.t VALUES (4,1)",
				"COMMIT",
				"DELETE FROM app.t WHERE id = 4",
				"INSERT INTO app.t VALUES (5,1),(6,1)",
			)
			all := readEvents(t, s, 10)
			s.Close()
			label := func(e event) string { return e.Op + e.Key + fmt.Sprint(e.After["v"]) }
			for cut := range len(all) - 1 {
				s := openSource(t, cfg, all[cut].Rec.Position)
				rest := readEvents(t, s, len(all)-cut-1)
				for i, e := range rest {
					if label(e) != label(all[cut+1+i]) {
						t.Fatalf("resumed after event %d (%v): event %d is %s, want %s", cut, all[cut].Rec.Position.Offset,
							i, label(e), label(all[cut+1+i]))
					}
				}
				expectQuiet(t, s, 300*time.Millisecond)
				s.Close()
			}
		})
	}
}

// A stored position the server purged fails the connector with a clear
// error under snapshot.mode=initial, and snapshots again under when_needed.
func TestPurgedPosition(t *testing.T) {
	srv := startServer(t)
	srv.exec(t, "CREATE DATABASE app", "CREATE TABLE app.t (id INT PRIMARY KEY)", "INSERT INTO app.t VALUES (1)")
	s := openSource(t, srv.config())
	first := readEvents(t, s, 1)[0]
	s.Close()
	srv.exec(t, "INSERT INTO app.t VALUES (2)", "FLUSH BINARY LOGS", "INSERT INTO app.t VALUES (3)", "FLUSH BINARY LOGS")
	logs := srv.query(t, "SHOW BINARY LOGS")
	// The server keeps a binlog that a dump thread still reads, and the
	// thread of the source just closed may not have noticed yet: purge
	// until only the newest is left.
	deadline := time.Now().Add(20 * time.Second)
	for {
		srv.exec(t, "PURGE BINARY LOGS TO '"+logs[len(logs)-1][0]+"'")
		if len(srv.query(t, "SHOW BINARY LOGS")) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("older binlogs still there after purging: %v", srv.query(t, "SHOW BINARY LOGS"))
		}
		time.Sleep(100 * time.Millisecond)
	}

	for _, mode := range []string{"gtid", "file"} {
		err := (&Source{}).Open(t.Context(), srv.config("binlog.position.mode", mode), []sdk.Position{first.Rec.Position})
		if err == nil || !strings.Contains(err.Error(), "was purged") || !strings.Contains(err.Error(), "when_needed") {
			t.Fatalf("%s mode: Open on a purged position: %v", mode, err)
		}
	}
	s = openSource(t, srv.config("snapshot.mode", "when_needed"), first.Rec.Position)
	again := readEvents(t, s, 3)
	for i, e := range again {
		if e.Op != "r" || e.Key != fmt.Sprintf(`{"id":%d}`, i+1) {
			t.Fatalf("re-snapshot event %d: %s %s", i, e.Op, e.Key)
		}
	}
}

// Heartbeats carry the position forward while only tables that are not
// captured change.
func TestHeartbeatsAdvanceThePosition(t *testing.T) {
	srv := startServer(t)
	srv.exec(t, "CREATE DATABASE app", "CREATE TABLE app.watched (id INT PRIMARY KEY)", "CREATE TABLE app.other (id INT PRIMARY KEY)")
	s := openSource(t, srv.config("table.include.list", "app\\.watched", "heartbeat.interval.ms", "200"))
	srv.exec(t, "INSERT INTO app.watched VALUES (1)")
	w := readEvents(t, s, 1)[0]
	srv.exec(t, "INSERT INTO app.other VALUES (1)", "INSERT INTO app.other VALUES (2)")
	hb := readEvents(t, s, 1)[0]
	if hb.Topic != "__debezium-heartbeat.srv" {
		t.Fatalf("expected a heartbeat, got %s %s", hb.Topic, hb.Rec.Value)
	}
	before, _ := sdk.OffsetInt(w.Rec.Position.Offset["pos"])
	after, _ := sdk.OffsetInt(hb.Rec.Position.Offset["pos"])
	if hb.Rec.Position.Offset["file"] == w.Rec.Position.Offset["file"] && after <= before {
		t.Fatalf("heartbeat position %v does not pass the last event's %v", hb.Rec.Position.Offset, w.Rec.Position.Offset)
	}
	// Resuming from the heartbeat reads nothing again.
	s.Close()
	s = openSource(t, srv.config("table.include.list", "app\\.watched"), hb.Rec.Position)
	srv.exec(t, "INSERT INTO app.watched VALUES (2)")
	if e := readEvents(t, s, 1)[0]; e.Key != `{"id":2}` {
		t.Fatalf("after resuming from the heartbeat, first event %s", e.Key)
	}
}

// The records of one row change (a delete and its tombstone; the delete,
// tombstone and create of a primary-key change) come in one Read, so a batch
// never ends between records that share a position.
func TestRecordsOfOneRowStayInOneBatch(t *testing.T) {
	srv := startServer(t)
	srv.exec(t, "CREATE DATABASE app", "CREATE TABLE app.t (id INT PRIMARY KEY)")
	s := openSource(t, srv.config("snapshot.mode", "never", "max.batch.size", "1"))
	srv.exec(t, "INSERT INTO app.t VALUES (1)", "UPDATE app.t SET id = 2", "DELETE FROM app.t")
	var batches [][]string
	deadline := time.Now().Add(20 * time.Second)
	for len(batches) < 3 && time.Now().Before(deadline) {
		recs, err := s.Read(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		var b []string
		for _, r := range recs {
			if r.Topic == "srv.app.t" {
				b = append(b, string(r.Key)+fmt.Sprint(r.Value != nil))
			}
		}
		if len(b) > 0 {
			batches = append(batches, b)
		}
	}
	want := `[[{"id":1}true] [{"id":1}true {"id":1}false {"id":2}true] [{"id":2}true {"id":2}false]]`
	if fmt.Sprint(batches) != want {
		t.Fatalf("batches %v, want %s", batches, want)
	}
}

// A binlog connection killed on the server is re-established from the last
// event read: nothing is lost and nothing sent twice.
func TestReconnectAfterTheConnectionIsKilled(t *testing.T) {
	srv := startServer(t)
	srv.exec(t, "CREATE DATABASE app", "CREATE TABLE app.t (id INT PRIMARY KEY)")
	s := openSource(t, srv.config("snapshot.mode", "never", "tombstones.on.delete", "false"))
	srv.exec(t, "INSERT INTO app.t VALUES (1)", "INSERT INTO app.t VALUES (2)")
	readEvents(t, s, 2)
	killed := 0
	for _, row := range srv.query(t, "SHOW PROCESSLIST") {
		if len(row) > 4 && row[4] == "Binlog Dump" {
			srv.exec(t, "KILL "+row[0])
			killed++
		}
	}
	if killed != 1 {
		t.Fatalf("killed %d binlog dump connections, want 1", killed)
	}
	srv.exec(t, "INSERT INTO app.t VALUES (3)", "BEGIN", "INSERT INTO app.t VALUES (4)", "INSERT INTO app.t VALUES (5)", "COMMIT")
	got := readEvents(t, s, 3)
	for i, e := range got {
		if e.Key != fmt.Sprintf(`{"id":%d}`, i+3) {
			t.Fatalf("after the reconnect event %d has key %s, want id %d", i, e.Key, i+3)
		}
	}
	expectQuiet(t, s, 500*time.Millisecond)
}
