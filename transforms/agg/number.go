package agg

import (
	"math"
	"strconv"
	"strings"

	"github.com/tributarydata/tributary/transforms/value"
)

// text is what the decimal reader reads: a value's own text, or a float
// formatted into a buffer on the stack.
type text interface{ ~string | ~[]byte }

// decimal is a number as written, [+-]digits[.digits][e[+-]digits], held as
// positions in its text so that reading one copies nothing. Its digits are
// those of the integer part followed by those of the fraction; the point
// sits point digits from the start of them (the exponent applied).
type decimal struct {
	neg        bool
	start, mid int // the digits are text[start:mid] and text[mid+1:end] when there is a point
	end        int
	point      int // where the point goes, in digits from the first
	first      int // the first digit that is not 0, or -1 for zero
	last       int // the last digit that is not 0
}

// maxExponent is where reading an exponent stops: far beyond any float64,
// small enough that point arithmetic cannot overflow an int.
const maxExponent = 1 << 24

// maxCanonDigits bounds the canonical text of a number on each side of the
// point; a number that needs more (1e-500, 600 digits written out) is taken
// as the float64 nearest to it.
const maxCanonDigits = 400

// Exact decimals: a sum stays exact while its coefficient fits 38 digits
// (SQL's DECIMAL(38, s)) and no value has more than 18 after the point.
const (
	maxCoefDigits = 38
	maxScale      = 18
)

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// parseDecimal reads s, which has no spaces around it. It accepts a subset
// of what strconv.ParseFloat does (no hexadecimal, no underscores, no inf
// or nan), so a decimal is always a number once checked for overflow.
func parseDecimal[T text](s T) (decimal, bool) {
	d := decimal{first: -1}
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		d.neg = s[i] == '-'
		i++
	}
	d.start = i
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	d.mid = i
	intDigits := i - d.start
	fracDigits := 0
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		fracDigits = i - d.mid - 1
	}
	d.end = i
	if intDigits+fracDigits == 0 {
		return d, false
	}
	exp := 0
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		negExp := false
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			negExp = s[i] == '-'
			i++
		}
		if i == len(s) || !isDigit(s[i]) {
			return d, false
		}
		for ; i < len(s) && isDigit(s[i]); i++ {
			if exp < maxExponent {
				exp = exp*10 + int(s[i]-'0')
			}
		}
		exp = min(exp, maxExponent)
		if negExp {
			exp = -exp
		}
	}
	if i != len(s) {
		return d, false
	}
	d.point = intDigits + exp
	n := intDigits + fracDigits
	for k := 0; k < n; k++ {
		if digitAt(s, &d, k) != '0' {
			if d.first < 0 {
				d.first = k
			}
			d.last = k
		}
	}
	return d, true
}

// digitAt returns digit k of d, counting from the first digit written; the
// digits before the first and after the last written are zeros.
func digitAt[T text](s T, d *decimal, k int) byte {
	if k < 0 {
		return '0'
	}
	if k < d.mid-d.start {
		return s[d.start+k]
	}
	k -= d.mid - d.start
	if i := d.mid + 1 + k; k >= 0 && i < d.end {
		return s[i]
	}
	return '0'
}

func (d *decimal) zero() bool { return d.first < 0 }

// magnitude is the number of digits before the point (negative for 0.00x).
func (d *decimal) magnitude() int { return d.point - d.first }

// finite reports whether the decimal fits a float64, as value.Value.Float
// requires of a number.
func finite[T text](s T, d *decimal) bool {
	if d.zero() || d.magnitude() < 309 {
		return true
	}
	f, err := strconv.ParseFloat(string(s), 64)
	return err == nil && !math.IsInf(f, 0)
}

// canonFits reports whether appendCanon can write d exactly.
func (d *decimal) canonFits() bool {
	return d.zero() || d.point-d.first <= maxCanonDigits && d.last+1-d.point <= maxCanonDigits
}

// appendCanon writes d in its canonical form: no exponent, no leading zeros
// before the point but one, no trailing zeros after it, no point when the
// number is whole, no sign on zero: 1e3 → 1000, 01.50 → 1.5, -0.0 → 0. The
// caller checks canonFits.
func appendCanon[T text](dst []byte, s T, d *decimal) []byte {
	if d.zero() {
		return append(dst, '0')
	}
	if d.neg {
		dst = append(dst, '-')
	}
	if d.first < d.point {
		for k := d.first; k < d.point; k++ {
			dst = append(dst, digitAt(s, d, k))
		}
	} else {
		dst = append(dst, '0')
	}
	if d.last >= d.point {
		dst = append(dst, '.')
		for k := d.point; k <= d.last; k++ {
			dst = append(dst, digitAt(s, d, k))
		}
	}
	return dst
}

