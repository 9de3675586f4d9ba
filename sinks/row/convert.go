package row

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tributarydata/tributary/bus/record"
)

// Convert turns a decoded JSON value (as record.DecodeObject gives it: nil,
// bool, json.Number, string, map[string]any or []any) into the Go value of the
// column's kind (see Kind). Numbers given as strings are accepted, as JSON
// producers often quote them; numbers read as timestamps are epoch
// milliseconds (ConvertEpoch takes another unit) and as dates days since the
// epoch, as Debezium writes them. nil stays nil (NULL).
func (c *Column) Convert(v any) (any, error) { return c.ConvertEpoch(v, time.Millisecond) }

// ConvertEpoch is Convert reading numeric timestamps in epochUnit.
func (c *Column) ConvertEpoch(v any, epochUnit time.Duration) (any, error) {
	return c.ConvertAt(v, epochUnit, time.UTC)
}

// ConvertAt is Convert reading numeric timestamps in epochUnit and text
// times against the zone loc (nil is UTC):
//
//	input                        timestamp (wall clock)      timestamptz (instant)
//	text without offset          that wall-clock time        that time in loc
//	text with offset or Z        its wall-clock time in loc  that instant
//	epoch number                 its UTC wall-clock time     that instant
//
// Epoch numbers read as UTC wall-clock time because Debezium writes DATETIME
// columns so; an instant with an explicit offset is shown in the sink's zone.
func (c *Column) ConvertAt(v any, epochUnit time.Duration, loc *time.Location) (any, error) {
	if loc == nil {
		loc = time.UTC
	}
	if v == nil {
		if c.NotNull {
			return nil, fmt.Errorf("column %s is NOT NULL but the value is null", c.Name)
		}
		return nil, nil
	}
	out, err := c.convert(v, epochUnit, loc)
	if err != nil {
		return nil, fmt.Errorf("column %s (%s): %w", c.Name, c.SQLType, err)
	}
	return out, nil
}

func (c *Column) convert(v any, epochUnit time.Duration, loc *time.Location) (any, error) {
	switch c.Kind {
	case KindString:
		s, err := asText(v)
		if err != nil {
			return nil, err
		}
		if c.Length > 0 && len(s) > c.Length { // never more characters than bytes
			if n := utf8.RuneCountInString(s); n > c.Length {
				return nil, fmt.Errorf("value of %d characters is longer than %d", n, c.Length)
			}
		}
		return s, nil
	case KindBool:
		return asBool(v)
	case KindInt:
		return c.asInt(v)
	case KindFloat:
		return asFloat(v)
	case KindDecimal:
		return c.asDecimal(v)
	case KindDate:
		return asDate(v)
	case KindTimestamp, KindTimestampTZ:
		return asTimestamp(v, epochUnit, loc, c.Kind == KindTimestampTZ)
	case KindJSON:
		return asJSON(v)
	case KindBytes:
		return asBytes(v)
	}
	return nil, fmt.Errorf("unknown kind %v", c.Kind)
}

// describe names a JSON value's type for error messages; values themselves
// are never quoted, since they may be personal data.
func describe(v any) string {
	switch v.(type) {
	case bool:
		return "a boolean"
	case json.Number, float64, float32, int, int64, int32:
		return "a number"
	case string:
		return "a string"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	}
	return fmt.Sprintf("a %T", v)
}

func wrongType(v any, want string) error {
	return fmt.Errorf("got %s, want %s", describe(v), want)
}

// asText renders scalars as their JSON text (numbers exactly) and objects or
// arrays as compact JSON, so nothing is lost when a string column holds them.
func asText(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case json.Number:
		return x.String(), nil
	case bool:
		return strconv.FormatBool(x), nil
	case map[string]any, []any:
		b, err := record.Encode(x)
		return string(b), err
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case int:
		return strconv.Itoa(x), nil
	}
	return "", wrongType(v, "text")
}

func asBool(v any) (any, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case json.Number:
		switch x {
		case "0":
			return false, nil
		case "1":
			return true, nil
		}
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true", "t", "1", "yes", "y":
			return true, nil
		case "false", "f", "0", "no", "n":
			return false, nil
		}
	}
	return nil, wrongType(v, "a boolean (true/false, 1/0)")
}

// numberText gives a number's text: a JSON number, or a string holding one
// in plain decimal notation (no hex, fractions or digit separators, which
// big.Rat and strconv would otherwise accept).
func numberText(v any) (string, bool) {
	switch x := v.(type) {
	case json.Number:
		return x.String(), isDecimalText(x.String())
	case string:
		s := strings.TrimSpace(x)
		return s, isDecimalText(s)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case int:
		return strconv.Itoa(x), true
	}
	return "", false
}

