package latest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"unsafe"

	"github.com/tributarydata/tributary/transforms/stream"
	"github.com/tributarydata/tributary/transforms/value"
)

// A stored row is its kept fields, in the order of the fields key, each as
// stream.AppendKey writes it: a kind byte, then nothing for null, a byte for
// a boolean, 8 bytes for an integer or a double, a length and the text for
// the rest. It round-trips kinds, so the row emitted as before is the row
// that came as after, 5 and '5' alike.

// encodeRow appends the encoding of the row's fields to dst.
func encodeRow(dst []byte, row *value.Row) []byte {
	for i := range row.Fields {
		dst = stream.AppendKey(dst, row.Fields[i].Value)
	}
	return dst
}

var errCorrupt = errors.New("corrupt stored value")

// decodeRow reads n values of a stored row into vals, without copying: the
// text of strings, numbers and JSON points into b, which must not change
// while vals are in use. It reads exactly what stream.AppendKey writes
// (TestDecodeRowReadsWhatStreamWrites keeps the two in step).
func decodeRow(vals []value.Value, b []byte) ([]value.Value, error) {
	vals = vals[:0]
	for len(b) > 0 {
		k := value.Kind(b[0])
		b = b[1:]
		var v value.Value
		switch k {
		case value.Null:
		case value.Bool:
			if len(b) < 1 || b[0] > 1 {
				return vals, errCorrupt
			}
			v, b = value.OfBool(b[0] == 1), b[1:]
		case value.Int, value.Float:
			if len(b) < 8 {
				return vals, errCorrupt
			}
			n := binary.BigEndian.Uint64(b)
			if k == value.Int {
				v = value.OfInt(int64(n))
			} else {
				f := math.Float64frombits(n)
				if math.IsNaN(f) || math.IsInf(f, 0) {
					return vals, errCorrupt
				}
				v = value.OfFloat(f)
			}
			b = b[8:]
		case value.Number, value.String, value.JSON:
			n, w := binary.Uvarint(b)
			if w <= 0 || n > uint64(len(b)-w) {
				return vals, errCorrupt
			}
			text := b[w : w+int(n)]
			b = b[w+int(n):]
			s := ""
			if len(text) > 0 {
				s = unsafe.String(&text[0], len(text))
			}
			switch k {
			case value.Number:
				v = value.OfNumber(s)
			case value.JSON:
				v = value.OfJSON(s)
			default:
				v = value.OfString(s)
			}
		default:
			return vals, fmt.Errorf("%w: unknown value kind %d", errCorrupt, k)
		}
		vals = append(vals, v)
	}
	return vals, nil
}
