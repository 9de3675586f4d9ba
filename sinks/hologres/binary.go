package hologres

import (
	"encoding/binary"
	"math"
	"time"
)

// The sink encodes the values it sends to PostgreSQL in the binary format
// itself: the rows of COPY and the array parameters of unnest statements.
// Their Go types are the few the row package gives for each Kind, so a
// switch on the column's binary type writes each value in a few
// instructions, where pgx looks up an encode plan per value, boxes every
// array element again and reads decimals into big.Ints: for COPY that had
// cost the client as much as mapping the records.

// binaryType is how a value is encoded: the type the server receives it
// as (a COPY column's own type, or an array parameter's element type).
type binaryType uint8

const (
	binNone        binaryType = iota
	binInt8                   // int64
	binInt4                   // int64 within int32
	binInt2                   // int64 within int16
	binFloat8                 // float64
	binFloat4                 // float64 a float32 holds
	binNumeric                // decimal text
	binText                   // string: text, varchar, bpchar, json
	binJSONB                  // string of JSON
	binBool                   // bool
	binDate                   // time.Time: its date
	binTimestamp              // time.Time: its wall clock
	binTimestampTZ            // time.Time: the instant
	binBytea                  // []byte
)

// copyTypes are the binary types of the column types COPY writes, by
// format_type's name. A table with a column of another type appends with
// INSERT, where SQL casts the text.
var copyTypes = map[string]binaryType{
	"bigint": binInt8, "integer": binInt4, "smallint": binInt2, "double precision": binFloat8, "real": binFloat4,
	"numeric": binNumeric, "text": binText, "character varying": binText, "bpchar": binText, "json": binText,
	"jsonb": binJSONB, "boolean": binBool, "date": binDate, "timestamp without time zone": binTimestamp,
	"timestamp with time zone": binTimestampTZ, "bytea": binBytea,
}

// y2k is 2000-01-01, PostgreSQL's epoch for dates and timestamps, in
// seconds since 1970.
const y2k = 946684800

// appendValue appends v as one field (its length, then its bytes; -1 for
// NULL). ok is false, and nothing appended, when v is not of the type's Go
// type or out of its range (pgx sent a real's overflow as an infinity):
// the rows then go through INSERT, where the server's cast decides.
func appendValue(buf []byte, t binaryType, v any) (out []byte, ok bool) {
	if v == nil {
		return binary.BigEndian.AppendUint32(buf, math.MaxUint32), true
	}
	switch t {
	case binInt8, binInt4, binInt2:
		n, ok := v.(int64)
		switch {
		case !ok:
		case t == binInt8:
			return binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint32(buf, 8), uint64(n)), true
		case t == binInt4 && n >= math.MinInt32 && n <= math.MaxInt32:
			return binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(buf, 4), uint32(n)), true
		case t == binInt2 && n >= math.MinInt16 && n <= math.MaxInt16:
			return binary.BigEndian.AppendUint16(binary.BigEndian.AppendUint32(buf, 2), uint16(n)), true
		}
	case binFloat8:
		if f, ok := v.(float64); ok {
			return binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint32(buf, 8), math.Float64bits(f)), true
		}
	case binFloat4:
		// A value a real cannot hold is an error, as the INSERT's cast
		// makes it, rather than an infinity or a zero.
		if f, ok := v.(float64); ok {
			g := float32(f)
			if (math.IsInf(float64(g), 0) && !math.IsInf(f, 0)) || (g == 0 && f != 0) {
				return buf, false
			}
			return binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(buf, 4), math.Float32bits(g)), true
		}
	case binNumeric:
		if s, ok := v.(string); ok {
			return appendNumeric(buf, s)
		}
	case binText, binJSONB:
		if s, ok := v.(string); ok {
			if t == binJSONB {
				buf = binary.BigEndian.AppendUint32(buf, uint32(len(s)+1))
				buf = append(buf, 1) // jsonb's version
			} else {
				buf = binary.BigEndian.AppendUint32(buf, uint32(len(s)))
			}
			return append(buf, s...), true
		}
	case binBool:
		if b, ok := v.(bool); ok {
			buf = binary.BigEndian.AppendUint32(buf, 1)
			if b {
				return append(buf, 1), true
			}
			return append(buf, 0), true
		}
	case binDate, binTimestamp, binTimestampTZ:
		tm, ok := v.(time.Time)
		if !ok {
			break
		}
		if t == binDate {
			// The date as written, whatever tm's zone (pgx's rule).
			y, m, d := tm.Date()
			days := (time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() - y2k) / 86400
			return binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(buf, 4), uint32(days)), true
		}
		if t == binTimestamp {
			// Wall clock: the time's fields as if in UTC (pgx's rule).
			y, m, d := tm.Date()
			h, mi, s := tm.Clock()
			tm = time.Date(y, m, d, h, mi, s, tm.Nanosecond(), time.UTC)
		}
		// Microseconds, the nanoseconds cut off (not rounded), as pgx cut
		// them.
		us := (tm.Unix()-y2k)*1_000_000 + int64(tm.Nanosecond())/1000
		return binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint32(buf, 8), uint64(us)), true
	case binBytea:
		if b, ok := v.([]byte); ok {
			return append(binary.BigEndian.AppendUint32(buf, uint32(len(b))), b...), true
		}
	}
	return buf, false
}

// numeric_recv's limits: at most this many base-10000 digits, and display
// scale.
const (
	maxNumericDigits = 3000
	maxNumericScale  = 0x3FFF
)