// asInt accepts integers, and decimals whose fraction is zero ("3.0", 1e3),
// and checks the column's range, so an overflow is this record's error rather
// than a failed batch.
func (c *Column) asInt(v any) (any, error) {
	if b, ok := v.(bool); ok && c.Bits == 8 {
		// MySQL's BOOLEAN is TINYINT(1), and JSON producers write true/false.
		if b {
			return int64(1), nil
		}
		return int64(0), nil
	}
	s, ok := numberText(v)
	if !ok {
		if _, isText := v.(string); isText {
			return nil, fmt.Errorf("%q is not an integer", clip(s))
		}
		return nil, wrongType(v, "an integer")
	}
	bits := c.Bits
	if bits == 0 {
		bits = 64
	}
	if c.Unsigned {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			r, ok := integralRat(s)
			if !ok || !r.IsInt() || r.Sign() < 0 || !r.Num().IsUint64() {
				return nil, fmt.Errorf("%q is not an unsigned integer", clip(s))
			}
			n = r.Num().Uint64()
		}
		if bits < 64 && n >= 1<<bits {
			return nil, fmt.Errorf("%d is out of range for %d-bit unsigned", n, bits)
		}
		if n > math.MaxInt64 {
			// Beyond int64: kept as exact decimal text, which both
			// PostgreSQL's numeric and MySQL's BIGINT UNSIGNED accept.
			return strconv.FormatUint(n, 10), nil
		}
		return int64(n), nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		r, ok := integralRat(s)
		if !ok || !r.IsInt() || !r.Num().IsInt64() {
			return nil, fmt.Errorf("%q is not an integer in range", clip(s))
		}
		n = r.Num().Int64()
	}
	if bits < 64 && (n < -(1<<(bits-1)) || n >= 1<<(bits-1)) {
		return nil, fmt.Errorf("%d is out of range for %d-bit integer", n, bits)
	}
	return n, nil
}

// maxExponent bounds the exponent of numbers read exactly: 1e999999 is a
// few bytes of JSON but megabytes of big.Rat arithmetic.
const maxExponent = 1000

// isDecimalText reports whether s is [+-]digits[.digits][e[+-]digits], with
// at least one digit before the exponent and an exponent within maxExponent.
func isDecimalText(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		digits++
	}
	if i < len(s) && s[i] == '.' {
		for i++; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			digits++
		}
	}
	if digits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		start := i
		for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
			exp = exp*10 + int(s[i]-'0')
			if exp > maxExponent {
				return false
			}
		}
		if i == start {
			return false
		}
	}
	return i == len(s)
}

// integralRat parses decimal or exponent notation exactly.
func integralRat(s string) (*big.Rat, bool) {
	if len(s) > 400 || !isDecimalText(s) {
		return nil, false
	}
	r, ok := new(big.Rat).SetString(s)
	return r, ok
}

// clip bounds a value quoted in an error message.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

func asFloat(v any) (any, error) {
	if s, ok := v.(string); ok {
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "nan":
			return math.NaN(), nil
		case "inf", "+inf", "infinity", "+infinity":
			return math.Inf(1), nil
		case "-inf", "-infinity":
			return math.Inf(-1), nil
		}
	}
	s, ok := numberText(v)
	if !ok {
		if _, isText := v.(string); isText {
			return nil, fmt.Errorf("%q is not a number", clip(s))
		}
		return nil, wrongType(v, "a number")
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
			return nil, fmt.Errorf("%q is out of range for a double", clip(s))
		}
		return nil, fmt.Errorf("%q is not a number", clip(s))
	}
	return f, nil
}

// asDecimal keeps the number's text exactly, after checking it is one that
// fits the column: the stores round extra fraction digits to the scale, as
// their own casts do, but refuse integer digits beyond precision − scale.
func (c *Column) asDecimal(v any) (any, error) {
	s, ok := numberText(v)
	if !ok {
		if _, isText := v.(string); isText {
			return nil, fmt.Errorf("%q is not a decimal number", clip(s))
		}
		return nil, wrongType(v, "a decimal number")
	}
	return c.decimalText(s)
}

// decimalText is asDecimal on number text already known to be in plain
// decimal or exponent notation (isDecimalText).
func (c *Column) decimalText(s string) (any, error) {
	if !c.Unsigned && c.Precision == 0 {
		return s, nil
	}
	negative, digits := integerDigits(s)
	if digits < 0 {
		// Exponent notation: worked out exactly.
		r, ok := integralRat(s)
		if !ok {
			return nil, fmt.Errorf("%q is not a decimal number", clip(s))
		}
		whole := new(big.Int).Quo(new(big.Int).Abs(r.Num()), r.Denom())
		negative, digits = r.Sign() < 0, 0
		if whole.Sign() > 0 {
			digits = len(whole.String())
		}
	}
	if c.Unsigned && negative {
		return nil, fmt.Errorf("%q is negative for an unsigned decimal", clip(s))
	}
	if c.Precision > 0 && digits > c.Precision-c.Scale {
		return nil, fmt.Errorf("%q has %d integer digits, more than decimal(%d,%d) holds", clip(s), digits, c.Precision, c.Scale)
	}
	return s, nil
}

