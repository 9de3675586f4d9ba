package stream

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/tributarydata/tributary/transforms/value"
)

// AppendKey appends the encoding of v to dst. A tuple of values encoded one
// after another is a grouping key: equal tuples give equal bytes, so the
// bytes are the key of a map and of the changelog, and DecodeKey gives the
// values back for the output. Values are told apart by kind: group by typed
// fields (extract's name:type) when a stream sends 5 and '5' alike.
func AppendKey(dst []byte, v value.Value) []byte {
	k := v.Kind()
	dst = append(dst, byte(k))
	switch k {
	case value.Null:
	case value.Bool:
		b, _ := v.Bool()
		if b {
			return append(dst, 1)
		}
		return append(dst, 0)
	case value.Int:
		i, _ := v.Int()
		return binary.BigEndian.AppendUint64(dst, uint64(i))
	case value.Float:
		f, _ := v.Float()
		return binary.BigEndian.AppendUint64(dst, math.Float64bits(f))
	default:
		s := v.Text()
		dst = binary.AppendUvarint(dst, uint64(len(s)))
		return append(dst, s...)
	}
	return dst
}

var errShortKey = errors.New("truncated key")

// DecodeKey reads one value that AppendKey wrote from the start of b and
// returns it with the rest of b. Text values are copied out of b.
func DecodeKey(b []byte) (value.Value, []byte, error) {
	if len(b) == 0 {
		return value.Value{}, nil, errShortKey
	}
	k, b := value.Kind(b[0]), b[1:]
	switch k {
	case value.Null:
		return value.Value{}, b, nil
	case value.Bool:
		if len(b) < 1 || b[0] > 1 {
			return value.Value{}, nil, errShortKey
		}
		return value.OfBool(b[0] == 1), b[1:], nil
	case value.Int, value.Float:
		if len(b) < 8 {
			return value.Value{}, nil, errShortKey
		}
		n := binary.BigEndian.Uint64(b)
		if k == value.Int {
			return value.OfInt(int64(n)), b[8:], nil
		}
		f := math.Float64frombits(n)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return value.Value{}, nil, errors.New("a float key that is not a number") // value.OfFloat never makes one
		}
		return value.OfFloat(f), b[8:], nil
	case value.Number, value.String, value.JSON:
		n, w := binary.Uvarint(b)
		if w <= 0 || n > uint64(len(b)-w) {
			return value.Value{}, nil, errShortKey
		}
		var minimal [binary.MaxVarintLen64]byte
		if w != binary.PutUvarint(minimal[:], n) {
			return value.Value{}, nil, errors.New("a key length that is not minimally encoded") // AppendKey never writes one
		}
		s := string(b[w : w+int(n)])
		b = b[w+int(n):]
		switch k {
		case value.Number:
			return value.OfNumber(s), b, nil
		case value.JSON:
			return value.OfJSON(s), b, nil
		}
		return value.OfString(s), b, nil
	}
	return value.Value{}, nil, fmt.Errorf("unknown value kind %d in key", k)
}
