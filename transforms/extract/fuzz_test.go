package extract

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/tributarydata/tributary/transforms/value"
)

// fuzzSeeds are record shapes the fuzz targets start from: the signal
// message with nested objects and with JSON-encoded strings at each level,
// and the corner cases of the table tests.
func fuzzSeeds() []string {
	seeds := []string{
		signalObject,
		signalNumbers,
		encodeLevels(signalObject, "data"),
		encodeLevels(signalObject, "data.msg"),
		encodeLevels(signalObject, "data.msg.msg_data"),
		encodeLevels(signalObject, "data", "data.msg", "data.msg.msg_data"),
		`{"data":null,"createTime":""}`,
		`{"data":"","x":[1,2,{"a":"b"}]}`,
		`{"data":{"userid":1,"userid":"2"},"data":{"roomid":3}}`,
		`{"data":"{\"userid\":\"1\u00e9\ud83d\ude00\ud800\"}"}`,
		`{"items":[{"name":"a"},{"name":"b"}],"data":"[1,2]"}`,
		`{"a":-0,"b":1e400,"c":12345678901234567890,"d":-9223372036854775808,"e":1.50}`,
		`{"user\u0069d":"x","a.b":{"c d":1}}`,
		`{"data":"\"{\\\"userid\\\":7}\""}`,
		`[1,2]`,
		`{"a":01}`,
	}
	return seeds
}

// fuzzPaths are the paths the fuzz targets start from, one a line.
var fuzzPaths = strings.Join(signalPaths, "\n") + "\n[0]\nitems[1].name\ndata\ndata.msg\n['a.b']['c d']\na\nb\nc\nuserid"

// fuzzSpecs makes specs of the lines of paths that parse, typed by the
// 3-bit groups of types.
func fuzzSpecs(paths string, types uint64) []Spec {
	var specs []Spec
	for i, line := range strings.Split(paths, "\n") {
		if len(specs) == 24 {
			break
		}
		p, err := ParsePath(line)
		if err != nil {
			continue
		}
		t := value.Type(types>>(3*(i%21))) & 7
		if t > value.TypeBoolean {
			t = value.TypeAuto
		}
		specs = append(specs, Spec{Name: "f" + string(rune('a'+len(specs))), Path: p, Type: t})
	}
	return specs
}

func FuzzExtract(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add([]byte(s), fuzzPaths, uint64(0))
		f.Add([]byte(s), fuzzPaths, uint64(0x249249249249249)) // all long
		f.Add([]byte(s), fuzzPaths, uint64(0x492492492492492)) // all double
	}
	f.Fuzz(func(t *testing.T, data []byte, paths string, types uint64) {
		specs := fuzzSpecs(paths, types)
		if len(specs) == 0 {
			return
		}
		e, err := Compile(specs, Options{})
		if err != nil {
			t.Fatalf("Compile: %v", err)
		}
		// A row from an earlier record must survive the next records: what
		// it holds of decoded text is never rewritten.
		earlier := []byte(encodeLevels(signalObject, "data", "data.msg", "data.msg.msg_data"))
		var first value.Row
		if err := e.Extract(earlier, &first); err != nil {
			first.Reset()
		}
		firstWant := append([]value.Field(nil), first.Fields...)
		for i := range firstWant {
			firstWant[i].Value = deepCopy(firstWant[i].Value)
		}

		input := append([]byte(nil), data...)
		var row value.Row
		row.Append("before", value.OfInt(1))
		gotErr := e.Extract(input, &row)
		want, wantErr := refExtract(data, specs, DefaultMaxDepth)
		switch {
		case !json.Valid(data) && gotErr == nil:
			t.Fatalf("Extract accepted input that is not JSON: %q", data)
		case (gotErr == nil) != (wantErr == nil):
			t.Fatalf("Extract error %v, reference error %v\ninput %q\npaths %q", gotErr, wantErr, data, paths)
		case gotErr != nil:
			if len(row.Fields) != 1 {
				t.Fatalf("the row changed on error: %v", row.Fields)
			}
		default:
			if !reflect.DeepEqual(row.Fields[1:], want) {
				t.Fatalf("Extract gave\n%v\nreference gives\n%v\ninput %q\npaths %q", row.Fields[1:], want, data, paths)
			}
		}
		// Once more, reusing the extractor's buffers: the same result.
		var again value.Row
		againErr := e.Extract(input, &again)
		if (againErr == nil) != (gotErr == nil) || (gotErr == nil && !reflect.DeepEqual(again.Fields, row.Fields[1:])) {
			t.Fatalf("a second Extract of the same input differs: %v, %v", again.Fields, againErr)
		}
		if !reflect.DeepEqual(first.Fields, firstWant) {
			t.Fatalf("an earlier row changed:\n%v\nwas\n%v", first.Fields, firstWant)
		}
	})
}

func FuzzObject(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add([]byte(s))
	}
	f.Add([]byte(`{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"j":10,"k":11,"l":12,"m":13,"n":14,"o":15,"p":16,"q":17,"r":18,"a":"again","q":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var row value.Row
		row.Append("before", value.OfInt(1))
		gotErr := Object(data, &row, 0)
		want, wantErr := refObject(data, DefaultMaxDepth)
		switch {
		case !json.Valid(data) && gotErr == nil:
			t.Fatalf("Object accepted input that is not JSON: %q", data)
		case (gotErr == nil) != (wantErr == nil):
			t.Fatalf("Object error %v, reference error %v\ninput %q", gotErr, wantErr, data)
		case gotErr != nil:
			if len(row.Fields) != 1 {
				t.Fatalf("the row changed on error: %v", row.Fields)
			}
		default:
			if len(want) == 0 {
				want = []value.Field{}
			}
			if !reflect.DeepEqual(row.Fields[1:], want) {
				t.Fatalf("Object gave\n%v\nreference gives\n%v\ninput %q", row.Fields[1:], want, data)
			}
		}
	})
}

// FuzzParsePath holds ParsePath and Path.String to each other: what parses
// prints in a form that parses back to the same path.
func FuzzParsePath(f *testing.F) {
	for _, p := range []string{"data.msg.msg_data.target_id", "$.a[0]['b.c'][\"d\\\"e\"]", "$oid", "$['$']", "a b", "[01]"} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePath(s)
		if err != nil {
			return
		}
		canon := p.String()
		q, err := ParsePath(canon)
		if err != nil {
			t.Fatalf("ParsePath(%q) = %q, which does not parse: %v", s, canon, err)
		}
		if !reflect.DeepEqual(p, q) {
			t.Fatalf("ParsePath(%q) = %#v, printed %q, read back %#v", s, p, canon, q)
		}
	})
}

// deepCopy gives v with its text copied, so a later change to the memory v
// points into shows.
func deepCopy(v value.Value) value.Value {
	switch v.Kind() {
	case value.String:
		s, _ := v.Str()
		return value.OfString(strings.Clone(s))
	case value.Number:
		s, _ := v.Raw()
		return value.OfNumber(strings.Clone(s))
	case value.JSON:
		s, _ := v.Raw()
		return value.OfJSON(strings.Clone(s))
	}
	return v
}
