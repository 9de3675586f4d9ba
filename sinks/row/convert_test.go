package row

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
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
