package mysql

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
)

// kind is how a column's values are encoded in change events.
type kind int

const (
	kindInt kind = iota
	kindUint
	kindFloat
	kindDouble
	kindDecimal
	kindDate
	kindDatetime
	kindTimestamp
	kindTime
	kindYear
	kindString
	kindBinary
	kindJSON
	kindEnum
	kindSet
	kindBit
	kindGeometry
)

var kindNames = map[kind]string{
	kindInt: "int", kindUint: "unsigned", kindFloat: "float", kindDouble: "double", kindDecimal: "decimal",
	kindDate: "date", kindDatetime: "datetime", kindTimestamp: "timestamp", kindTime: "time", kindYear: "year",
	kindString: "string", kindBinary: "binary", kindJSON: "json", kindEnum: "enum", kindSet: "set",
	kindBit: "bit", kindGeometry: "geometry",
}

func (k kind) String() string { return kindNames[k] }

// column describes one column as far as decoding its values needs.
type column struct {
	Name string `json:"name"`
	Type string `json:"typeName"`
	kind kind
	// Precision is the fractional-second digits of temporal columns and the
	// bit count of BIT columns.
	Precision int      `json:"length,omitempty"`
	Values    []string `json:"enumValues,omitempty"` // ENUM and SET members
	Optional  bool     `json:"optional"`
	// charset is set on text columns of the binlog whose bytes are not
	// UTF-8 (latin1, gbk); snapshot queries get every text as UTF-8.
	charset string
	// fixedLen is the length of a BINARY(n) column of the binlog, which
	// drops the trailing zero bytes a snapshot query returns.
	fixedLen int
}

// table is a captured table's schema at some binlog position.
type table struct {
	DB      string   `json:"-"`
	Name    string   `json:"-"`
	Columns []column `json:"columns"`
	PK      []int    `json:"-"` // indexes into Columns
}

func (t *table) id() string { return t.DB + "." + t.Name }

// pkNames lists the primary key's column names.
func (t *table) pkNames() []string {
	names := make([]string, len(t.PK))
	for i, c := range t.PK {
		names[i] = t.Columns[c].Name
	}
	return names
}

// sameShape reports whether two schemas decode rows the same way.
func (t *table) sameShape(o *table) bool {
	return o != nil && slices.EqualFunc(t.Columns, o.Columns, func(a, b column) bool {
		return a.Name == b.Name && a.kind == b.kind && a.Precision == b.Precision && slices.Equal(a.Values, b.Values)
	}) && slices.Equal(t.PK, o.PK)
}

// infoColumn is one row of information_schema.COLUMNS.
type infoColumn struct {
	name, dataType, columnType, key string
	nullable                        bool
	precision                       int // DATETIME_PRECISION, or NUMERIC_PRECISION of BIT
	binary                          bool
}

// columnFromInfo maps an information_schema column to its encoding.
func columnFromInfo(ic infoColumn) (column, error) {
	c := column{Name: ic.name, Type: strings.ToUpper(ic.dataType), Optional: ic.nullable}
	unsigned := strings.Contains(ic.columnType, "unsigned")
	switch ic.dataType {
	case "tinyint", "smallint", "mediumint", "int", "integer", "bigint":
		c.kind = kindInt
		if unsigned {
			c.kind = kindUint
		}
	case "float":
		c.kind = kindFloat
	case "double", "real":
		c.kind = kindDouble
	case "decimal", "numeric":
		c.kind = kindDecimal
	case "date":
		c.kind = kindDate
	case "datetime":
		c.kind, c.Precision = kindDatetime, ic.precision
	case "timestamp":
		c.kind, c.Precision = kindTimestamp, ic.precision
	case "time":
		c.kind, c.Precision = kindTime, ic.precision
	case "year":
		c.kind = kindYear
	case "char", "varchar", "tinytext", "text", "mediumtext", "longtext":
		c.kind = kindString
		if ic.binary {
			c.kind = kindBinary
		}
	case "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob":
		c.kind = kindBinary
	case "json":
		c.kind = kindJSON
	case "enum", "set":
		c.kind = kindEnum
		if ic.dataType == "set" {
			c.kind = kindSet
		}
		values, err := parseMembers(ic.columnType)
		if err != nil {
			return c, fmt.Errorf("column %s: %w", ic.name, err)
		}
		c.Values = values
	case "bit":
		c.kind, c.Precision = kindBit, ic.precision
	case "geometry", "point", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon", "geometrycollection":
		c.kind = kindGeometry
	default:
		// UUID, INET4/6, VECTOR …: their bytes, base64, rather than no
		// snapshot at all.
		c.kind = kindBinary
	}
	return c, nil
}

