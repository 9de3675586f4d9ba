package value

import (
	"math"
	"strings"
)

// Equal reports whether a and b are equal the loose way of the warehouse's
// SQL: numbers by value whatever their kind (1 = 1.0), a string holding a
// number equal to that number ('305' = 305), a boolean equal to the string
// true or false, and otherwise the same kind with the same text. Null equals
// nothing, not even null (test for it with IsNull).
func Equal(a, b Value) bool {
	if a.kind == Null || b.kind == Null {
		return false
	}
	if a.kind == b.kind && a.kind != Float && a.kind != Number {
		return a.n == b.n && a.s == b.s
	}
	if c, ok := Compare(a, b); ok {
		return c == 0
	}
	return false
}

// Compare orders a and b: -1, 0 or +1, and ok=false when they do not compare
// (null, or a number against text that is not one). Numbers compare by value
// (exactly between integers), strings byte-wise, booleans false < true; a
// string holding a number compares as that number against a number.
func Compare(a, b Value) (int, bool) {
	if a.kind == Null || b.kind == Null {
		return 0, false
	}
	if a.isNumeric() || b.isNumeric() {
		return compareNumbers(a, b)
	}
	if a.kind == Bool || b.kind == Bool {
		ab, aok := asBool(a)
		bb, bok := asBool(b)
		if !aok || !bok {
			return 0, false
		}
		return compareInts(boolInt(ab), boolInt(bb)), true
	}
	return strings.Compare(a.s, b.s), true
}

func compareNumbers(a, b Value) (int, bool) {
	if ai, ok := a.Int(); ok {
		if bi, ok := b.Int(); ok {
			return compareInts(ai, bi), true
		}
	}
	af, aok := a.Float()
	bf, bok := b.Float()
	if !aok || !bok || math.IsNaN(af) || math.IsNaN(bf) {
		return 0, false
	}
	switch {
	case af < bf:
		return -1, true
	case af > bf:
		return 1, true
	}
	return 0, true
}

func compareInts(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func asBool(v Value) (bool, bool) {
	switch v.kind {
	case Bool:
		return v.n == 1, true
	case String:
		switch strings.ToLower(strings.TrimSpace(v.s)) {
		case "true":
			return true, true
		case "false":
			return false, true
		}
	}
	return false, false
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