// integerDigits counts the significant digits before the point of a number
// in plain decimal notation, and whether it is below zero; digits is -1 for
// exponent notation.
//
// It reads s in one pass, as a sink reads every decimal of every row.
func integerDigits(s string) (negative bool, digits int) {
	i := 0
	for i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	for i < len(s) && s[i] == '0' {
		i++
	}
	start := i
	for ; i < len(s) && s[i] != '.'; i++ {
		if s[i] == 'e' || s[i] == 'E' {
			return false, -1
		}
	}
	digits = i - start
	nonzero := digits > 0
	for i++; i < len(s); i++ { // the fraction, if any
		switch s[i] {
		case 'e', 'E':
			return false, -1
		case '0':
		default:
			nonzero = true
		}
	}
	return nonzero && strings.HasPrefix(s, "-"), digits
}

var dateLayouts = []string{time.DateOnly, "2006/01/02", "20060102"}

func asDate(v any) (any, error) {
	if s, ok := v.(string); ok {
		s = strings.TrimSpace(s)
		for _, layout := range dateLayouts {
			if t, err := time.Parse(layout, s); err == nil {
				return t, nil
			}
		}
		// A timestamp is cut to its date as written.
		if t, _, err := parseTimestampText(s); err == nil {
			y, m, d := t.Date()
			return time.Date(y, m, d, 0, 0, 0, 0, time.UTC), nil
		}
		return nil, fmt.Errorf("%q is not a date (YYYY-MM-DD)", clip(s))
	}
	if n, ok := v.(json.Number); ok {
		days, err := n.Int64()
		if err != nil || days < -1e7 || days > 1e7 {
			return nil, fmt.Errorf("%q is not a day number", clip(n.String()))
		}
		d, err := dayDate(days)
		if err != nil {
			return nil, err
		}
		return d, nil
	}
	return nil, wrongType(v, "a date")
}

// dayDate is the date of a day number within ±1e7.
func dayDate(days int64) (time.Time, error) {
	d := time.Unix(days*86400, 0).UTC()
	if d.Year() < 1 || d.Year() > 9999 {
		return time.Time{}, fmt.Errorf("day %d is out of range", days)
	}
	return d, nil
}

// zonedLayouts and wallLayouts are tried in order on text.
var (
	zonedLayouts = []string{
		time.RFC3339Nano,
		"2006-01-02 15:04:05.999999999Z07:00",
		"2006-01-02 15:04:05.999999999 -0700",
	}
	wallLayouts = []string{
		"2006-01-02T15:04:05.999999999",
		"2006-01-02 15:04:05.999999999",
		"2006-01-02T15:04",
		"2006-01-02 15:04",
		time.DateOnly,
	}
)

// parseTimestampText reads text with an offset as that instant, and text
// without one as wall-clock time, returned in UTC with zoned=false.
func parseTimestampText(s string) (t time.Time, zoned bool, err error) {
	if t, zoned, ok := parseTimestampFast(s); ok {
		return t, zoned, nil
	}
	for _, layout := range zonedLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true, nil
		}
	}
	for _, layout := range wallLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, false, nil
		}
	}
	return time.Time{}, false, fmt.Errorf("%q is not a timestamp (RFC 3339 or YYYY-MM-DD hh:mm:ss[.fff])", clip(s))
}