// appendNumeric appends decimal text ([+-]digits[.digits][e[+-]digits], as
// the row package checks it) as a numeric field: base-10000 digits with the
// weight of the first, the sign, and the display scale the text has (as
// numeric_in gives it: fraction digits less the exponent, at least 0).
// ok is false for text numeric_recv would refuse (too many digits, too
// large a scale) though numeric_in reads it, and for what is not decimal
// text.
func appendNumeric(buf []byte, s string) ([]byte, bool) {
	i, negative := 0, false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		negative = s[i] == '-'
		i++
	}
	intStart := i
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	intEnd, fracStart, fracEnd := i, i, i
	if i < len(s) && s[i] == '.' {
		i++
		fracStart = i
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
		fracEnd = i
	}
	intLen, fracLen := intEnd-intStart, fracEnd-fracStart
	if intLen+fracLen == 0 {
		return buf, false
	}
	exp := 0
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		expNegative := i < len(s) && s[i] == '-'
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		start := i
		for ; i < len(s) && '0' <= s[i] && s[i] <= '9'; i++ {
			if exp = exp*10 + int(s[i]-'0'); exp > 1_000_000 {
				return buf, false
			}
		}
		if i == start {
			return buf, false
		}
		if expNegative {
			exp = -exp
		}
	}
	if i != len(s) {
		return buf, false
	}
	// The digits, integer and fraction, are one sequence; point is how
	// many of them stand before the decimal point (may be negative or past
	// the end).
	digit := func(k int) int {
		if k < intLen {
			return int(s[intStart+k] - '0')
		}
		return int(s[fracStart+k-intLen] - '0')
	}
	n, point := intLen+fracLen, intLen+exp
	scale := max(fracLen-exp, 0)
	first, last := 0, n-1
	for first < n && digit(first) == 0 {
		first++
	}
	for last >= first && digit(last) == 0 {
		last--
	}
	if scale > maxNumericScale {
		return buf, false
	}
	if first > last { // zero, -0 too
		buf = binary.BigEndian.AppendUint32(buf, 8)
		return binary.BigEndian.AppendUint64(buf, uint64(scale)), true // ndigits, weight, sign 0, dscale
	}
	// Digit k stands for 10^(point-1-k); base-10000 digit g holds the
	// decimal exponents 4w..4w+3 where w = weight-g.
	weight := floorDiv4(point - 1 - first)
	ndigits := weight - floorDiv4(point-1-last) + 1
	if ndigits > maxNumericDigits || weight > math.MaxInt16 || weight < math.MinInt16 {
		return buf, false
	}
	sign := uint16(0)
	if negative {
		sign = 0x4000
	}
	buf = binary.BigEndian.AppendUint32(buf, uint32(8+2*ndigits))
	buf = binary.BigEndian.AppendUint16(buf, uint16(ndigits))
	buf = binary.BigEndian.AppendUint16(buf, uint16(int16(weight)))
	buf = binary.BigEndian.AppendUint16(buf, sign)
	buf = binary.BigEndian.AppendUint16(buf, uint16(scale))
	for g := range ndigits {
		top := 4*(weight-g) + 3 // the exponent of the group's first decimal digit
		v := 0
		for e := top; e > top-4; e-- {
			v *= 10
			if k := point - 1 - e; k >= first && k <= last {
				v += digit(k)
			}
		}
		buf = binary.BigEndian.AppendUint16(buf, uint16(v))
	}
	return buf, true
}

// floorDiv4 is x/4 rounded down.
func floorDiv4(x int) int {
	if x < 0 {
		return -((-x + 3) / 4)
	}
	return x / 4
}

// copyHeader starts the binary COPY stream: the signature, no flags, no
// header extension.
var copyHeader = []byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00")

// appendCopyRows appends rows as a binary COPY stream, the values of
// column j encoded as types[j]. ok is false when a value cannot be
// encoded.
func appendCopyRows(buf []byte, types []binaryType, rows [][]any) (out []byte, ok bool) {
	buf = append(buf, copyHeader...)
	for _, r := range rows {
		buf = binary.BigEndian.AppendUint16(buf, uint16(len(r)))
		for j, v := range r {
			if buf, ok = appendValue(buf, types[j], v); !ok {
				return buf, false
			}
		}
	}
	return appendCopyEnd(buf), true
}

// appendCopyEnd ends a binary COPY stream: a tuple of -1 fields.
func appendCopyEnd(buf []byte) []byte { return binary.BigEndian.AppendUint16(buf, math.MaxUint16) }

// appendArray appends column j of rows as a one-dimensional array of t,
// a wire type. ok is false when a value cannot be encoded.
func appendArray(buf []byte, t binaryType, rows [][]any, j int) ([]byte, bool) {
	buf = binary.BigEndian.AppendUint32(buf, 1) // dimensions
	nulls := len(buf)
	buf = binary.BigEndian.AppendUint32(buf, 0)
	buf = binary.BigEndian.AppendUint32(buf, wireOIDs[t])
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(rows)))
	buf = binary.BigEndian.AppendUint32(buf, 1) // lower bound
	for _, r := range rows {
		if r[j] == nil {
			binary.BigEndian.PutUint32(buf[nulls:], 1)
		}
		var ok bool
		if buf, ok = appendValue(buf, t, r[j]); !ok {
			return buf, false
		}
	}
	return buf, true
}