// exact returns d as coefficient / 10^scale when it fits maxCoefDigits and
// maxScale.
func exact[T text](s T, d *decimal) (coef i128, scale int, ok bool) {
	if d.zero() {
		return i128{}, 0, true
	}
	scale = max(0, d.last+1-d.point)
	end := max(d.last, d.point-1) // the last digit of the coefficient
	if scale > maxScale || end-d.first+1 > maxCoefDigits {
		return i128{}, 0, false
	}
	var m u128
	for k := d.first; k <= end; k++ {
		m = m.mul10add(uint64(digitAt(s, d, k) - '0'))
	}
	coef = i128(m) // below 10^38 < 2^127
	if d.neg {
		coef = coef.negate()
	}
	return coef, scale, true
}

// number is a value read as a number for sum and avg: an exact decimal, or
// a float64 when it is not one (1e-30, 40 digits, a hexadecimal float).
type number struct {
	coef  i128
	scale int
	f     float64
	exact bool
}

// readStatus is what reading a value as a number found.
type readStatus uint8

const (
	isNumber readStatus = iota
	isNull              // null, or a blank string (the apps send "" for "not set")
	notNumber
)

// readNumber reads v for sum and avg: any number kind, or a string that
// holds a number (value.Value.Float's rule: spaces around it are allowed,
// inf and nan are not).
func readNumber(v value.Value) (number, readStatus) {
	switch v.Kind() {
	case value.Null:
		return number{}, isNull
	case value.Int:
		i, _ := v.Int()
		return number{coef: i128FromInt64(i), exact: true}, isNumber
	case value.Float:
		f, _ := v.Float()
		return readFloat(f), isNumber
	case value.Number, value.String:
		s := v.Text()
		t := strings.TrimSpace(s)
		if t == "" && v.Kind() == value.String {
			return number{}, isNull
		}
		if d, ok := parseDecimal(t); ok {
			if !finite(t, &d) {
				return number{}, notNumber
			}
			if coef, scale, ok := exact(t, &d); ok {
				return number{coef: coef, scale: scale, exact: true}, isNumber
			}
		}
		f, ok := v.Float()
		if !ok || math.IsNaN(f) {
			return number{}, notNumber
		}
		return number{f: f}, isNumber
	}
	return number{}, notNumber
}

// readFloat takes a float64 as the decimal it prints as (0.1 is 0.1, not
// the binary fraction nearest to it), exactly when that fits.
func readFloat(f float64) number {
	if f == math.Trunc(f) && f > -(1<<63) && f < 1<<63 {
		return number{coef: i128FromInt64(int64(f)), exact: true}
	}
	var buf [32]byte
	b := strconv.AppendFloat(buf[:0], f, 'g', -1, 64)
	if d, ok := parseDecimal(b); ok {
		if coef, scale, ok := exact(b, &d); ok {
			return number{coef: coef, scale: scale, exact: true}
		}
	}
	return number{f: f}
}

// appendNumberKey appends the canonical text of v when it is a number, or
// a string that holds one. Numbers that cannot be written exactly within
// maxCanonDigits are written as the float64 nearest them.
func appendNumberKey(dst []byte, v value.Value) ([]byte, bool) {
	switch v.Kind() {
	case value.Int:
		i, _ := v.Int()
		return strconv.AppendInt(dst, i, 10), true
	case value.Float:
		f, _ := v.Float()
		return appendFloatCanon(dst, f), true
	case value.Number, value.String:
		t := strings.TrimSpace(v.Text())
		if d, ok := parseDecimal(t); ok {
			if !finite(t, &d) {
				return dst, false
			}
			if d.canonFits() {
				return appendCanon(dst, t, &d), true
			}
		}
		f, ok := v.Float()
		if !ok || math.IsNaN(f) {
			return dst, false
		}
		return appendFloatCanon(dst, f), true
	}
	return dst, false
}

// appendFloatCanon appends the canonical text of the shortest decimal that
// reads back as f.
func appendFloatCanon(dst []byte, f float64) []byte {
	var buf [32]byte
	b := strconv.AppendFloat(buf[:0], f, 'g', -1, 64)
	d, _ := parseDecimal(b) // 'g' output is always a decimal, at most 309 digits either side
	return appendCanon(dst, b, &d)
}

// compareCanon orders two canonical decimals by value, exactly.
func compareCanon(a, b string) int {
	an, bn := strings.HasPrefix(a, "-"), strings.HasPrefix(b, "-")
	switch {
	case an && !bn:
		return -1
	case !an && bn:
		return 1
	case an:
		return compareMagnitudes(b[1:], a[1:])
	}
	return compareMagnitudes(a, b)
}

func compareMagnitudes(a, b string) int {
	ai, af, _ := strings.Cut(a, ".")
	bi, bf, _ := strings.Cut(b, ".")
	if len(ai) != len(bi) {
		if len(ai) < len(bi) {
			return -1
		}
		return 1
	}
	if c := strings.Compare(ai, bi); c != 0 {
		return c
	}
	return strings.Compare(af, bf)
}

// isCanon reports whether s is a canonical decimal, as appendCanon writes.
func isCanon(s string) bool {
	d, ok := parseDecimal(s)
	if !ok || !d.canonFits() || strings.ContainsAny(s, "eE+") {
		return false
	}
	var buf [64]byte
	return string(appendCanon(buf[:0], s, &d)) == s
}
