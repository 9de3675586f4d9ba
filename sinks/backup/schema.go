package backup

import (
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"

	"github.com/tributarydata/tributary/sinks/row"
)

// Metadata columns, written after the data columns of every file.
const (
	colTopic     = "_topic"     // STRING, required
	colPartition = "_partition" // INT32, required
	colOffset    = "_offset"    // INT64, required
	colTimestamp = "_timestamp" // TIMESTAMP(MILLIS, UTC), null when the record has none
	colOp        = "_op"        // STRING, required: c, u, d, r, or "" for a plain row
)

// Columns of the generic layout (no table.schema.columns).
const (
	colKey   = "key"   // STRING: the record key as text, null when there is none
	colValue = "value" // JSON: the record value as received, null for a tombstone
)

// column is one data column: its Parquet node and how a converted value
// (row.Column.Convert's result) becomes a Parquet value.
type column struct {
	name   string
	src    row.Column
	node   parquet.Node
	encode func(v any) (parquet.Value, error)
}

// fileSchema is the Parquet schema of a table's files.
type fileSchema struct {
	schema  *parquet.Schema
	columns []column // data columns; the metadata columns follow
	generic bool
	lookup  map[string]int // lower-case column name → index, for the case-insensitive match
}

func newFileSchema(cols []row.Column) (*fileSchema, error) {
	fs := &fileSchema{lookup: map[string]int{}}
	if cols == nil {
		fs.generic = true
		fs.columns = []column{
			{name: colKey, node: parquet.Optional(parquet.String())},
			{name: colValue, node: parquet.Optional(parquet.JSON())},
		}
	}
	for _, c := range cols {
		pc, err := parquetColumn(c)
		if err != nil {
			return nil, err
		}
		fs.columns = append(fs.columns, pc)
		if _, dup := fs.lookup[strings.ToLower(c.Name)]; !dup {
			fs.lookup[strings.ToLower(c.Name)] = len(fs.columns) - 1
		}
	}
	g := orderedGroup{Group: parquet.Group{}}
	for _, c := range fs.columns {
		g.Group[c.name] = c.node
		g.order = append(g.order, c.name)
	}
	for _, m := range []struct {
		name string
		node parquet.Node
	}{
		{colTopic, parquet.Required(parquet.String())},
		{colPartition, parquet.Required(parquet.Int(32))},
		{colOffset, parquet.Required(parquet.Int(64))},
		{colTimestamp, parquet.Optional(parquet.Timestamp(parquet.Millisecond))},
		{colOp, parquet.Required(parquet.String())},
	} {
		g.Group[m.name] = m.node
		g.order = append(g.order, m.name)
	}
	fs.schema = parquet.NewSchema("tributary_backup", g)
	return fs, nil
}

// orderedGroup keeps the columns in declared order; parquet.Group alone
// sorts them by name, which would scramble SELECT *.
type orderedGroup struct {
	parquet.Group
	order []string
}

func (g orderedGroup) Fields() []parquet.Field {
	byName := map[string]parquet.Field{}
	for _, f := range g.Group.Fields() {
		byName[f.Name()] = f
	}
	out := make([]parquet.Field, len(g.order))
	for i, n := range g.order {
		out[i] = byName[n]
	}
	return out
}

// decimalArgs reads (p,s) or (p) from a declared decimal type.
var decimalArgs = regexp.MustCompile(`\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)`)

