package rds

import (
	"math/bits"
	"slices"
	"strings"
	"time"

	"github.com/tributarydata/tributary/sinks/row"
)

// maxPlaceholders is the most parameters one prepared statement may have.
const maxPlaceholders = 65535

// execGroup writes one group of a batch, its rows sorted (sortGroups).
func (s *Sink) execGroup(t *table, g row.Group) error {
	if g.Delete {
		return s.execRows(t, 'd', g.Columns, g.Rows, func(n int) string {
			return deleteSQL(t.quoted, t.names, t.key, n)
		})
	}
	how := s.upsertKind()
	switch {
	case s.cfg.InsertMode == "update":
		return s.updateRows(t, g, false)
	case (how == upsertUpdate || how == upsertIgnore) && t.lacksRequired(g.Columns):
		// The INSERT half of an upsert would fail for want of a column
		// even when the row exists, so existing rows are updated; a row
		// that does not exist is then inserted, for the server to refuse.
		return s.updateRows(t, g, true)
	}
	return s.execRows(t, 'i', g.Columns, g.Rows, func(n int) string {
		return insertSQL(s.cn.dialect, t.quoted, t.names, g.Columns, t.key, n, how, t.guard)
	})
}

// lacksRequired reports whether rows of cols leave out a column that has no
// default and may not be NULL.
func (t *table) lacksRequired(cols []int) bool {
	for c, req := range t.required {
		if req && !slices.Contains(cols, c) {
			return true
		}
	}
	return false
}

// statement returns the cached text of a statement, building it once.
func (t *table) statement(kind byte, cols []int, rows int, build func() string) string {
	k := sqlKey{kind: kind, columns: columnsSignature(cols), rows: rows}
	if sql, ok := t.sql[k]; ok {
		return sql
	}
	sql := build()
	t.sql[k] = sql
	return sql
}

func columnsSignature(cols []int) string {
	b := make([]byte, 0, 2*len(cols))
	for _, c := range cols {
		b = append(b, byte(c), byte(c>>8))
	}
	return string(b)
}

// execRows writes rows in statements of as many rows as fit the
// placeholder limit and the packet budget, rounded down (see stmtRows).
func (s *Sink) execRows(t *table, kind byte, cols []int, rows [][]any, build func(n int) string) error {
	maxRows := maxPlaceholders / len(cols)
	budget := s.stmtBudget()
	for i := 0; i < len(rows); {
		fit, size := 0, 0
		for i+fit < len(rows) && fit < maxRows {
			n := rowBytes(rows[i+fit])
			if fit > 0 && size+n > budget {
				break
			}
			size += n
			fit++
		}
		k := stmtRows(fit)
		sql := t.statement(kind, cols, k, func() string { return build(k) })
		res, err := s.cn.exec(sql, params{cols: t.cols, idx: cols, rows: rows[i : i+k]})
		if res != nil {
			res.Close()
		}
		if err != nil {
			return err
		}
		i += k
	}
	return nil
}

// stmtRows is how many of n rows one statement takes: a multiple of 128
// when there are that many, else a power of two. A few dozen prepared
// statements per table and set of columns then serve every batch, and a
// batch takes few statements, each a round trip (a batch of 2000 rows
// three: 1920, 64 and 16 rows).
func stmtRows(n int) int {
	if n >= 128 {
		return n &^ 127
	}
	return 1 << (bits.Len(uint(n)) - 1)
}

