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

// fastMappers are mappers over column sets that reach every conversion of
// setRaw and the name rules of fill and fillKey: names of mixed case, two
// columns differing only in case (a catalog may have both), two of one name
// (the later one gets the fields), non-ASCII names
// whose case folding differs between strings.ToLower and strings.EqualFold,
// and each key mode. The keyless ones, one per column set, accept a row of
// any one field, so its converted value is compared whatever it is.
func fastMappers(t testing.TB) (ms, keyless []*Mapper) {
	t.Helper()
	plain, err := ParseColumns("id bigint not null, name varchar(8), score double, tags jsonb, at timestamp, d date")
	if err != nil {
		t.Fatal(err)
	}
	kinds, err := ParseColumns(`"Id" bigint unsigned not null, "Name" text, amt decimal(10,2), num numeric, ok boolean, "TsZ" timestamptz, b bytea, i8 tinyint, u16 smallint unsigned, f real, js json, dd date, ts timestamp(3), big decimal unsigned, "straße" text, "K" int`)
	if err != nil {
		t.Fatal(err)
	}
	var twins []Column
	for _, d := range []struct{ name, typ string }{{"a", "int"}, {"A", "text"}, {"Bb", "varchar(3)"}, {"ǅ", "text"}, {"k", "int"}, {"ſ", "text"}, {"a", "varchar(2)"}} {
		c, err := NewColumn(d.name, d.typ, false)
		if err != nil {
			t.Fatal(err)
		}
		twins = append(twins, c)
	}
	configs := []MapperConfig{
		{Columns: plain, Key: []string{"id"}, KeyMode: KeyRecordValue, DeleteEnabled: true},
		{Columns: plain, Key: []string{"id"}, KeyMode: KeyRecordKey, DeleteEnabled: true},
		{Columns: plain, KeyMode: KeyNone, UnknownFieldsError: true},
		{Columns: kinds, Key: []string{"Id", "amt"}, KeyMode: KeyRecordValue, DeleteEnabled: true,
			EpochUnit: time.Microsecond, Location: time.FixedZone("", 8*3600)},
		{Columns: kinds, Key: []string{"K"}, KeyMode: KeyRecordValue, DeleteEnabled: false, UnknownFieldsError: true},
		{Columns: twins, Key: []string{"a", "Bb"}, KeyMode: KeyRecordValue, DeleteEnabled: true},
		{Columns: twins, Key: []string{"k", "ſ"}, KeyMode: KeyRecordValue, DeleteEnabled: true, UnknownFieldsError: true},
	}
	for _, cols := range [][]Column{plain, kinds, twins} {
		configs = append(configs, MapperConfig{Columns: cols, KeyMode: KeyNone})
	}
	for _, cfg := range configs {
		m, err := NewMapper(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.KeyMode == KeyNone && !cfg.UnknownFieldsError {
			keyless = append(keyless, m)
		} else {
			ms = append(ms, m)
		}
	}
	return ms, keyless
}

// sameChange is reflect.DeepEqual on changes, with floats compared by their
// bits (so NaN equals NaN, and -0 differs from 0).
func sameChange(a, b Change) bool {
	if a.Delete != b.Delete || !reflect.DeepEqual(a.Present, b.Present) || len(a.Values) != len(b.Values) {
		return false
	}
	for i := range a.Values {
		fa, okA := a.Values[i].(float64)
		fb, okB := b.Values[i].(float64)
		if okA && okB {
			if math.Float64bits(fa) != math.Float64bits(fb) {
				return false
			}
			continue
		}
		if !reflect.DeepEqual(a.Values[i], b.Values[i]) {
			return false
		}
	}
	return true
}

// checkFast runs both paths on a record and fails on any difference; it
// reports whether the fast path read the record itself.
func checkFast(t *testing.T, m *Mapper, r *record.Record) bool {
	t.Helper()
	want, wantOK, wantErr := m.mapSlow(r, Change{})
	got, gotOK, gotErr := m.Map(r)
	if (gotErr == nil) != (wantErr == nil) || gotOK != wantOK || !sameChange(got, want) {
		t.Fatalf("key %q value %q:\nMap     %v %#v %v\nmapSlow %v %#v %v", r.Key, r.Value, gotOK, got, gotErr, wantOK, want, wantErr)
	}
	// Slices reused from an earlier change leave nothing of it behind.
	got, gotOK, gotErr = m.MapInto(r, usedChange(len(m.Columns())))
	if (gotErr == nil) != (wantErr == nil) || gotOK != wantOK || !sameChange(got, want) {
		t.Fatalf("key %q value %q:\nMapInto %v %#v %v\nmapSlow %v %#v %v", r.Key, r.Value, gotOK, got, gotErr, wantOK, want, wantErr)
	}
	if r.Value == nil {
		return false
	}
	got, gotOK, done := m.mapFast(r, Change{})
	if done && (wantErr != nil || gotOK != wantOK || !sameChange(got, want)) {
		t.Fatalf("key %q value %q:\nmapFast %v %#v\nmapSlow %v %#v %v", r.Key, r.Value, gotOK, got, wantOK, want, wantErr)
	}
	return done
}

// usedChange is a change of n columns as an earlier record left it: every
// column present, holding a value.
func usedChange(n int) Change {
	c := Change{Delete: true, Values: make([]any, n), Present: make([]bool, n)}
	for i := range n {
		c.Values[i], c.Present[i] = "earlier", true
	}
	return c
}

// kindsRow has a field for every column of fastMappers' second set.
const kindsRow = `{"Id":"18446744073709551615","amt":-0.0e+1,"num":"  12.50 ","ok":"yes","TsZ":"2024-05-01 10:00:00","b":"AAEC","i8":-128,"u16":65535,"f":"NaN","js":"{\"b\" : [1, 2]}","dd":19782,"ts":"2024-05-01T10:00:00+02:00","big":"1e3","straße":1.50,"K":3.0}`

var fastSeeds = []string{
	`{"op":"u","before":{"id":123456},"after":{"id":123456,"user_id":987,"status":3,"amount":"1234.56","note":"some note text here","created_at":"2024-05-01 10:00:00.123","updated_at":1714557600123,"flag":true},"source":{"db":"school","table":"orders"},"ts_ms":1714557600999}`,
	`{"id":1,"name":"a"}`, `{"op":"d","before":{"id":2}}`, `{"id":1e400}`, `{"id":"3","score":null,"other":[1,{"x":2}]}`,
	`{"schema":1,"payload":{"op":"u","before":null,"after":{"id":"3","tags":{"b":1,"a":[true,null,"\u2028<>&"]}}}}`,
	`{"schema":{},"payload":"x","id":4}`, `{"payload":{"id":5},"id":6}`, `{"schema":null,"payload":{"id":5},"payload":{"id":7}}`,
	`{"op":"c","after":{"id":8},"ts_ms":1.5}`, `{"op":"c","after":{"id":8},"ts_ms":"x"}`, `{"op":"d","before":null,"after":{"id":1}}`,
	`{"op":"r","after":{"id":9},"source":[]}`, `{"op":1,"after":{"id":10}}`, `{"op":"","after":{"id":11}}`, `{"\u006fp":"c","after":{"id":12}}`,
	`{"id":13,"name":"\ud83c\udf93\ud800x\udc00\u00e9\/\"\\\b\f\n\r\t"}`, "{\"id\":14,\"name\":\"\xff\xfe\xed\xa0\x80a\"}",
	`{"id":15,"id":16}`, `{"id":"bad","id":17}`, `{"Id":18,"ID":19,"iD":20}`, `{"Name":"x","name":"y","NAME":"z","Id":1}`,
	`{"a":1,"A":"x","Bb":"abc","bb":"abcd","BB":"x"}`, `{"ǆ":"x","Ǆ":"y","K":1,"k":2,"s":"t","S":"u","ſ":"v","a":1,"bb":"q"}`,
	`{"op":"d","before":{"ID":21,"id":22,"AMT":"1.5","Amt":"2"}}`, `{"op":"d","before":{"K":1,"k":2,"ſ":"x","S":"y"}}`,
	kindsRow,
	`{"Id":1,"amt":1,"TsZ":1714557600123456,"ts":-1,"f":-0,"js":[],"K":-0,"num":1E+2}`,
	`{"id":1} }`, `{"id":1}]`, `{"id":1} {"id":2}`, ` {"id":1} `, "\ufeff{\"id\":1}", `{"id":01}`, `{"id":1.}`, `{"id":-}`, `{"id":1,}`,
	`{"id":tru}`, `{"id":1 "x":2}`, `[{"id":1}]`, `"x"`, `null`, ``, `{"id":"\u12"}`, `{"id":"\x"}`, "{\"id\":\"\x01\"}",
	`{"id":1,"tags":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}`,
}

// TestMapFastReadsCommonRecords checks that the fast path does read the
// records sinks see (a fast path that declined everything would pass the
// fuzz target) and that they match.
func TestMapFastReadsCommonRecords(t *testing.T) {
	ms, _ := fastMappers(t)
	for _, v := range []string{
		`{"id":1,"name":"ann","other":true}`,
		`{"op":"c","before":null,"after":{"id":3,"name":"bo","score":1.5,"tags":["a",{"z":1,"y":"\u00e9"}]},"source":{"db":"x"},"ts_ms":1}`,
		`{"schema":{"type":"struct","fields":[]},"payload":{"op":"u","before":{"id":4},"after":{"id":4,"name":"c\"y","at":"2024-05-01 10:00:00.5","d":"2024-05-01"}}}`,
		`{"op":"d","before":{"id":5,"name":"dee"},"after":null}`,
		`{"id":"6","NAME":"x","name":"y","score":"-1e3","at":1714557600123,"d":19782}`,
	} {
		if !checkFast(t, ms[0], &record.Record{Value: []byte(v)}) {
			t.Errorf("%s: the fast path declined", v)
		}
	}
	if !checkFast(t, ms[3], &record.Record{Value: []byte(kindsRow)}) {
		t.Error("the record of every kind: the fast path declined")
	}
}

func TestMapFastMatchesSeeds(t *testing.T) {
	ms, keyless := fastMappers(t)
	ms = append(ms, keyless...)
	for _, v := range fastSeeds {
		for _, m := range ms {
			for _, key := range []string{`{"id":7,"Id":8,"a":1,"Bb":"k","K":2}`, `7`} {
				checkFast(t, m, &record.Record{Key: []byte(key), Value: []byte(v)})
			}
		}
	}
}

// FuzzMapFastMatchesMapPath holds the fast path to mapSlow: the same
// results, the same errors (as declining on them ensures), no panics. Each
// input is also tried as an event's after and before and as a wrapped
// payload, so the fuzzer's rows reach the row readers, and as the value of
// each column, so it reaches every conversion.
func FuzzMapFastMatchesMapPath(f *testing.F) {
	for _, s := range fastSeeds {
		f.Add([]byte(`{"id":7}`), []byte(s))
	}
	for _, s := range []string{`"2024-05-01 10:00:00.5"`, `"2024-05-01T10:00:00+08:00"`, `" 1.50 "`, `-0.0e+1`, `1e3`, `123456789012345678`,
		`-9223372036854775808`, `"AAEC"`, `"été"`, `{"b":[1," "],"a":null}`, `"{"a" : 1}"`, `"NaN"`, `true`, `null`, `"1"`, `0e1001`} {
		f.Add([]byte(`7`), []byte(s))
	}
	ms, keyless := fastMappers(f)
	f.Fuzz(func(t *testing.T, key, value []byte) {
		for _, m := range keyless {
			for _, col := range m.Columns() {
				field, _ := json.Marshal(col.Name)
				checkFast(t, m, &record.Record{Value: []byte(`{` + string(field) + `:` + string(value) + `}`)})
			}
		}
		values := [][]byte{value}
		if len(value) > 0 {
			v := string(value)
			values = append(values,
				[]byte(`{"op":"c","after":`+v+`}`),
				[]byte(`{"op":"d","before":`+v+`,"after":null}`),
				[]byte(`{"schema":{},"payload":`+v+`}`))
		}
		for _, v := range values {
			for _, m := range ms {
				checkFast(t, m, &record.Record{Key: key, Value: v})
			}
		}
	})
}

func TestUnquoteMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{`\ud83c\udf93`, `\ud800`, `\ud800\ud800\udc00`, `\udc00\ud800`, `\ud800\u0041`, "\xed\xa0\x80", "a\xffb", "\xef\xbf\xbd", `\u0000`} {
		var want string
		if err := json.Unmarshal([]byte(`"`+s+`"`), &want); err != nil {
			t.Fatal(err)
		}
		if got := string(unquote(nil, []byte(s))); got != want {
			t.Errorf("unquote(%q) = %q, encoding/json %q", s, got, want)
		}
	}
}