// parquetColumn maps a declared column to its Parquet type. Nullable unless
// NOT NULL.
func parquetColumn(c row.Column) (column, error) {
	pc := column{name: c.Name, src: c}
	var leaf parquet.Node
	switch c.Kind {
	case row.KindString:
		leaf, pc.encode = parquet.String(), encodeText
	case row.KindJSON:
		leaf, pc.encode = parquet.JSON(), encodeText
	case row.KindBool:
		leaf, pc.encode = parquet.Leaf(parquet.BooleanType), func(v any) (parquet.Value, error) {
			b, ok := v.(bool)
			if !ok {
				return parquet.Value{}, unexpected(v)
			}
			return parquet.BooleanValue(b), nil
		}
	case row.KindInt:
		leaf, pc.encode = intColumn(c)
	case row.KindFloat:
		leaf, pc.encode = parquet.Leaf(parquet.DoubleType), func(v any) (parquet.Value, error) {
			f, ok := v.(float64)
			if !ok {
				return parquet.Value{}, unexpected(v)
			}
			return parquet.DoubleValue(f), nil
		}
	case row.KindDecimal:
		var err error
		if leaf, pc.encode, err = decimalColumn(c); err != nil {
			return column{}, err
		}
	case row.KindDate:
		leaf, pc.encode = parquet.Date(), func(v any) (parquet.Value, error) {
			t, ok := v.(time.Time)
			if !ok {
				return parquet.Value{}, unexpected(v)
			}
			days := t.Unix() / 86400
			if t.Unix() < 0 && t.Unix()%86400 != 0 {
				days--
			}
			return parquet.Int32Value(int32(days)), nil
		}
	case row.KindTimestamp, row.KindTimestampTZ:
		// Microseconds, DuckDB's and Spark's own precision. A zone-less
		// timestamp is wall-clock time (isAdjustedToUTC=false: DuckDB
		// TIMESTAMP); timestamptz is an instant (TIMESTAMP WITH TIME ZONE).
		leaf = parquet.TimestampAdjusted(parquet.Microsecond, c.Kind == row.KindTimestampTZ)
		pc.encode = func(v any) (parquet.Value, error) {
			t, ok := v.(time.Time)
			if !ok {
				return parquet.Value{}, unexpected(v)
			}
			return parquet.Int64Value(t.UnixMicro()), nil
		}
	case row.KindBytes:
		leaf, pc.encode = parquet.Leaf(parquet.ByteArrayType), func(v any) (parquet.Value, error) {
			b, ok := v.([]byte)
			if !ok {
				return parquet.Value{}, unexpected(v)
			}
			return parquet.ByteArrayValue(b), nil
		}
	default:
		return column{}, fmt.Errorf("column %s: kind %v has no Parquet type", c.Name, c.Kind)
	}
	if c.NotNull {
		pc.node = parquet.Required(leaf)
	} else {
		pc.node = parquet.Optional(leaf)
	}
	return pc, nil
}

func unexpected(v any) error { return fmt.Errorf("internal: unexpected %T", v) }

// encodeText writes text; Parquet STRING must be UTF-8, and a reader such
// as DuckDB refuses a whole file that is not.
func encodeText(v any) (parquet.Value, error) {
	s, ok := v.(string)
	if !ok {
		return parquet.Value{}, unexpected(v)
	}
	if !utf8.ValidString(s) {
		return parquet.Value{}, errors.New("text is not valid UTF-8")
	}
	return parquet.ByteArrayValue([]byte(s)), nil
}

// intColumn: signed integers as INT(8|16|32|64, signed), unsigned ones as
// INT(n, unsigned), so DuckDB reads TINYINT … BIGINT and UTINYINT … UBIGINT.
func intColumn(c row.Column) (parquet.Node, func(any) (parquet.Value, error)) {
	bits := c.Bits
	switch {
	case bits == 0:
		bits = 64
	case bits == 24:
		bits = 32
	}
	if c.Unsigned && bits == 64 {
		return parquet.Uint(64), func(v any) (parquet.Value, error) {
			switch x := v.(type) {
			case int64:
				return parquet.Int64Value(x), nil // Convert gives int64 only for 0 … MaxInt64
			case string:
				u, err := strconv.ParseUint(x, 10, 64)
				if err != nil {
					return parquet.Value{}, err
				}
				return parquet.Int64Value(int64(u)), nil
			}
			return parquet.Value{}, unexpected(v)
		}
	}
	node := parquet.Int(bits)
	if c.Unsigned {
		node = parquet.Uint(bits)
	}
	if bits == 64 {
		return node, func(v any) (parquet.Value, error) {
			n, ok := v.(int64)
			if !ok {
				return parquet.Value{}, unexpected(v)
			}
			return parquet.Int64Value(n), nil
		}
	}
	// Convert checked the range of the declared width.
	return node, func(v any) (parquet.Value, error) {
		n, ok := v.(int64)
		if !ok {
			return parquet.Value{}, unexpected(v)
		}
		return parquet.Int32Value(int32(uint32(n))), nil
	}
}

