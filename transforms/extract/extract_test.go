package extract

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/tributarydata/tributary/transforms/value"
)

func TestExtractSignalForms(t *testing.T) {
	e, err := Compile(signalSpecs(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	forms := map[string]string{
		"objects":              signalObject,
		"numbers":              signalNumbers,
		"data encoded":         encodeLevels(signalObject, "data"),
		"msg encoded":          encodeLevels(signalObject, "data.msg"),
		"msg_data encoded":     encodeLevels(signalObject, "data.msg.msg_data"),
		"data and msg_data":    encodeLevels(signalObject, "data", "data.msg.msg_data"),
		"every level encoded":  encodeLevels(signalObject, "data", "data.msg", "data.msg.msg_data"),
		"numbers, every level": encodeLevels(signalNumbers, "data", "data.msg", "data.msg.msg_data"),
		"indented": "\n {\n\t\"createTime\" : \"2021-03-01 10:00:00\" ,\r\n \"data\" : " +
			`{"userid" : 1001 , "roomid":"2002" ,"timestamp":1614564000123,"role":2,"msgid":305,` + "\n" +
			`"msg" : " { \"msgtype\" : 116 , \"msg_data\" : {\"target_id\":\"match\",\"target_type\":\"template\",\"action\":\"match\",\"sub_action\":\"drop:wrong\",\"page_index\":3} } " }` +
			"\n}\n",
		"data encoded by itself": `{"createTime":"2021-03-01 10:00:00","data":"{\"userid\":1001,\"roomid\":\"2002\",\"timestamp\":1614564000123,\"role\":2,\"msgid\":\"305\",\"msg\":{\"msgtype\":116,\"msg_data\":\"{\\\"target_id\\\":\\\"match\\\",\\\"target_type\\\":\\\"template\\\",\\\"action\\\":\\\"match\\\",\\\"sub_action\\\":\\\"drop:wrong\\\",\\\"page_index\\\":3}\"}}"}`,
	}
	for name, form := range forms {
		t.Run(name, func(t *testing.T) {
			var row value.Row
			if err := e.Extract([]byte(form), &row); err != nil {
				t.Fatalf("%v\ninput %s", err, form)
			}
			if !reflect.DeepEqual(row.Fields, signalWant) {
				t.Fatalf("got  %v\nwant %v\ninput %s", row.Fields, signalWant, form)
			}
		})
	}
}

type extractCase struct {
	name  string
	input string
	paths []string // path or path:type
	want  []value.Value
	err   string // a part of the error, when there must be one
}

var null = value.Value{}

var extractCases = []extractCase{
	// Absent and crossed.
	{name: "missing", input: `{"createTime":"x"}`, paths: []string{"data.userid", "data.msg.msg_data.action", "createTime"},
		want: []value.Value{null, null, value.OfString("x")}},
	{name: "null in the middle", input: `{"data":null,"b":{"msg":null}}`, paths: []string{"data.userid", "b.msg.x", "b.msg"},
		want: []value.Value{null, null, null}},
	{name: "scalars in the middle", input: `{"a":5,"b":true,"c":"123","d":"null","e":"[1]","f":-1.5}`, paths: []string{"a.x", "b.x", "c.x", "d.x", "e.x", "f.x"},
		want: []value.Value{null, null, null, null, null, null}},
	{name: "blank strings are absent", input: `{"a":"","b":" \t\n","c":"\t"}`, paths: []string{"a.x", "b.x", "c.x[0]", "a"},
		want: []value.Value{null, null, null, value.OfString("")}},
	{name: "index of the root object", input: `{"0":1}`, paths: []string{"[0]", "$[0].a"}, want: []value.Value{null, null}},
	{name: "wrong container", input: `{"a":[1,2],"b":{"0":"zero"}}`, paths: []string{"a.x", "b[0]", "b['0']"},
		want: []value.Value{null, null, value.OfString("zero")}},

	// Arrays.
	{name: "arrays", input: `{"items":[{"name":"a"},{"name":"b","tags":[[1,2],[3]]}],"n":[]}`,
		paths: []string{"items[1].name", "items[0].name", "items[2].name", "items[1].tags[0][1]", "items[1].tags[1]", "n[0]", "items[0]"},
		want:  []value.Value{value.OfString("b"), value.OfString("a"), null, value.OfInt(2), value.OfJSON(`[3]`), null, value.OfJSON(`{"name":"a"}`)}},
	{name: "encoded array", input: `{"items":"[{\"name\":\"a\"}, {\"name\":\"b\"}]"}`, paths: []string{"items[1].name", "items[0]"},
		want: []value.Value{value.OfString("b"), value.OfJSON(`{"name":"a"}`)}},
	{name: "index 0 of a top array element that is a string holding an object", input: `{"a":["{\"b\":1}"]}`, paths: []string{"a[0].b"},
		want: []value.Value{value.OfInt(1)}},

	// Leaves of every kind.
	{name: "kinds", input: `{"s":"x","i":-12,"t":true,"f":false,"n":null,"o":{ "a" : [1, 2] },"a":[ ],"e":{}}`,
		paths: []string{"s", "i", "t", "f", "n", "o", "a", "e"},
		want: []value.Value{value.OfString("x"), value.OfInt(-12), value.OfBool(true), value.OfBool(false), null,
			value.OfJSON(`{ "a" : [1, 2] }`), value.OfJSON(`[ ]`), value.OfJSON(`{}`)}},
	{name: "a string both taken and looked into", input: `{"data":"{\"userid\": 7}"}`, paths: []string{"data", "data.userid"},
		want: []value.Value{value.OfString(`{"userid": 7}`), value.OfInt(7)}},
	{name: "an encoded string holding an encoded string", input: `{"data":"\"{\\\"userid\\\":7}\""}`, paths: []string{"data.userid"},
		want: []value.Value{value.OfInt(7)}},
	{name: "an object in an encoded string, as JSON text", input: `{"data":"{\"msg\":{\"a\": 1}}"}`, paths: []string{"data.msg"},
		want: []value.Value{value.OfJSON(`{"a": 1}`)}},
	{name: "same path twice", input: `{"a":"12"}`, paths: []string{"a", "a:long", "a:double"},
		want: []value.Value{value.OfString("12"), value.OfInt(12), value.OfFloat(12)}},

	// Numbers.
	{name: "numbers", input: `{"a":-0,"b":1e400,"c":12345678901234567890,"d":-9223372036854775808,"e":9223372036854775807,"f":9223372036854775808,"g":1.50,"h":0,"i":-0.0,"j":1E+2}`,
		paths: []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"},
		want: []value.Value{value.OfInt(0), value.OfNumber("1e400"), value.OfNumber("12345678901234567890"), value.OfInt(-9223372036854775808),
			value.OfInt(9223372036854775807), value.OfNumber("9223372036854775808"), value.OfNumber("1.50"), value.OfInt(0), value.OfNumber("-0.0"), value.OfNumber("1E+2")}},
	{name: "numbers converted", input: `{"a":"1.00","b":1e2,"c":"7","d":3,"e":""}`, paths: []string{"a:long", "b:long", "c:double", "d:string", "e:long"},
		want: []value.Value{value.OfInt(1), value.OfInt(100), value.OfFloat(7), value.OfString("3"), null}},
	{name: "leading zero", input: `{"a":01}`, paths: []string{"a"}, err: "invalid character '1' at offset 6"},
	{name: "leading zero skipped", input: `{"b":-01,"a":1}`, paths: []string{"a"}, err: "invalid character '1' at offset 7"},
	{name: "bare minus", input: `{"a":-}`, paths: []string{"a"}, err: "invalid character '}' at offset 6"},
	{name: "no fraction digits", input: `{"a":1.}`, paths: []string{"a"}, err: "invalid character '}'"},
	{name: "no exponent digits", input: `{"b":1e+,"a":1}`, paths: []string{"a"}, err: "invalid character ','"},
	{name: "plus sign", input: `{"a":+1}`, paths: []string{"a"}, err: "invalid character '+'"},
	{name: "fraction without integer", input: `{"a":.5}`, paths: []string{"a"}, err: "invalid character '.'"},
	{name: "too big for a long", input: `{"a":12345678901234567890}`, paths: []string{"a:long"}, err: "f0 (a): number 12345678901234567890 is not a long"},
	{name: "too big for a double", input: `{"a":1e400}`, paths: []string{"a:double"}, err: "f0 (a): number 1e400 is not a double"},

	// Whole numbers wanted as longs, which are read in the same pass: the
	// same as converting what was read.
	{name: "longs from strings", input: `{"a":"-0","b":"007","c":"123456789012345678","d":"1234567890123456789","e":"-","f":"1e3","g":" 1","h":"1\u0030"}`,
		paths: []string{"a:long", "b:long", "c:long", "d:long", "e:long", "f:long", "g:long", "h:long"},
		err:   `f4 (e): "-" is not a long`},
	{name: "longs from strings that are", input: `{"a":"-0","b":"007","c":"123456789012345678","d":"1234567890123456789","f":"1e3","g":" 1","h":"1\u0030","i":""}`,
		paths: []string{"a:long", "b:long", "c:long", "d:long", "f:long", "g:long", "h:long", "i:long", "b"},
		want: []value.Value{value.OfInt(0), value.OfInt(7), value.OfInt(123456789012345678), value.OfInt(1234567890123456789), value.OfInt(1000),
			value.OfInt(1), value.OfInt(10), null, value.OfString("007")}},
	{name: "longs from numbers", input: `{"a":-0,"b":0,"c":123456789012345678,"d":1234567890123456789,"e":-9223372036854775808,"f":1e3,"g":2.0}`,
		paths: []string{"a:long", "b:long", "c:long", "d:long", "e:long", "f:long", "g:long"},
		want: []value.Value{value.OfInt(0), value.OfInt(0), value.OfInt(123456789012345678), value.OfInt(1234567890123456789),
			value.OfInt(-9223372036854775808), value.OfInt(1000), value.OfInt(2)}},
	{name: "long with a leading zero", input: `{"a":01}`, paths: []string{"a:long"}, err: "invalid character '1' at offset 6"},
	{name: "long with a leading zero after a minus", input: `{"a":-01}`, paths: []string{"a:long"}, err: "invalid character '1' at offset 7"},
	{name: "long with garbage after it", input: `{"a":12x}`, paths: []string{"a:long"}, err: "invalid character 'x' at offset 7"},
	{name: "longs in encoded strings", input: `{"data":"{\"a\":\"-12\",\"b\":34,\"c\":\"5\\\"\",\"msg\":\"{\\\"d\\\":\\\"6\\\",\\\"e\\\":7}\"}"}`,
		paths: []string{"data.a:long", "data.b:long", "data.c", "data.msg.d:long", "data.msg.e:long"},
		want:  []value.Value{value.OfInt(-12), value.OfInt(34), value.OfString(`5"`), value.OfInt(6), value.OfInt(7)}},

	// Strings: escapes, unicode, invalid UTF-8.
	{name: "escapes", input: `{"a":"q\"b\\s\/n\nt\tr\rb\bf\f","b":"caf\u00e9 \u00E9","c":"\ud83d\ude00 😀","d":"é"}`, paths: []string{"a", "b", "c", "d"},
		want: []value.Value{value.OfString("q\"b\\s/n\nt\tr\rb\bf\f"), value.OfString("café é"), value.OfString("😀 😀"), value.OfString("é")}},
	{name: "invalid surrogates", input: `{"a":"\ud800","b":"\ud800\u0041","c":"\udc00x","d":"\ud83d\ud83d\ude00","e":"\ud800\\"}`, paths: []string{"a", "b", "c", "d", "e"},
		want: []value.Value{value.OfString("\uFFFD"), value.OfString("\uFFFDA"), value.OfString("\uFFFDx"), value.OfString("\uFFFD😀"), value.OfString("\uFFFD\\")}},
	{name: "invalid UTF-8", input: "{\"a\":\"x\xffy\",\"b\":\"\xe9t\xc3\xa9\"}", paths: []string{"a", "b"},
		want: []value.Value{value.OfString("x\uFFFDy"), value.OfString("\uFFFDté")}},
	{name: "escapes inside an encoded string", input: `{"data":"{\"s\":\"a\\\"b\\u00e9\\ud83d\\ude00\"}"}`, paths: []string{"data.s"},
		want: []value.Value{value.OfString("a\"bé😀")}},
	{name: "escapes in the encoded string itself", input: `{"data":"{\n\"s\":\"\ud83d\ude00\u00e9\ud800x\ud83d\",\t\"t\":\"\/\"\r}"}`, paths: []string{"data.s", "data.t"},
		want: []value.Value{value.OfString("😀é\uFFFDx\uFFFD"), value.OfString("/")}},
	{name: "invalid UTF-8 in the encoded string itself", input: "{\"data\":\"{\\\"s\\\":\\\"\xff\xc3\\\"}\"}", paths: []string{"data.s"},
		want: []value.Value{value.OfString("\uFFFD\uFFFD")}},
	{name: "long invalid UTF-8 in the encoded string itself", input: `{"data":"{\"s\":\"` + strings.Repeat("\xff", 40) + `abcdefghijklmnopqrstuvwxyz\\n\",\"t\":\"` + strings.Repeat("é😀", 9) + `\"}"}`,
		paths: []string{"data.s", "data.t"},
		want:  []value.Value{value.OfString(strings.Repeat("\uFFFD", 40) + "abcdefghijklmnopqrstuvwxyz\n"), value.OfString(strings.Repeat("é😀", 9))}},
	{name: "control character", input: "{\"a\":\"x\ny\"}", paths: []string{"a"}, err: `invalid character '\n' in string at offset 7`},
	{name: "control character skipped", input: "{\"b\":\"\x01\",\"a\":1}", paths: []string{"a"}, err: `invalid character '\x01' in string at offset 6`},
	{name: "bad escape", input: `{"a":"\q"}`, paths: []string{"a"}, err: `invalid escape 'q' in string at offset 7`},
	{name: "bad unicode escape", input: `{"b":"\u12G4","a":1}`, paths: []string{"a"}, err: `invalid character 'G' in \u escape at offset 10`},
	{name: "unterminated string", input: `{"a":"abc`, paths: []string{"a"}, err: "unexpected end of JSON input at offset 9"},

	// Keys.
	{name: "keys with escapes", input: `{"user\u0069d":1,"a.b":2,"a\"b":3,"caf\u00e9":4,"":5,"x y":6,"\ud83d\ude00":7}`,
		paths: []string{"userid", "['a.b']", `["a\"b"]`, "café", "['']", "['x y']", "😀"},
		want:  []value.Value{value.OfInt(1), value.OfInt(2), value.OfInt(3), value.OfInt(4), value.OfInt(5), value.OfInt(6), value.OfInt(7)}},
	{name: "key with invalid UTF-8 reads as U+FFFD", input: "{\"k\xff\":1}", paths: []string{"k\uFFFD"}, want: []value.Value{value.OfInt(1)}},
	{name: "key prefix is not the key", input: `{"user":1,"userid2":2}`, paths: []string{"userid"}, want: []value.Value{null}},

	// Duplicate keys.
	{name: "duplicate scalar", input: `{"a":1,"a":2}`, paths: []string{"a"}, want: []value.Value{value.OfInt(2)}},
	{name: "duplicate object replaces whole", input: `{"data":{"x":1,"y":2},"data":{"x":3}}`, paths: []string{"data.x", "data.y"},
		want: []value.Value{value.OfInt(3), null}},
	{name: "duplicate replaced by null", input: `{"data":{"x":1},"data":null}`, paths: []string{"data.x", "data"}, want: []value.Value{null, null}},
	{name: "duplicate replaces a bad value", input: `{"a":"abc","a":5}`, paths: []string{"a:long"}, want: []value.Value{value.OfInt(5)}},
	{name: "duplicate replaces a string that is not JSON", input: `{"data":"nope","data":{"x":1}}`, paths: []string{"data.x"}, want: []value.Value{value.OfInt(1)}},
	{name: "duplicate that is not JSON", input: `{"data":{"x":1},"data":"nope"}`, paths: []string{"data.x"}, err: "f0 (data.x): the JSON-encoded string at data: invalid character 'o' at offset 1"},
	{name: "duplicate inside an encoded string", input: `{"data":"{\"x\":1,\"x\":\"2\"}"}`, paths: []string{"data.x"}, want: []value.Value{value.OfString("2")}},

	// Strings that are not JSON.
	{name: "string not JSON", input: `{"data":"userid=1"}`, paths: []string{"createTime", "data.userid"}, err: "f1 (data.userid): the JSON-encoded string at data: invalid character 'u' at offset 0"},
	{name: "string with trailing data", input: `{"data":"{} x"}`, paths: []string{"data.userid"}, err: "the JSON-encoded string at data: invalid character 'x' after top-level value at offset 3"},
	{name: "string not JSON, not looked into", input: `{"data":"userid=1","a":1}`, paths: []string{"a", "data"}, want: []value.Value{value.OfInt(1), value.OfString("userid=1")}},
	{name: "nested string not JSON", input: `{"data":"{\"msg\":\"{oops\"}"}`, paths: []string{"data.msg.x"}, err: "the JSON-encoded string at data.msg: invalid character 'o' at offset 1"},
	{name: "the first field in order reports", input: `{"a":"x","b":"y"}`, paths: []string{"b:long", "a:long"}, err: `f0 (b): "y" is not a long`},

	// Syntax anywhere.
	{name: "bad character", input: `{"a":1,"b":[1, x]}`, paths: []string{"a"}, err: "invalid character 'x' at offset 15"},
	{name: "bad literal", input: `{"b":tru,"a":1}`, paths: []string{"a"}, err: "invalid character ',' at offset 8"},
	{name: "trailing comma", input: `{"a":1,}`, paths: []string{"a"}, err: "invalid character '}' at offset 7"},
	{name: "trailing comma in array", input: `{"b":[1,],"a":1}`, paths: []string{"a"}, err: "invalid character ']' at offset 8"},
	{name: "missing colon", input: `{"a" 1}`, paths: []string{"a"}, err: "invalid character '1' at offset 5"},
	{name: "key not a string", input: `{"b":{a:1},"a":1}`, paths: []string{"a"}, err: "invalid character 'a' at offset 6"},
	{name: "single quotes", input: `{'a':1}`, paths: []string{"a"}, err: `invalid character '\'' at offset 1`},
	{name: "trailing data", input: `{"a":1} x`, paths: []string{"a"}, err: "invalid character 'x' after top-level value at offset 8"},
	{name: "two objects", input: `{"a":1}{"a":2}`, paths: []string{"a"}, err: "after top-level value at offset 7"},
	{name: "empty", input: ``, paths: []string{"a"}, err: "unexpected end of JSON input at offset 0"},
	{name: "blank", input: " \n", paths: []string{"a"}, err: "unexpected end of JSON input at offset 2"},
	{name: "unterminated object", input: `{"a":1`, paths: []string{"a"}, err: "unexpected end of JSON input at offset 6"},
	{name: "unterminated skipped array", input: `{"a":1,"b":[[1]`, paths: []string{"a"}, err: "unexpected end of JSON input at offset 15"},
	{name: "array", input: `[{"a":1}]`, paths: []string{"a"}, err: "value is a JSON array, not an object"},
	{name: "string", input: ` "{}" `, paths: []string{"a"}, err: "value is a JSON string, not an object"},
	{name: "number", input: `12`, paths: []string{"a"}, err: "value is a JSON number, not an object"},
	{name: "null", input: `null`, paths: []string{"a"}, err: "value is a JSON null, not an object"},
	{name: "broken array", input: `[1,`, paths: []string{"a"}, err: "unexpected end of JSON input"},
	{name: "byte order mark", input: "\ufeff{}", paths: []string{"a"}, err: `invalid character 'ï' at offset 0`},
	{name: "conversion error names field and path", input: `{"data":{"userid":"abc"}}`, paths: []string{"data.userid:long"}, err: `f0 (data.userid): "abc" is not a long`},
	{name: "conversion error inside an encoded string", input: `{"data":"{\"userid\":\"abc\"}"}`, paths: []string{"data.userid:long"}, err: `f0 (data.userid): "abc" is not a long`},
}

func parseTestSpecs(t *testing.T, paths []string) []Spec {
	specs := make([]Spec, len(paths))
	for i, p := range paths {
		typ := value.TypeAuto
		if j := strings.LastIndex(p, ":"); j >= 0 && !strings.ContainsAny(p[j:], "]'\"") {
			var err error
			if typ, err = value.ParseType(p[j+1:]); err != nil {
				t.Fatal(err)
			}
			p = p[:j]
		}
		specs[i] = Spec{Name: "f" + string(rune('0'+i)), Path: mustPath(t, p), Type: typ}
	}
	return specs
}

func TestExtract(t *testing.T) {
	for _, tc := range extractCases {
		t.Run(tc.name, func(t *testing.T) {
			specs := parseTestSpecs(t, tc.paths)
			e, err := Compile(specs, Options{})
			if err != nil {
				t.Fatal(err)
			}
			var row value.Row
			row.Append("before", value.OfString("kept"))
			err = e.Extract([]byte(tc.input), &row)
			_, refErr := refExtract([]byte(tc.input), specs, DefaultMaxDepth)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one with %q", err, tc.err)
				}
				if len(row.Fields) != 1 {
					t.Fatalf("the row changed on error: %v", row.Fields)
				}
				if refErr == nil {
					t.Fatalf("the reference finds no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if refErr != nil {
				t.Fatalf("the reference fails: %v", refErr)
			}
			want := []value.Field{{Name: "before", Value: value.OfString("kept")}}
			for i, v := range tc.want {
				want = append(want, value.Field{Name: specs[i].Name, Value: v})
			}
			if !reflect.DeepEqual(row.Fields, want) {
				t.Fatalf("got  %v\nwant %v", row.Fields, want)
			}
		})
	}
}

func TestExtractSyntaxErrorType(t *testing.T) {
	e, err := Compile(parseTestSpecs(t, []string{"a"}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = e.Extract([]byte(`{"a":1,"bc":[true, x]}`), &value.Row{})
	var se *SyntaxError
	if !errors.As(err, &se) || se.Offset != 19 {
		t.Fatalf("error %v, want a *SyntaxError at offset 19", err)
	}
	e, err = Compile(parseTestSpecs(t, []string{"a:long"}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = e.Extract([]byte(`{"a":"x"}`), &value.Row{})
	var ce *value.ConvertError
	if !errors.As(err, &ce) || ce.Type != value.TypeLong {
		t.Fatalf("error %v, want a *value.ConvertError", err)
	}
}

func TestExtractDepth(t *testing.T) {
	e, err := Compile(parseTestSpecs(t, []string{"a", "data.x"}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	nest := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	cases := []struct {
		name, input string
		err         string
	}{
		{"64 levels", `{"a":` + nest(63) + `}`, ""},
		{"65 levels", `{"a":` + nest(64) + `}`, "nested deeper than 64 levels at offset 68"},
		{"65 levels skipped", `{"b":` + nest(64) + `,"a":1}`, "nested deeper than 64 levels"},
		{"objects", `{"a":` + strings.Repeat(`{"a":`, 64) + `1` + strings.Repeat(`}`, 65), "nested deeper than 64 levels"},
		{"100k brackets", strings.Repeat("[", 100000), "nested deeper than 64 levels at offset 64"},
		{"100k brackets in an object", `{"a":` + strings.Repeat("[", 100000), "nested deeper than 64 levels"},
		{"100k braces", `{"a":` + strings.Repeat(`{"a":`, 100000), "nested deeper than 64 levels"},
		{"encoded string at the limit", `{"data":"` + nest(63) + `"}`, ""},
		{"encoded string over the limit", `{"data":"` + nest(64) + `"}`, "f1 (data.x): the JSON-encoded string at data: nested deeper than 64 levels at offset 63"},
		{"encoded string skipped is not read", `{"a":"` + nest(100) + `"}`, ""},
		{"100k brackets in an encoded string", `{"data":"` + strings.Repeat("[", 100000) + `"}`, "nested deeper than 64 levels"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var row value.Row
			err := e.Extract([]byte(tc.input), &row)
			if tc.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("error %v, want one with %q", err, tc.err)
			}
		})
	}

	// A larger limit lets deeper input through, and deep input still
	// costs no stack.
	deep, err := Compile(parseTestSpecs(t, []string{"a"}), Options{MaxDepth: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	var row value.Row
	input := `{"b":` + nest(500000) + `,"a":1}`
	if err := deep.Extract([]byte(input), &row); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(row.Fields, []value.Field{{Name: "f0", Value: value.OfInt(1)}}) {
		t.Fatalf("got %v", row.Fields)
	}
	if err := Object([]byte(input), &value.Row{}, 1<<20); err != nil {
		t.Fatal(err)
	}
}

func TestExtractHugeStrings(t *testing.T) {
	big := strings.Repeat("abcdefghij", 1<<20) // 10 MiB
	e, err := Compile(parseTestSpecs(t, []string{"a", "b", "data.s"}), Options{})
	if err != nil {
		t.Fatal(err)
	}
	input := `{"skipped":"` + big + `","a":"` + big + `","b":"` + big + `\n","data":"{\"s\":\"` + big + `\"}"}`
	var row value.Row
	if err := e.Extract([]byte(input), &row); err != nil {
		t.Fatal(err)
	}
	want := []value.Field{
		{Name: "f0", Value: value.OfString(big)},
		{Name: "f1", Value: value.OfString(big + "\n")},
		{Name: "f2", Value: value.OfString(big)},
	}
	if !reflect.DeepEqual(row.Fields, want) {
		t.Fatal("the huge strings differ")
	}
}

// TestExtractRowsOutliveRecords checks the memory rule: a row keeps its
// values while its input is unchanged, whatever the Extractor reads next.
func TestExtractRowsOutliveRecords(t *testing.T) {
	e, err := Compile(signalSpecs(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	first := []byte(encodeLevels(signalObject, "data", "data.msg", "data.msg.msg_data"))
	var row value.Row
	if err := e.Extract(first, &row); err != nil {
		t.Fatal(err)
	}
	other := strings.NewReplacer("match", "MATCH", "template", "TEMPLATE", "drop:wrong", "DROP:WRONG").Replace(string(first))
	for i := 0; i < 1000; i++ {
		var r value.Row
		if err := e.Extract([]byte(other), &r); err != nil {
			t.Fatal(err)
		}
	}
	if !reflect.DeepEqual(row.Fields, signalWant) {
		t.Fatalf("the first row changed: %v", row.Fields)
	}
}

func TestExtractAllocations(t *testing.T) {
	e, err := Compile(signalSpecs(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var row value.Row
	for name, form := range map[string]struct {
		input string
		max   float64
	}{
		"objects": {signalObject, 0},
		// Decoded strings kept in the row are copied to arena chunks,
		// one allocation per 4 KiB of them.
		"every level encoded": {encodeLevels(signalObject, "data", "data.msg", "data.msg.msg_data"), 0.05},
	} {
		data := []byte(form.input)
		allocs := testing.AllocsPerRun(1000, func() {
			row.Reset()
			if err := e.Extract(data, &row); err != nil {
				t.Fatal(err)
			}
		})
		if allocs > form.max {
			t.Errorf("%s: %v allocations per record, want at most %v", name, allocs, form.max)
		}
	}
}

func TestCompile(t *testing.T) {
	p := mustPath(t, "a")
	cases := []struct {
		name  string
		specs []Spec
		opts  Options
		err   string
	}{
		{"no specs", nil, Options{}, "no fields to extract"},
		{"no name", []Spec{{Path: p}}, Options{}, "field 1 (a) has no name"},
		{"same name", []Spec{{Name: "x", Path: p}, {Name: "x", Path: mustPath(t, "b")}}, Options{}, `two fields are called "x"`},
		{"empty path", []Spec{{Name: "x"}}, Options{}, `field "x" has an empty path`},
		{"bad type", []Spec{{Name: "x", Path: p, Type: 9}}, Options{}, `field "x" has unknown type 9`},
		{"negative depth", []Spec{{Name: "x", Path: p}}, Options{MaxDepth: -1}, "MaxDepth -1 is negative"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Compile(tc.specs, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("error %v, want one with %q", err, tc.err)
			}
		})
	}
}

func TestExtractMaxDepthOption(t *testing.T) {
	e, err := Compile(parseTestSpecs(t, []string{"a"}), Options{MaxDepth: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Extract([]byte(`{"a":[1]}`), &value.Row{}); err != nil {
		t.Fatal(err)
	}
	err = e.Extract([]byte(`{"a":[[1]]}`), &value.Row{})
	if err == nil || err.Error() != "nested deeper than 2 levels at offset 6" {
		t.Fatalf("error %v", err)
	}
}

// TestShortTextIsStringComparison checks shortText.at against comparing
// strings, for texts of every length up to 20 at every place of an input,
// up to its very end.
func TestShortTextIsStringComparison(t *testing.T) {
	input := []byte(`{"a":1,"userid":"x","roomid":2,"target_type":"t","page_index":3,"a_much_longer_key":4}`)
	for n := 1; n <= 20; n++ {
		for from := 0; from+n <= len(input); from++ {
			text := newShortText(string(input[from : from+n]))
			for pos := 0; pos <= len(input); pos++ {
				want := pos+n <= len(input) && string(input[pos:pos+n]) == text.text
				if got := text.at(input, pos); got != want {
					t.Fatalf("%q at %d: %v, want %v", text.text, pos, got, want)
				}
			}
		}
	}
}
