package row

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tributarydata/tributary/bus/record"
)

// KeyMode says where a row's primary key comes from, with the names of
// Confluent's JDBC sink (pk.mode).
type KeyMode string

// Key modes.
const (
	KeyNone        KeyMode = "none"         // no key: rows are appended
	KeyRecordKey   KeyMode = "record_key"   // the record key: a JSON object, or one primitive for a one-column key
	KeyRecordValue KeyMode = "record_value" // fields of the value (the row of a change event)
)

// MapperConfig describes the target table and how records map onto it.
type MapperConfig struct {
	Columns []Column
	// Key names the primary-key columns (pk.fields); empty with KeyNone.
	Key     []string
	KeyMode KeyMode
	// UnknownFieldsError makes a value field that matches no column an error
	// of the record instead of being ignored.
	UnknownFieldsError bool
	// DeleteEnabled applies deletes (op=d, and tombstones under
	// KeyRecordKey); otherwise they change nothing.
	DeleteEnabled bool
	// EpochUnit is the unit of numeric timestamps (default milliseconds).
	EpochUnit time.Duration
}

// Change is one record read against the table: a row to write, or the key
// of a row to delete.
type Change struct {
	Delete bool
	// Values holds one value per column (nil is NULL); for a delete only the
	// key columns are set.
	Values []any
	// Present says which columns the record carried, so a partial update
	// leaves the others as they are.
	Present []bool
}

// Mapper reads records as changes of one table.
type Mapper struct {
	cfg    MapperConfig
	key    []int
	byName map[string]int
}

// NewMapper checks the configuration against the columns.
func NewMapper(cfg MapperConfig) (*Mapper, error) {
	if cfg.EpochUnit <= 0 {
		cfg.EpochUnit = time.Millisecond
	}
	m := &Mapper{cfg: cfg, byName: make(map[string]int, 2*len(cfg.Columns))}
	for i, c := range cfg.Columns {
		m.byName[c.Name] = i
	}
	for i, c := range cfg.Columns {
		// Case-insensitive fallback, as unquoted SQL names are; an exact
		// match always wins.
		if _, ok := m.byName[strings.ToLower(c.Name)]; !ok {
			m.byName[strings.ToLower(c.Name)] = i
		}
	}
	switch cfg.KeyMode {
	case KeyNone:
		if len(cfg.Key) > 0 {
			return nil, errors.New("pk.fields is set but pk.mode is none")
		}
		if cfg.DeleteEnabled {
			return nil, errors.New("deletes need a primary key: set pk.mode (and pk.fields, or give the table a primary key), or set delete.enabled=false")
		}
	case KeyRecordKey, KeyRecordValue:
		if len(cfg.Key) == 0 {
			return nil, fmt.Errorf("pk.mode %s needs key columns: set pk.fields or give the table a primary key", cfg.KeyMode)
		}
	default:
		return nil, fmt.Errorf("unknown pk.mode %q (none, record_key, record_value)", cfg.KeyMode)
	}
	for _, name := range cfg.Key {
		i, ok := m.column(name)
		if !ok {
			return nil, fmt.Errorf("primary key field %s is not a column of the table", name)
		}
		m.key = append(m.key, i)
	}
	return m, nil
}

// Columns returns the table's columns.
func (m *Mapper) Columns() []Column { return m.cfg.Columns }

// Key returns the indexes of the key columns.
func (m *Mapper) Key() []int { return m.key }

func (m *Mapper) column(name string) (int, bool) {
	if i, ok := m.byName[name]; ok {
		return i, true
	}
	i, ok := m.byName[strings.ToLower(name)]
	return i, ok
}

