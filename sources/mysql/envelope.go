package mysql

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// Version is written in the source block of every event.
const Version = "0.1.0"

// object is a JSON object that keeps its fields in order: a row's columns in
// table order, a key's columns in primary-key order, as Debezium writes them.
type object struct {
	names  []string
	values []any
}

func (o *object) add(name string, v any) {
	o.names, o.values = append(o.names, name), append(o.values, v)
}

func (o *object) MarshalJSON() ([]byte, error) {
	if o == nil {
		return []byte("null"), nil
	}
	var b bytes.Buffer
	b.WriteByte('{')
	for i, n := range o.names {
		if i > 0 {
			b.WriteByte(',')
		}
		name, _ := json.Marshal(n)
		b.Write(name)
		b.WriteByte(':')
		v, err := json.Marshal(o.values[i])
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// sourceInfo is the "source" block of a change event.
type sourceInfo struct {
	Version   string  `json:"version"`
	Connector string  `json:"connector"`
	Name      string  `json:"name"`
	TsMs      int64   `json:"ts_ms"`
	Snapshot  string  `json:"snapshot"`
	DB        string  `json:"db"`
	Sequence  *string `json:"sequence"`
	Table     string  `json:"table"`
	ServerID  uint32  `json:"server_id"`
	GTID      *string `json:"gtid"`
	File      string  `json:"file"`
	Pos       uint32  `json:"pos"`
	Row       int     `json:"row"`
	Thread    *int64  `json:"thread"`
	Query     *string `json:"query"`
}

// envelope is Debezium's change event value.
type envelope struct {
	Before      *object    `json:"before"`
	After       *object    `json:"after"`
	Source      sourceInfo `json:"source"`
	Op          string     `json:"op"`
	TsMs        int64      `json:"ts_ms"`
	Transaction any        `json:"transaction"`
}

// topicName is <prefix>.<db>.<table>, with characters Kafka refuses in
// topic names replaced by "_", as Debezium does.
func topicName(prefix, db, table string) string {
	return prefix + "." + sanitize(db) + "." + sanitize(table)
}

func sanitize(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			return r
		}
		return '_'
	}, s)
}

// rowObject converts a row's raw values into an ordered object.
func (cv converter) rowObject(t *table, raw []any) (*object, error) {
	o := &object{names: make([]string, 0, len(t.Columns)), values: make([]any, 0, len(t.Columns))}
	for i := range t.Columns {
		var v any
		if i < len(raw) {
			var err error
			if v, err = cv.value(&t.Columns[i], raw[i]); err != nil {
				return nil, err
			}
		}
		o.add(t.Columns[i].Name, v)
	}
	return o, nil
}

// keyOf is the record key of a row: its primary-key columns, or nil for a
// table without a primary key (Kafka's partitioner then spreads its rows).
func keyOf(t *table, row *object) ([]byte, error) {
	if len(t.PK) == 0 || row == nil {
		return nil, nil
	}
	k := &object{}
	for _, c := range t.PK {
		k.add(row.names[c], row.values[c])
	}
	return json.Marshal(k)
}

// changeRecord builds the record of one row change.
func changeRecord(prefix string, t *table, op string, before, after *object, src sourceInfo, pos sdk.Position, now time.Time) (sdk.Record, error) {
	keyRow := after
	if keyRow == nil {
		keyRow = before
	}
	key, err := keyOf(t, keyRow)
	if err != nil {
		return sdk.Record{}, err
	}
	value, err := json.Marshal(envelope{Before: before, After: after, Source: src, Op: op, TsMs: now.UnixMilli()})
	if err != nil {
		return sdk.Record{}, err
	}
	return sdk.Record{
		Topic: topicName(prefix, t.DB, t.Name), Key: key, Value: value, Partition: -1,
		Timestamp: now, Position: pos,
	}, nil
}
