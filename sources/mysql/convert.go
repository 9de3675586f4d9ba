package mysql

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// converter turns column values, as the binlog decoder or the text protocol
// of a snapshot query delivers them, into the JSON values of change events.
// Both paths give the same result for the same stored value, so a row read
// by the snapshot and the same row read from the binlog look alike.
//
// Encodings follow Debezium's JSON output (schemas off) with its default
// time.precision.mode=adaptive_time_microseconds:
//
//	DATE                  days since 1970-01-01
//	DATETIME(0-3)         milliseconds since the epoch, the wall time read as UTC
//	DATETIME(4-6)         microseconds since the epoch, likewise
//	TIMESTAMP             ISO-8601 text in UTC, e.g. "2024-05-01T08:30:00.125Z"
//	TIME                  microseconds (may be negative or above a day)
//	DECIMAL               decimal.handling.mode: "12.50" | 12.5 | base64 of the unscaled value
//	BINARY, BLOB          binary.handling.mode: base64 or hex text
//	JSON                  the document as text
//	ENUM                  the member; SET the members joined by ","
//	BIT(1)                true/false; BIT(n) base64 of the bits, least significant byte first
//	zero dates            null
type converter struct {
	decimalMode string
	binaryMode  string
}

// value converts raw, which is nil, an integer or float type, a string or
// []byte, for column c.
func (cv converter) value(c *column, raw any) (any, error) {
	if raw == nil {
		return nil, nil
	}
	switch c.kind {
	case kindInt:
		return toInt(raw)
	case kindUint:
		return toUint(raw)
	case kindFloat, kindDouble:
		return toFloat(raw, c.kind == kindFloat)
	case kindYear:
		return toInt(raw)
	case kindDecimal:
		return cv.decimal(text(raw))
	case kindDate:
		return dateDays(text(raw))
	case kindDatetime:
		return datetimeEpoch(text(raw), c.Precision)
	case kindTimestamp:
		return timestampISO(text(raw), c.Precision)
	case kindTime:
		return timeMicros(text(raw))
	case kindString:
		s := text(raw)
		if c.charset != "" {
			return decodeCharset(c, s)
		}
		if !utf8.ValidString(s) {
			return nil, fmt.Errorf("column %s holds bytes that are not valid UTF-8", c.Name)
		}
		return s, nil
	case kindJSON:
		s := text(raw)
		if s == "" {
			return nil, nil // a JSON column holding SQL NULL inside the document
		}
		if !json.Valid([]byte(s)) {
			return nil, fmt.Errorf("column %s holds invalid JSON %q", c.Name, truncate(s, 64))
		}
		return s, nil
	case kindBinary, kindGeometry:
		b := bytesOf(raw)
		if len(b) < c.fixedLen {
			b = append(b, make([]byte, c.fixedLen-len(b))...)
		}
		return cv.binary(b), nil
	case kindEnum:
		return enumValue(c, raw)
	case kindSet:
		return setValue(c, raw)
	case kindBit:
		return bitValue(c, raw)
	}
	return nil, fmt.Errorf("column %s: unknown kind %v", c.Name, c.kind)
}

// decodeCharset converts text stored in a non-UTF-8 charset.
func decodeCharset(c *column, s string) (any, error) {
	var dec *encoding.Decoder
	switch c.charset {
	case "latin1":
		dec = charmap.Windows1252.NewDecoder() // MySQL's latin1 is cp1252
	case "gbk":
		dec = simplifiedchinese.GBK.NewDecoder()
	case "gb18030":
		dec = simplifiedchinese.GB18030.NewDecoder()
	default:
		return nil, fmt.Errorf("column %s: charset %s is not supported", c.Name, c.charset)
	}
	out, err := dec.String(s)
	if err != nil {
		return nil, fmt.Errorf("column %s: text is not valid %s: %w", c.Name, c.charset, err)
	}
	return out, nil
}

func text(raw any) string {
	switch v := raw.(type) {
	case string:
		return v
	case []byte:
		return string(v)
	}
	return fmt.Sprint(raw)
}

