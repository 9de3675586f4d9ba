package hologres

import (
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/tributarydata/tributary/sinks/row"
)

// stmtKind is what a statement does to a group of rows.
type stmtKind uint8

const (
	stmtUpsert stmtKind = iota // INSERT ... ON CONFLICT
	stmtInsert                 // INSERT (append, row by row or on Hologres)
	stmtDelete                 // DELETE by key
	stmtUpdate                 // UPDATE by key (insert.mode=update)
)

// stmtKey names a statement in a table's cache: its kind, the columns of
// the group and, for a VALUES list, its number of rows.
type stmtKey struct {
	kind stmtKind
	cols string
	rows int
}

func keyOf(kind stmtKind, cols []int, rows int) stmtKey {
	b := make([]byte, 2*len(cols)) // tables have at most 1600 columns
	for i, c := range cols {
		b[2*i], b[2*i+1] = byte(c>>8), byte(c)
	}
	return stmtKey{kind: kind, cols: string(b), rows: rows}
}

// wireType is the parameter type a column's values are sent as, by the Go
// type the row package gives them (see row.Kind); the value is then cast
// to the column's type in SQL.
func wireType(c *column) string { return wireTypes[wireBinary(c)] }

// wireBinary is the binary type of wireType.
func wireBinary(c *column) binaryType {
	switch c.Kind {
	case row.KindBool:
		return binBool
	case row.KindInt:
		return binInt8
	case row.KindFloat:
		return binFloat8
	case row.KindDate:
		return binDate
	case row.KindTimestamp:
		return binTimestamp
	case row.KindTimestampTZ:
		return binTimestampTZ
	case row.KindBytes:
		return binBytea
	}
	return binText // strings, exact decimals, JSON text
}

// wireTypes and wireOIDs name the wire types' SQL types and their OIDs.
var (
	wireTypes = [...]string{binBool: "bool", binInt8: "int8", binFloat8: "float8", binDate: "date",
		binTimestamp: "timestamp", binTimestampTZ: "timestamptz", binBytea: "bytea", binText: "text"}
	wireOIDs = [...]uint32{binBool: pgtype.BoolOID, binInt8: pgtype.Int8OID, binFloat8: pgtype.Float8OID, binDate: pgtype.DateOID,
		binTimestamp: pgtype.TimestampOID, binTimestampTZ: pgtype.TimestamptzOID, binBytea: pgtype.ByteaOID, binText: pgtype.TextOID}
)

// wireNames are the names format_type gives the wire types: a value whose
// column has that type needs no cast.
var wireNames = map[string]string{
	"bool": "boolean", "int8": "bigint", "float8": "double precision", "date": "date",
	"timestamp": "timestamp without time zone", "timestamptz": "timestamp with time zone",
	"bytea": "bytea", "text": "text",
}

// valueExpr is the SQL of a value of column c held in ref (a parameter or
// a column of unnest), cast to the column's type. Text needs no cast into
// text and varchar columns (the assignment checks the length); an array
// column takes a JSON array.
func valueExpr(c *column, ref string) string {
	wire := wireType(c)
	switch {
	case wireNames[wire] == c.base:
		return ref
	case wire == "text" && c.base == "character varying":
		return ref
	case wire == "text" && strings.HasSuffix(c.base, "[]"):
		return "CASE WHEN " + ref + " IS NULL THEN NULL ELSE ARRAY(SELECT e FROM jsonb_array_elements_text(" + ref +
			"::jsonb) WITH ORDINALITY AS a(e, o) ORDER BY o)::" + c.base + " END"
	}
	return ref + "::" + c.base
}

// paramRef is the n-th (1-based) parameter typed as c's wire type.
func paramRef(c *column, n int) string {
	return "$" + strconv.Itoa(n) + "::" + wireType(c)
}

// unnestFrom is "unnest($1::int8[], $2::text[]) AS u(c1, c2)": one array
// parameter per column of the group, so a statement of any number of rows
// is one prepared statement.
func (t *table) unnestFrom(cols []int, alias string) string {
	var b strings.Builder
	b.WriteString("unnest(")
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(paramRef(&t.cols[c], i+1))
		b.WriteString("[]")
	}
	b.WriteString(") AS ")
	b.WriteString(alias)
	b.WriteByte('(')
	for i := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("c" + strconv.Itoa(i+1))
	}
	b.WriteByte(')')
	return b.String()
}