// parseMembers reads the members of "enum('a','b”c')" or "set(...)".
func parseMembers(columnType string) ([]string, error) {
	open := strings.IndexByte(columnType, '(')
	if open < 0 || !strings.HasSuffix(columnType, ")") {
		return nil, fmt.Errorf("cannot read members of %q", columnType)
	}
	s := columnType[open+1 : len(columnType)-1]
	var out []string
	for len(s) > 0 {
		if s[0] != '\'' {
			return nil, fmt.Errorf("cannot read members of %q", columnType)
		}
		var b strings.Builder
		i := 1
		for ; i < len(s); i++ {
			if s[i] == '\'' {
				if i+1 < len(s) && s[i+1] == '\'' {
					b.WriteByte('\'')
					i++
					continue
				}
				break
			}
			if s[i] == '\\' && i+1 < len(s) {
				i++
			}
			b.WriteByte(s[i])
		}
		if i >= len(s) {
			return nil, fmt.Errorf("unterminated member in %q", columnType)
		}
		out = append(out, b.String())
		s = strings.TrimPrefix(s[i+1:], ",")
	}
	return out, nil
}

// binaryCollation is the id of the "binary" collation: a character column
// with it holds bytes, not text.
const binaryCollation = 63

// collationCharsets names the charsets of the collations whose bytes need
// converting to UTF-8; text in any other charset must already be valid
// UTF-8 (utf8mb3, utf8mb4, ascii) or its row is dead-lettered.
var collationCharsets = map[uint64]string{
	5: "latin1", 8: "latin1", 15: "latin1", 31: "latin1", 47: "latin1", 48: "latin1", 49: "latin1", 94: "latin1",
	28: "gbk", 87: "gbk", 24: "gbk", 86: "gbk", // gb2312 is a subset of gbk
	248: "gb18030", 249: "gb18030", 250: "gb18030",
}