// parseTimestampFast reads the common forms without trying layouts one by
// one (which was a sixth of a sink's CPU per record):
// YYYY-MM-DD[T ]hh:mm[:ss[.fraction][Z|±hh:mm]]. ok is false for
// anything else, which the layouts then try.
func parseTimestampFast(s string) (t time.Time, zoned, ok bool) {
	if len(s) < 16 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') || s[13] != ':' {
		return time.Time{}, false, false
	}
	year, ok1 := digits(s[0:4])
	month, ok2 := digits(s[5:7])
	day, ok3 := digits(s[8:10])
	hour, ok4 := digits(s[11:13])
	minute, ok5 := digits(s[14:16])
	if !(ok1 && ok2 && ok3 && ok4 && ok5) {
		return time.Time{}, false, false
	}
	rest := s[16:]
	second, nanos, withSeconds := 0, 0, false
	if len(rest) >= 3 && rest[0] == ':' {
		withSeconds = true
		var ok bool
		if second, ok = digits(rest[1:3]); !ok {
			return time.Time{}, false, false
		}
		rest = rest[3:]
		if len(rest) > 1 && rest[0] == '.' {
			i := 1
			for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
				i++
			}
			if i == 1 || i > 10 {
				return time.Time{}, false, false
			}
			frac, _ := digits(rest[1:i])
			for range 10 - i {
				frac *= 10
			}
			nanos, rest = frac, rest[i:]
		}
	}
	loc := time.UTC
	switch {
	case rest == "":
	case !withSeconds:
		return time.Time{}, false, false
	case rest == "Z":
		zoned = true
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		oh, okh := digits(rest[1:3])
		om, okm := digits(rest[4:6])
		if !okh || !okm || oh > 23 || om > 59 {
			return time.Time{}, false, false
		}
		offset := oh*3600 + om*60
		if rest[0] == '-' {
			offset = -offset
		}
		loc, zoned = time.FixedZone("", offset), true
	default:
		return time.Time{}, false, false
	}
	if month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59 {
		return time.Time{}, false, false
	}
	t = time.Date(year, time.Month(month), day, hour, minute, second, nanos, loc)
	if t.Day() != day {
		return time.Time{}, false, false // the 31st of a shorter month
	}
	return t, zoned, true
}

// digits reads a short run of ASCII digits.
func digits(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, len(s) > 0
}

// asTimestamp follows the table of ConvertAt. Wall-clock values are
// time.Times in UTC carrying the wall-clock fields.
func asTimestamp(v any, unit time.Duration, loc *time.Location, instant bool) (any, error) {
	switch x := v.(type) {
	case string:
		s := strings.TrimSpace(x)
		t, zoned, err := parseTimestampText(s)
		if err != nil {
			if _, ierr := strconv.ParseInt(s, 10, 64); ierr == nil {
				return epoch(s, unit)
			}
			return nil, err
		}
		return placeTimestamp(t, zoned, loc, instant), nil
	case json.Number:
		return epoch(x.String(), unit)
	}
	return nil, wrongType(v, "a timestamp")
}

// placeTimestamp turns text read by parseTimestampText into a column's value.
// Text without an offset comes in UTC, so for a UTC zone it is already the
// instant.
func placeTimestamp(t time.Time, zoned bool, loc *time.Location, instant bool) time.Time {
	switch {
	case zoned && instant:
		return t.UTC()
	case zoned:
		return wallClock(t.In(loc))
	case instant && loc == time.UTC:
		return t // what time.Date in UTC would give again
	case instant:
		return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), loc).UTC()
	default:
		return t
	}
}

// wallClock keeps t's wall-clock fields in a UTC time.Time.
func wallClock(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

// epoch reads an integer count of unit since 1970, refusing what a
// timestamp column cannot hold rather than overflowing.
func epoch(s string, unit time.Duration) (any, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return nil, fmt.Errorf("%q is not an epoch timestamp", clip(s))
	}
	t, err := epochTime(n, unit)
	if err != nil {
		return nil, err
	}
	return t, nil
}

// epochTime is epoch on an integer already read.
func epochTime(n int64, unit time.Duration) (time.Time, error) {
	const maxSeconds = 253402300799 // 9999-12-31T23:59:59Z
	var t time.Time
	if unit >= time.Second {
		k := int64(unit / time.Second)
		if n > maxSeconds/k || n < -maxSeconds/k {
			return time.Time{}, fmt.Errorf("%d is out of range", n)
		}
		t = time.Unix(n*k, 0)
	} else {
		per := int64(time.Second / unit)
		t = time.Unix(n/per, (n%per)*int64(unit))
	}
	t = t.UTC()
	if t.Year() < 1 || t.Year() > 9999 {
		return time.Time{}, fmt.Errorf("%d is out of range", n)
	}
	return t, nil
}

// asJSON gives compact JSON text. A string holding JSON is that JSON, as
// Debezium writes JSON columns; any other string is a JSON string.
func asJSON(v any) (any, error) {
	if s, ok := v.(string); ok && json.Valid([]byte(s)) {
		var buf bytes.Buffer
		if err := json.Compact(&buf, []byte(s)); err == nil {
			return buf.String(), nil
		}
	}
	b, err := record.Encode(v)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// asBytes reads base64 text, which is how Debezium's JSON converter writes
// binary columns.
func asBytes(v any) (any, error) {
	s, ok := v.(string)
	if !ok {
		return nil, wrongType(v, "base64 text")
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("not base64 text: %w", err)
	}
	return b, nil
}
