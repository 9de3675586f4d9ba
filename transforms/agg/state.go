package agg

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strings"
)

// stateVersion is the first byte of a group's state.
const stateVersion = 1

// ErrState is a group state that LoadState cannot read: truncated, corrupt,
// of another version, or of another set of aggregates.
var ErrState = errors.New("agg: bad group state")

// AppendState appends the group's state to dst, for the changelog:
//
//	version   1 byte (1)
//	set       4 bytes: a hash of the set's fields and functions, little-endian
//	rows      uvarint
//	then per accumulator of the set, in the order of the specs that make them:
//	  count(x)      uvarint n
//	  sum(x), avg   uvarint n; when n > 0: the exact part as a zigzag uvarint
//	                of its 128-bit coefficient and a byte of scale, uvarint m
//	                (values that are not exact decimals), and when m > 0 their
//	                float64 sum in 8 bytes, little-endian
//	  min, max,     uvarint k, then k entries in byte order of key:
//	  count_distinct  uvarint length, key, uvarint rows holding it
//
// The same group state always gives the same bytes, and LoadState accepts
// only what AppendState writes. The hash covers the fields and functions
// (sum and avg alike), not the output names, so renaming an output or
// adding avg(x) beside sum(x) keeps the state readable; any other change to
// the set makes LoadState refuse it. A group of count(*) alone takes 6 bytes
// up to 127 rows, 7 up to 16383.
func (g *Group) AppendState(s *Set, dst []byte) []byte {
	dst = append(dst, stateVersion)
	dst = binary.LittleEndian.AppendUint32(dst, s.fingerprint)
	dst = binary.AppendUvarint(dst, uint64(g.rows))
	if len(s.slots) == 0 {
		return dst
	}
	var x *extra
	if g.x != nil {
		x = g.extra(s)
	}
	for i := range s.slots {
		sl := &s.slots[i]
		switch sl.kind {
		case slotCount:
			n := int64(0)
			if x != nil {
				n = x.acc[sl.at]
			}
			dst = binary.AppendUvarint(dst, uint64(n))
		case slotSum:
			if x == nil || x.acc[sl.at+sumN] == 0 {
				dst = append(dst, 0)
				continue
			}
			w := x.acc[sl.at : sl.at+sumWords]
			dst = binary.AppendUvarint(dst, uint64(w[sumN]))
			dst = appendZigzag128(dst, i128{uint64(w[sumHi]), uint64(w[sumLo])})
			dst = append(dst, byte(w[sumScale]))
			dst = binary.AppendUvarint(dst, uint64(w[sumInexact]))
			if w[sumInexact] != 0 {
				dst = binary.LittleEndian.AppendUint64(dst, uint64(w[sumFloat]))
			}
		default:
			if x == nil {
				dst = append(dst, 0)
				continue
			}
			dst = x.sets[sl.at].appendState(dst)
		}
	}
	return dst
}

func (m *multiset) appendState(dst []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(m.held))
	held := make([]entry, 0, m.held)
	for _, e := range m.entries {
		if e.n != 0 {
			held = append(held, e)
		}
	}
	slices.SortFunc(held, func(a, b entry) int { return strings.Compare(a.key, b.key) })
	for _, e := range held {
		dst = binary.AppendUvarint(dst, uint64(len(e.key)))
		dst = append(dst, e.key...)
		dst = binary.AppendUvarint(dst, uint64(e.n))
	}
	return dst
}

// LoadState replaces the group's state with b, which AppendState wrote for
// the same set (or one with the same fields and functions). It refuses
// anything else with an error that wraps ErrState, and then leaves the
// group as it was.
func (g *Group) LoadState(s *Set, b []byte) error {
	r := stateReader{b: b}
	if len(b) == 0 {
		return fmt.Errorf("%w: empty", ErrState)
	}
	if b[0] != stateVersion {
		return fmt.Errorf("%w: version %d, want %d", ErrState, b[0], stateVersion)
	}
	if len(b) < 5 {
		return fmt.Errorf("%w: truncated", ErrState)
	}
	if p := binary.LittleEndian.Uint32(b[1:]); p != s.fingerprint {
		return fmt.Errorf("%w: written for another set of aggregates (fields or functions differ)", ErrState)
	}
	r.b = b[5:]
	var ng Group
	ng.rows = r.count(math.MaxInt64, "rows")
	if len(s.slots) > 0 {
		ng.x = &extra{acc: make([]int64, s.words), sets: make([]multiset, s.sets)}
	}
	for i := range s.slots {
		if r.err != nil {
			break
		}
		sl := &s.slots[i]
		switch sl.kind {
		case slotCount:
			ng.x.acc[sl.at] = r.count(ng.rows, sl.name())
		case slotSum:
			r.sum(ng.x.acc[sl.at:sl.at+sumWords], ng.rows, sl.name())
		default:
			r.multiset(&ng.x.sets[sl.at], ng.rows, sl)
		}
	}
	if r.err == nil && len(r.b) > 0 {
		r.fail("%d bytes after the end", len(r.b))
	}
	if r.err != nil {
		return r.err
	}
	*g = ng
	return nil
}

// stateReader reads a state, keeping the first error.
type stateReader struct {
	b   []byte
	err error
}

func (r *stateReader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s", ErrState, fmt.Sprintf(format, args...))
	}
}

