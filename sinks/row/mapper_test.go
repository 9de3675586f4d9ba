package row

import (
	"reflect"
	"strings"
	"testing"

	"github.com/tributarydata/tributary/bus/record"
)

func testColumns(t *testing.T) []Column {
	t.Helper()
	cols, err := ParseColumns("id bigint not null, name varchar(8), score double, tags jsonb")
	if err != nil {
		t.Fatal(err)
	}
	return cols
}

func newTestMapper(t *testing.T, adjust func(*MapperConfig)) *Mapper {
	t.Helper()
	cfg := MapperConfig{Columns: testColumns(t), Key: []string{"id"}, KeyMode: KeyRecordValue, DeleteEnabled: true}
	if adjust != nil {
		adjust(&cfg)
	}
	m, err := NewMapper(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestMapper(t *testing.T) {
	m := newTestMapper(t, nil)
	tests := []struct {
		name    string
		key     string
		value   string
		tomb    bool
		ok      bool
		delete  bool
		values  []any
		present []bool
	}{
		{name: "plain row, partial", value: `{"id":1,"name":"ann","other":true}`, ok: true,
			values: []any{int64(1), "ann", nil, nil}, present: []bool{true, true, false, false}},
		{name: "explicit null is present", value: `{"id":"2","score":null}`, ok: true,
			values: []any{int64(2), nil, nil, nil}, present: []bool{true, false, true, false}},
		{name: "debezium create", value: `{"op":"c","before":null,"after":{"id":3,"name":"bo","score":1.5,"tags":["a"]},"source":{}}`, ok: true,
			values: []any{int64(3), "bo", 1.5, `["a"]`}, present: []bool{true, true, true, true}},
		{name: "schema wrapped update", value: `{"schema":{},"payload":{"op":"u","before":{"id":4},"after":{"id":4,"name":"cy"}}}`, ok: true,
			values: []any{int64(4), "cy", nil, nil}, present: []bool{true, true, false, false}},
		{name: "debezium delete keys from before", value: `{"op":"d","before":{"id":5,"name":"dee"},"after":null}`, ok: true, delete: true,
			values: []any{int64(5), nil, nil, nil}, present: []bool{true, false, false, false}},
		{name: "tombstone skipped under record_value", key: `{"id":5}`, tomb: true, ok: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := record.Record{Key: []byte(tt.key)}
			if !tt.tomb {
				r.Value = []byte(tt.value)
			}
			c, ok, err := m.Map(&r)
			if err != nil {
				t.Fatal(err)
			}
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if !ok {
				return
			}
			if c.Delete != tt.delete || !reflect.DeepEqual(c.Values, tt.values) || !reflect.DeepEqual(c.Present, tt.present) {
				t.Errorf("got delete=%v %#v %v, want delete=%v %#v %v", c.Delete, c.Values, c.Present, tt.delete, tt.values, tt.present)
			}
		})
	}
}

func TestMapperRecordKey(t *testing.T) {
	m := newTestMapper(t, func(c *MapperConfig) { c.KeyMode = KeyRecordKey })
	for _, key := range []string{`{"id":7}`, `{"schema":{},"payload":{"id":7}}`, `7`, `"7"`} {
		c, ok, err := m.Map(&record.Record{Key: []byte(key), Value: []byte(`{"id":99,"name":"x"}`)})
		if err != nil || !ok || c.Values[0] != int64(7) || c.Values[1] != "x" {
			t.Errorf("key %s: %v %v %#v, want id 7 from the key", key, ok, err, c.Values)
		}
	}
	c, ok, err := m.Map(&record.Record{Key: []byte(`{"id":8}`)})
	if err != nil || !ok || !c.Delete || c.Values[0] != int64(8) {
		t.Errorf("tombstone under record_key: %v %v %+v, want a delete of 8", ok, err, c)
	}
}

func TestMapperErrors(t *testing.T) {
	m := newTestMapper(t, func(c *MapperConfig) { c.UnknownFieldsError = true })
	tests := map[string]string{
		`{"name":"x"}`:                          "primary key column id is missing",
		`{"id":null}`:                           "NOT NULL",
		`{"id":1,"name":"much too long"}`:       "longer than 8",
		`{"id":1,"score":"high"}`:               "column score",
		`{"id":1,"nope":1}`:                     "field nope matches no column",
		`not json`:                              "invalid JSON",
		`{"op":"x","after":{"id":1}}`:           "unknown op",
		`{"op":"d","before":{"name":"x"}}`:      "primary key column id is missing",
		`{"op":"c","after":{"id":"x"},"b":[1]}`: "column id",
	}
	for value, want := range tests {
		_, _, err := m.Map(&record.Record{Value: []byte(value)})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v, want one containing %q", value, err, want)
		}
	}
	keyed := newTestMapper(t, func(c *MapperConfig) { c.KeyMode = KeyRecordKey })
	if _, _, err := keyed.Map(&record.Record{Value: []byte(`{"id":1}`)}); err == nil {
		t.Error("record_key without a key accepted")
	}
}

func TestMapperDeletesDisabled(t *testing.T) {
	m := newTestMapper(t, func(c *MapperConfig) { c.DeleteEnabled = false })
	_, ok, err := m.Map(&record.Record{Value: []byte(`{"op":"d","before":{"id":1}}`)})
	if err != nil || ok {
		t.Errorf("delete with deletes disabled: ok=%v err=%v, want skipped", ok, err)
	}
}