// unnestRef is the i-th column of the group in unnest alias, cast.
func (t *table) unnestRef(cols []int, i int, alias string) string {
	return valueExpr(&t.cols[cols[i]], alias+".c"+strconv.Itoa(i+1))
}

// valuesList is "($1::int8, $2::text), ($3::int8, $4::text)" for rows rows.
func (t *table) valuesList(cols []int, rows int) string {
	var b strings.Builder
	n := 1
	for r := range rows {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for i, c := range cols {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(valueExpr(&t.cols[c], paramRef(&t.cols[c], n)))
			n++
		}
		b.WriteByte(')')
	}
	return b.String()
}

func (t *table) columnList(cols []int) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quoteIdent(t.cols[c].Name))
	}
	b.WriteByte(')')
	return b.String()
}

// keyMatch is "t.k1 = u.c1 AND t.k2 = u.c2" for the key columns of a
// group's columns, refs giving each group column's expression.
func (t *table) keyMatch(alias string, cols []int, ref func(i int) string) string {
	var parts []string
	for i, c := range cols {
		if t.isKey(c) {
			parts = append(parts, alias+"."+quoteIdent(t.cols[c].Name)+" = "+ref(i))
		}
	}
	return strings.Join(parts, " AND ")
}

func (t *table) isKey(c int) bool {
	for _, k := range t.key {
		if k == c {
			return true
		}
	}
	return false
}

// conflictAction is the ON CONFLICT clause of an upsert of cols.
func (t *table) conflictAction(cols []int) string {
	var b strings.Builder
	b.WriteString(" ON CONFLICT ")
	b.WriteString(t.columnList(t.key))
	var set []string
	switch t.mode {
	case row.ModeUpdate:
		for _, c := range cols {
			if !t.isKey(c) {
				set = append(set, c2s(t, c))
			}
		}
	case row.ModeReplace:
		// Every other column too: the INSERT lists only the record's
		// columns, so EXCLUDED holds the defaults of the rest.
		for c := range t.cols {
			if !t.isKey(c) {
				set = append(set, c2s(t, c))
			}
		}
	}
	if len(set) == 0 {
		b.WriteString(" DO NOTHING")
		return b.String()
	}
	b.WriteString(" DO UPDATE SET ")
	b.WriteString(strings.Join(set, ", "))
	return b.String()
}

func c2s(t *table, c int) string {
	q := quoteIdent(t.cols[c].Name)
	return q + " = EXCLUDED." + q
}

