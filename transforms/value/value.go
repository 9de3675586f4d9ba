package value

import (
	"math"
	"strconv"
	"strings"
)

// Kind is the type of a Value.
type Kind uint8

// The kinds. The zero Value is Null.
const (
	Null   Kind = iota
	Bool        // true or false
	Int         // an int64
	Float       // a float64 (a computed or converted number)
	Number      // a JSON number kept as its text: too big for an int64, or with a fraction or exponent
	String      // text
	JSON        // an object or array, kept as its JSON text
)

var kindNames = [...]string{"null", "boolean", "long", "double", "number", "string", "json"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Value is one typed value. It is small and copied by value.
type Value struct {
	kind Kind
	n    uint64 // Bool: 0 or 1; Int: the int64's bits; Float: the float64's bits
	s    string // String: the text; Number and JSON: the JSON text
}

// OfBool returns a boolean.
func OfBool(b bool) Value {
	if b {
		return Value{kind: Bool, n: 1}
	}
	return Value{kind: Bool}
}

// OfInt returns an integer.
func OfInt(i int64) Value { return Value{kind: Int, n: uint64(i)} }

// OfFloat returns a float; NaN and infinities, which JSON cannot hold, become null.
func OfFloat(f float64) Value {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return Value{}
	}
	return Value{kind: Float, n: math.Float64bits(f)}
}

// OfString returns a string.
func OfString(s string) Value { return Value{kind: String, s: s} }

// OfNumber returns a number kept as its JSON text, which the caller has
// checked is a valid JSON number.
func OfNumber(text string) Value { return Value{kind: Number, s: text} }

// OfJSON returns an object or array kept as its JSON text, which the caller
// has checked is valid JSON.
func OfJSON(text string) Value { return Value{kind: JSON, s: text} }

// Kind returns the value's kind.
func (v Value) Kind() Kind { return v.kind }

// IsNull reports whether the value is null.
func (v Value) IsNull() bool { return v.kind == Null }

// Bool returns a boolean's value.
func (v Value) Bool() (b, ok bool) { return v.n == 1, v.kind == Bool }

// Int returns the value as an int64: an Int as it is, a Number or Float only
// when it is a whole number that fits, a String when it holds such a number.
func (v Value) Int() (int64, bool) {
	switch v.kind {
	case Int:
		return int64(v.n), true
	case Float:
		f := math.Float64frombits(v.n)
		if f == math.Trunc(f) && f >= -(1<<63) && f < 1<<63 {
			return int64(f), true
		}
	case Number, String:
		return parseInt(strings.TrimSpace(v.s))
	}
	return 0, false
}

// Float returns the value as a float64: any number, or a String holding one.
func (v Value) Float() (float64, bool) {
	switch v.kind {
	case Int:
		return float64(int64(v.n)), true
	case Float:
		return math.Float64frombits(v.n), true
	case Number, String:
		f, err := strconv.ParseFloat(strings.TrimSpace(v.s), 64)
		return f, err == nil && !math.IsInf(f, 0)
	}
	return 0, false
}

// Str returns a String's text.
func (v Value) Str() (string, bool) { return v.s, v.kind == String }

// Raw returns the JSON text of a JSON or Number value.
func (v Value) Raw() (string, bool) { return v.s, v.kind == JSON || v.kind == Number }

// Text is the value as text, as SQL's CAST(x AS VARCHAR) gives it: a
// string's own text, a number's digits, true or false, an object's JSON, and
// "" for null.
func (v Value) Text() string {
	switch v.kind {
	case String, Number, JSON:
		return v.s
	case Int:
		return strconv.FormatInt(int64(v.n), 10)
	case Float:
		return strconv.FormatFloat(math.Float64frombits(v.n), 'g', -1, 64)
	case Bool:
		if v.n == 1 {
			return "true"
		}
		return "false"
	}
	return ""
}

// AppendText appends Text to dst without allocating for numbers.
func (v Value) AppendText(dst []byte) []byte {
	switch v.kind {
	case Int:
		return strconv.AppendInt(dst, int64(v.n), 10)
	case Float:
		return strconv.AppendFloat(dst, math.Float64frombits(v.n), 'g', -1, 64)
	}
	return append(dst, v.Text()...)
}

// isNumeric reports whether the value is a number kind.
func (v Value) isNumeric() bool { return v.kind == Int || v.kind == Float || v.kind == Number }

// parseInt reads a whole number exactly: digits with an optional sign, or a
// decimal whose fraction is all zeros (12.00). With an exponent (1e3) it
// goes through a float64, so only up to 2^53, where floats are still exact.
func parseInt(s string) (int64, bool) {
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return i, true
	}
	if strings.ContainsAny(s, "eE") {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			return 0, false
		}
		return int64(f), true
	}
	whole, frac, ok := strings.Cut(s, ".")
	if !ok || frac == "" || strings.Trim(frac, "0") != "" {
		return 0, false
	}
	i, err := strconv.ParseInt(whole, 10, 64)
	return i, err == nil && whole != "" && whole != "-" && whole != "+"
}
