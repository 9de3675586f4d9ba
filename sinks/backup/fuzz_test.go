package backup

import (
	"io"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// FuzzPartName: a name that parses is exactly the name its range formats
// to, so recovery never confuses two files; a formatted range parses back
// to itself; temporary names are never data files.
func FuzzPartName(f *testing.F) {
	for _, s := range []string{"part-ods.events-0-0-0.parquet", "part-a-b-c-3-10-20.parquet", "part-~0123456789abcdef-1-2-3.parquet",
		"part--1-2-3.parquet", "part-x-01-2-3.parquet", "part-x-1-3-2.parquet", "part-x-2147483648-1-2.parquet",
		".part-x-1-2-3.parquet.0000abcd.tmp", "_SUCCESS", "part-x-1-+2-3.parquet"} {
		f.Add(s, int32(0), int64(0), int64(1))
	}
	f.Fuzz(func(t *testing.T, name string, partition int32, first, last int64) {
		if r, ok := parsePartName(name); ok {
			if r.name() != name {
				t.Fatalf("%q parses to %+v, which formats to %q", name, r, r.name())
			}
			if r.first > r.last || r.first < 0 || r.partition < 0 {
				t.Fatalf("%q parses to a bad range %+v", name, r)
			}
		}
		if final, ok := parseTempName(name); ok {
			if _, ok := parsePartName(name); ok {
				t.Fatalf("%q is both a temporary and a data file", name)
			}
			if !strings.HasPrefix(name, "."+final+".") {
				t.Fatalf("temporary %q is for %q", name, final)
			}
		}
		if partition < 0 || first < 0 || first > last {
			return
		}
		r := fileRange{tag: topicTag(name), partition: partition, first: first, last: last}
		back, ok := parsePartName(r.name())
		if !ok || back != r {
			t.Fatalf("%+v formats to %q, which parses to %+v, %v", r, r.name(), back, ok)
		}
		if len(r.name()) > 255 {
			t.Fatalf("file name of %d bytes", len(r.name()))
		}
		if _, ok := parseTempName(r.name()); ok {
			t.Fatalf("data file %q reads as temporary", r.name())
		}
	})
}

// FuzzTableName: a table.name.format either fails to parse or renders every
// topic to one safe, non-empty path element.
func FuzzTableName(f *testing.F) {
	for _, s := range []string{"${topic}", "bak_${topic}_v1", "${topic", "${x}", "$", "..", "a/${topic}/b", "${topic}${topic}", ""} {
		f.Add(s, "ods.qos_log")
	}
	f.Fuzz(func(t *testing.T, format, topic string) {
		tmpl, err := parseTableTemplate(format)
		if err != nil {
			return
		}
		name, err := tmpl.render(topic)
		if err != nil {
			return
		}
		if name == "" || name == "." || name == ".." || len(name) > maxTableName {
			t.Fatalf("format %q, topic %q: table %q", format, topic, name)
		}
		for _, c := range []byte(name) {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
				t.Fatalf("format %q, topic %q: table %q holds %q", format, topic, name, c)
			}
		}
	})
}

// FuzzRecord: any record value, against a schema of every kind, either is
// reported bad or becomes a row that encodes as Parquet. The event time of
// an accepted row lies in years 1 to 9999.
func FuzzRecord(f *testing.F) {
	for _, s := range []string{`{"id":1,"ts":"2024-05-01 10:00:00"}`, `{"op":"c","after":{"id":2,"ts":1714579200000}}`,
		`{"id":1,"ts":"2024-05-01T00:00:00+08:00","amount":"1e3","big":"-0.0001","tags":[1,{"a":null}],"uid":"18446744073709551615"}`,
		`{"id":"9223372036854775807","ts":-62135596800000,"day":-719162,"raw":"AA==","ok":"yes","small":"-32768"}`,
		`{"id":1,"ts":"9999-12-31 23:59:59.999999999","tstz":"0001-01-01T00:00:00Z","score":"NaN","name":"\u00e9\ud800"}`,
		`not json`, `null`, `{"op":"d","before":{"id":3,"ts":0}}`} {
		f.Add([]byte(s), []byte("key"))
	}
	root := f.TempDir()
	s := &Sink{}
	if err := s.Open(ctx, eduConfig(root)); err != nil {
		f.Fatal(err)
	}
	generic := &Sink{}
	if err := generic.Open(ctx, config(root)); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, value, key []byte) {
		for _, sink := range []*Sink{s, generic} {
			r := sdk.Record{Topic: "ods.events", Key: key, Value: value, Timestamp: time.UnixMilli(1714579200000)}
			topic, err := sink.topic(r.Topic)
			if err != nil {
				t.Fatal(err)
			}
			c, err := sink.rowOf(&r, topic)
			if err != nil || c.skip {
				continue
			}
			if y := c.eventTime.Year(); y < 1 || y > 9999 {
				t.Fatalf("event time %v", c.eventTime)
			}
			if len(c.row) != len(sink.schema.columns)+5 {
				t.Fatalf("row of %d values", len(c.row))
			}
			if err := sink.encode(io.Discard, []parquet.Row{c.row}); err != nil {
				t.Fatalf("encode %q: %v", value, err)
			}
		}
	})
}

// FuzzPlainDecimal: the fast path of decimal columns agrees with exact
// big.Rat arithmetic whenever it answers.
func FuzzPlainDecimal(f *testing.F) {
	for _, s := range []string{"0", "-0.05", "12.30", "1.", ".5", "123456789012345678", "1e3", "--1", "1.234", "-"} {
		f.Add(s, uint8(2))
	}
	f.Fuzz(func(t *testing.T, text string, scale uint8) {
		sc := int(scale % 19)
		n, ok := plainDecimal(text, sc)
		if !ok {
			return
		}
		r, ok := new(big.Rat).SetString(text)
		if !ok {
			t.Fatalf("fast path took %q, which is not a number", text)
		}
		r.Mul(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(sc)), nil)))
		if !r.IsInt() || r.Num().Cmp(n) != 0 {
			t.Fatalf("%q at scale %d: fast path %v, exact %v", text, sc, n, r)
		}
	})
}
