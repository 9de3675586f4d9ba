package mysql

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// errPurged is returned when the server no longer has the binlog to resume from.
var errPurged = errors.New("binlog position purged")

// streamState follows the binlog: the current file, the GTIDs executed so
// far, and the transaction being read.
type streamState struct {
	file   string
	gtids  gomysql.GTIDSet // executed before the current transaction
	tables map[uint64]*table
	shapes map[string]*table // last schema recorded in the history, by db.table

	inTxn bool
	// body: the transaction has a body of row events (it began with BEGIN,
	// or with a MariaDB GTID not marked standalone); otherwise it is one
	// statement (DDL) that commits by itself.
	body     bool
	txnStart position // where the current transaction starts
	txnGTID  string
	events   int // row events of the current transaction seen so far

	// skipEvents/skipRows: how much of the first transaction a restart
	// already delivered.
	skipEvents, skipRows int
	resuming             bool

	committed    position  // after the last committed transaction
	lastActivity time.Time // last record queued, for heartbeats
	progressed   bool      // an event was read on this connection
}

// stream reads the binlog from start until ctx ends.
func (s *Source) stream(ctx context.Context, start position) error {
	cfg := replication.BinlogSyncerConfig{
		ServerID: uint32(s.cfg.ServerID), Flavor: s.flavor,
		Host: s.cfg.Host, Port: uint16(s.cfg.Port), User: s.cfg.User, Password: s.cfg.Password.Value(),
		ParseTime: false, TimestampStringLocation: time.UTC, UseDecimal: false,
		// MySQL's binary JSON printed as MySQL prints it, so the binlog and a
		// snapshot query give the same text.
		RenderJSONAsMySQLText: true,
		// MariaDB 11.4+ writes 0 as the end position of events inside a
		// transaction; go-mysql computes the real one.
		FillZeroLogPos:  true,
		HeartbeatPeriod: heartbeatPeriod(s.cfg.HeartbeatInterval),
		ReadTimeout:     max(3*heartbeatPeriod(s.cfg.HeartbeatInterval), 10*time.Second),
		// Reconnecting is run's job: go-mysql's own reconnect resumes from
		// the GTID set before the last transaction and sends it again.
		DisableRetrySync: true,
		Logger:           slog.New(quietHandler{s.log.Handler()}),
	}
	syncer := replication.NewBinlogSyncer(cfg)
	defer syncer.Close()

	st := &streamState{
		file: start.File, tables: map[uint64]*table{}, shapes: map[string]*table{},
		skipEvents: start.Event, skipRows: start.Row, resuming: start.Event > 0 || start.Row > 0,
		committed:    position{File: start.File, Pos: start.Pos, GTIDs: start.GTIDs, TsSec: start.TsSec},
		lastActivity: time.Now(),
	}
	var (
		streamer *replication.BinlogStreamer
		err      error
	)
	if s.useGTID && start.GTIDs != "" {
		if st.gtids, err = gomysql.ParseGTIDSet(s.flavor, start.GTIDs); err != nil {
			return fmt.Errorf("stored gtids %q: %w", start.GTIDs, err)
		}
		streamer, err = syncer.StartSyncGTID(st.gtids.Clone())
	} else {
		if start.GTIDs != "" {
			st.gtids, _ = gomysql.ParseGTIDSet(s.flavor, start.GTIDs)
		}
		streamer, err = syncer.StartSync(gomysql.Position{Name: start.File, Pos: start.Pos})
	}
	if err != nil {
		return &connectionLost{err: fmt.Errorf("start binlog replication: %w", err)}
	}
	s.log.Info("mysql source: streaming the binlog", "file", start.File, "pos", start.Pos, "gtids", start.GTIDs, "gtid_mode", s.useGTID)
	for {
		waitCtx, cancel := context.WithTimeout(ctx, heartbeatPeriod(s.cfg.HeartbeatInterval))
		ev, err := streamer.GetEvent(waitCtx)
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, context.DeadlineExceeded) {
			if err := s.maybeHeartbeat(ctx, st); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			var myErr *gomysql.MyError
			if errors.As(err, &myErr) && myErr.Code == gomysql.ER_MASTER_FATAL_ERROR_READING_BINLOG {
				return fmt.Errorf("%w: the server refused to send the binlog from %s:%d (gtids %q): %v; "+
					"set snapshot.mode=when_needed to take a new snapshot", errPurged, start.File, start.Pos, start.GTIDs, myErr)
			}
			return &connectionLost{err: fmt.Errorf("read binlog: %w", err), progressed: st.progressed}
		}
		st.progressed = true
		if err := s.handle(ctx, st, ev); err != nil {
			return err
		}
		if err := s.maybeHeartbeat(ctx, st); err != nil {
			return err
		}
	}
}

