package extract

import (
	"reflect"
	"strings"
	"testing"
	"unsafe"

	"github.com/tributarydata/tributary/transforms/value"
)

// escapedSeeds are JSON-encoded strings in and out of the form
// throughEscapes reads in place.
func escapedSeeds() []string {
	return []string{
		encodeLevels(signalNumbers, "data"),
		encodeLevels(signalNumbers, "data", "data.msg"),
		encodeLevels(signalObject, "data.msg", "data.msg.msg_data"),
		`{"data":"{ \"userid\" : 1 , \"msg\" : \"{ \\\"msgtype\\\" : [ 1 , { } , [ ] ] }\" }"}`,
		`{"data":"{\"userid\":\"a\\\"b\\\\c\\n\\u00e9\\/\",\"roomid\":\"\\ud83d\\ude00\"}"}`,
		`{"data":"{\n\"userid\":1}"}`,
		`{"data":"{\"userid\":1}\n"}`,
		`{"data":"{\u0022userid\u0022:1}"}`,
		`{"data":"{\"user\\u0069d\":1,\"us\\\"erid\":2}"}`,
		`{"data":"{\"userid\":\"é😀\",\"roomid\":\"` + "\xff" + `\"}"}`,
		`{"data":"{\"userid\":1,\"userid\":\"x\"}","data":"{\"roomid\":2}"}`,
		`{"data":"{\"msg\":\"\",\"userid\":\"   \"}"}`,
		`{"data":"   "}`,
		`{"data":"\"{\\\"userid\\\":7}\""}`,
		`{"data":"5"}`,
		`{"data":"hello"}`,
		`{"data":"{\"userid\":1}}"}`,
		`{"data":"{\"userid\":1"}`,
		`{"data":"{\"userid\":01}"}`,
		`{"data":"{\"userid\":tru}"}`,
		`{"data":"{\"x\":[[[[{\"a\":[null,true,false,-1.5e3,\"s\"]}]]]],\"userid\":\"1\"}"}`,
		`{"data":"{\"userid\":{\"a\":1}}"}`,
		`{"data":"[{\"name\":\"a\"}]","items":"[{\"name\":\"a\"},{\"name\":\"b\\\"\"}]"}`,
		`{"data":"{\"msg\":\"{\\\"msg_data\\\":\\\"{\\\\\\\"action\\\\\\\":\\\\\\\"move\\\\\\\"}\\\"}\"}"}`,
		`{"data":"{\"msg\":\"{\\\"msgtype\\\":\\\"1\\\\\\\\\\\"}\"}"}`,
		`{"data":"{\"userid\":\"abc\"}"}`,
		`{"data":"{\"a\":` + strings.Repeat(`[`, 70) + strings.Repeat(`]`, 70) + `,\"userid\":1}"}`,
		`{"data":"{\"a\":` + strings.Repeat(`{\"b\":`, 70) + `1` + strings.Repeat(`}`, 70) + `}"}`,
	}
}

// FuzzThroughEscapes holds Extract that reads JSON-encoded strings in place
// where it can to Extract that always decodes them: the same fields, or
// the same error, word for word.
func FuzzThroughEscapes(f *testing.F) {
	// fuzzPaths takes data and data.msg whole, which is never read in
	// place; these paths only look into them.
	inside := strings.Join(signalPaths, "\n") + "\nitems[1].name\ndata[0].name\ndata.x[0][0]\ndata.a.b.b"
	for _, s := range append(fuzzSeeds(), escapedSeeds()...) {
		for _, paths := range []string{inside, fuzzPaths} {
			f.Add([]byte(s), paths, uint64(0))
			f.Add([]byte(s), paths, uint64(0x249249249249249)) // all long
			f.Add([]byte(s), paths, uint64(0x124924924924924)) // all string
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, paths string, types uint64) {
		specs := fuzzSpecs(paths, types)
		if len(specs) == 0 {
			return
		}
		// A small depth limit, so that the fuzzer reaches it.
		opts := Options{MaxDepth: 8}
		inPlace, err := Compile(specs, opts)
		if err != nil {
			t.Fatalf("Compile: %v", err)
		}
		decoding, _ := Compile(specs, opts)
		decoding.decodeAlways = true
		for range 2 { // twice: the second time on the Extractors' reused buffers
			var got, want value.Row
			gotErr := inPlace.Extract(data, &got)
			wantErr := decoding.Extract(data, &want)
			if errText(gotErr) != errText(wantErr) {
				t.Fatalf("in place: error %v\ndecoded: error %v\ninput %q\npaths %q", gotErr, wantErr, data, paths)
			}
			if !reflect.DeepEqual(got.Fields, want.Fields) {
				t.Fatalf("in place:\n%v\ndecoded:\n%v\ninput %q\npaths %q", got.Fields, want.Fields, data, paths)
			}
		}
	})
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// TestThroughEscapesPointsIntoTheInput checks that values read in place
// are not copied: the point of reading them there.
func TestThroughEscapesPointsIntoTheInput(t *testing.T) {
	data := []byte(encodeLevels(signalObject, "data", "data.msg"))
	e, err := Compile(signalSpecs(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var row value.Row
	if err := e.Extract(data, &row); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(row.Fields, signalWant) {
		t.Fatalf("got %v, want %v", row.Fields, signalWant)
	}
	target, _ := row.Fields[8].Value.Str()
	i := strings.Index(string(data), `\\\"template\\\"`) + len(`\\\"`)
	if &data[i] != unsafe.StringData(target) {
		t.Errorf("targetType %q does not point into the input", target)
	}
}
