package mysql

import (
	"reflect"
	"strings"
	"testing"
)

func TestConvertTable(t *testing.T) {
	cv := converter{decimalMode: "string", binaryMode: "bytes"}
	enum := &column{Name: "e", kind: kindEnum, Values: []string{"new", "paid"}}
	set := &column{Name: "s", kind: kindSet, Values: []string{"a", "b", "c"}}
	tests := []struct {
		name string
		col  *column
		raw  any
		want any
		err  string
	}{
		{"int8", &column{kind: kindInt}, int8(-5), int64(-5), ""},
		{"int text", &column{kind: kindInt}, []byte("-42"), int64(-42), ""},
		{"uint64 max", &column{kind: kindUint}, uint64(18446744073709551615), uint64(18446744073709551615), ""},
		{"negative unsigned", &column{kind: kindUint}, int64(-1), nil, "unsigned column holds -1"},
		{"float32 shortest", &column{kind: kindFloat}, float32(0.1), 0.1, ""},
		{"decimal string", &column{kind: kindDecimal}, "-0.0500", "-0.0500", ""},
		{"decimal garbage", &column{kind: kindDecimal}, "12a", nil, "does not parse"},
		{"date", &column{kind: kindDate}, "1970-01-02", int64(1), ""},
		{"zero date", &column{kind: kindDate}, "0000-00-00", nil, ""},
		{"datetime ms", &column{kind: kindDatetime, Precision: 3}, "1970-01-01 00:00:01.5", int64(1500), ""},
		{"datetime µs", &column{kind: kindDatetime, Precision: 6}, "1970-01-01 00:00:01.000002", int64(1000002), ""},
		{"bad datetime", &column{kind: kindDatetime}, "2024-13-01 00:00:00", nil, "month out of range"},
		{"timestamp", &column{kind: kindTimestamp, Precision: 2}, "2024-01-01 10:00:00.5", "2024-01-01T10:00:00.50Z", ""},
		{"time negative", &column{kind: kindTime}, "-01:00:00.25", int64(-3600250000), ""},
		{"time long", &column{kind: kindTime}, "838:59:59", int64(3020399000000), ""},
		{"time garbage", &column{kind: kindTime}, "1:2", nil, "does not parse"},
		{"enum index", enum, int64(2), "paid", ""},
		{"enum text", enum, []byte("new"), "new", ""},
		{"enum out of range", enum, int64(3), nil, "outside its 2 members"},
		{"set mask", set, int64(5), "a,c", ""},
		{"set bad mask", set, int64(8), nil, "outside its 3 members"},
		{"bit1", &column{kind: kindBit, Precision: 1}, []byte{1}, true, ""},
		{"bit10 binlog", &column{kind: kindBit, Precision: 10}, int64(513), "AQI=", ""},
		{"bit10 text", &column{kind: kindBit, Precision: 10}, []byte{2, 1}, "AQI=", ""},
		{"binary hex", &column{kind: kindBinary}, []byte{0xde, 0xad}, "3q0=", ""},
		{"json", &column{kind: kindJSON}, []byte(`{"a":1}`), `{"a":1}`, ""},
		{"json invalid", &column{kind: kindJSON}, "{", nil, "invalid JSON"},
		{"invalid utf8", &column{Name: "t", kind: kindString}, "\xff\xfe", nil, "not valid UTF-8"},
		{"latin1", &column{kind: kindString, charset: "latin1"}, "caf\xe9", "café", ""},
		{"nil", &column{kind: kindInt}, nil, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := cv.value(tt.col, tt.raw)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want one containing %q", err, tt.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %#v, %v; want %#v", got, err, tt.want)
			}
		})
	}
	precise := converter{decimalMode: "precise"}
	for in, want := range map[string]string{"1.00": "ZA==", "-1.00": "nA==", "0": "AA==", "1.28": "AIA="} {
		if got, _ := precise.decimal(in); got != want {
			t.Errorf("precise %s = %v, want %s", in, got, want)
		}
	}
}

func TestParseMembers(t *testing.T) {
	got, err := parseMembers(`enum('a','it''s','back\\slash','')`)
	if err != nil || !reflect.DeepEqual(got, []string{"a", "it's", `back\slash`, ""}) {
		t.Fatalf("%q %v", got, err)
	}
	if _, err := parseMembers(`enum('open`); err == nil {
		t.Fatal("an unterminated member parsed")
	}
}

// FuzzConvert feeds arbitrary text, as a snapshot query or the binlog
// decoder could deliver it, to every column kind: a value either converts
// or is refused with an error, never a panic, and a converted value is
// JSON-encodable.
func FuzzConvert(f *testing.F) {
	for _, s := range []string{"1", "-0.5", "2024-01-01", "2024-01-01 10:00:00.123456", "-838:59:59.000001", "a,b", `{"x":1}`, "\xff", "0000-00-00"} {
		f.Add(s)
	}
	cols := []*column{}
	for k := kindInt; k <= kindGeometry; k++ {
		cols = append(cols, &column{Name: "c", kind: k, Precision: 6, Values: []string{"a", "b"}})
	}
	cv := converter{decimalMode: "precise", binaryMode: "hex"}
	f.Fuzz(func(t *testing.T, s string) {
		for _, c := range cols {
			for _, raw := range []any{s, []byte(s)} {
				v, err := cv.value(c, raw)
				if err != nil {
					continue
				}
				o := &object{}
				o.add("c", v)
				if _, err := o.MarshalJSON(); err != nil {
					t.Fatalf("kind %v value %q converted to %#v which does not encode: %v", c.kind, s, v, err)
				}
			}
		}
	})
}
