package pluginrpc

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"google.golang.org/protobuf/encoding/protowire"
)

// The protobuf primitives the messages are built from. Scalars equal to
// their zero value are left out, as proto3 does; fields with presence
// (plugin.proto's optional) are written whenever they are set.

func appendString(b []byte, num protowire.Number, s string) []byte {
	if s == "" {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func appendBytes(b []byte, num protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func appendUint(b []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

func appendSint(b []byte, num protowire.Number, v int64) []byte {
	return appendUint(b, num, protowire.EncodeZigZag(v))
}

func appendBool(b []byte, num protowire.Number, v bool) []byte {
	return appendUint(b, num, protowire.EncodeBool(v))
}

func appendStrings(b []byte, num protowire.Number, ss []string) []byte {
	for _, s := range ss {
		b = protowire.AppendTag(b, num, protowire.BytesType)
		b = protowire.AppendString(b, s)
	}
	return b
}

// appendNested appends field num holding the message enc appends. The body
// is encoded in place behind a one-byte length and moved when its length
// needs more bytes, which spares the small messages a size pass.
func appendNested(b []byte, num protowire.Number, enc func([]byte) ([]byte, error)) ([]byte, error) {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	at := len(b)
	b = append(b, 0)
	b, err := enc(b)
	if err != nil {
		return b, err
	}
	return endLength(b, at, 1), nil
}

// endLength writes the length of a message into the w bytes left for it at
// b[at:], the message being the rest of b. A length that needs another
// number of bytes than w moves the message.
func endLength(b []byte, at, w int) []byte {
	n := len(b) - at - w
	// The usual cases first: a record's length in two bytes, a header's
	// or a small message's in one.
	if w == 2 && n >= 1<<7 && n < 1<<14 {
		b[at], b[at+1] = byte(n)|0x80, byte(n>>7)
		return b
	}
	if w == 1 && n < 1<<7 {
		b[at] = byte(n)
		return b
	}
	width := protowire.SizeVarint(uint64(n))
	if width > w {
		b = append(b, make([]byte, width-w)...)
	}
	copy(b[at+width:], b[at+w:at+w+n])
	b = b[:at+width+n]
	protowire.AppendVarint(b[:at], uint64(n))
	return b
}

// appendStringMap writes a map<string, string>, sorted so equal maps encode
// equally.
func appendStringMap(b []byte, num protowire.Number, m map[string]string) []byte {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		v := m[k]
		b = protowire.AppendTag(b, num, protowire.BytesType)
		size := 0
		if k != "" {
			size += protowire.SizeTag(1) + protowire.SizeBytes(len(k))
		}
		if v != "" {
			size += protowire.SizeTag(2) + protowire.SizeBytes(len(v))
		}
		b = protowire.AppendVarint(b, uint64(size))
		b = appendString(b, 1, k)
		b = appendString(b, 2, v)
	}
	return b
}

// appendCounts writes a map<string, int64>.
func appendCounts(b []byte, num protowire.Number, m map[string]int64) []byte {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		v := m[k]
		b = protowire.AppendTag(b, num, protowire.BytesType)
		size := 0
		if k != "" {
			size += protowire.SizeTag(1) + protowire.SizeBytes(len(k))
		}
		if v != 0 {
			size += protowire.SizeTag(2) + protowire.SizeVarint(uint64(v))
		}
		b = protowire.AppendVarint(b, uint64(size))
		b = appendString(b, 1, k)
		b = appendUint(b, 2, uint64(v))
	}
	return b
}

// field is one decoded field: bytes for the length-delimited wire type,
// scalar for varints and fixed-width numbers.
type field struct {
	num    protowire.Number
	typ    protowire.Type
	bytes  []byte
	scalar uint64
}

var errWireType = errors.New("wrong wire type")

func (f field) want(t protowire.Type) error {
	if f.typ != t {
		return fmt.Errorf("field %d: %w %d, want %d", f.num, errWireType, f.typ, t)
	}
	return nil
}

func (f field) str() (string, error) {
	if err := f.want(protowire.BytesType); err != nil {
		return "", err
	}
	return string(f.bytes), nil
}

func (f field) msg() ([]byte, error) {
	if err := f.want(protowire.BytesType); err != nil {
		return nil, err
	}
	return f.bytes, nil
}

// fields calls fn on each field of a nested message.
func (f field) fields(fn func(f field) error) error {
	body, err := f.msg()
	if err != nil {
		return err
	}
	return eachField(body, fn)
}

func (f field) uint() (uint64, error) {
	if err := f.want(protowire.VarintType); err != nil {
		return 0, err
	}
	return f.scalar, nil
}

func (f field) sint() (int64, error) {
	v, err := f.uint()
	return protowire.DecodeZigZag(v), err
}

func (f field) bool() (bool, error) {
	v, err := f.uint()
	return v != 0, err
}

// eachField calls fn with every field of a message, in order. Fields of the
// group wire types, which this protocol never uses, are skipped.
func eachField(b []byte, fn func(f field) error) error {
	for len(b) > 0 {
		f, n, ok := consumeField(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		if !ok {
			continue
		}
		if err := fn(f); err != nil {
			return err
		}
	}
	return nil
}

// consumeField reads the field at the start of b. n is its length in b, or
// a protowire error code when negative; ok is false for a group, which
// eachField skips.
func consumeField(b []byte) (f field, n int, ok bool) {
	num, typ, n := protowire.ConsumeTag(b)
	if n < 0 {
		return f, n, false
	}
	f = field{num: num, typ: typ}
	var m int
	switch typ {
	case protowire.BytesType:
		f.bytes, m = protowire.ConsumeBytes(b[n:])
		// Full slice: a plugin appending to a value must not grow
		// it over the bytes of the next field.
		f.bytes = f.bytes[:len(f.bytes):len(f.bytes)]
	case protowire.VarintType:
		f.scalar, m = protowire.ConsumeVarint(b[n:])
	case protowire.Fixed64Type:
		f.scalar, m = protowire.ConsumeFixed64(b[n:])
	case protowire.Fixed32Type:
		var v uint32
		v, m = protowire.ConsumeFixed32(b[n:])
		f.scalar = uint64(v)
	default:
		m = protowire.ConsumeFieldValue(num, typ, b[n:])
		if m < 0 {
			return f, m, false
		}
		return f, n + m, false
	}
	if m < 0 {
		return f, m, false
	}
	return f, n + m, true
}

// countField counts the occurrences of field num, to size a slice before
// decoding into it.
func countField(b []byte, num protowire.Number) int {
	count := 0
	for len(b) > 0 {
		// The usual field, a record, is skipped here: a one-byte tag
		// of a length-delimited field and a length cutBytes reads.
		if t := b[0]; t&7 == byte(protowire.BytesType) && t >= 1<<3 && t < 0x80 {
			if _, rest, ok := cutBytes(b[1:]); ok {
				if protowire.Number(t>>3) == num {
					count++
				}
				b = rest
				continue
			}
		}
		n0, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return count
		}
		b = b[n:]
		n = protowire.ConsumeFieldValue(n0, typ, b)
		if n < 0 {
			return count
		}
		b = b[n:]
		if n0 == num {
			count++
		}
	}
	return count
}

// decodeStringMap adds one map<string, string> entry to *m.
func decodeStringMap(m *map[string]string, entry []byte) error {
	return decodeMapEntry(m, entry, field.str)
}

// decodeCounts adds one map<string, int64> entry to *m.
func decodeCounts(m *map[string]int64, entry []byte) error {
	return decodeMapEntry(m, entry, func(f field) (int64, error) {
		v, err := f.uint()
		return int64(v), err
	})
}

// decodeMapEntry adds one protobuf map entry (key 1, value 2) to *m, the
// value read by value.
func decodeMapEntry[V any](m *map[string]V, entry []byte, value func(field) (V, error)) error {
	var k string
	var v V
	err := eachField(entry, func(f field) (err error) {
		switch f.num {
		case 1:
			k, err = f.str()
		case 2:
			v, err = value(f)
		}
		return err
	})
	if err != nil {
		return err
	}
	if *m == nil {
		*m = map[string]V{}
	}
	(*m)[k] = v
	return nil
}

// Fast paths for what records are made of. protowire's functions read and
// write every encoding but are too large to be inlined, and a call for each
// tag, length and number was most of the cost of a record. These are small
// enough to be inlined: every field number of a record is below 16, so its
// tag is one byte, lengths mostly take one or two bytes and numbers a few;
// what they do not read, their callers hand to protowire.

// appendVarint is protowire.AppendVarint.
func appendVarint(b []byte, v uint64) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

// readVarint is protowire.ConsumeVarint for varints of up to 8 bytes; n is
// 0 for any other b.
func readVarint(b []byte) (v uint64, n int) {
	for i, c := range b {
		if i == 8 {
			break
		}
		v |= uint64(c&0x7f) << (7 * i)
		if c < 0x80 {
			return v, i + 1
		}
	}
	return 0, 0
}

// cutBytes reads the value of a length-delimited field, b starting after
// its tag: the value as a full slice and the bytes after it, ok false when
// b does not hold a length of one or two bytes and that many bytes.
func cutBytes(b []byte) (v, rest []byte, ok bool) {
	if len(b) == 0 {
		return nil, nil, false
	}
	n, end := 1, int(b[0])
	if end >= 0x80 {
		if len(b) < 2 || b[1] >= 0x80 {
			return nil, nil, false
		}
		n, end = 2, end-0x80+int(b[1])<<7
	}
	end += n
	if end > len(b) {
		return nil, nil, false
	}
	return b[n:end:end], b[end:], true
}