// Map reads one record. ok is false for a record that changes nothing: a
// delete while deletes are disabled, or a tombstone whose key the table
// cannot use (CDC sources write one after every delete event, which already
// carried the row). An error says why the record can never be written.
func (m *Mapper) Map(r *record.Record) (c Change, ok bool, err error) {
	ch, err := record.ParseChange(r.Value)
	if err != nil {
		return Change{}, false, err
	}
	tombstone := r.Value == nil
	if ch.IsDelete() && !m.cfg.DeleteEnabled {
		return Change{}, false, nil
	}
	if tombstone && m.cfg.KeyMode != KeyRecordKey {
		return Change{}, false, nil
	}
	c = Change{
		Delete:  ch.IsDelete(),
		Values:  make([]any, len(m.cfg.Columns)),
		Present: make([]bool, len(m.cfg.Columns)),
	}
	if !c.Delete {
		if err := m.fill(&c, ch.After); err != nil {
			return Change{}, false, err
		}
	}
	switch m.cfg.KeyMode {
	case KeyRecordValue:
		if c.Delete {
			if err := m.fillKey(&c, ch.Before); err != nil {
				return Change{}, false, err
			}
		}
	case KeyRecordKey:
		if err := m.keyFromRecordKey(&c, r.Key); err != nil {
			return Change{}, false, err
		}
	}
	for _, i := range m.key {
		if c.Values[i] == nil {
			return Change{}, false, fmt.Errorf("primary key column %s is missing or null", m.cfg.Columns[i].Name)
		}
	}
	return c, true, nil
}

// fill converts every field of row into its column.
func (m *Mapper) fill(c *Change, row map[string]any) error {
	for name, v := range row {
		i, ok := m.column(name)
		if !ok {
			if m.cfg.UnknownFieldsError {
				return fmt.Errorf("field %s matches no column of the table", name)
			}
			continue
		}
		col := &m.cfg.Columns[i]
		out, err := col.ConvertEpoch(v, m.cfg.EpochUnit)
		if err != nil {
			return err
		}
		c.Values[i], c.Present[i] = out, true
	}
	return nil
}

// fillKey sets only the key columns from row (the before image of a delete).
func (m *Mapper) fillKey(c *Change, row map[string]any) error {
	for _, i := range m.key {
		col := &m.cfg.Columns[i]
		v, ok := row[col.Name]
		if !ok {
			for name, fv := range row {
				if strings.EqualFold(name, col.Name) {
					v, ok = fv, true
					break
				}
			}
		}
		if !ok {
			continue // reported as a missing key by Map
		}
		out, err := col.ConvertEpoch(v, m.cfg.EpochUnit)
		if err != nil {
			return err
		}
		c.Values[i], c.Present[i] = out, true
	}
	return nil
}

// keyFromRecordKey reads the key columns from the record key: a JSON object
// (optionally in a schema+payload wrapper, as Debezium's keys are), or a bare
// JSON scalar or plain text for a one-column key.
func (m *Mapper) keyFromRecordKey(c *Change, key []byte) error {
	if key == nil {
		return errors.New("pk.mode is record_key but the record has no key")
	}
	obj, err := record.DecodeObject(key)
	if err == nil {
		if payload, ok := obj["payload"].(map[string]any); ok {
			if _, hasSchema := obj["schema"]; hasSchema {
				obj = payload
			}
		}
		return m.fillKey(c, obj)
	}
	if len(m.key) != 1 {
		return fmt.Errorf("the record key is not a JSON object, and the table's key has %d columns", len(m.key))
	}
	var scalar any = string(key)
	if errors.Is(err, record.ErrNotJSONObject) {
		// A JSON scalar: a number or a quoted string.
		var v any
		dec := json.NewDecoder(strings.NewReader(string(key)))
		dec.UseNumber()
		if dec.Decode(&v) == nil {
			scalar = v
		}
	}
	i := m.key[0]
	out, cerr := m.cfg.Columns[i].ConvertEpoch(scalar, m.cfg.EpochUnit)
	if cerr != nil {
		return fmt.Errorf("record key: %w", cerr)
	}
	c.Values[i], c.Present[i] = out, true
	return nil
}
