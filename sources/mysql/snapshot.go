package mysql

import (
	"context"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	gomysql "github.com/go-mysql-org/go-mysql/mysql"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// snapshot reads every captured table inside one consistent-snapshot
// transaction and returns the binlog position that transaction sees, where
// streaming takes over: no change is missed between the two and none is
// read twice.
//
// MariaDB gives that position without locking (binlog_snapshot_file and
// _position belong to the snapshot transaction); on MySQL a global read lock
// is held for the few milliseconds between starting the transaction and
// reading the position. Tables are read in primary-key order, a chunk of
// snapshot.fetch.size rows per query (keyset pagination), so neither the
// server nor this process holds more than a chunk; tables without a primary
// key are streamed row by row.
func (s *Source) snapshot(ctx context.Context) (position, error) {
	conn, err := s.connect(ctx)
	if err != nil {
		return position{}, err
	}
	defer conn.Close()
	for _, q := range []string{
		"SET SESSION time_zone = '+00:00'",
		"SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ",
	} {
		if _, err := conn.Execute(q); err != nil {
			return position{}, fmt.Errorf("%s: %w", q, err)
		}
	}
	tables, err := s.capturedTables(conn)
	if err != nil {
		return position{}, err
	}
	start, err := s.beginSnapshot(conn)
	if err != nil {
		return position{}, err
	}
	defer conn.Execute("ROLLBACK") //nolint:errcheck // read-only transaction
	s.log.Info("mysql source: snapshot started", "tables", len(tables), "file", start.File, "pos", start.Pos, "gtids", start.GTIDs)
	began := time.Now()

	snapPos := start
	snapPos.Snapshot = true
	var pending *sdk.Record // held back so the last one can say snapshot "last"
	total := 0
	emit := func(r sdk.Record) error {
		if pending != nil {
			if err := s.emit(ctx, *pending); err != nil {
				return err
			}
		}
		pending = &r
		total++
		return nil
	}
	for _, name := range tables {
		t, ddl, err := s.describe(conn, name[0], name[1])
		if err != nil {
			return position{}, err
		}
		hist, err := s.historyRecord(t.DB, ddl, t, snapPos, time.Now())
		if err != nil {
			return position{}, err
		}
		if err := s.emit(ctx, hist); err != nil {
			return position{}, err
		}
		n, err := s.readTable(ctx, conn, t, snapPos, emit)
		if err != nil {
			return position{}, fmt.Errorf("read %s: %w", t.id(), err)
		}
		s.log.Info("mysql source: snapshot of table done", "table", t.id(), "rows", n)
	}
	if pending != nil {
		// The last event completes the snapshot: its position streams on.
		if err := s.markLast(pending, start); err != nil {
			return position{}, err
		}
		if err := s.emit(ctx, *pending); err != nil {
			return position{}, err
		}
	}
	s.log.Info("mysql source: snapshot finished", "rows", total, "took", time.Since(began).Round(time.Millisecond))
	return start, nil
}

// beginSnapshot starts the consistent-snapshot transaction and returns the
// binlog position it corresponds to.
func (s *Source) beginSnapshot(conn *client.Conn) (position, error) {
	var p position
	p.TsSec = time.Now().Unix()
	if s.flavor == gomysql.MariaDBFlavor {
		if _, err := conn.Execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"); err != nil {
			return p, fmt.Errorf("start snapshot transaction: %w", err)
		}
		rs, err := conn.Execute("SHOW STATUS LIKE 'binlog_snapshot_%'")
		if err != nil {
			return p, err
		}
		for i := range rs.RowNumber() {
			k, _ := rs.GetString(i, 0)
			v, _ := rs.GetString(i, 1)
			switch strings.ToLower(k) {
			case "binlog_snapshot_file":
				p.File = v
			case "binlog_snapshot_position":
				n, err := strconv.ParseUint(v, 10, 32)
				if err != nil {
					return p, fmt.Errorf("binlog_snapshot_position %q: %w", v, err)
				}
				p.Pos = uint32(n)
			}
		}
		if p.File == "" {
			return p, fmt.Errorf("the server reports no binlog snapshot position: is log_bin on?")
		}
		rs, err = conn.Execute(fmt.Sprintf("SELECT BINLOG_GTID_POS('%s', %d)", gomysql.Escape(p.File), p.Pos))
		if err != nil {
			return p, err
		}
		p.GTIDs, _ = rs.GetString(0, 0)
		return p, nil
	}
	if _, err := conn.Execute("FLUSH TABLES WITH READ LOCK"); err != nil {
		return p, fmt.Errorf("global read lock for a consistent snapshot (needs the RELOAD privilege): %w", err)
	}
	defer conn.Execute("UNLOCK TABLES") //nolint:errcheck // released even when a step below fails
	if _, err := conn.Execute("START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY"); err != nil {
		return p, fmt.Errorf("start snapshot transaction: %w", err)
	}
	rs, err := conn.Execute("SHOW BINARY LOG STATUS") // MySQL 8.2+; 8.4 dropped SHOW MASTER STATUS
	if err != nil {
		if rs, err = conn.Execute("SHOW MASTER STATUS"); err != nil {
			return p, err
		}
	}
	if rs.RowNumber() == 0 {
		return p, fmt.Errorf("SHOW MASTER STATUS is empty: is log_bin on?")
	}
	p.File, _ = rs.GetString(0, 0)
	pos, _ := rs.GetUint(0, 1)
	p.Pos = uint32(pos)
	if len(rs.Fields) > 4 {
		gtids, _ := rs.GetString(0, 4)
		p.GTIDs = strings.ReplaceAll(gtids, "\n", "")
	}
	if _, err := conn.Execute("UNLOCK TABLES"); err != nil {
		return p, err
	}
	return p, nil
}

