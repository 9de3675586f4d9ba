package rds

import (
	"strings"
)

// dialect is what differs in the SQL the sink writes between servers.
type dialect struct {
	// rowAlias names the inserted row with INSERT … AS alias (MySQL
	// 8.0.19+, where VALUES(c) is deprecated) instead of VALUES(c).
	rowAlias bool
}

// rowAliasName is the inserted row's alias under rowAlias, chosen so it
// cannot be mistaken for a table the sink writes.
const rowAliasName = "`tributary_new`"

// upsert is how an INSERT treats a row whose key exists.
type upsert uint8

const (
	upsertNone    upsert = iota // plain INSERT: appends, or fails on a duplicate key
	upsertUpdate                // insertorupdate: set the columns given
	upsertReplace               // insertorreplace: set every column, the absent ones to their default
	upsertIgnore                // insertorignore: keep the row
)

// quoteIdent back-quotes a MySQL identifier.
func quoteIdent(s string) string {
	return "`" + strings.ReplaceAll(s, "`", "``") + "`"
}

// placeholders appends n rows of "(?,…,?)" with width marks each.
func placeholders(b *strings.Builder, rows, width int) {
	for r := range rows {
		if r > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for c := range width {
			if c > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('?')
		}
		b.WriteByte(')')
	}
}

// insertSQL writes rows of the columns cols (indexes into names) into
// table. key holds the key columns' indexes; how says what a duplicate key
// does. insertorupdate sets the given non-key columns; when the rows hold
// key columns only, it sets the first key column to itself, a no-op that,
// unlike INSERT IGNORE, leaves data errors errors.
//
// guard is for tables with unique keys besides key: there a row may collide
// on another unique key, and ON DUPLICATE KEY UPDATE would then update the
// row it collides with, one of another key. The first assignment keeps the
// key when it is the existing row's and sets it to NULL otherwise, which a
// strict session refuses (1048): the record fails instead of overwriting
// another row.
func insertSQL(d dialect, table string, names []string, cols, key []int, rows int, how upsert, guard bool) string {
	var b strings.Builder
	b.Grow(64 + len(cols)*(16+rows*2))
	b.WriteString("INSERT INTO ")
	b.WriteString(table)
	b.WriteString(" (")
	writeIdents(&b, names, cols, ",", "")
	b.WriteString(") VALUES ")
	placeholders(&b, rows, len(cols))
	if how == upsertNone {
		return b.String()
	}
	if d.rowAlias {
		b.WriteString(" AS ")
		b.WriteString(rowAliasName)
	}
	b.WriteString(" ON DUPLICATE KEY UPDATE ")
	inserted := func(c int) string {
		if d.rowAlias {
			return rowAliasName + "." + quoteIdent(names[c])
		}
		return "VALUES(" + quoteIdent(names[c]) + ")"
	}
	isKey := func(c int) bool {
		for _, k := range key {
			if k == c {
				return true
			}
		}
		return false
	}
	present := make(map[int]bool, len(cols))
	for _, c := range cols {
		present[c] = true
	}
	n := 0
	set := func(c int, value string) {
		if n > 0 {
			b.WriteByte(',')
		}
		n++
		b.WriteString(quoteIdent(names[c]))
		b.WriteByte('=')
		b.WriteString(value)
	}
	if guard {
		b.WriteString(quoteIdent(names[key[0]]))
		b.WriteString("=IF(")
		for i, k := range key {
			if i > 0 {
				b.WriteString(" AND ")
			}
			b.WriteString(quoteIdent(names[k]))
			b.WriteString("<=>")
			b.WriteString(inserted(k))
		}
		b.WriteString(",")
		b.WriteString(quoteIdent(names[key[0]]))
		b.WriteString(",NULL)")
		n++
	}
	switch how {
	case upsertUpdate:
		for _, c := range cols {
			if !isKey(c) {
				set(c, inserted(c))
			}
		}
	case upsertReplace:
		for c := range names {
			switch {
			case isKey(c):
			case present[c]:
				set(c, inserted(c))
			default:
				set(c, "DEFAULT("+quoteIdent(names[c])+")")
			}
		}
	}
	if n == 0 {
		// insertorignore, or nothing but the key to set.
		set(key[0], quoteIdent(names[key[0]]))
	}
	return b.String()
}

// deleteSQL deletes rows by key: k IN (?,…) for one key column,
// (k1,k2) IN ((?,?),…) for more.
func deleteSQL(table string, names []string, key []int, rows int) string {
	var b strings.Builder
	b.WriteString("DELETE FROM ")
	b.WriteString(table)
	b.WriteString(" WHERE ")
	if len(key) == 1 {
		b.WriteString(quoteIdent(names[key[0]]))
		b.WriteString(" IN (")
		for r := range rows {
			if r > 0 {
				b.WriteByte(',')
			}
			b.WriteByte('?')
		}
		b.WriteByte(')')
		return b.String()
	}
	b.WriteByte('(')
	writeIdents(&b, names, key, ",", "")
	b.WriteString(") IN (")
	placeholders(&b, rows, len(key))
	b.WriteByte(')')
	return b.String()
}

// updateSQL updates one row by key, setting the non-key columns of cols;
// without any, it sets the first key column to itself, so the statement
// still reports whether the row exists (the connection counts matched rows).
// Its arguments are the set values in order, then the key values.
func updateSQL(table string, names []string, set, key []int) string {
	var b strings.Builder
	b.WriteString("UPDATE ")
	b.WriteString(table)
	b.WriteString(" SET ")
	if len(set) == 0 {
		b.WriteString(quoteIdent(names[key[0]]))
		b.WriteByte('=')
		b.WriteString(quoteIdent(names[key[0]]))
	}
	writeIdents(&b, names, set, ",", "=?")
	b.WriteString(" WHERE ")
	writeIdents(&b, names, key, " AND ", "=?")
	return b.String()
}

// writeIdents writes the quoted names of the columns idx, each followed by
// suffix, separated by sep.
func writeIdents(b *strings.Builder, names []string, idx []int, sep, suffix string) {
	for i, c := range idx {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(quoteIdent(names[c]))
		b.WriteString(suffix)
	}
}