func bytesOf(raw any) []byte {
	switch v := raw.(type) {
	case []byte:
		return v
	case string:
		return []byte(v)
	}
	return []byte(fmt.Sprint(raw))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func toInt(raw any) (any, error) {
	switch v := raw.(type) {
	case int8:
		return int64(v), nil
	case int16:
		return int64(v), nil
	case int32:
		return int64(v), nil
	case int64:
		return v, nil
	case int:
		return int64(v), nil
	case uint8:
		return int64(v), nil
	case uint16:
		return int64(v), nil
	case uint32:
		return int64(v), nil
	case uint64:
		if v > math.MaxInt64 {
			return nil, fmt.Errorf("signed column holds %d", v)
		}
		return int64(v), nil
	}
	return strconv.ParseInt(text(raw), 10, 64)
}

func toUint(raw any) (any, error) {
	switch v := raw.(type) {
	case uint8:
		return uint64(v), nil
	case uint16:
		return uint64(v), nil
	case uint32:
		return uint64(v), nil
	case uint64:
		return v, nil
	case int8, int16, int32, int64, int:
		n, _ := toInt(v)
		if n.(int64) < 0 {
			return nil, fmt.Errorf("unsigned column holds %d", n)
		}
		return uint64(n.(int64)), nil
	}
	return strconv.ParseUint(text(raw), 10, 64)
}

func toFloat(raw any, single bool) (any, error) {
	var f float64
	switch v := raw.(type) {
	case float32:
		// The shortest decimal that reads back as this float32, as a
		// snapshot query prints it: 0.1, not 0.10000000149.
		f, _ = strconv.ParseFloat(strconv.FormatFloat(float64(v), 'g', -1, 32), 64)
	case float64:
		f = v
		if single {
			f, _ = strconv.ParseFloat(strconv.FormatFloat(v, 'g', -1, 32), 64)
		}
	default:
		var err error
		if f, err = strconv.ParseFloat(text(raw), 64); err != nil {
			return nil, err
		}
	}
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, fmt.Errorf("float value %v has no JSON form", f)
	}
	return f, nil
}

// decimalText is how MySQL prints a DECIMAL, in both the text protocol and
// go-mysql's binlog decoder.
var decimalText = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

func (cv converter) decimal(s string) (any, error) {
	s = strings.TrimSpace(s)
	if !decimalText.MatchString(s) {
		return nil, fmt.Errorf("decimal %q does not parse", truncate(s, 64))
	}
	r, _ := new(big.Rat).SetString(s)
	switch cv.decimalMode {
	case "double":
		f, _ := r.Float64()
		return f, nil
	case "precise":
		// The scale is the column's; Debezium carries it in the schema.
		unscaled, _ := new(big.Int).SetString(strings.Replace(s, ".", "", 1), 10)
		return base64.StdEncoding.EncodeToString(twosComplement(unscaled)), nil
	}
	return s, nil
}

// twosComplement is Java's BigInteger.toByteArray: big-endian, minimal, signed.
func twosComplement(n *big.Int) []byte {
	if n.Sign() >= 0 {
		b := n.Bytes()
		if len(b) == 0 || b[0]&0x80 != 0 {
			b = append([]byte{0}, b...)
		}
		return b
	}
	// -n = ^(n-1) in two's complement.
	m := new(big.Int).Neg(n)
	m.Sub(m, big.NewInt(1))
	b := m.Bytes()
	for i := range b {
		b[i] = ^b[i]
	}
	if len(b) == 0 || b[0]&0x80 == 0 {
		b = append([]byte{0xff}, b...)
	}
	return b
}

func (cv converter) binary(b []byte) string {
	if cv.binaryMode == "hex" {
		return hex.EncodeToString(b)
	}
	return base64.StdEncoding.EncodeToString(b)
}

func isZeroDate(s string) bool { return strings.HasPrefix(s, "0000-00-00") }

func dateDays(s string) (any, error) {
	if isZeroDate(s) {
		return nil, nil
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return nil, fmt.Errorf("date %q: %w", s, err)
	}
	return d.Unix() / 86400, nil
}