// updateRows updates the group's rows one by one by key. A row that does
// not exist is inserted when insertMissing is set, and counted otherwise
// (insert.mode=update changes nothing then).
func (s *Sink) updateRows(t *table, g row.Group, insertMissing bool) error {
	// The statement's arguments are the set columns' values, then the key's.
	var set, argCols, argPos []int
	for p, c := range g.Columns {
		if slices.Contains(t.key, c) || s.upsertKind() == upsertIgnore && insertMissing {
			// insertorignore only asks whether the row exists.
			continue
		}
		set, argPos = append(set, c), append(argPos, p)
	}
	argCols = append(argCols, set...)
	for _, k := range t.key {
		argCols, argPos = append(argCols, k), append(argPos, slices.Index(g.Columns, k))
	}
	kind := byte('u')
	if len(set) == 0 {
		kind = 'e' // exists?
	}
	sql := t.statement(kind, g.Columns, 1, func() string { return updateSQL(t.quoted, t.names, set, t.key) })
	args := make([]any, len(argPos))
	for _, r := range g.Rows {
		for i, p := range argPos {
			args[i] = r[p]
		}
		res, err := s.cn.exec(sql, params{cols: t.cols, idx: argCols, rows: [][]any{args}})
		if err != nil {
			return err
		}
		matched := res.AffectedRows
		res.Close()
		if matched > 0 {
			continue
		}
		if !insertMissing {
			s.missing++
			continue
		}
		one := [][]any{r}
		if err := s.execRows(t, 'i', g.Columns, one, func(n int) string {
			return insertSQL(s.cn.dialect, t.quoted, t.names, g.Columns, t.key, n, s.upsertKind(), t.guard)
		}); err != nil {
			return err
		}
	}
	return nil
}

// sortGroups orders the rows of a table's groups by key, so that
// concurrent writers (tasks of one connector, or another program) lock
// rows in the same order and deadlock less.
func sortGroups(t *table, groups []row.Group) {
	if len(t.key) == 0 {
		return
	}
	for _, g := range groups {
		sortByKey(t, g.Columns, g.Rows)
	}
}

func sortByKey(t *table, cols []int, rows [][]any) {
	pos := make([]int, len(t.key))
	for i, k := range t.key {
		pos[i] = slices.Index(cols, k)
		if pos[i] < 0 {
			return
		}
	}
	slices.SortFunc(rows, func(a, b []any) int {
		for _, p := range pos {
			if c := compareValues(a[p], b[p]); c != 0 {
				return c
			}
		}
		return 0
	})
}

// compareValues orders values of one column; the order only has to be the
// same in every writer.
func compareValues(a, b any) int {
	switch x := a.(type) {
	case int64:
		if y, ok := b.(int64); ok {
			return cmp3(x < y, x > y)
		}
		return -1 // an unsigned beyond int64 (text) sorts after every int64
	case string:
		switch y := b.(type) {
		case string:
			if len(x) != len(y) && isDigits(x) && isDigits(y) {
				return cmp3(len(x) < len(y), len(x) > len(y))
			}
			return strings.Compare(x, y)
		case int64:
			return 1
		}
	case float64:
		if y, ok := b.(float64); ok {
			return cmp3(x < y, x > y)
		}
	case time.Time:
		if y, ok := b.(time.Time); ok {
			return x.Compare(y)
		}
	case []byte:
		if y, ok := b.([]byte); ok {
			return strings.Compare(string(x), string(y))
		}
	case bool:
		if y, ok := b.(bool); ok {
			return cmp3(!x && y, x && !y)
		}
	}
	return 0
}

func cmp3(less, greater bool) int {
	switch {
	case less:
		return -1
	case greater:
		return 1
	}
	return 0
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// rowBytes estimates what a row's values take in a statement.
func rowBytes(values []any) int {
	n := 0
	for _, v := range values {
		switch x := v.(type) {
		case string:
			n += len(x) + 9
		case []byte:
			n += len(x) + 9
		default:
			n += 12
		}
	}
	return n
}

// stmtBudget bounds the bytes of one statement's arguments, well within
// max_allowed_packet.
func (s *Sink) stmtBudget() int {
	return max(64<<10, min(s.cn.maxPacket/2, 8<<20))
}

// rowLimit is the largest row one statement can carry.
func (s *Sink) rowLimit() int {
	return max(s.cn.maxPacket-16<<10, 1<<10)
}
