package row

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tributarydata/tributary/bus/record"
)

func mustColumn(t *testing.T, typ string, notNull bool) Column {
	t.Helper()
	c, err := NewColumn("c", typ, notNull)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestConvert(t *testing.T) {
	ts := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v.UTC()
	}
	tests := []struct {
		typ  string
		in   any
		want any
	}{
		{"bigint", n("9007199254740993"), int64(9007199254740993)},
		{"bigint", "42", int64(42)},
		{"bigint", n("3.0"), int64(3)},
		{"bigint", n("1e3"), int64(1000)},
		{"bigint unsigned", n("18446744073709551615"), "18446744073709551615"},
		{"smallint", n("-32768"), int64(-32768)},
		{"double", n("1.5"), 1.5},
		{"double", "-2e-3", -0.002},
		{"decimal(30,10)", n("12345678901234567890.0123456789"), "12345678901234567890.0123456789"},
		{"text", n("1.50"), "1.50"},
		{"text", true, "true"},
		{"text", map[string]any{"a": []any{n("1"), "x\"y"}}, `{"a":[1,"x\"y"]}`},
		{"varchar(3)", "日本語", "日本語"},
		{"boolean", n("1"), true},
		{"boolean", "false", false},
		{"date", "2024-02-29", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
		{"date", n("19782"), time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
		{"timestamp", n("1709164800123"), ts("2024-02-29T00:00:00.123Z")},
		{"timestamp", "2024-02-29 08:30:00.5", ts("2024-02-29T08:30:00.5Z")},
		{"timestamptz", "2024-02-29T08:30:00+08:00", ts("2024-02-29T00:30:00Z")},
		{"timestamp", n("-1"), ts("1969-12-31T23:59:59.999Z")},
		{"jsonb", []any{n("1"), nil}, "[1,null]"},
		{"jsonb", "plain", `"plain"`},
		{"bytea", "AAEC", []byte{0, 1, 2}},
		{"bigint", nil, nil},
	}
	for _, tt := range tests {
		c := mustColumn(t, tt.typ, false)
		got, err := c.Convert(tt.in)
		if err != nil {
			t.Errorf("%s %#v: %v", tt.typ, tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s %#v = %#v (%T), want %#v", tt.typ, tt.in, got, got, tt.want)
		}
	}
}

func TestConvertEpochUnits(t *testing.T) {
	c := mustColumn(t, "timestamp", false)
	want := time.Date(2024, 2, 29, 0, 0, 0, 123456000, time.UTC)
	for unit, in := range map[time.Duration]string{
		time.Microsecond: "1709164800123456",
		time.Nanosecond:  "1709164800123456000",
	} {
		got, err := c.ConvertEpoch(json.Number(in), unit)
		if err != nil || !got.(time.Time).Equal(want) {
			t.Errorf("unit %v: %v %v, want %v", unit, got, err, want)
		}
	}
	got, err := c.ConvertEpoch(json.Number("1709164800"), time.Second)
	if err != nil || !got.(time.Time).Equal(want.Truncate(time.Second)) {
		t.Errorf("seconds: %v %v", got, err)
	}
}

func TestConvertRejects(t *testing.T) {
	tests := []struct {
		typ     string
		notNull bool
		in      any
		want    string
	}{
		{"bigint", false, "abc", "not an integer"},
		{"bigint", false, n("1.5"), "not an integer"},
		{"bigint", false, n("9223372036854775808"), "not an integer"},
		{"int", false, n("2147483648"), "out of range"},
		{"tinyint unsigned", false, n("256"), "out of range"},
		{"bigint unsigned", false, n("-1"), "not an unsigned"},
		{"bigint", false, map[string]any{}, "got an object"},
		{"varchar(2)", false, "abc", "longer than 2"},
		{"double", false, "1x", "not a number"},
		{"double", false, n("1e999"), "out of range"},
		{"decimal", false, "12a", "not a decimal"},
		{"boolean", false, n("2"), "want a boolean"},
		{"date", false, "29/02/2024", "not a date"},
		{"timestamp", false, "yesterday", "not a timestamp"},
		{"timestamp", false, n("9223372036854775807"), "out of range"},
		{"bytea", false, "!!", "not base64"},
		{"text", true, nil, "NOT NULL"},
	}
	for _, tt := range tests {
		c := mustColumn(t, tt.typ, tt.notNull)
		_, err := c.Convert(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s %#v: error %v, want one containing %q", tt.typ, tt.in, err, tt.want)
		}
		if err != nil && !strings.Contains(err.Error(), "column c") {
			t.Errorf("%s: error %q does not name the column", tt.typ, err)
		}
	}
	// Values are never quoted whole in errors about objects, which may be
	// personal data.
	c := mustColumn(t, "int", false)
	if _, err := c.Convert(map[string]any{"secret": "s3cr3t"}); err == nil || strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("error %v leaks the value", err)
	}
	d := mustColumn(t, "double", false)
	if got, _ := d.Convert("NaN"); !math.IsNaN(got.(float64)) {
		t.Errorf("NaN text = %v", got)
	}
}

func n(s string) json.Number { return json.Number(s) }

func TestConvertReviewCases(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	wall := func(s string) time.Time {
		v, err := time.Parse("2006-01-02 15:04:05", s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	// The table of ConvertAt, in the warehouse's zone.
	times := []struct {
		typ, in string
		want    time.Time
	}{
		{"timestamp", "2024-05-01 10:00:00", wall("2024-05-01 10:00:00")},
		{"timestamp", "2024-05-01T02:00:00Z", wall("2024-05-01 10:00:00")},
		{"timestamptz", "2024-05-01 10:00:00", wall("2024-05-01 02:00:00")},
		{"timestamptz", "2024-05-01T10:00:00+08:00", wall("2024-05-01 02:00:00")},
	}
	for _, tt := range times {
		c := mustColumn(t, tt.typ, false)
		got, err := c.ConvertAt(tt.in, time.Millisecond, shanghai)
		if err != nil || !got.(time.Time).Equal(tt.want) {
			t.Errorf("%s %q in Shanghai = %v %v, want %v", tt.typ, tt.in, got, err, tt.want)
		}
	}
	epochCol := mustColumn(t, "timestamp", false)
	if got, _ := epochCol.ConvertAt(json.Number("0"), time.Millisecond, shanghai); !got.(time.Time).Equal(time.Unix(0, 0)) {
		t.Errorf("epoch 0 into timestamp = %v, want its UTC wall-clock time", got)
	}

	accepted := []struct {
		typ  string
		in   any
		want any
	}{
		{"jsonb", `{"a": [1, 2]}`, `{"a":[1,2]}`},
		{"json", `not json`, `"not json"`},
		{"int(10) unsigned zerofill", n("42"), int64(42)},
		{"tinyint(1)", true, int64(1)},
		{"tinyint(1)", false, int64(0)},
		{"decimal(10,2)", n("12345678.999"), "12345678.999"},
	}
	for _, tt := range accepted {
		c := mustColumn(t, tt.typ, false)
		got, err := c.Convert(tt.in)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s %#v = %#v %v, want %#v", tt.typ, tt.in, got, err, tt.want)
		}
	}
	refused := []struct {
		typ string
		in  any
	}{
		{"bigint", "0x1F"}, {"bigint", "7/7"}, {"bigint", "1_000"}, {"decimal", "1/3"}, {"decimal", "0x10"},
		{"double", "0x1p-2"}, {"decimal(10,2)", n("123456789.1")}, {"decimal(10,2) unsigned", n("-1")},
		{"decimal", n("1e999999")}, {"bigint", n("1e-999999")}, {"date", n("9999999")}, {"date", n("-9999999")},
	}
	for _, tt := range refused {
		c := mustColumn(t, tt.typ, false)
		start := time.Now()
		if got, err := c.Convert(tt.in); err == nil {
			t.Errorf("%s %#v accepted as %#v", tt.typ, tt.in, got)
		}
		if d := time.Since(start); d > 100*time.Millisecond {
			t.Errorf("%s %#v took %v to refuse", tt.typ, tt.in, d)
		}
	}
	if _, err := ParseColumns("a ȺȺȺȺȺȺȺȺȺ null"); err == nil {
		t.Error("a column of an unknown type was accepted")
	}
}

// FuzzTimestampFastMatchesLayouts holds the hand-written timestamp parser to
// time.Parse with the layouts it stands in for.
func FuzzTimestampFastMatchesLayouts(f *testing.F) {
	for _, s := range []string{"2024-02-29 08:30:00.5", "2024-02-29T08:30:00Z", "2024-02-29T08:30:00.123456789+08:00",
		"2024-02-30 00:00", "2024-02-29 24:00:00", "2024-02-29T08:30-01:30", "2024-02-29T08:30:00-0130", "0001-01-01 00:00:00.000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fast, zoned, ok := parseTimestampFast(s)
		if !ok {
			return
		}
		layouts := wallLayouts
		if zoned {
			layouts = zonedLayouts
		}
		for _, layout := range layouts {
			if slow, err := time.Parse(layout, s); err == nil {
				if !slow.Equal(fast) {
					t.Fatalf("%q: fast %v, time.Parse(%q) %v", s, fast, layout, slow)
				}
				return
			}
		}
		t.Fatalf("%q: fast parser accepted (%v, zoned %v) what no layout reads", s, fast, zoned)
	})
}

func BenchmarkMap(b *testing.B) {
	cols, err := ParseColumns("id bigint not null, user_id bigint, status int, amount decimal(12,2), note varchar(64), created_at timestamp(3), updated_at timestamp(3), flag boolean")
	if err != nil {
		b.Fatal(err)
	}
	m, err := NewMapper(MapperConfig{Columns: cols, Key: []string{"id"}, KeyMode: KeyRecordValue, DeleteEnabled: true})
	if err != nil {
		b.Fatal(err)
	}
	r := record.Record{Value: []byte(`{"op":"u","before":{"id":123456},"after":{"id":123456,"user_id":987,"status":3,"amount":"1234.56","note":"some note text here","created_at":"2024-05-01 10:00:00.123","updated_at":1714557600123,"flag":true},"source":{"db":"school","table":"orders"},"ts_ms":1714557600999}`)}
	b.ReportAllocs()
	for range b.N {
		if _, _, err := m.Map(&r); err != nil {
			b.Fatal(err)
		}
	}
}
