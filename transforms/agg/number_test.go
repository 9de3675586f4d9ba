package agg

import (
	"math"
	"math/big"
	"strconv"
	"strings"
	"testing"

	"github.com/tributarydata/tributary/transforms/value"
)

func TestNumberKey(t *testing.T) {
	for _, tc := range []struct {
		v    value.Value
		want string // "" when v is not a number
	}{
		{value.OfString("1e3"), "1000"},
		{value.OfString("01.50"), "1.5"},
		{value.OfString("-0.0"), "0"},
		{value.OfString("-0"), "0"},
		{value.OfString(".5"), "0.5"},
		{value.OfString("5."), "5"},
		{value.OfString("+7"), "7"},
		{value.OfString(" 7\t"), "7"},
		{value.OfString("1E-2"), "0.01"},
		{value.OfString("-1.2e1"), "-12"},
		{value.OfString("123.456e-5"), "0.00123456"},
		{value.OfString("123.456e+5"), "12345600"},
		{value.OfString("0.000e9"), "0"},
		{value.OfString("000"), "0"},
		{value.OfString("1e-400"), "0." + strings.Repeat("0", 399) + "1"},
		{value.OfString("1e-401"), "0"}, // past maxCanonDigits: as the float64 nearest, 0
		{value.OfString("0x1p-2"), "0.25"},
		{value.OfString("1_000"), "1000"}, // strconv.ParseFloat takes it, and so does value.Value.Float
		{value.OfString("1e308"), "1" + strings.Repeat("0", 308)},
		{value.OfString("1.7976931348623157e308"), "17976931348623157" + strings.Repeat("0", 292)},
		{value.OfString("1e309"), ""},
		{value.OfString("1e99999999999999999999"), ""},
		{value.OfString("1e-99999999999999999999"), "0"},
		{value.OfString("abc"), ""},
		{value.OfString(""), ""},
		{value.OfString("."), ""},
		{value.OfString("1e"), ""},
		{value.OfString("1e+"), ""},
		{value.OfString("--1"), ""},
		{value.OfString("1.2.3"), ""},
		{value.OfString("NaN"), ""},
		{value.OfString("inf"), ""},
		{value.OfString("-Infinity"), ""},
		{value.OfInt(-42), "-42"},
		{value.OfInt(math.MinInt64), "-9223372036854775808"},
		{value.OfFloat(0.1), "0.1"},
		{value.OfFloat(-2.5), "-2.5"},
		{value.OfFloat(1e21), "1000000000000000000000"},
		{value.OfFloat(5e-324), "0." + strings.Repeat("0", 323) + "5"},
		{value.OfFloat(math.MaxFloat64), "17976931348623157" + strings.Repeat("0", 292)},
		{value.OfFloat(math.Copysign(0, -1)), "0"},
		{value.OfNumber("12345678901234567890.10"), "12345678901234567890.1"},
		{value.OfBool(true), ""},
		{value.OfJSON("[1]"), ""},
		{value.Value{}, ""},
	} {
		got, ok := appendNumberKey(nil, tc.v)
		if ok != (tc.want != "") || string(got) != tc.want {
			t.Errorf("appendNumberKey(%s %q) = %q, %v; want %q", tc.v.Kind(), tc.v.Text(), got, ok, tc.want)
		}
		// The rule is value.Value.Float's: a number when it reads as a
		// finite float64.
		if tc.v.Kind() == value.String || tc.v.Kind() == value.Number {
			f, fok := tc.v.Float()
			if fok && math.IsNaN(f) {
				fok = false
			}
			if fok != ok {
				t.Errorf("%q: a number here is %v, value.Float says %v", tc.v.Text(), ok, fok)
			}
		}
	}
}