// uvarint reads a uvarint written as binary.AppendUvarint writes it, in
// its shortest form.
func (r *stateReader) uvarint(what string) uint64 {
	if r.err != nil {
		return 0
	}
	x, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail("%s: truncated or overlong number", what)
		return 0
	}
	if n != (bits.Len64(x|1)+6)/7 {
		r.fail("%s: number not in its shortest form", what)
		return 0
	}
	r.b = r.b[n:]
	return x
}

// count reads a uvarint that may be at most limit.
func (r *stateReader) count(limit int64, what string) int64 {
	x := r.uvarint(what)
	if x > uint64(limit) {
		r.fail("%s: %d, more than the %d rows", what, x, limit)
		return 0
	}
	return int64(x)
}

func (r *stateReader) oneByte(what string) byte {
	if r.err != nil {
		return 0
	}
	if len(r.b) == 0 {
		r.fail("%s: truncated", what)
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *stateReader) bytes(n uint64, what string) []byte {
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.fail("%s: truncated", what)
		return nil
	}
	p := r.b[:n]
	r.b = r.b[n:]
	return p
}

func (r *stateReader) sum(w []int64, rows int64, what string) {
	n := r.count(rows, what)
	if n == 0 {
		return
	}
	coef := r.zigzag128(what)
	if !coef.abs().less(maxCoef) {
		r.fail("%s: sum beyond 38 digits", what)
	}
	scale := r.oneByte(what)
	if scale > maxScale {
		r.fail("%s: scale %d, more than %d", what, scale, maxScale)
	}
	inexact := r.count(n, what)
	if inexact == n && (!coef.isZero() || scale != 0) {
		r.fail("%s: an exact part without exact numbers", what)
	}
	fsum := 0.0
	if inexact > 0 {
		if b := r.bytes(8, what+": float sum"); b != nil {
			fsum = math.Float64frombits(binary.LittleEndian.Uint64(b))
		}
		if math.IsInf(fsum, 0) || math.IsNaN(fsum) {
			r.fail("%s: float sum %v", what, fsum)
		}
	}
	w[sumN], w[sumHi], w[sumLo], w[sumScale] = n, int64(coef.hi), int64(coef.lo), int64(scale)
	w[sumInexact], w[sumFloat] = inexact, int64(math.Float64bits(fsum))
}

func (r *stateReader) multiset(m *multiset, rows int64, sl *slot) {
	what := sl.name()
	k := r.count(rows, what)
	var prev []byte
	for i := int64(0); i < k && r.err == nil; i++ {
		key := r.bytes(r.uvarint(what), what)
		n := r.count(rows, what)
		switch {
		case r.err != nil:
			return
		case i > 0 && bytes.Compare(prev, key) >= 0:
			r.fail("%s: keys out of order", what)
		case n == 0:
			r.fail("%s: a key held by no rows", what)
		case m.total+n > rows:
			r.fail("%s: values in more than the %d rows", what, rows)
		case sl.kind == slotOrder && !validOrderKey(key):
			r.fail("%s: bad key %q", what, key)
		}
		if r.err != nil {
			return
		}
		prev = key
		m.insert(string(key), n, false)
		m.total += n
	}
	if sl.kind == slotOrder && r.err == nil && m.len() > 0 {
		m.lo, m.hi = m.extreme(-1), m.extreme(1)
		m.loOK, m.hiOK = true, true
	}
}

func validOrderKey(k []byte) bool {
	if len(k) == 0 {
		return false
	}
	switch k[0] {
	case tagNumber:
		return isCanon(string(k[1:]))
	case tagFalse, tagTrue:
		return len(k) == 1
	case tagString:
		return true
	case tagJSON:
		return json.Valid(k[1:])
	}
	return false
}

// appendZigzag128 appends x zigzag-encoded (small magnitudes of either sign
// take few bytes) in 7-bit groups, as a uvarint.
func appendZigzag128(dst []byte, x i128) []byte {
	sign := uint64(int64(x.hi) >> 63)
	z := u128{hi: (x.hi<<1 | x.lo>>63) ^ sign, lo: x.lo<<1 ^ sign}
	for z.hi != 0 || z.lo >= 0x80 {
		dst = append(dst, byte(z.lo)|0x80)
		z = u128{hi: z.hi >> 7, lo: z.lo>>7 | z.hi<<57}
	}
	return append(dst, byte(z.lo))
}

// zigzag128 reads what appendZigzag128 writes, in its shortest form.
func (r *stateReader) zigzag128(what string) i128 {
	if r.err != nil {
		return i128{}
	}
	var z u128
	for i := 0; ; i++ {
		if i == len(r.b) {
			r.fail("%s: truncated sum", what)
			return i128{}
		}
		c := r.b[i]
		if i == 18 && c > 3 { // 18 groups of 7 bits leave 2 of 128
			r.fail("%s: sum beyond 128 bits", what)
			return i128{}
		}
		v := uint64(c & 0x7f)
		shift := uint(7 * i)
		if shift < 64 {
			z.lo |= v << shift
			if shift > 57 {
				z.hi |= v >> (64 - shift)
			}
		} else {
			z.hi |= v << (shift - 64)
		}
		if c < 0x80 {
			if c == 0 && i > 0 {
				r.fail("%s: sum not in its shortest form", what)
				return i128{}
			}
			r.b = r.b[i+1:]
			break
		}
	}
	sign := -(z.lo & 1)
	return i128{hi: z.hi>>1 ^ sign, lo: (z.lo>>1 | z.hi<<63) ^ sign}
}
