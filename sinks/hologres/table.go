package hologres

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

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
	// deallocate is set when sql was emptied: the statements prepared
	// from it are deallocated before the next is prepared.
	deallocate bool
	// Scratch of exec: encoded values, and slices of it.
	buf    []byte
	params [][]byte
	types  []binaryType
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
		t.copyOK = t.copyOK && copyTypes[c.base] != binNone
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
		return t.runArrays(ctx, tx, kind, g)
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

// binaryFormat makes every parameter binary.
var binaryFormat = []int16{1}

// runArrays executes a statement over the group's rows with one array per
// column, encoded by the sink (see binary.go) and sent to a statement it
// prepared.
func (t *table) runArrays(ctx context.Context, tx pgx.Tx, kind stmtKind, g row.Group) error {
	buf, params := t.buf[:0], t.params[:0]
	for j, c := range g.Columns {
		start := len(buf)
		var ok bool
		if buf, ok = appendArray(buf, wireBinary(&t.cols[c]), g.Rows, j); !ok {
			return &encodeError{fmt.Errorf("a value of column %s is not of its kind (%v)", t.cols[c].Name, t.cols[c].Kind)}
		}
		params = append(params, buf[start:len(buf):len(buf)])
	}
	t.buf, t.params = buf, params
	sql := t.statement(kind, g.Columns, 0)
	conn := tx.Conn()
	if t.deallocate {
		if err := conn.DeallocateAll(ctx); err != nil {
			return err
		}
		t.deallocate = false
	}
	sd, err := conn.Prepare(ctx, sql, sql) // once per connection
	if err != nil {
		return err
	}
	return conn.PgConn().ExecPrepared(ctx, sd.Name, params, binaryFormat, nil).Read().Err
}

// copy appends the group's rows with COPY FROM STDIN (binary). A value COPY
// cannot carry (decimal text beyond what numeric_recv takes, a number a
// real cannot hold) sends the group through INSERT, whose casts decide.
func (t *table) copy(ctx context.Context, tx pgx.Tx, g row.Group) error {
	types := t.types[:0]
	for _, c := range g.Columns {
		types = append(types, copyTypes[t.cols[c].base])
	}
	buf, ok := appendCopyRows(t.buf[:0], types, g.Rows)
	t.buf, t.types = buf, types
	if !ok {
		return t.run(ctx, tx, stmtInsert, g)
	}
	_, err := tx.Conn().PgConn().CopyFrom(ctx, bytes.NewReader(buf), "COPY "+t.name.String()+" "+t.columnList(g.Columns)+" FROM STDIN BINARY")
	return err
}

// encodeError is a value the sink could not encode: the data of some
// record, found by writing the records one by one.
type encodeError struct{ err error }

func (e *encodeError) Error() string { return "encode: " + e.err.Error() }
func (e *encodeError) Unwrap() error { return e.err }