// BenchmarkMapSlow is BenchmarkMap's record through mapSlow, the path Map
// took before the scanner, for comparing the two under the same load.
func BenchmarkMapSlow(b *testing.B) {
	cols, err := ParseColumns("id bigint not null, user_id bigint, status int, amount decimal(12,2), note varchar(64), created_at timestamp(3), updated_at timestamp(3), flag boolean")
	if err != nil {
		b.Fatal(err)
	}
	m, err := NewMapper(MapperConfig{Columns: cols, Key: []string{"id"}, KeyMode: KeyRecordValue, DeleteEnabled: true})
	if err != nil {
		b.Fatal(err)
	}
	r := record.Record{Value: []byte(fastSeeds[0])}
	b.ReportAllocs()
	for range b.N {
		if _, _, err := m.mapSlow(&r, Change{}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestIntegerDigitsMatchesStrings holds the one-pass integerDigits to the
// strings functions it replaced, on every string of up to six bytes of the
// characters it tells apart.
func TestIntegerDigitsMatchesStrings(t *testing.T) {
	old := func(s string) (bool, int) {
		if strings.ContainsAny(s, "eE") {
			return false, -1
		}
		sign := strings.HasPrefix(s, "-")
		s = strings.TrimLeft(s, "+-")
		whole, frac, _ := strings.Cut(s, ".")
		whole = strings.TrimLeft(whole, "0")
		nonzero := whole != "" || strings.Trim(frac, "0") != ""
		return sign && nonzero, len(whole)
	}
	const alphabet = "+-0.1eE"
	var walk func(s string)
	walk = func(s string) {
		wantNeg, wantDigits := old(s)
		if neg, digits := integerDigits(s); neg != wantNeg || digits != wantDigits {
			t.Fatalf("integerDigits(%q) = %v, %d, want %v, %d", s, neg, digits, wantNeg, wantDigits)
		}
		if len(s) < 6 {
			for i := range len(alphabet) {
				walk(s + alphabet[i:i+1])
			}
		}
	}
	walk("")
}