// tableFromMap builds a table's schema from a table-map event. It needs the
// server's full row metadata (binlog_row_metadata=FULL) for column names,
// signedness, charsets, ENUM/SET members and the primary key.
func tableFromMap(ev *replication.TableMapEvent) (*table, error) {
	names := ev.ColumnNameString()
	if len(names) != int(ev.ColumnCount) {
		return nil, fmt.Errorf("table-map event of %s.%s has no column names: set binlog_row_metadata=FULL on the server",
			ev.Schema, ev.Table)
	}
	unsigned := ev.UnsignedMap()
	collations := ev.CollationMap()
	enums, sets := ev.EnumStrValueMap(), ev.SetStrValueMap()
	t := &table{DB: string(ev.Schema), Name: string(ev.Table)}
	for i, typ := range ev.ColumnType {
		meta := ev.ColumnMeta[i]
		c := column{Name: names[i]}
		if ok, nullable := ev.Nullable(i); ok {
			c.Optional = nullable
		}
		if typ == gomysql.MYSQL_TYPE_STRING && meta >= 256 {
			// ENUM and SET travel as STRING with the real type in the metadata.
			if real := byte(meta >> 8); real == gomysql.MYSQL_TYPE_ENUM || real == gomysql.MYSQL_TYPE_SET {
				typ = real
			}
		}
		switch typ {
		case gomysql.MYSQL_TYPE_TINY, gomysql.MYSQL_TYPE_SHORT, gomysql.MYSQL_TYPE_INT24, gomysql.MYSQL_TYPE_LONG, gomysql.MYSQL_TYPE_LONGLONG:
			c.kind, c.Type = kindInt, "INT"
			if unsigned[i] {
				c.kind, c.Type = kindUint, "INT UNSIGNED"
			}
		case gomysql.MYSQL_TYPE_FLOAT:
			c.kind, c.Type = kindFloat, "FLOAT"
		case gomysql.MYSQL_TYPE_DOUBLE:
			c.kind, c.Type = kindDouble, "DOUBLE"
		case gomysql.MYSQL_TYPE_NEWDECIMAL, gomysql.MYSQL_TYPE_DECIMAL:
			c.kind, c.Type = kindDecimal, "DECIMAL"
		case gomysql.MYSQL_TYPE_DATE, gomysql.MYSQL_TYPE_NEWDATE:
			c.kind, c.Type = kindDate, "DATE"
		case gomysql.MYSQL_TYPE_DATETIME, gomysql.MYSQL_TYPE_DATETIME2:
			c.kind, c.Type, c.Precision = kindDatetime, "DATETIME", fsp(typ, meta)
		case gomysql.MYSQL_TYPE_TIMESTAMP, gomysql.MYSQL_TYPE_TIMESTAMP2:
			c.kind, c.Type, c.Precision = kindTimestamp, "TIMESTAMP", fsp(typ, meta)
		case gomysql.MYSQL_TYPE_TIME, gomysql.MYSQL_TYPE_TIME2:
			c.kind, c.Type, c.Precision = kindTime, "TIME", fsp(typ, meta)
		case gomysql.MYSQL_TYPE_YEAR:
			c.kind, c.Type = kindYear, "YEAR"
		case gomysql.MYSQL_TYPE_VARCHAR, gomysql.MYSQL_TYPE_VAR_STRING, gomysql.MYSQL_TYPE_STRING,
			gomysql.MYSQL_TYPE_BLOB, gomysql.MYSQL_TYPE_TINY_BLOB, gomysql.MYSQL_TYPE_MEDIUM_BLOB, gomysql.MYSQL_TYPE_LONG_BLOB:
			c.kind, c.Type = kindString, "VARCHAR"
			coll, ok := collations[i]
			if !ok || coll == binaryCollation {
				c.kind, c.Type = kindBinary, "VARBINARY"
			}
			c.charset = collationCharsets[coll]
			if typ == gomysql.MYSQL_TYPE_STRING && c.kind == kindBinary {
				c.fixedLen = stringLength(meta)
			}
		case gomysql.MYSQL_TYPE_JSON:
			c.kind, c.Type = kindJSON, "JSON"
		case gomysql.MYSQL_TYPE_ENUM:
			c.kind, c.Type, c.Values = kindEnum, "ENUM", enums[i]
		case gomysql.MYSQL_TYPE_SET:
			c.kind, c.Type, c.Values = kindSet, "SET", sets[i]
		case gomysql.MYSQL_TYPE_BIT:
			c.kind, c.Type, c.Precision = kindBit, "BIT", int(meta>>8)*8+int(meta&0xff)
		case gomysql.MYSQL_TYPE_GEOMETRY:
			c.kind, c.Type = kindGeometry, "GEOMETRY"
		default:
			return nil, fmt.Errorf("column %s of %s.%s: binlog type %d is not supported", c.Name, t.DB, t.Name, typ)
		}
		t.Columns = append(t.Columns, c)
	}
	for _, pk := range ev.PrimaryKey {
		t.PK = append(t.PK, int(pk))
	}
	return t, nil
}

// stringLength is the declared byte length of a CHAR/BINARY column, from
// its table-map metadata (MySQL's Field_string::do_save_field_metadata).
func stringLength(meta uint16) int {
	if meta < 256 {
		return int(meta)
	}
	b0, b1 := meta>>8, meta&0xff
	if b0&0x30 != 0x30 {
		return int(b1 | ((b0&0x30)^0x30)<<4)
	}
	return int(b1)
}

// fsp is the fractional-second precision of a temporal binlog column.
func fsp(typ byte, meta uint16) int {
	switch typ {
	case gomysql.MYSQL_TYPE_DATETIME2, gomysql.MYSQL_TYPE_TIMESTAMP2, gomysql.MYSQL_TYPE_TIME2:
		return int(meta)
	}
	return 0
}

// members formats ENUM or SET members for history records.
func (c column) String() string {
	s := c.Name + " " + c.Type
	if c.Precision > 0 {
		s += "(" + strconv.Itoa(c.Precision) + ")"
	}
	return s
}