func TestNewMapperRefuses(t *testing.T) {
	cols := testColumns(t)
	for name, cfg := range map[string]MapperConfig{
		"deletes without key": {Columns: cols, KeyMode: KeyNone, DeleteEnabled: true},
		"key without mode":    {Columns: cols, KeyMode: KeyNone, Key: []string{"id"}},
		"mode without key":    {Columns: cols, KeyMode: KeyRecordValue},
		"unknown key column":  {Columns: cols, KeyMode: KeyRecordValue, Key: []string{"nope"}},
		"unknown mode":        {Columns: cols, KeyMode: "kafka", Key: []string{"id"}},
	} {
		if _, err := NewMapper(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func FuzzMap(f *testing.F) {
	for _, s := range []string{`{"id":1,"name":"a"}`, `{"op":"d","before":{"id":2}}`, `{"schema":1,"payload":{"op":"u","before":null,"after":{"id":"3","tags":{"a":1}}}}`, `{"id":1e400}`} {
		f.Add([]byte(`{"id":1}`), []byte(s))
	}
	cols, err := ParseColumns("id bigint not null, name varchar(8), score double, tags jsonb, at timestamp, d date")
	if err != nil {
		f.Fatal(err)
	}
	byValue, _ := NewMapper(MapperConfig{Columns: cols, Key: []string{"id"}, KeyMode: KeyRecordValue, DeleteEnabled: true})
	byKey, _ := NewMapper(MapperConfig{Columns: cols, Key: []string{"id"}, KeyMode: KeyRecordKey, DeleteEnabled: true})
	f.Fuzz(func(t *testing.T, key, value []byte) {
		for _, m := range []*Mapper{byValue, byKey} {
			c, ok, err := m.Map(&record.Record{Key: key, Value: value})
			if err != nil || !ok {
				continue
			}
			if c.Values[0] == nil {
				t.Fatalf("a change without its key was accepted: %+v", c)
			}
			if s, isString := c.Values[1].(string); isString && len([]rune(s)) > 8 {
				t.Fatalf("too long a name was accepted: %q", s)
			}
			b := NewBatch(ModeUpdate, m.Key())
			b.Add(c)
			if b.Len() != 1 || len(b.Groups()) != 1 {
				t.Fatalf("one change gave %d rows, %d groups", b.Len(), len(b.Groups()))
			}
		}
	})
}

func TestMapperReviewCases(t *testing.T) {
	m := newTestMapper(t, nil)
	// An exact name wins over a case-insensitive one, whatever the map order.
	for range 50 {
		c, _, err := m.Map(&record.Record{Value: []byte(`{"id":1,"Name":"other","name":"exact","NAME":"x"}`)})
		if err != nil || c.Values[1] != "exact" {
			t.Fatalf("name = %#v %v, want exact", c.Values[1], err)
		}
	}
	keyed := newTestMapper(t, func(c *MapperConfig) { c.KeyMode = KeyRecordKey })
	c, ok, err := keyed.Map(&record.Record{Key: []byte(`{"schema":{"type":"int64"},"payload":42}`), Value: []byte(`{"name":"x"}`)})
	if err != nil || !ok || c.Values[0] != int64(42) {
		t.Errorf("wrapped bare key: %v %v %#v, want id 42", ok, err, c.Values)
	}

	cols, err := ParseColumns("amount decimal(10,2) not null, f double, v text")
	if err != nil {
		t.Fatal(err)
	}
	dm, err := NewMapper(MapperConfig{Columns: cols, Key: []string{"amount", "f"}, KeyMode: KeyRecordValue, DeleteEnabled: true})
	if err != nil {
		t.Fatal(err)
	}
	b := NewBatch(ModeUpdate, dm.Key())
	for _, v := range []string{`{"amount":"1","f":0,"v":"a"}`, `{"op":"d","before":{"amount":"1.000","f":-0.0}}`} {
		c, _, err := dm.Map(&record.Record{Value: []byte(v)})
		if err != nil {
			t.Fatal(err)
		}
		b.Add(c)
	}
	if g := b.Groups(); len(g) != 1 || !g[0].Delete {
		t.Errorf("upsert of 1.00 then delete of 1.000 gave %+v, want one delete of the same key", g)
	}
}

// MapInto maps into the slices of a change done with when they are large
// enough, and into new ones otherwise.
func TestMapIntoReuses(t *testing.T) {
	cols, err := ParseColumns("id bigint, a text, b int")
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMapper(MapperConfig{Columns: cols, Key: []string{"id"}, KeyMode: KeyRecordValue})
	if err != nil {
		t.Fatal(err)
	}
	r := record.Record{Value: []byte(`{"id":1,"a":"x"}`)}
	old := Change{Values: []any{"stale", "stale", "stale", "spare"}, Present: []bool{true, true, true, true}}
	c, ok, err := m.MapInto(&r, old)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if &c.Values[0] != &old.Values[0] || &c.Present[0] != &old.Present[0] {
		t.Error("the old change's slices were not reused")
	}
	if want := []any{int64(1), "x", nil}; !reflect.DeepEqual(c.Values, want) || !reflect.DeepEqual(c.Present, []bool{true, true, false}) {
		t.Errorf("MapInto = %v %v, want %v [true true false]", c.Values, c.Present, want)
	}
	if c, _, _ := m.MapInto(&r, Change{Values: make([]any, 2), Present: make([]bool, 2)}); len(c.Values) != 3 || len(c.Present) != 3 {
		t.Errorf("too small slices: got %d values, %d present flags", len(c.Values), len(c.Present))
	}
}