// parseDatetime reads "YYYY-MM-DD hh:mm:ss[.ffffff]" as UTC.
func parseDatetime(s string) (time.Time, error) {
	t, err := time.Parse("2006-01-02 15:04:05.999999", s)
	if err != nil {
		return t, fmt.Errorf("datetime %q: %w", s, err)
	}
	return t, nil
}

func datetimeEpoch(s string, precision int) (any, error) {
	if isZeroDate(s) {
		return nil, nil
	}
	t, err := parseDatetime(s)
	if err != nil {
		return nil, err
	}
	if precision <= 3 {
		return t.UnixMilli(), nil
	}
	return t.UnixMicro(), nil
}

// timestampISO formats a TIMESTAMP, which both paths deliver as UTC wall
// time (the snapshot session runs with time_zone '+00:00'), with as many
// fractional digits as the column has.
func timestampISO(s string, precision int) (any, error) {
	if isZeroDate(s) {
		return nil, nil
	}
	t, err := parseDatetime(s)
	if err != nil {
		return nil, err
	}
	layout := "2006-01-02T15:04:05"
	if precision > 0 {
		layout += "." + strings.Repeat("0", precision)
	}
	return t.UTC().Format(layout) + "Z", nil
}

// timeMicros reads "[-]hhh:mm:ss[.ffffff]".
func timeMicros(s string) (any, error) {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	frac := ""
	if dot := strings.IndexByte(s, '.'); dot >= 0 {
		s, frac = s[:dot], s[dot+1:]
	}
	parts := strings.Split(s, ":")
	if len(parts) != 3 {
		return nil, fmt.Errorf("time %q does not parse", s)
	}
	var hms [3]int64
	for i, p := range parts {
		n, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("time %q: %w", s, err)
		}
		hms[i] = n
	}
	micros := ((hms[0]*60+hms[1])*60 + hms[2]) * 1_000_000
	if frac != "" {
		f := (frac + "000000")[:6]
		n, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("time fraction %q: %w", frac, err)
		}
		micros += n
	}
	if neg {
		micros = -micros
	}
	return micros, nil
}

func enumValue(c *column, raw any) (any, error) {
	switch v := raw.(type) {
	case string, []byte:
		return text(v), nil
	}
	idx, err := toInt(raw)
	if err != nil {
		return nil, err
	}
	i := idx.(int64)
	if i == 0 {
		return "", nil // the error value MySQL stores for an invalid member
	}
	if i < 0 || int(i) > len(c.Values) {
		return nil, fmt.Errorf("column %s: enum index %d outside its %d members", c.Name, i, len(c.Values))
	}
	return c.Values[i-1], nil
}

func setValue(c *column, raw any) (any, error) {
	switch v := raw.(type) {
	case string, []byte:
		return text(v), nil
	}
	bits, err := toInt(raw)
	if err != nil {
		return nil, err
	}
	mask := uint64(bits.(int64))
	var members []string
	for i, m := range c.Values {
		if mask&(1<<uint(i)) != 0 {
			members = append(members, m)
		}
	}
	if mask>>uint(len(c.Values)) != 0 {
		return nil, fmt.Errorf("column %s: set bits %b outside its %d members", c.Name, mask, len(c.Values))
	}
	return strings.Join(members, ","), nil
}

func bitValue(c *column, raw any) (any, error) {
	var n uint64
	switch v := raw.(type) {
	case []byte: // the text protocol sends the bits big-endian
		if len(v) > 8 {
			return nil, fmt.Errorf("column %s: %d bytes of bits", c.Name, len(v))
		}
		for _, b := range v {
			n = n<<8 | uint64(b)
		}
	case string:
		return bitValue(c, []byte(v))
	default:
		i, err := toInt(raw)
		if err != nil {
			return nil, err
		}
		n = uint64(i.(int64))
	}
	if c.Precision <= 1 {
		return n != 0, nil
	}
	out := make([]byte, (c.Precision+7)/8)
	for i := range out {
		out[i] = byte(n >> (8 * i))
	}
	return base64.StdEncoding.EncodeToString(out), nil
}