// markLast makes r the snapshot's last event.
func (s *Source) markLast(r *sdk.Record, start position) error {
	r.Position = start.sdk(s.cfg.Prefix)
	return rewriteSnapshotFlag(r, "last")
}

// capturedTables lists the captured base tables as [db, table] pairs.
func (s *Source) capturedTables(conn *client.Conn) ([][2]string, error) {
	rs, err := conn.Execute("SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_SCHEMA, TABLE_NAME")
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	var out [][2]string
	for i := range rs.RowNumber() {
		db, _ := rs.GetString(i, 0)
		name, _ := rs.GetString(i, 1)
		if s.filter.table(db, name) {
			out = append(out, [2]string{db, name})
		}
	}
	return out, nil
}

// describe reads a table's columns, primary key and CREATE statement.
func (s *Source) describe(conn *client.Conn, db, name string) (*table, string, error) {
	rs, err := conn.Execute(fmt.Sprintf(`SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, COLUMN_KEY, IS_NULLABLE,
		COALESCE(DATETIME_PRECISION, NUMERIC_PRECISION, 0), COALESCE(CHARACTER_SET_NAME, '')
		FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = '%s' AND TABLE_NAME = '%s' ORDER BY ORDINAL_POSITION`,
		gomysql.Escape(db), gomysql.Escape(name)))
	if err != nil {
		return nil, "", fmt.Errorf("describe %s.%s: %w", db, name, err)
	}
	t := &table{DB: db, Name: name}
	for i := range rs.RowNumber() {
		var ic infoColumn
		ic.name, _ = rs.GetString(i, 0)
		ic.dataType, _ = rs.GetString(i, 1)
		ic.columnType, _ = rs.GetString(i, 2)
		ic.key, _ = rs.GetString(i, 3)
		nullable, _ := rs.GetString(i, 4)
		ic.nullable = nullable == "YES"
		prec, _ := rs.GetInt(i, 5)
		ic.precision = int(prec)
		charset, _ := rs.GetString(i, 6)
		ic.binary = charset == "binary"
		if ic.dataType != "datetime" && ic.dataType != "timestamp" && ic.dataType != "time" && ic.dataType != "bit" {
			ic.precision = 0
		}
		c, err := columnFromInfo(ic)
		if err != nil {
			return nil, "", fmt.Errorf("%s.%s: %w", db, name, err)
		}
		t.Columns = append(t.Columns, c)
	}
	rs, err = conn.Execute(fmt.Sprintf(`SELECT COLUMN_NAME FROM information_schema.STATISTICS
		WHERE TABLE_SCHEMA = '%s' AND TABLE_NAME = '%s' AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX`,
		gomysql.Escape(db), gomysql.Escape(name)))
	if err != nil {
		return nil, "", fmt.Errorf("primary key of %s.%s: %w", db, name, err)
	}
	for i := range rs.RowNumber() {
		col, _ := rs.GetString(i, 0)
		for j, c := range t.Columns {
			if c.Name == col {
				t.PK = append(t.PK, j)
			}
		}
	}
	rs, err = conn.Execute("SHOW CREATE TABLE " + quoteName(db) + "." + quoteName(name))
	if err != nil {
		return nil, "", fmt.Errorf("show create table %s.%s: %w", db, name, err)
	}
	ddl, _ := rs.GetString(0, 1)
	return t, ddl, nil
}

