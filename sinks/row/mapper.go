package row

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
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
	// Location is the zone of zone-less text for timestamptz columns and of
	// the wall-clock time an offset-bearing text gives a timestamp column
	// (default UTC); see Column.ConvertAt.
	Location *time.Location
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
	// owns[i] says byName[Columns[i].Name] is i (a later column of the
	// same name takes it), for mapFast's guess of the next column.
	owns []bool
}

// NewMapper checks the configuration against the columns.
func NewMapper(cfg MapperConfig) (*Mapper, error) {
	if cfg.EpochUnit <= 0 {
		cfg.EpochUnit = time.Millisecond
	}
	if cfg.Location == nil {
		cfg.Location = time.UTC
	}
	m := &Mapper{cfg: cfg, byName: make(map[string]int, 2*len(cfg.Columns))}
	for i, c := range cfg.Columns {
		m.byName[c.Name] = i
	}
	m.owns = make([]bool, len(cfg.Columns))
	for i, c := range cfg.Columns {
		m.owns[i] = m.byName[c.Name] == i
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
//
// Most records are read by a scanner over the value's bytes that converts
// each field straight from its JSON text (see mapFast); whatever it does not
// handle, errors included, goes through mapSlow, which decodes the value
// into maps first and gives the same results.
func (m *Mapper) Map(r *record.Record) (c Change, ok bool, err error) {
	return m.MapInto(r, Change{})
}

// MapInto is Map reusing the Values and Present slices of old, a change
// the caller and every batch that held it are done with, when they are
// large enough: they are half of what mapping a record allocates, and of
// the garbage collector's work that follows.
func (m *Mapper) MapInto(r *record.Record, old Change) (c Change, ok bool, err error) {
	if r.Value != nil {
		if c, ok, done := m.mapFast(r, old); done {
			return c, ok, nil
		}
	}
	return m.mapSlow(r, old)
}

// change is a change of the table's columns, none of them present, in
// old's slices when they are large enough.
func (m *Mapper) change(del bool, old Change) Change {
	n := len(m.cfg.Columns)
	if cap(old.Values) < n || cap(old.Present) < n {
		return Change{Delete: del, Values: make([]any, n), Present: make([]bool, n)}
	}
	c := Change{Delete: del, Values: old.Values[:n], Present: old.Present[:n]}
	clear(c.Values)
	clear(c.Present)
	return c
}

// mapSlow is Map over record.ParseChange's maps.
func (m *Mapper) mapSlow(r *record.Record, old Change) (c Change, ok bool, err error) {
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
	c = m.change(ch.IsDelete(), old)
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
	if err := m.checkKey(&c); err != nil {
		return Change{}, false, err
	}
	return c, true, nil
}

// checkKey requires every key column and writes it in its canonical form.
func (m *Mapper) checkKey(c *Change) error {
	for _, i := range m.key {
		if c.Values[i] == nil {
			return fmt.Errorf("primary key column %s is missing or null", m.cfg.Columns[i].Name)
		}
		c.Values[i] = canonicalKey(&m.cfg.Columns[i], c.Values[i])
	}
	return nil
}

// canonicalKey writes key values the store holds as equal the same way, so
// a batch deduplicates them as one row: decimals rounded to their scale (as
// the store rounds them) without redundant digits, and -0 as 0. Strings are
// kept as they are: a case-insensitive collation still sees 'a' and 'A' as
// one key, which a batch cannot know.
func canonicalKey(col *Column, v any) any {
	switch col.Kind {
	case KindDecimal:
		s, ok := v.(string)
		if !ok {
			return v
		}
		r, ok := integralRat(s)
		if !ok {
			return v
		}
		if col.Precision > 0 {
			return r.FloatString(col.Scale)
		}
		if r.IsInt() {
			return r.Num().String()
		}
		return strings.TrimRight(r.FloatString(maxExponent+400), "0")
	case KindFloat:
		if f, ok := v.(float64); ok && f == 0 {
			return 0.0
		}
	}
	return v
}

// fill converts every field of row into its column. A field named exactly
// as a column wins over ones matching it only without regard to case, and
// among those the first in byte order wins, so the result never depends on
// map order. A field named as the lower-cased column name (byName's
// fallback entry) ranks between: it loses to the exact name, and beats
// other spellings.
func (m *Mapper) fill(c *Change, row map[string]any) error {
	var folded []string
	for name, v := range row {
		i, exact := m.byName[name]
		if exact && name != m.cfg.Columns[i].Name {
			if _, named := row[m.cfg.Columns[i].Name]; named {
				continue // the exact name wins, whatever the map order
			}
		}
		if !exact {
			if _, ok := m.column(name); ok {
				folded = append(folded, name)
			} else if m.cfg.UnknownFieldsError {
				return fmt.Errorf("field %s matches no column of the table", name)
			}
			continue
		}
		if err := m.set(c, i, v); err != nil {
			return err
		}
	}
	slices.Sort(folded)
	for _, name := range folded {
		i, _ := m.column(name)
		if c.Present[i] {
			continue
		}
		if err := m.set(c, i, row[name]); err != nil {
			return err
		}
	}
	return nil
}

func (m *Mapper) set(c *Change, i int, v any) error {
	out, err := m.cfg.Columns[i].ConvertAt(v, m.cfg.EpochUnit, m.cfg.Location)
	if err != nil {
		return err
	}
	c.Values[i], c.Present[i] = out, true
	return nil
}

// fillKey sets only the key columns from row (the before image of a
// delete, or the record key), matching names as fill does.
func (m *Mapper) fillKey(c *Change, row map[string]any) error {
	for _, i := range m.key {
		col := &m.cfg.Columns[i]
		v, ok := row[col.Name]
		if !ok {
			var match string
			for name := range row {
				if strings.EqualFold(name, col.Name) && (match == "" || name < match) {
					match, ok = name, true
				}
			}
			v = row[match]
		}
		if !ok {
			continue // reported as a missing key by Map
		}
		if err := m.set(c, i, v); err != nil {
			return err
		}
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
	var scalar any = string(key) // plain text, unless it is JSON
	obj, err := record.DecodeObject(key)
	if err == nil {
		payload, wrapped := obj["payload"]
		if _, hasSchema := obj["schema"]; !wrapped || !hasSchema {
			return m.fillKey(c, obj)
		}
		// The JsonConverter's schema+payload wrapper, around an object or a
		// bare value.
		if inner, ok := payload.(map[string]any); ok {
			return m.fillKey(c, inner)
		}
		scalar = payload
	} else if errors.Is(err, record.ErrNotJSONObject) {
		// A JSON scalar: a number or a quoted string.
		var v any
		dec := json.NewDecoder(strings.NewReader(string(key)))
		dec.UseNumber()
		if dec.Decode(&v) == nil {
			scalar = v
		}
	}
	if len(m.key) != 1 {
		return fmt.Errorf("the record key is not a JSON object, and the table's key has %d columns", len(m.key))
	}
	if scalar == nil {
		return errors.New("the record key is null")
	}
	if err := m.set(c, m.key[0], scalar); err != nil {
		return fmt.Errorf("record key: %w", err)
	}
	return nil
}
