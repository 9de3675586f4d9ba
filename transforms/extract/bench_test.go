package extract

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/tributarydata/tributary/transforms/value"
)

// BenchmarkExtractSignal reads the classroom-signal job's fields from the
// message with nested objects, with data JSON-encoded, and with every level
// JSON-encoded (data, msg and msg_data, the worst case), with the
// Extractor and, as the baseline to compare with, with encoding/json into
// map[string]any walked path by path (what the job would do without this
// package). The ratio of the two ns/op is the speedup.
func BenchmarkExtractSignal(b *testing.B) {
	forms := []struct{ name, input string }{
		{"objects", signalObject},
		{"data_encoded", encodeLevels(signalObject, "data")},
		{"all_encoded", encodeLevels(signalObject, "data", "data.msg", "data.msg.msg_data")},
	}
	for _, form := range forms {
		data := []byte(form.input)
		specs := signalSpecs(b)
		b.Run(form.name+"/extract", func(b *testing.B) {
			e, err := Compile(specs, Options{})
			if err != nil {
				b.Fatal(err)
			}
			var row value.Row
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				row.Reset()
				if err := e.Extract(data, &row); err != nil {
					b.Fatal(err)
				}
			}
			if len(row.Fields) != len(specs) {
				b.Fatalf("%d fields", len(row.Fields))
			}
		})
		b.Run(form.name+"/encoding_json", func(b *testing.B) {
			var row value.Row
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				row.Reset()
				if err := baselineExtract(data, specs, &row); err != nil {
					b.Fatal(err)
				}
			}
			if len(row.Fields) != len(specs) {
				b.Fatalf("%d fields", len(row.Fields))
			}
		})
	}
}

// baselineExtract is the straightforward way: decode the record into maps,
// walk each path, decoding a string where a path goes through it (once: the
// decoded value replaces the string for the paths after).
func baselineExtract(data []byte, specs []Spec, row *value.Row) error {
	var root any
	if err := decodeAny(data, &root); err != nil {
		return err
	}
	for _, sp := range specs {
		v, err := baselineWalk(root, sp.Path.segs)
		if err != nil {
			return err
		}
		c, err := value.Convert(v, sp.Type)
		if err != nil {
			return err
		}
		row.Append(sp.Name, c)
	}
	return nil
}

func decodeAny(data []byte, v *any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return dec.Decode(v)
}

func baselineWalk(v any, segs []segment) (value.Value, error) {
	for i, seg := range segs {
		switch c := v.(type) {
		case map[string]any:
			if seg.isIndex() {
				return value.Value{}, nil
			}
			v = c[seg.key]
			if s, ok := v.(string); ok && i+1 < len(segs) && strings.TrimSpace(s) != "" {
				if err := decodeAny([]byte(s), &v); err != nil {
					return value.Value{}, err
				}
				c[seg.key] = v
			}
		case []any:
			if !seg.isIndex() || seg.index >= len(c) {
				return value.Value{}, nil
			}
			v = c[seg.index]
			if s, ok := v.(string); ok && i+1 < len(segs) && strings.TrimSpace(s) != "" {
				if err := decodeAny([]byte(s), &v); err != nil {
					return value.Value{}, err
				}
				c[seg.index] = v
			}
		default:
			return value.Value{}, nil
		}
	}
	switch x := v.(type) {
	case string:
		return value.OfString(x), nil
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return value.OfInt(i), nil
		}
		return value.OfNumber(string(x)), nil
	case bool:
		return value.OfBool(x), nil
	case nil:
		return value.Value{}, nil
	}
	text, err := json.Marshal(v)
	return value.OfJSON(string(text)), err
}

// BenchmarkObject reads every top-level field of the signal message.
func BenchmarkObject(b *testing.B) {
	data := []byte(signalObject)
	var row value.Row
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		row.Reset()
		if err := Object(data, &row, 0); err != nil {
			b.Fatal(err)
		}
	}
}