func quoteName(s string) string { return "`" + strings.ReplaceAll(s, "`", "``") + "`" }

// readTable emits an op "r" event per row, in primary-key order.
func (s *Source) readTable(ctx context.Context, conn *client.Conn, t *table, pos position, emit func(sdk.Record) error) (int, error) {
	cols := make([]string, len(t.Columns))
	selected := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		cols[i] = quoteName(c.Name)
		selected[i] = cols[i]
		if c.kind == kindFloat {
			// The text protocol prints a FLOAT with 6 digits; as a double
			// it keeps every bit the binlog has.
			selected[i] = "(" + cols[i] + " + 0e0)"
		}
	}
	from := "SELECT " + strings.Join(selected, ", ") + " FROM " + quoteName(t.DB) + "." + quoteName(t.Name)
	src := sourceInfo{Version: Version, Connector: "mysql", Name: s.cfg.Prefix, Snapshot: "true", DB: t.DB, Table: t.Name,
		File: pos.File, Pos: pos.Pos, ServerID: 0}
	rows := 0
	handle := func(raw []any) error {
		rows++
		now := time.Now()
		src.TsMs = now.UnixMilli()
		after, err := s.conv.rowObject(t, raw)
		if err != nil {
			// A value that does not convert must not stop the snapshot:
			// the row goes to the dead-letter topic with why.
			return emit(s.faulty(t, "r", [][]any{raw}, src, pos, err))
		}
		r, err := changeRecord(s.cfg.Prefix, t, "r", nil, after, src, pos.sdk(s.cfg.Prefix), now)
		if err != nil {
			return err
		}
		return emit(r)
	}
	if len(t.PK) == 0 || !pageable(t) {
		var result gomysql.Result
		return rows, conn.ExecuteSelectStreaming(from, &result, func(row []gomysql.FieldValue) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			return handle(rowValues(row))
		}, nil)
	}
	pkCols := make([]string, len(t.PK))
	for i, c := range t.PK {
		pkCols[i] = cols[c]
	}
	order := " ORDER BY " + strings.Join(pkCols, ", ") + " LIMIT " + strconv.Itoa(s.cfg.SnapshotFetchSize)
	var after []string // literals of the last row's key
	for {
		q := from
		if after != nil {
			q += " WHERE (" + strings.Join(pkCols, ", ") + ") > (" + strings.Join(after, ", ") + ")"
		}
		rs, err := conn.Execute(q + order)
		if err != nil {
			return rows, err
		}
		n := rs.RowNumber()
		for i := range n {
			raw := rowValues(rs.Values[i])
			if err := handle(raw); err != nil {
				return rows, err
			}
			if i == n-1 {
				after = make([]string, len(t.PK))
				for j, c := range t.PK {
					after[j] = literal(&t.Columns[c], raw[c])
				}
			}
		}
		if n < s.cfg.SnapshotFetchSize {
			return rows, nil
		}
	}
}

// pageable says whether the primary key can page the table: ENUM and SET
// sort by member index but compare as text, and a FLOAT literal may not
// round-trip, so such keys would skip or repeat rows.
func pageable(t *table) bool {
	for _, c := range t.PK {
		switch t.Columns[c].kind {
		case kindEnum, kindSet, kindFloat, kindDouble:
			return false
		}
	}
	return true
}

func rowValues(row []gomysql.FieldValue) []any {
	out := make([]any, len(row))
	for i := range row {
		v := row[i].Value()
		if b, ok := v.([]byte); ok {
			v = append([]byte(nil), b...) // the driver reuses its buffer
		}
		out[i] = v
	}
	return out
}

// literal writes a key value back into SQL for the next chunk's WHERE.
func literal(c *column, raw any) string {
	switch v := raw.(type) {
	case nil:
		return "NULL"
	case int64:
		return strconv.FormatInt(v, 10)
	case uint64:
		return strconv.FormatUint(v, 10)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	b := bytesOf(raw)
	if c.kind == kindBinary || c.kind == kindBit {
		return "X'" + hex.EncodeToString(b) + "'"
	}
	return "'" + gomysql.Escape(string(b)) + "'"
}
