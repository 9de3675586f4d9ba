package extract

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/tributarydata/tributary/transforms/value"
)

func TestObject(t *testing.T) {
	cases := []struct {
		name, input string
		want        []value.Field
		err         string
	}{
		{name: "kinds", input: ` {"s":"x","i":-12,"big":12345678901234567890,"f":1.5,"t":true,"n":null,"o":{ "a" : [1, "}"] },"a":[]} `,
			want: []value.Field{fld("s", value.OfString("x")), fld("i", value.OfInt(-12)), fld("big", value.OfNumber("12345678901234567890")),
				fld("f", value.OfNumber("1.5")), fld("t", value.OfBool(true)), fld("n", null), fld("o", value.OfJSON(`{ "a" : [1, "}"] }`)), fld("a", value.OfJSON(`[]`))}},
		{name: "empty", input: `{}`, want: []value.Field{}},
		{name: "signal", input: signalObject, want: []value.Field{
			fld("createTime", value.OfString("2021-03-01 10:00:00")),
			fld("data", value.OfJSON(signalObject[len(`{"createTime":"2021-03-01 10:00:00","data":`):len(signalObject)-1]))}},
		{name: "escapes", input: `{"caf\u00e9":"\ud83d\ude00\n","a\"b":"\ud800"}`,
			want: []value.Field{fld("café", value.OfString("😀\n")), fld(`a"b`, value.OfString("\uFFFD"))}},
		{name: "duplicates keep the first position", input: `{"a":1,"b":2,"a":"x","c":3,"b":null}`,
			want: []value.Field{fld("a", value.OfString("x")), fld("b", null), fld("c", value.OfInt(3))}},
		{name: "duplicate spelled differently", input: `{"ab":1,"a\u0062":2}`, want: []value.Field{fld("ab", value.OfInt(2))}},
		{name: "strings are not decoded", input: `{"data":"{\"a\":1}"}`, want: []value.Field{fld("data", value.OfString(`{"a":1}`))}},
		{name: "not an object", input: `[1]`, err: "value is a JSON array, not an object"},
		{name: "not JSON", input: `{"a":1,"b":[x]}`, err: "invalid character 'x' at offset 12"},
		{name: "trailing", input: `{"a":1}]`, err: "invalid character ']' after top-level value at offset 7"},
		{name: "unterminated", input: `{"a":1,`, err: "unexpected end of JSON input at offset 7"},
		{name: "too deep", input: `{"a":` + strings.Repeat("[", 100000), err: "nested deeper than 64 levels at offset 68"},
		{name: "leading zero", input: `{"a":00}`, err: "invalid character '0' at offset 6"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var row value.Row
			row.Append("before", value.OfInt(0))
			err := Object([]byte(tc.input), &row, 0)
			_, refErr := refObject([]byte(tc.input), DefaultMaxDepth)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one with %q", err, tc.err)
				}
				if refErr == nil {
					t.Fatal("the reference finds no error")
				}
				if len(row.Fields) != 1 {
					t.Fatalf("the row changed on error: %v", row.Fields)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if refErr != nil {
				t.Fatalf("the reference fails: %v", refErr)
			}
			want := append([]value.Field{fld("before", value.OfInt(0))}, tc.want...)
			if !reflect.DeepEqual(row.Fields, want) {
				t.Fatalf("got  %v\nwant %v", row.Fields, want)
			}
		})
	}
}

// TestObjectManyFields crosses the point where Object indexes the fields
// it has, with duplicates on both sides of it.
func TestObjectManyFields(t *testing.T) {
	var b strings.Builder
	b.WriteString("{")
	for i := 0; i < 40; i++ {
		fmt.Fprintf(&b, `"k%d":%d,`, i, i)
	}
	b.WriteString(`"k3":"three","k20":"twenty","k39":null,"k40":40}`)
	var row value.Row
	if err := Object([]byte(b.String()), &row, 0); err != nil {
		t.Fatal(err)
	}
	if len(row.Fields) != 41 {
		t.Fatalf("%d fields, want 41", len(row.Fields))
	}
	for i, f := range row.Fields {
		want := value.OfInt(int64(i))
		switch i {
		case 3:
			want = value.OfString("three")
		case 20:
			want = value.OfString("twenty")
		case 39:
			want = null
		}
		if f.Name != fmt.Sprintf("k%d", i) || f.Value != want {
			t.Fatalf("field %d is %v, want k%d = %v", i, f, i, want)
		}
	}
}

func TestObjectAllocations(t *testing.T) {
	data := []byte(signalObject)
	var row value.Row
	allocs := testing.AllocsPerRun(1000, func() {
		row.Reset()
		if err := Object(data, &row, 0); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per record, want 0", allocs)
	}
}

func fld(name string, v value.Value) value.Field { return value.Field{Name: name, Value: v} }
