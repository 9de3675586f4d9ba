package record

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/bytedance/sonic"
)

// Op is the operation of a change event, with Debezium's letters.
type Op string

// The operations of Debezium's envelope. OpNone marks a plain JSON row that is
// not a change event; sinks treat it as an upsert.
const (
	OpNone   Op = ""
	OpCreate Op = "c"
	OpUpdate Op = "u"
	OpDelete Op = "d"
	OpRead   Op = "r" // a row read by a snapshot
)

// Valid reports whether op is one of Debezium's letters or OpNone.
func (op Op) Valid() bool {
	switch op {
	case OpNone, OpCreate, OpUpdate, OpDelete, OpRead:
		return true
	}
	return false
}

// Change is a change event in Debezium's envelope.
type Change struct {
	Op     Op             `json:"op"`
	Before map[string]any `json:"before"`
	After  map[string]any `json:"after"`
	Source map[string]any `json:"source,omitempty"`
	TsMs   int64          `json:"ts_ms"`
}

// ErrNotJSONObject is returned for a value that is valid JSON but not an object.
var ErrNotJSONObject = errors.New("record: value is not a JSON object")

// fastDecoder reads record values: numbers as json.Number, strings copied
// out of the input (which may be reused). sonic decodes about three times
// faster than encoding/json, which was most of a sink's CPU per record.
// Whatever it refuses (invalid UTF-8 included) is decoded again by
// encoding/json, so the results and the error messages (which never quote
// the input) are encoding/json's.
var fastDecoder = sonic.Config{UseNumber: true, CopyString: true, ValidateString: true}.Froze()

// DecodeObject decodes a JSON object, keeping numbers as json.Number so that
// BIGINT UNSIGNED and DECIMAL values survive exactly.
func DecodeObject(data []byte) (map[string]any, error) {
	var v any
	if fastDecoder.Unmarshal(data, &v) != nil {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		v = nil
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("record: invalid JSON: %w", err)
		}
		if len(bytes.TrimLeft(data[dec.InputOffset():], " \t\r\n")) > 0 {
			// Not dec.More, which passes a stray } or ] after the object.
			return nil, errors.New("record: invalid JSON: data after the top-level value")
		}
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, ErrNotJSONObject
	}
	return obj, nil
}

// Encode marshals a value as compact JSON without escaping <, > and & (records
// are data, not HTML) and without a trailing newline.
func Encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// ParseChange reads a record value as a change event. It accepts Debezium's
// envelope bare or wrapped in {"schema":…,"payload":…} (the JsonConverter with
// schemas enabled), and a plain JSON object, which becomes an OpNone change
// whose After is the object. A nil value (a Kafka tombstone) is a delete with
// no row.
func ParseChange(value []byte) (Change, error) {
	if value == nil {
		return Change{Op: OpDelete}, nil
	}
	obj, err := DecodeObject(value)
	if err != nil {
		return Change{}, err
	}
	if payload, ok := obj["payload"].(map[string]any); ok {
		if _, hasSchema := obj["schema"]; hasSchema {
			obj = payload
		}
	}
	opText, isEnvelope := obj["op"].(string)
	_, hasAfter := obj["after"]
	_, hasBefore := obj["before"]
	if !isEnvelope || !(hasAfter || hasBefore) {
		return Change{Op: OpNone, After: obj}, nil
	}
	c := Change{Op: Op(opText)}
	if !c.Op.Valid() || c.Op == OpNone {
		return Change{}, fmt.Errorf("record: change event has unknown op %q", opText)
	}
	if c.Before, err = objectField(obj, "before"); err != nil {
		return Change{}, err
	}
	if c.After, err = objectField(obj, "after"); err != nil {
		return Change{}, err
	}
	if c.Source, err = objectField(obj, "source"); err != nil {
		return Change{}, err
	}
	if ts, ok := obj["ts_ms"].(json.Number); ok {
		if c.TsMs, err = ts.Int64(); err != nil {
			return Change{}, fmt.Errorf("record: change event ts_ms: %w", err)
		}
	}
	switch c.Op {
	case OpDelete:
		if c.Before == nil {
			return Change{}, errors.New("record: delete event without before")
		}
	default:
		if c.After == nil {
			return Change{}, fmt.Errorf("record: %q event without after", c.Op)
		}
	}
	return c, nil
}

func objectField(obj map[string]any, name string) (map[string]any, error) {
	v, ok := obj[name]
	if !ok || v == nil {
		return nil, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("record: change event field %q is not an object", name)
	}
	return m, nil
}

// Row is the row a change leaves behind: After for creates, updates, snapshot
// reads and plain rows; Before (the row to delete) for deletes.
func (c Change) Row() map[string]any {
	if c.Op == OpDelete {
		return c.Before
	}
	return c.After
}

// IsDelete reports whether the change removes its row.
func (c Change) IsDelete() bool { return c.Op == OpDelete }

// Marshal encodes the change in Debezium's envelope; an OpNone change encodes
// as its plain row.
func (c Change) Marshal() ([]byte, error) {
	if c.Op == OpNone {
		return Encode(c.After)
	}
	return Encode(c)
}
