package stream

import (
	"bytes"
	"testing"

	"github.com/tributarydata/tributary/transforms/value"
)

// TestDecodeValuesReadsWhatAppendKeyWrites keeps DecodeValues, which reads stored
// fields without copying, in step with AppendKey.
func TestDecodeValuesReadsWhatAppendKeyWrites(t *testing.T) {
	vals := []value.Value{{}, value.OfBool(true), value.OfBool(false), value.OfInt(-7), value.OfFloat(2.5),
		value.OfNumber("12345678901234567890"), value.OfString("课堂 \"🎓\""), value.OfJSON(`{"a":1}`), value.OfString("")}
	var b []byte
	for _, v := range vals {
		b = AppendKey(b, v)
	}
	got, err := DecodeValues(nil, string(b))
	if err != nil || len(got) != len(vals) {
		t.Fatalf("%d values, %v", len(got), err)
	}
	for i := range vals {
		if got[i].Kind() != vals[i].Kind() || got[i].Text() != vals[i].Text() {
			t.Errorf("value %d: %v %q, want %v %q", i, got[i].Kind(), got[i].Text(), vals[i].Kind(), vals[i].Text())
		}
	}
	for cut := range len(b) {
		if _, err := DecodeValues(nil, string(b[:cut])); err == nil && cut > 0 {
			// Cut between two values is a shorter, valid list.
			if _, err2 := decodeAll(b[:cut]); err2 != nil {
				t.Errorf("cut at %d: DecodeValues accepts what DecodeKey refuses", cut)
			}
		}
	}
}

func decodeAll(b []byte) ([]value.Value, error) {
	var vals []value.Value
	for len(b) > 0 {
		v, rest, err := DecodeKey(b)
		if err != nil {
			return nil, err
		}
		vals, b = append(vals, v), rest
	}
	return vals, nil
}

// FuzzDecodeValues: DecodeValues reads what DecodeKey reads, and
// refuses what it refuses; what it reads encodes back to the same bytes.
func FuzzDecodeValues(f *testing.F) {
	f.Add(AppendKey(AppendKey(AppendKey(nil, value.OfInt(-3)), value.OfString("课")), value.OfJSON(`{"a":1}`)))
	f.Add([]byte{byte(value.String), 0x80, 0x00})
	f.Add([]byte{byte(value.Float), 0x7f, 0xf8, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		vals, err := DecodeValues(nil, string(b))
		var want []value.Value
		var wantErr error
		for rest := b; len(rest) > 0; {
			var v value.Value
			if v, rest, wantErr = DecodeKey(rest); wantErr != nil {
				break
			}
			want = append(want, v)
		}
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("DecodeValues error %v, DecodeKey %v", err, wantErr)
		}
		if err != nil {
			return
		}
		var again []byte
		for i, v := range vals {
			if v.Kind() != want[i].Kind() || v.Text() != want[i].Text() {
				t.Fatalf("value %d: %v %q, DecodeKey %v %q", i, v.Kind(), v.Text(), want[i].Kind(), want[i].Text())
			}
			again = AppendKey(again, v)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("%x decodes and encodes to %x", b, again)
		}
	})
}
