package mysql

import (
	"encoding/json"
	"strconv"
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

func (o *object) MarshalJSON() ([]byte, error) { return o.appendJSON(nil) }

// appendJSON writes the object without encoding/json's reflection for the
// common value types: change events are encoded once per row, on the hot path.
func (o *object) appendJSON(b []byte) ([]byte, error) {
	if o == nil {
		return append(b, "null"...), nil
	}
	b = append(b, '{')
	for i, n := range o.names {
		if i > 0 {
			b = append(b, ',')
		}
		b = sdk.AppendJSONString(b, n)
		b = append(b, ':')
		var err error
		if b, err = appendValue(b, o.values[i]); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

func appendValue(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return sdk.AppendJSONString(b, v), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case uint64:
		return strconv.AppendUint(b, v, 10), nil
	case bool:
		return strconv.AppendBool(b, v), nil
	}
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return append(b, j...), nil
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
	return k.appendJSON(nil)
}

// appendSource writes the source block by hand, for the same reason.
func appendSource(b []byte, src *sourceInfo) []byte {
	b = append(b, `{"version":`...)
	b = sdk.AppendJSONString(b, src.Version)
	b = append(b, `,"connector":`...)
	b = sdk.AppendJSONString(b, src.Connector)
	b = append(b, `,"name":`...)
	b = sdk.AppendJSONString(b, src.Name)
	b = append(b, `,"ts_ms":`...)
	b = strconv.AppendInt(b, src.TsMs, 10)
	b = append(b, `,"snapshot":`...)
	b = sdk.AppendJSONString(b, src.Snapshot)
	b = append(b, `,"db":`...)
	b = sdk.AppendJSONString(b, src.DB)
	b = append(b, `,"sequence":null,"table":`...)
	b = sdk.AppendJSONString(b, src.Table)
	b = append(b, `,"server_id":`...)
	b = strconv.AppendUint(b, uint64(src.ServerID), 10)
	b = append(b, `,"gtid":`...)
	if src.GTID != nil {
		b = sdk.AppendJSONString(b, *src.GTID)
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"file":`...)
	b = sdk.AppendJSONString(b, src.File)
	b = append(b, `,"pos":`...)
	b = strconv.AppendUint(b, uint64(src.Pos), 10)
	b = append(b, `,"row":`...)
	b = strconv.AppendInt(b, int64(src.Row), 10)
	return append(b, `,"thread":null,"query":null}`...)
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
	value := make([]byte, 0, 512)
	value = append(value, `{"before":`...)
	if value, err = before.appendJSON(value); err != nil {
		return sdk.Record{}, err
	}
	value = append(value, `,"after":`...)
	if value, err = after.appendJSON(value); err != nil {
		return sdk.Record{}, err
	}
	value = append(value, `,"source":`...)
	value = appendSource(value, &src)
	value = append(value, `,"op":`...)
	value = sdk.AppendJSONString(value, op)
	value = append(value, `,"ts_ms":`...)
	value = strconv.AppendInt(value, now.UnixMilli(), 10)
	value = append(value, `,"transaction":null}`...)
	return sdk.Record{
		Topic: topicName(prefix, t.DB, t.Name), Key: key, Value: value, Partition: -1,
		Timestamp: now, Position: pos,
	}, nil
}
