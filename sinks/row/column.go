package row

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// Kind is how a column's values are represented on the way to the store.
type Kind uint8

// Kinds and the Go type Column.Convert returns for each.
const (
	KindString      Kind = iota // string
	KindBool                    // bool
	KindInt                     // int64
	KindFloat                   // float64
	KindDecimal                 // string holding an exact decimal number
	KindDate                    // time.Time at midnight UTC
	KindTimestamp               // time.Time: wall-clock time without zone, kept in UTC
	KindTimestampTZ             // time.Time: an instant
	KindJSON                    // string holding compact JSON text
	KindBytes                   // []byte
)

var kindNames = [...]string{"string", "bool", "int", "float", "decimal", "date", "timestamp", "timestamptz", "json", "bytes"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Column is one column of a target table.
type Column struct {
	Name string
	Kind Kind
	// SQLType is the type as declared or as the catalog names it
	// ("bigint", "varchar(64)", "timestamp with time zone"); sinks use it in
	// DDL and casts.
	SQLType string
	// Length is the most characters a string column holds; 0 is unbounded.
	Length int
	// Bits is the width of an integer column (8, 16, 24, 32 or 64); 0 is 64.
	Bits int
	// Unsigned marks a MySQL UNSIGNED integer or decimal column.
	Unsigned bool
	// Precision and Scale of a decimal column; Precision 0 is unbounded.
	Precision, Scale int
	NotNull          bool
}

// KindOf maps a SQL type name of PostgreSQL (Hologres) or MySQL to a kind,
// with the length of character types and the width of integer types. The
// name may carry arguments and modifiers: "varchar(64)", "decimal(10,2)",
// "int unsigned", "timestamp(3) with time zone", "text[]" (arrays are JSON).
func KindOf(sqlType string) (kind Kind, length, bits int, unsigned bool, err error) {
	t := strings.ToLower(strings.Join(strings.Fields(sqlType), " "))
	if t == "" {
		return 0, 0, 0, false, fmt.Errorf("empty type")
	}
	if strings.HasSuffix(t, "[]") {
		return KindJSON, 0, 0, false, nil
	}
	t = strings.TrimSuffix(t, " zerofill")
	if rest, ok := strings.CutSuffix(t, " unsigned"); ok {
		t, unsigned = rest, true
	}
	base, args := t, ""
	if i := strings.IndexByte(t, '('); i >= 0 {
		j := strings.IndexByte(t, ')')
		if j < i {
			return 0, 0, 0, false, fmt.Errorf("type %q: unbalanced parenthesis", sqlType)
		}
		base, args = strings.TrimSpace(t[:i]+t[j+1:]), t[i+1:j]
	}
	switch base {
	case "bool", "boolean":
		return KindBool, 0, 0, false, nil
	case "tinyint":
		if args == "1" && !unsigned {
			// MySQL's BOOLEAN is TINYINT(1); values stay integers so 2 survives.
			return KindInt, 0, 8, false, nil
		}
		return KindInt, 0, 8, unsigned, nil
	case "smallint", "int2", "smallserial", "serial2":
		return KindInt, 0, 16, unsigned, nil
	case "mediumint":
		return KindInt, 0, 24, unsigned, nil
	case "int", "integer", "int4", "serial", "serial4":
		return KindInt, 0, 32, unsigned, nil
	case "bigint", "int8", "bigserial", "serial8":
		return KindInt, 0, 64, unsigned, nil
	case "real", "float4", "float", "double", "double precision", "float8":
		return KindFloat, 0, 0, false, nil
	case "decimal", "numeric", "dec", "fixed":
		return KindDecimal, 0, 0, unsigned, nil
	case "date":
		return KindDate, 0, 0, false, nil
	case "timestamp", "timestamp without time zone", "datetime":
		return KindTimestamp, 0, 0, false, nil
	case "timestamptz", "timestamp with time zone":
		return KindTimestampTZ, 0, 0, false, nil
	case "json", "jsonb":
		return KindJSON, 0, 0, false, nil
	case "bytea", "blob", "tinyblob", "mediumblob", "longblob", "binary", "varbinary":
		return KindBytes, 0, 0, false, nil
	case "text", "tinytext", "mediumtext", "longtext", "uuid", "time", "time without time zone",
		"enum", "set", "inet", "cidr", "interval":
		return KindString, 0, 0, false, nil
	case "varchar", "character varying", "char", "character", "bpchar", "nvarchar", "nchar":
		if args == "" {
			return KindString, 0, 0, false, nil
		}
		n, err := strconv.Atoi(strings.TrimSpace(args))
		if err != nil || n < 0 {
			return 0, 0, 0, false, fmt.Errorf("type %q: bad length", sqlType)
		}
		return KindString, n, 0, false, nil
	}
	return 0, 0, 0, false, fmt.Errorf("unsupported type %q", sqlType)
}

// NewColumn describes a column from its name and SQL type.
func NewColumn(name, sqlType string, notNull bool) (Column, error) {
	kind, length, bits, unsigned, err := KindOf(sqlType)
	if err != nil {
		return Column{}, fmt.Errorf("column %s: %w", name, err)
	}
	c := Column{Name: name, Kind: kind, SQLType: sqlType, Length: length, Bits: bits, Unsigned: unsigned, NotNull: notNull}
	if kind == KindDecimal {
		if c.Precision, c.Scale, err = decimalArgs(sqlType); err != nil {
			return Column{}, fmt.Errorf("column %s: %w", name, err)
		}
	}
	return c, nil
}

// decimalArgs reads (p) or (p,s) of a decimal type; none is unbounded.
func decimalArgs(sqlType string) (precision, scale int, err error) {
	i, j := strings.IndexByte(sqlType, '('), strings.IndexByte(sqlType, ')')
	if i < 0 || j < i {
		return 0, 0, nil
	}
	p, sc, hasScale := strings.Cut(sqlType[i+1:j], ",")
	if precision, err = strconv.Atoi(strings.TrimSpace(p)); err != nil || precision <= 0 || precision > 1000 {
		return 0, 0, fmt.Errorf("type %q: bad precision", sqlType)
	}
	if hasScale {
		if scale, err = strconv.Atoi(strings.TrimSpace(sc)); err != nil || scale < 0 || scale > precision {
			return 0, 0, fmt.Errorf("type %q: bad scale", sqlType)
		}
	}
	return precision, scale, nil
}

// ParseColumns reads a declared table schema: a comma-separated list of
// "name type [not null]", as in a CREATE TABLE, e.g.
// "user_id bigint not null, role int, event varchar(64), start_time timestamp".
// Names may be double-quoted or back-quoted to hold spaces or capitals.
func ParseColumns(decl string) ([]Column, error) {
	var cols []Column
	seen := map[string]bool{}
	for _, part := range splitTopLevel(decl) {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, rest, err := cutName(part)
		if err != nil {
			return nil, err
		}
		rest = strings.TrimSpace(rest)
		notNull := false
		if r, ok := cutSuffixFold(rest, " not null"); ok {
			rest, notNull = r, true
		} else if r, ok := cutSuffixFold(rest, " null"); ok {
			rest = r
		}
		if rest == "" {
			return nil, fmt.Errorf("column %s: no type", name)
		}
		c, err := NewColumn(name, strings.TrimSpace(rest), notNull)
		if err != nil {
			return nil, err
		}
		if seen[strings.ToLower(name)] {
			return nil, fmt.Errorf("column %s declared twice", name)
		}
		seen[strings.ToLower(name)] = true
		cols = append(cols, c)
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("no columns declared")
	}
	return cols, nil
}

// cutSuffixFold cuts an ASCII suffix matched without regard to case,
// measuring in the bytes of s itself (lower-casing may change lengths).
func cutSuffixFold(s, suffix string) (string, bool) {
	if len(s) < len(suffix) || !strings.EqualFold(s[len(s)-len(suffix):], suffix) {
		return s, false
	}
	return s[:len(s)-len(suffix)], true
}

// splitTopLevel splits at commas outside parentheses, so "decimal(10,2)"
// stays whole.
func splitTopLevel(s string) []string {
	var parts []string
	depth, start := 0, 0
	var quote rune
	for i, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '"' || r == '`':
			quote = r
		case r == '(':
			depth++
		case r == ')':
			depth--
		case r == ',' && depth == 0:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

// cutName reads a column name, bare or quoted, from the start of s.
func cutName(s string) (name, rest string, err error) {
	if s[0] == '"' || s[0] == '`' {
		end := strings.IndexByte(s[1:], s[0])
		if end <= 0 {
			return "", "", fmt.Errorf("column %q: unterminated or empty quoted name", s)
		}
		return s[1 : end+1], s[end+2:], nil
	}
	end := strings.IndexFunc(s, unicode.IsSpace)
	if end < 0 {
		return "", "", fmt.Errorf("column %s: no type", s)
	}
	name = s[:end]
	for _, r := range name {
		if !(r == '_' || r == '$' || unicode.IsLetter(r) || unicode.IsDigit(r)) {
			return "", "", fmt.Errorf("column name %q: quote it to use %q", name, r)
		}
	}
	return name, s[end:], nil
}
