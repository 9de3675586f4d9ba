package agg

import (
	"math"
	"math/bits"
	"strconv"
)

// u128 is an unsigned 128-bit integer, the magnitude of an i128.
type u128 struct{ hi, lo uint64 }

// i128 is a two's complement 128-bit integer: the coefficient of an exact
// sum. A sum of int64s needs 2^64 rows to overflow it.
type i128 struct{ hi, lo uint64 }

var pow10 = [...]uint64{
	1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
	1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
}

// pow10f holds the powers of ten a float64 holds exactly.
var pow10f = [...]float64{
	1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
}

// maxCoef is 10^38: an exact sum's coefficient stays below it, as SQL's
// DECIMAL(38, s) does.
var maxCoef = func() u128 {
	m := u128{lo: 1}
	for range 38 {
		m = m.mul10add(0)
	}
	return m
}()

// less reports whether m < n.
func (m u128) less(n u128) bool { return m.hi < n.hi || m.hi == n.hi && m.lo < n.lo }

func i128FromInt64(i int64) i128 { return i128{hi: uint64(i >> 63), lo: uint64(i)} }

func (x i128) isNeg() bool  { return int64(x.hi) < 0 }
func (x i128) isZero() bool { return x.hi == 0 && x.lo == 0 }

func (x i128) negate() i128 {
	lo, borrow := bits.Sub64(0, x.lo, 0)
	hi, _ := bits.Sub64(0, x.hi, borrow)
	return i128{hi, lo}
}

// int64 returns x when it fits an int64.
func (x i128) int64() (int64, bool) {
	i := int64(x.lo)
	return i, x.hi == uint64(i>>63)
}

// abs returns the magnitude of x; the magnitude of -2^127 is 2^127.
func (x i128) abs() u128 {
	if x.isNeg() {
		x = x.negate()
	}
	return u128(x)
}

// add128 returns a+b and false when that overflows.
func add128(a, b i128) (i128, bool) {
	lo, carry := bits.Add64(a.lo, b.lo, 0)
	hi, _ := bits.Add64(a.hi, b.hi, carry)
	r := i128{hi, lo}
	return r, a.isNeg() != b.isNeg() || r.isNeg() == a.isNeg()
}

// mulPow10 returns x·10^k for k ≤ 19, and false when that overflows.
func mulPow10(x i128, k int) (i128, bool) {
	if k == 0 || x.isZero() {
		return x, true
	}
	m := x.abs()
	if int64(m.hi) < 0 {
		return i128{}, false
	}
	hi1, lo := bits.Mul64(m.lo, pow10[k])
	hi2, lo2 := bits.Mul64(m.hi, pow10[k])
	hi, carry := bits.Add64(hi1, lo2, 0)
	if hi2 != 0 || carry != 0 || int64(hi) < 0 {
		return i128{}, false
	}
	r := i128{hi, lo}
	if x.isNeg() {
		r = r.negate()
	}
	return r, true
}

// mul10add returns m·10 + d; the caller keeps it within 38 digits.
func (m u128) mul10add(d uint64) u128 {
	hi, lo := bits.Mul64(m.lo, 10)
	lo, carry := bits.Add64(lo, d, 0)
	return u128{hi: m.hi*10 + hi + carry, lo: lo}
}

// divmod10 returns m/10 and m%10.
func (m u128) divmod10() (u128, uint64) {
	qhi, r := m.hi/10, m.hi%10
	qlo, r := bits.Div64(r, m.lo, 10)
	return u128{qhi, qlo}, r
}

// appendDigits appends m in decimal.
func (m u128) appendDigits(dst []byte) []byte {
	var chunks [2]uint64 // 2^128 has 39 digits: two chunks of 19 below a top
	n := 0
	for m.hi != 0 {
		qhi, r := m.hi/pow10[19], m.hi%pow10[19]
		qlo, r := bits.Div64(r, m.lo, pow10[19])
		chunks[n] = r
		n++
		m = u128{qhi, qlo}
	}
	dst = strconv.AppendUint(dst, m.lo, 10)
	for n > 0 {
		n--
		var buf [20]byte
		b := strconv.AppendUint(buf[:0], chunks[n], 10)
		for range 19 - len(b) {
			dst = append(dst, '0')
		}
		dst = append(dst, b...)
	}
	return dst
}

// normalize divides out the trailing zeros of a decimal coefficient/10^scale.
func normalize(coef i128, scale int) (i128, int) {
	if coef.isZero() {
		return coef, 0
	}
	neg := coef.isNeg()
	m := coef.abs()
	for scale > 0 {
		q, r := m.divmod10()
		if r != 0 {
			break
		}
		m, scale = q, scale-1
	}
	coef = i128(m)
	if neg {
		coef = coef.negate()
	}
	return coef, scale
}

// appendDecimal appends coef/10^scale in canonical form (see appendCanon).
func appendDecimal(dst []byte, coef i128, scale int) []byte {
	coef, scale = normalize(coef, scale)
	if coef.isNeg() {
		dst = append(dst, '-')
	}
	var buf [48]byte
	digits := coef.abs().appendDigits(buf[:0])
	if scale == 0 {
		return append(dst, digits...)
	}
	if len(digits) <= scale {
		dst = append(dst, '0', '.')
		for range scale - len(digits) {
			dst = append(dst, '0')
		}
		return append(dst, digits...)
	}
	dst = append(dst, digits[:len(digits)-scale]...)
	dst = append(dst, '.')
	return append(dst, digits[len(digits)-scale:]...)
}

// decimalFloat returns coef/10^scale rounded to the nearest float64.
func decimalFloat(coef i128, scale int) float64 {
	m := coef.abs()
	if m.hi == 0 && m.lo < 1<<53 && scale < len(pow10f) {
		f := float64(m.lo) / pow10f[scale] // both exact, so one rounding
		if coef.isNeg() {
			f = -f
		}
		return f
	}
	var buf [48]byte
	f, err := strconv.ParseFloat(string(appendDecimal(buf[:0], coef, scale)), 64)
	if err != nil { // beyond float64, which 38 digits are not
		return math.Inf(int(int64(coef.hi)>>63) | 1)
	}
	return f
}