// quietHandler keeps go-mysql's routine messages (every connect and
// rotation at INFO, its whole config included) out of the worker's log.
type quietHandler struct{ slog.Handler }

func (h quietHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && h.Handler.Enabled(ctx, l)
}

func (h quietHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return quietHandler{h.Handler.WithAttrs(as)}
}
func (h quietHandler) WithGroup(n string) slog.Handler { return quietHandler{h.Handler.WithGroup(n)} }

// heartbeatPeriod is how often the server is asked for a heartbeat event on
// an idle binlog, and how often the reader looks up from it.
func heartbeatPeriod(configured time.Duration) time.Duration {
	if configured > 0 && configured < 10*time.Second {
		return configured
	}
	return 10 * time.Second
}

// handle applies one binlog event.
func (s *Source) handle(ctx context.Context, st *streamState, ev *replication.BinlogEvent) error {
	h := ev.Header
	startPos := h.LogPos - h.EventSize // where this event begins
	switch e := ev.Event.(type) {
	case *replication.RotateEvent:
		st.file = string(e.NextLogName)
		if !st.inTxn {
			st.committed.File, st.committed.Pos = st.file, uint32(e.Position)
		}
	case *replication.GTIDEvent:
		gtid := ""
		if h.EventType == replication.GTID_EVENT && !allZero(e.SID) {
			next, err := e.GTIDNext()
			if err != nil {
				return fmt.Errorf("read gtid event: %w", err)
			}
			gtid = next.String()
		} // an anonymous GTID (gtid_mode=OFF) names no transaction
		s.beginTxn(st, startPos, h.Timestamp, gtid)
	case *replication.GtidTaggedLogEvent:
		next, err := e.GTIDNext()
		if err != nil {
			return fmt.Errorf("read tagged gtid event: %w", err)
		}
		s.beginTxn(st, startPos, h.Timestamp, next.String())
	case *replication.MariadbGTIDEvent:
		s.beginTxn(st, startPos, h.Timestamp, e.GTID.String())
		// A DDL or a non-transactional statement has no BEGIN and no XID:
		// its query event ends it.
		st.body = !e.IsStandalone() && !e.IsDDL()
	case *replication.QueryEvent:
		query := strings.TrimSpace(string(e.Query))
		switch upper := strings.ToUpper(query); {
		case upper == "BEGIN":
			if !st.inTxn {
				s.beginTxn(st, startPos, h.Timestamp, "")
			}
			st.body = true
			return nil
		case upper == "COMMIT" || upper == "ROLLBACK":
			return s.commitTxn(st, h)
		case st.inTxn && st.body:
			// SAVEPOINT, ROLLBACK TO SAVEPOINT, XA …: inside the
			// transaction, ending nothing.
			return nil
		}
		// A statement that commits by itself: DDL most likely.
		if !st.inTxn {
			s.beginTxn(st, startPos, h.Timestamp, "")
		}
		if err := s.commitTxn(st, h); err != nil {
			return err
		}
		if isDDL(query) {
			db := string(e.Schema)
			if db == "" || s.filter.database(db) {
				rec, err := s.historyRecord(db, query, nil, st.committed, time.Unix(int64(h.Timestamp), 0))
				if err != nil {
					return err
				}
				return s.queue1(ctx, st, st.committed, rec)
			}
		}
		return nil
	case *replication.XIDEvent:
		return s.commitTxn(st, h)
	case *replication.TableMapEvent:
		if !s.filter.table(string(e.Schema), string(e.Table)) {
			delete(st.tables, e.TableID)
			return nil
		}
		t, err := tableFromMap(e)
		if err != nil {
			return err
		}
		st.tables[e.TableID] = t
		if prev := st.shapes[t.id()]; !t.sameShape(prev) {
			st.shapes[t.id()] = t
			if prev != nil || !st.resuming {
				// Positioned before the transaction's next row event, so a
				// restart resumes here without replaying the rows before.
				pos := st.txnStart
				pos.Event = st.events
				rec, err := s.historyRecord(t.DB, "", t, pos, time.Unix(int64(h.Timestamp), 0))
				if err != nil {
					return err
				}
				return s.queue1(ctx, st, pos, rec)
			}
		}
	case *replication.RowsEvent:
		return s.rows(ctx, st, ev.Header, e)
	}
	return nil
}

