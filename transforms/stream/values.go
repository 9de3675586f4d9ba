package stream

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"unsafe"

	"github.com/tributarydata/tributary/transforms/value"
)

// AppendValues appends the fields' values of row, each as AppendKey writes
// it: a kind byte, then nothing for null, a byte for a boolean, 8 bytes for
// an integer or a double, a length and the text for the rest. Kinds
// round-trip, so a row read back is the row that was kept, 5 and '5' alike.
func AppendValues(dst []byte, row *value.Row) []byte {
	for i := range row.Fields {
		dst = AppendKey(dst, row.Fields[i].Value)
	}
	return dst
}

// DecodeValueBytes is DecodeValues over bytes, which must not change while
// the values are in use.
func DecodeValueBytes(vals []value.Value, b []byte) ([]value.Value, error) {
	return DecodeValues(vals, unsafe.String(unsafe.SliceData(b), len(b)))
}

// ErrCorrupt is DecodeValues' answer for bytes AppendKey did not write.
var ErrCorrupt = errors.New("corrupt stored values")

// DecodeValues appends to vals the values AppendKey wrote one after
// another into s (a stored row: AppendValues), without copying: the text of
// strings, numbers and JSON is cut from s. It accepts exactly what
// DecodeKey does (FuzzDecodeValues keeps the two in step); it is the
// stateful connectors' way to read back the rows they keep.
func DecodeValues(vals []value.Value, s string) ([]value.Value, error) {
	for len(s) > 0 {
		k := value.Kind(s[0])
		s = s[1:]
		var v value.Value
		switch k {
		case value.Null:
		case value.Bool:
			if len(s) < 1 || s[0] > 1 {
				return vals, ErrCorrupt
			}
			v, s = value.OfBool(s[0] == 1), s[1:]
		case value.Int, value.Float:
			if len(s) < 8 {
				return vals, ErrCorrupt
			}
			n := be64(s)
			if k == value.Int {
				v = value.OfInt(int64(n))
			} else {
				f := math.Float64frombits(n)
				if math.IsNaN(f) || math.IsInf(f, 0) {
					return vals, ErrCorrupt
				}
				v = value.OfFloat(f)
			}
			s = s[8:]
		case value.Number, value.String, value.JSON:
			n, w := uvarint(s)
			if w <= 0 || n > uint64(len(s)-w) {
				return vals, ErrCorrupt
			}
			var minimal [binary.MaxVarintLen64]byte
			if w != binary.PutUvarint(minimal[:], n) {
				return vals, ErrCorrupt // AppendKey never writes one longer
			}
			text := s[w : w+int(n)]
			s = s[w+int(n):]
			switch k {
			case value.Number:
				v = value.OfNumber(text)
			case value.JSON:
				v = value.OfJSON(text)
			default:
				v = value.OfString(text)
			}
		default:
			return vals, fmt.Errorf("%w: unknown value kind %d", ErrCorrupt, k)
		}
		vals = append(vals, v)
	}
	return vals, nil
}

// be64 is binary.BigEndian.Uint64 over a string.
func be64(s string) uint64 {
	_ = s[7]
	return uint64(s[0])<<56 | uint64(s[1])<<48 | uint64(s[2])<<40 | uint64(s[3])<<32 |
		uint64(s[4])<<24 | uint64(s[5])<<16 | uint64(s[6])<<8 | uint64(s[7])
}

// uvarint is binary.Uvarint over a string.
func uvarint(s string) (uint64, int) {
	var x uint64
	var shift uint
	for i := 0; i < len(s) && i < binary.MaxVarintLen64; i++ {
		b := s[i]
		if b < 0x80 {
			if i == binary.MaxVarintLen64-1 && b > 1 {
				return 0, -(i + 1) // overflow
			}
			return x | uint64(b)<<shift, i + 1
		}
		x |= uint64(b&0x7f) << shift
		shift += 7
	}
	return 0, 0
}