// lacksRequired reports whether rows with only cols cannot be inserted
// (a NOT NULL column without default is missing), so an upsert that would
// only update existing rows must not try the insert first: PostgreSQL checks
// NOT NULL on the row to insert before it looks for a conflict.
func (t *table) lacksRequired(cols []int) bool {
	for c := range t.cols {
		if t.cols[c].required && !containsInt(cols, c) {
			return true
		}
	}
	return false
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// buildSQL writes the statement for a group. rows is the length of the
// VALUES list (Hologres); 0 means one array per column (PostgreSQL).
func (t *table) buildSQL(kind stmtKind, cols []int, rows int) string {
	name := t.name.String()
	var b strings.Builder
	switch kind {
	case stmtDelete:
		if rows == 0 {
			b.WriteString("DELETE FROM " + name + " AS t USING " + t.unnestFrom(cols, "u") + " WHERE ")
			b.WriteString(t.keyMatch("t", cols, func(i int) string { return t.unnestRef(cols, i, "u") }))
			return b.String()
		}
		b.WriteString("DELETE FROM " + name + " WHERE " + t.columnList(cols) + " IN (" + t.valuesList(cols, rows) + ")")
		return b.String()
	case stmtUpdate:
		var set []string
		for i, c := range cols {
			if !t.isKey(c) {
				set = append(set, quoteIdent(t.cols[c].Name)+" = "+t.unnestRef(cols, i, "u"))
			}
		}
		if t.mode == row.ModeReplace {
			for c := range t.cols {
				if !t.isKey(c) && !containsInt(cols, c) {
					set = append(set, quoteIdent(t.cols[c].Name)+" = DEFAULT")
				}
			}
		}
		b.WriteString("UPDATE " + name + " AS t SET " + strings.Join(set, ", ") + " FROM ")
		if rows == 0 {
			b.WriteString(t.unnestFrom(cols, "u"))
		} else {
			// The VALUES rows carry their casts, so u's columns are typed.
			b.WriteString("(VALUES " + t.valuesList(cols, rows) + ") AS u(")
			for i := range cols {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString("c" + strconv.Itoa(i+1))
			}
			b.WriteByte(')')
		}
		b.WriteString(" WHERE ")
		b.WriteString(t.keyMatch("t", cols, func(i int) string {
			if rows == 0 {
				return t.unnestRef(cols, i, "u")
			}
			return "u.c" + strconv.Itoa(i+1)
		}))
		return b.String()
	}

	b.WriteString("INSERT INTO " + name + " " + t.columnList(cols))
	if rows > 0 {
		b.WriteString(" VALUES " + t.valuesList(cols, rows))
		if kind == stmtUpsert {
			b.WriteString(t.conflictAction(cols))
		}
		return b.String()
	}
	selectList := func(alias string, cast bool) string {
		var s []string
		for i := range cols {
			if cast {
				s = append(s, t.unnestRef(cols, i, alias))
			} else {
				s = append(s, alias+".c"+strconv.Itoa(i+1))
			}
		}
		return strings.Join(s, ", ")
	}
	if kind == stmtInsert {
		b.WriteString(" SELECT " + selectList("u", true) + " FROM " + t.unnestFrom(cols, "u"))
		return b.String()
	}
	if !t.lacksRequired(cols) || t.mode == row.ModeReplace {
		// The common case: every row can be inserted, so ON CONFLICT
		// decides alone. (A replacing row that lacks a required column is
		// invalid whether or not the key exists, and fails here.)
		b.WriteString(" SELECT " + selectList("u", true) + " FROM " + t.unnestFrom(cols, "u"))
		b.WriteString(t.conflictAction(cols))
		return b.String()
	}
	// Partial rows: update the rows that exist, insert only the others (an
	// insert of a new key lacking a required column then fails, as it
	// should), ON CONFLICT covering a row inserted meanwhile.
	var casted []string
	for i := range cols {
		casted = append(casted, t.unnestRef(cols, i, "x")+" AS c"+strconv.Itoa(i+1))
	}
	uRef := func(i int) string { return "u.c" + strconv.Itoa(i+1) }
	var set []string
	for i, c := range cols {
		if !t.isKey(c) {
			set = append(set, quoteIdent(t.cols[c].Name)+" = "+uRef(i))
		}
	}
	b.Reset()
	b.WriteString("WITH u AS (SELECT " + strings.Join(casted, ", ") + " FROM " + t.unnestFrom(cols, "x") + ")")
	// (The table's name is schema-qualified: u and upd cannot shadow it.)
	exists := "SELECT FROM " + name + " AS t WHERE " + t.keyMatch("t", cols, uRef)
	if len(set) > 0 && t.mode == row.ModeUpdate {
		var returning []string
		for _, k := range t.key {
			returning = append(returning, "t."+quoteIdent(t.cols[k].Name))
		}
		b.WriteString(", upd AS (UPDATE " + name + " AS t SET " + strings.Join(set, ", ") + " FROM u WHERE " +
			t.keyMatch("t", cols, uRef) + " RETURNING " + strings.Join(returning, ", ") + ")")
		exists = "SELECT FROM upd AS t WHERE " + t.keyMatch("t", cols, uRef)
	}
	b.WriteString(" INSERT INTO " + name + " " + t.columnList(cols) + " SELECT " + selectList("u", false) +
		" FROM u WHERE NOT EXISTS (" + exists + ")")
	b.WriteString(t.conflictAction(cols))
	return b.String()
}

// maxCachedSQL bounds a table's statement cache.
const maxCachedSQL = 1024

// statement returns the cached SQL of a statement.
func (t *table) statement(kind stmtKind, cols []int, rows int) string {
	k := keyOf(kind, cols, rows)
	if s, ok := t.sql[k]; ok {
		return s
	}
	s := t.buildSQL(kind, cols, rows)
	if len(t.sql) >= maxCachedSQL {
		// Records of ever new shapes: keep memory, and the statements
		// prepared on the server, bounded.
		clear(t.sql)
		t.deallocate = true
	}
	t.sql[k] = s
	return s
}