// ddlPattern matches statements that change databases and tables; account
// and routine statements (CREATE USER, GRANT, CREATE PROCEDURE) do not.
var ddlPattern = regexp.MustCompile(`(?is)^(CREATE|ALTER|DROP|RENAME|TRUNCATE)\s+(OR\s+REPLACE\s+)?(TEMPORARY\s+)?(UNIQUE\s+|FULLTEXT\s+|SPATIAL\s+)?(TABLE|TABLES|DATABASE|SCHEMA|INDEX|VIEW)\b`)

func isDDL(q string) bool { return ddlPattern.MatchString(q) }

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func (s *Source) beginTxn(st *streamState, startPos, ts uint32, gtid string) {
	st.inTxn = true
	st.body = false
	st.txnStart = position{File: st.file, Pos: startPos, TsSec: int64(ts)}
	if st.gtids != nil {
		st.txnStart.GTIDs = st.gtids.String()
	}
	st.txnGTID = gtid
	st.events = 0
}

// commitTxn ends the current transaction: its GTID joins the executed set,
// and what follows starts after this event.
func (s *Source) commitTxn(st *streamState, h *replication.EventHeader) error {
	if st.txnGTID != "" {
		if st.gtids == nil {
			var err error
			if st.gtids, err = gomysql.ParseGTIDSet(s.flavor, ""); err != nil {
				return err
			}
		}
		if err := st.gtids.Update(st.txnGTID); err != nil {
			return fmt.Errorf("gtid %s: %w", st.txnGTID, err)
		}
	}
	st.inTxn, st.body = false, false
	st.txnGTID = ""
	st.resuming, st.skipEvents, st.skipRows = false, 0, 0
	st.committed = position{File: st.file, Pos: h.LogPos, TsSec: int64(h.Timestamp)}
	if st.gtids != nil {
		st.committed.GTIDs = st.gtids.String()
	}
	return nil
}

// rows emits the change events of one rows event.
func (s *Source) rows(ctx context.Context, st *streamState, h *replication.EventHeader, e *replication.RowsEvent) error {
	idx := st.events
	st.events++
	t := st.tables[e.TableID]
	if t == nil {
		return nil // not captured
	}
	skip := 0
	if st.resuming {
		if idx < st.skipEvents {
			return nil
		}
		if idx == st.skipEvents {
			skip = st.skipRows
		}
	}
	var op string
	step := 1
	switch h.EventType {
	case replication.WRITE_ROWS_EVENTv0, replication.WRITE_ROWS_EVENTv1, replication.WRITE_ROWS_EVENTv2,
		replication.MARIADB_WRITE_ROWS_COMPRESSED_EVENT_V1:
		op = "c"
	case replication.UPDATE_ROWS_EVENTv0, replication.UPDATE_ROWS_EVENTv1, replication.UPDATE_ROWS_EVENTv2,
		replication.MARIADB_UPDATE_ROWS_COMPRESSED_EVENT_V1, replication.PARTIAL_UPDATE_ROWS_EVENT:
		op, step = "u", 2
	case replication.DELETE_ROWS_EVENTv0, replication.DELETE_ROWS_EVENTv1, replication.DELETE_ROWS_EVENTv2,
		replication.MARIADB_DELETE_ROWS_COMPRESSED_EVENT_V1:
		op = "d"
	default:
		return nil
	}
	var gtid *string
	if st.txnGTID != "" {
		g := st.txnGTID
		gtid = &g
	}
	ts := time.Unix(int64(h.Timestamp), 0)
	for i, r := 0, 0; i+step <= len(e.Rows); i, r = i+step, r+1 {
		if r < skip {
			continue
		}
		pos := st.txnStart
		pos.Event, pos.Row = idx, r+1
		src := sourceInfo{Version: Version, Connector: "mysql", Name: s.cfg.Prefix, TsMs: ts.UnixMilli(), Snapshot: "false",
			DB: t.DB, Table: t.Name, ServerID: h.ServerID, GTID: gtid, File: st.file, Pos: h.LogPos - h.EventSize, Row: r}
		recs, err := s.rowRecords(t, op, e.Rows[i:i+step], src, pos)
		if err != nil {
			// A value this connector cannot decode must not stop the
			// stream: the event goes to the dead-letter topic with why.
			recs = []sdk.Record{s.faulty(t, op, e.Rows[i:i+step], src, pos, err)}
		}
		if err := s.queue1(ctx, st, pos, recs...); err != nil {
			return err
		}
	}
	return nil
}

