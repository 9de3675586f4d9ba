package hologres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/tributarydata/tributary/sinks/row"
)

// table is a target table: its columns as the catalog last said, the
// mapper reading records against them, the batch being filled and the SQL
// of its statements.
type table struct {
	name     tableName
	cols     []column
	key      []int // indexes of the key columns in cols
	mapper   *row.Mapper
	batch    *row.Batch // the chunk being written
	single   *row.Batch // one record, when a failed chunk is retried record by record
	mode     row.Mode
	update   bool // insert.mode=update: existing rows only
	hologres bool // VALUES lists rather than arrays
	copyOK   bool // appends go through COPY
	loadedAt time.Time
	sql      map[stmtKey]string
}

// copyTypes are the column types COPY's binary format takes the row
// package's values for (a decimal's text becoming a pgtype.Numeric). A
// table with another type appends with INSERT, where SQL casts the text.
var copyTypes = map[string]bool{
	"bigint": true, "integer": true, "smallint": true, "double precision": true, "real": true, "numeric": true,
	"text": true, "character varying": true, "bpchar": true, "boolean": true, "date": true,
	"timestamp without time zone": true, "timestamp with time zone": true, "json": true, "jsonb": true, "bytea": true,
}

// tableSettings are the sink's settings every table shares.
type tableSettings struct {
	mode     row.Mode
	update   bool
	hologres bool
	keyMode  row.KeyMode
	pkFields []string
	mapper   row.MapperConfig // without Columns and Key
}

// newTable checks a table's catalog against the settings. The table's name
// gets its schema, so that statements never depend on search_path (nor a
// name of theirs shadow the table's).
func newTable(name tableName, cat catalogTable, s tableSettings) (*table, error) {
	name.Schema = cat.schema
	var key []string
	var err error
	switch {
	case s.keyMode == row.KeyNone:
	case len(s.pkFields) > 0:
		if key, err = resolveColumns(cat.columns, s.pkFields); err != nil {
			return nil, fmt.Errorf("table %s: pk.fields: %w", name, err)
		}
	case len(cat.primary) > 0:
		key = cat.primary
	default:
		return nil, fmt.Errorf("table %s has no primary key: set pk.fields, or pk.mode=none with insert.mode=insert to append", name)
	}
	if s.mode != row.ModeAppend && !s.update {
		found := false
		for _, u := range cat.unique {
			found = found || sameSet(u, key)
		}
		if !found {
			return nil, fmt.Errorf("table %s has no primary key or unique index on exactly %v, which upserts (ON CONFLICT) need", name, key)
		}
	}
	cfg := s.mapper
	cfg.Columns = make([]row.Column, len(cat.columns))
	for i, c := range cat.columns {
		cfg.Columns[i] = c.Column
	}
	cfg.Key, cfg.KeyMode = key, s.keyMode
	m, err := row.NewMapper(cfg)
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", name, err)
	}
	t := &table{
		name: name, cols: cat.columns, key: m.Key(), mapper: m,
		batch: row.NewBatch(s.mode, m.Key()), single: row.NewBatch(s.mode, m.Key()),
		mode: s.mode, update: s.update, hologres: s.hologres,
		loadedAt: time.Now(), sql: map[stmtKey]string{},
	}
	t.copyOK = s.mode == row.ModeAppend
	for _, c := range t.cols {
		t.copyOK = t.copyOK && copyTypes[c.base]
	}
	return t, nil
}

// exec writes one group of a batch in tx. single marks a group of one
// record retried alone, which never goes through COPY so that its error is
// its own.
func (t *table) exec(ctx context.Context, tx pgx.Tx, g row.Group, single bool) error {
	switch {
	case g.Delete:
		return t.run(ctx, tx, stmtDelete, g)
	case t.mode == row.ModeAppend:
		if t.copyOK && !single {
			return t.copy(ctx, tx, g)
		}
		return t.run(ctx, tx, stmtInsert, g)
	case t.update:
		if !t.updates(g.Columns) {
			return nil
		}
		return t.run(ctx, tx, stmtUpdate, g)
	}
	return t.run(ctx, tx, stmtUpsert, g)
}

// updates reports whether an UPDATE of cols sets anything.
func (t *table) updates(cols []int) bool {
	for c := range t.cols {
		if !t.isKey(c) && (t.mode == row.ModeReplace || containsInt(cols, c)) {
			return true
		}
	}
	return false
}

// maxValuesRows bounds a VALUES list: PostgreSQL's protocol carries at most
// 65535 parameters, and statements of few distinct lengths stay prepared.
func maxValuesRows(cols int) int {
	n := 512
	for n > 1 && n*cols > 65535 {
		n /= 2
	}
	return n
}

// run executes a statement over the group's rows: one statement with one
// array per column on PostgreSQL; on Hologres VALUES lists of at most
// maxValuesRows rows, a power of two each so that few statements are
// prepared.
func (t *table) run(ctx context.Context, tx pgx.Tx, kind stmtKind, g row.Group) error {
	if !t.hologres {
		args := make([]any, len(g.Columns))
		for j := range g.Columns {
			arr := make(pgtype.FlatArray[any], len(g.Rows))
			for i, r := range g.Rows {
				arr[i] = r[j]
			}
			args[j] = arr
		}
		_, err := tx.Exec(ctx, t.statement(kind, g.Columns, 0), args...)
		return err
	}
	most := maxValuesRows(len(g.Columns))
	rows := g.Rows
	for len(rows) > 0 {
		k := most
		for k > len(rows) {
			k /= 2
		}
		args := make([]any, 0, k*len(g.Columns))
		for _, r := range rows[:k] {
			args = append(args, r...)
		}
		if _, err := tx.Exec(ctx, t.statement(kind, g.Columns, k), args...); err != nil {
			return err
		}
		rows = rows[k:]
	}
	return nil
}

// copy appends the group's rows with COPY FROM STDIN (binary).
func (t *table) copy(ctx context.Context, tx pgx.Tx, g row.Group) error {
	names := make([]string, len(g.Columns))
	var decimals []int
	for j, c := range g.Columns {
		names[j] = t.cols[c].Name
		if t.cols[c].Kind == row.KindDecimal {
			decimals = append(decimals, j)
		}
	}
	if len(decimals) > 0 {
		nums := make([]pgtype.Numeric, len(g.Rows)*len(decimals))
		for i, r := range g.Rows {
			for k, j := range decimals {
				if s, ok := r[j].(string); ok && nums[i*len(decimals)+k].Scan(s) != nil {
					// Text pgx cannot read (the server can, 1e400 say):
					// the server's cast takes the whole group.
					return t.run(ctx, tx, stmtInsert, g)
				}
			}
		}
		for i, r := range g.Rows {
			for k, j := range decimals {
				if r[j] != nil {
					r[j] = nums[i*len(decimals)+k]
				}
			}
		}
	}
	ident := pgx.Identifier{t.name.Name}
	if t.name.Schema != "" {
		ident = pgx.Identifier{t.name.Schema, t.name.Name}
	}
	_, err := tx.CopyFrom(ctx, ident, names, pgx.CopyFromRows(g.Rows))
	if err != nil && classify(err) == faultFatal {
		// pgx encodes COPY's rows itself and refuses what it cannot fit
		// (1e300 into a real), where an INSERT gets the server's error.
		return &encodeError{err}
	}
	return err
}

// encodeError is a value pgx could not encode for COPY: the data of some
// record, found by writing the records one by one with INSERT.
type encodeError struct{ err error }

func (e *encodeError) Error() string { return "COPY: " + e.err.Error() }
func (e *encodeError) Unwrap() error { return e.err }