// decimalColumn: decimal(p,s) with p ≤ 38 is a Parquet DECIMAL (INT32 up to
// 9 digits, INT64 up to 18, a 16-byte FIXED_LEN_BYTE_ARRAY beyond), read by
// DuckDB as DECIMAL(p,s) exactly. A value with more fraction digits than s or
// more integer digits than p-s is an error rather than rounded. decimal or
// numeric without a precision (PostgreSQL's unbounded numeric) is kept as
// exact text.
func decimalColumn(c row.Column) (parquet.Node, func(any) (parquet.Value, error), error) {
	m := decimalArgs.FindStringSubmatch(c.SQLType)
	if m == nil {
		return parquet.String(), encodeText, nil
	}
	p, err1 := strconv.Atoi(m[1])
	s := 0
	var err2 error
	if m[2] != "" {
		s, err2 = strconv.Atoi(m[2])
	}
	if err1 != nil || err2 != nil || p < 1 || p > 38 || s > p {
		return nil, nil, fmt.Errorf("column %s: %s: precision must be 1 to 38 and scale at most the precision", c.Name, c.SQLType)
	}
	limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(p)), nil)
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(s)), nil)
	unscaled := func(v any) (*big.Int, error) {
		text, ok := v.(string)
		if !ok {
			return nil, unexpected(v)
		}
		if n, ok := plainDecimal(text, s); ok {
			if n.CmpAbs(limit) >= 0 {
				return nil, fmt.Errorf("%q is out of range for decimal(%d,%d)", clip(text), p, s)
			}
			return n, nil
		}
		r, ok := new(big.Rat).SetString(text)
		if !ok {
			return nil, fmt.Errorf("%q is not a decimal number", clip(text))
		}
		r.Mul(r, new(big.Rat).SetInt(scale))
		if !r.IsInt() {
			return nil, fmt.Errorf("%q has more than %d digits after the point", clip(text), s)
		}
		n := r.Num()
		if new(big.Int).Abs(n).Cmp(limit) >= 0 {
			return nil, fmt.Errorf("%q is out of range for decimal(%d,%d)", clip(text), p, s)
		}
		return n, nil
	}
	switch {
	case p <= 9:
		return parquet.Decimal(s, p, parquet.Int32Type), func(v any) (parquet.Value, error) {
			n, err := unscaled(v)
			if err != nil {
				return parquet.Value{}, err
			}
			return parquet.Int32Value(int32(n.Int64())), nil
		}, nil
	case p <= 18:
		return parquet.Decimal(s, p, parquet.Int64Type), func(v any) (parquet.Value, error) {
			n, err := unscaled(v)
			if err != nil {
				return parquet.Value{}, err
			}
			return parquet.Int64Value(n.Int64()), nil
		}, nil
	}
	return parquet.Decimal(s, p, parquet.FixedLenByteArrayType(16)), func(v any) (parquet.Value, error) {
		n, err := unscaled(v)
		if err != nil {
			return parquet.Value{}, err
		}
		return parquet.FixedLenByteArrayValue(twosComplement16(n)), nil
	}, nil
}

// plainDecimal is the fast path for the usual text, [-]digits[.digits] with
// at most scale fraction digits and 18 digits in all: the unscaled value
// without big.Rat. ok is false for anything else, which the caller parses
// exactly.
func plainDecimal(text string, scale int) (*big.Int, bool) {
	s := text
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	intPart, frac, _ := strings.Cut(s, ".")
	if intPart == "" || len(frac) > scale || len(intPart)+scale > 18 {
		return nil, false
	}
	var n int64
	for _, part := range [2]string{intPart, frac} {
		for i := 0; i < len(part); i++ {
			c := part[i]
			if c < '0' || c > '9' {
				return nil, false
			}
			n = n*10 + int64(c-'0')
		}
	}
	for range scale - len(frac) {
		n *= 10
	}
	if neg {
		n = -n
	}
	return big.NewInt(n), true
}

// twosComplement16 writes n (|n| < 10^38 < 2^127) big-endian in 16 bytes.
func twosComplement16(n *big.Int) []byte {
	b := make([]byte, 16)
	if n.Sign() >= 0 {
		return n.FillBytes(b)
	}
	// 2^128 + n
	m := new(big.Int).Lsh(big.NewInt(1), 128)
	return m.Add(m, n).FillBytes(b)
}