// rowRecords builds the records of one row change: the event, plus a
// tombstone after a delete; an update that changes the primary key becomes a
// delete (and tombstone) of the old key and a create of the new one.
func (s *Source) rowRecords(t *table, op string, rows [][]any, src sourceInfo, pos position) ([]sdk.Record, error) {
	sp := pos.sdk(s.cfg.Prefix)
	now := time.Now()
	var before, after *object
	var err error
	switch op {
	case "c":
		after, err = s.conv.rowObject(t, rows[0])
	case "d":
		before, err = s.conv.rowObject(t, rows[0])
	case "u":
		if before, err = s.conv.rowObject(t, rows[0]); err == nil {
			after, err = s.conv.rowObject(t, rows[1])
		}
	}
	if err != nil {
		return nil, err
	}
	var out []sdk.Record
	add := func(op string, before, after *object) error {
		r, err := changeRecord(s.cfg.Prefix, t, op, before, after, src, sp, now)
		if err != nil {
			return err
		}
		out = append(out, r)
		if op == "d" && s.cfg.TombstonesOnDelete && r.Key != nil {
			out = append(out, sdk.Record{Topic: r.Topic, Key: r.Key, Partition: -1, Timestamp: now, Position: sp})
		}
		return nil
	}
	if op == "u" {
		oldKey, _ := keyOf(t, before)
		newKey, _ := keyOf(t, after)
		if string(oldKey) != string(newKey) {
			if err := add("d", before, nil); err != nil {
				return nil, err
			}
			return out, add("c", nil, after)
		}
	}
	return out, add(op, before, after)
}

// faulty is the dead-letter record of a row that does not decode: the raw
// values as far as they print, and the reason.
func (s *Source) faulty(t *table, op string, rows [][]any, src sourceInfo, pos position, cause error) sdk.Record {
	raw, _ := json.Marshal(map[string]any{"op": op, "source": src, "rows": fmt.Sprintf("%v", rows)})
	return sdk.Record{
		Topic: topicName(s.cfg.Prefix, t.DB, t.Name), Value: raw, Partition: -1, Timestamp: time.Now(),
		Position: pos.sdk(s.cfg.Prefix),
		Fault:    fmt.Errorf("decode %s row of %s at %s:%d: %w", op, t.id(), src.File, src.Pos, cause),
	}
}

// queue1 queues the records read at pos, which reach Kafka in one batch.
func (s *Source) queue1(ctx context.Context, st *streamState, pos position, recs ...sdk.Record) error {
	if err := s.emit(ctx, recs...); err != nil {
		return err
	}
	s.resume = pos
	st.lastActivity = time.Now()
	return nil
}

// maybeHeartbeat writes a heartbeat record when the binlog moved past the
// last record queued (changes of tables not captured, or none at all) and
// the heartbeat interval passed, so the stored position keeps up.
func (s *Source) maybeHeartbeat(ctx context.Context, st *streamState) error {
	// Not while resuming either: st.committed lacks the skip counts of the
	// transaction being resumed until it has been read again.
	if s.cfg.HeartbeatInterval <= 0 || st.inTxn || st.resuming || time.Since(st.lastActivity) < s.cfg.HeartbeatInterval {
		return nil
	}
	if st.committed == s.resume { // the last record queued is already there
		st.lastActivity = time.Now()
		return nil
	}
	key, _ := json.Marshal(map[string]string{"serverName": s.cfg.Prefix})
	now := time.Now()
	value, _ := json.Marshal(map[string]int64{"ts_ms": now.UnixMilli()})
	rec := sdk.Record{
		Topic: s.cfg.HeartbeatPrefix + "." + s.cfg.Prefix, Key: key, Value: value, Partition: -1, Timestamp: now,
		Position: st.committed.sdk(s.cfg.Prefix),
	}
	return s.queue1(ctx, st, st.committed, rec)
}
