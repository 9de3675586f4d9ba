package mysql

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// historyRecord is one entry of the schema history topic, in Debezium's
// shape: the DDL statement (or the CREATE TABLE read by the snapshot), where
// in the binlog it happened, and the table schema after it when known. The
// schema of a table as the binlog describes it (binlog_row_metadata=FULL)
// is also recorded, with an empty ddl, whenever it changes, so the history
// shows every shape the table's events had and from which position on.
type historyRecord struct {
	Source       map[string]string `json:"source"`
	Position     map[string]any    `json:"position"`
	TsMs         int64             `json:"ts_ms"`
	DatabaseName string            `json:"databaseName"`
	DDL          string            `json:"ddl"`
	TableChanges []tableChange     `json:"tableChanges"`
}

type tableChange struct {
	Type  string       `json:"type"`
	ID    string       `json:"id"`
	Table *tableSchema `json:"table"`
}

type tableSchema struct {
	PrimaryKeyColumnNames []string `json:"primaryKeyColumnNames"`
	Columns               []column `json:"columns"`
}

// historyRecord builds the record; t may be nil for a statement whose
// resulting schema is not known yet (the next table-map event records it).
func (s *Source) historyRecord(db, ddl string, t *table, pos position, now time.Time) (sdk.Record, error) {
	h := historyRecord{
		Source:       map[string]string{"server": s.cfg.Prefix},
		Position:     pos.sdk(s.cfg.Prefix).Offset,
		TsMs:         now.UnixMilli(),
		DatabaseName: db,
		DDL:          ddl,
		TableChanges: []tableChange{},
	}
	if t != nil {
		h.TableChanges = append(h.TableChanges, tableChange{
			Type: "CREATE", ID: fmt.Sprintf("%q.%q", t.DB, t.Name),
			Table: &tableSchema{PrimaryKeyColumnNames: t.pkNames(), Columns: t.Columns},
		})
	}
	value, err := json.Marshal(h)
	if err != nil {
		return sdk.Record{}, err
	}
	return sdk.Record{
		Topic: s.cfg.HistoryTopic, Value: value, Partition: 0, Timestamp: now,
		Position: pos.sdk(s.cfg.Prefix),
	}, nil
}

// rewriteSnapshotFlag sets source.snapshot of a change event's value.
func rewriteSnapshotFlag(r *sdk.Record, flag string) error {
	var e struct {
		Before      json.RawMessage `json:"before"`
		After       json.RawMessage `json:"after"`
		Source      sourceInfo      `json:"source"`
		Op          string          `json:"op"`
		TsMs        int64           `json:"ts_ms"`
		Transaction any             `json:"transaction"`
	}
	if err := json.Unmarshal(r.Value, &e); err != nil {
		return err
	}
	e.Source.Snapshot = flag
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // as every other event: "<" stays "<"
	if err := enc.Encode(e); err != nil {
		return err
	}
	r.Value = bytes.TrimSuffix(b.Bytes(), []byte("\n"))
	return nil
}
