package record

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// stdDecodeObject is DecodeObject as encoding/json alone does it.
func stdDecodeObject(data []byte) (map[string]any, bool) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil || len(bytes.TrimLeft(data[dec.InputOffset():], " \t\r\n")) > 0 {
		return nil, false
	}
	obj, ok := v.(map[string]any)
	return obj, ok
}

// FuzzDecodeObjectMatchesEncodingJSON holds the fast decoder to
// encoding/json: the same objects, the same refusals.
func FuzzDecodeObjectMatchesEncodingJSON(f *testing.F) {
	for _, s := range []string{
		`{"a":1,"b":[1.50,"x",null,true],"c":{"d":"\u00e9\ud83c\udf93"}}`,
		`{"a":1} {"b":2}`, `{"id":1} }`, `{"id":1}]`, `{"a":"\xff"}`, `{"a":1,}`, `[1]`, ` {"a" : -0.0e+10 } `,
		`{"a":"\ud800"}`, `{"a":1,"a":2}`, `{"n":18446744073709551616}`, "{\"a\":\"\x00\"}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		want, wantOK := stdDecodeObject(data)
		got, err := DecodeObject(data)
		if (err == nil) != wantOK {
			t.Fatalf("DecodeObject(%q) error %v, encoding/json ok=%v", data, err, wantOK)
		}
		if wantOK && !reflect.DeepEqual(got, want) {
			t.Fatalf("DecodeObject(%q) = %#v, encoding/json %#v", data, got, want)
		}
	})
}

func BenchmarkDecodeObject(b *testing.B) {
	doc := []byte(`{"op":"u","before":{"id":123456},"after":{"id":123456,"user_id":987,"status":3,"amount":"1234.56","note":"some note text here","created_at":"2024-05-01 10:00:00.123","updated_at":1714557600123,"flag":true},"source":{"db":"school","table":"orders"},"ts_ms":1714557600999}`)
	b.ReportAllocs()
	for range b.N {
		if _, err := DecodeObject(doc); err != nil {
			b.Fatal(err)
		}
	}
}

func TestDecodeObjectRefusesTrailingData(t *testing.T) {
	for _, in := range []string{`{"id":1} }`, `{"id":1}]`, `{"id":1} {}`, `{"id":1} x`} {
		if _, err := DecodeObject([]byte(in)); err == nil {
			t.Errorf("DecodeObject(%q) accepted trailing data", in)
		}
	}
	if _, err := DecodeObject([]byte("{\"id\":1} \n\t")); err != nil {
		t.Errorf("trailing whitespace refused: %v", err)
	}
}