func TestCompareCanon(t *testing.T) {
	nums := []string{"0", "1", "-1", "0.5", "-0.5", "0.05", "10", "9", "9.99", "100", "-100", "-0.001", "0.1", "0.10000000000000000001",
		"99999999999999999999999", "-99999999999999999999999", "123.456", "123.4561", "123.45"}
	for _, a := range nums {
		for _, b := range nums {
			ra, _ := new(big.Rat).SetString(a)
			rb, _ := new(big.Rat).SetString(b)
			if got, want := compareCanon(a, b), ra.Cmp(rb); got != want {
				t.Errorf("compareCanon(%s, %s) = %d, want %d", a, b, got, want)
			}
		}
	}
}

func TestDecimalArithmetic(t *testing.T) {
	c := func(s string) i128 {
		r, _ := new(big.Int).SetString(s, 10)
		lo := new(big.Int).And(r, new(big.Int).SetUint64(math.MaxUint64)).Uint64()
		hi := new(big.Int).Rsh(r, 64)
		return i128{hi: uint64(hi.Int64()), lo: lo}
	}
	for _, tc := range []struct {
		coef  string
		scale int
		text  string
	}{
		{"0", 0, "0"}, {"0", 5, "0"}, {"5", 0, "5"}, {"-5", 1, "-0.5"}, {"5", 3, "0.005"}, {"1500", 3, "1.5"},
		{"-1500", 2, "-15"}, {"99999999999999999999999999999999999999", 0, "99999999999999999999999999999999999999"},
		{"-99999999999999999999999999999999999999", 18, "-99999999999999999999.999999999999999999"},
		{"170141183460469231731687303715884105727", 0, "170141183460469231731687303715884105727"},
		{"-170141183460469231731687303715884105728", 0, "-170141183460469231731687303715884105728"},
		{"10000000000000000000", 19, "1"},
	} {
		x := c(tc.coef)
		if got := string(appendDecimal(nil, x, tc.scale)); got != tc.text {
			t.Errorf("appendDecimal(%s, %d) = %s, want %s", tc.coef, tc.scale, got, tc.text)
		}
		want, _ := strconv.ParseFloat(tc.text, 64)
		if got := decimalFloat(x, tc.scale); got != want {
			t.Errorf("decimalFloat(%s, %d) = %v, want %v", tc.coef, tc.scale, got, want)
		}
	}
	for _, tc := range []struct {
		coef string
		k    int
		ok   bool
	}{
		{"17014118346046923173168730371588410572", 1, true},
		{"17014118346046923173168730371588410573", 1, false},
		{"-17014118346046923173168730371588410572", 1, true},
		{"-17014118346046923173168730371588410573", 1, false},
		{"1", 19, true}, {"-1", 19, true}, {"17014118346046923173", 19, true}, {"17014118346046923174", 19, false}, {"0", 19, true},
		{"-170141183460469231731687303715884105728", 1, false},
	} {
		got, ok := mulPow10(c(tc.coef), tc.k)
		if ok != tc.ok {
			t.Errorf("mulPow10(%s, %d) ok = %v, want %v", tc.coef, tc.k, ok, tc.ok)
			continue
		}
		if ok {
			want := tc.coef + strings.Repeat("0", tc.k)
			if tc.coef == "0" {
				want = "0"
			}
			if s := string(appendDecimal(nil, got, 0)); s != want {
				t.Errorf("mulPow10(%s, %d) = %s", tc.coef, tc.k, s)
			}
		}
	}
	if _, ok := add128(c("170141183460469231731687303715884105727"), i128FromInt64(1)); ok {
		t.Error("2^127-1 + 1 does not overflow")
	}
	if _, ok := add128(c("-170141183460469231731687303715884105728"), i128FromInt64(-1)); ok {
		t.Error("-2^127 - 1 does not overflow")
	}
	if r, ok := add128(c("-170141183460469231731687303715884105728"), c("170141183460469231731687303715884105727")); !ok || r != i128FromInt64(-1) {
		t.Error("-2^127 + 2^127-1 is not -1")
	}
}
