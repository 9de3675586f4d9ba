package rds

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tributarydata/tributary/sinks/row"
)

// tableName is a table, in a database or in the connection's.
type tableName struct{ db, name string }

func (n tableName) String() string {
	if n.db == "" {
		return quoteIdent(n.name)
	}
	return quoteIdent(n.db) + "." + quoteIdent(n.name)
}

// parseTableName reads table.name.format after ${topic} was replaced:
// "t", "db.t", or names between back quotes ("`ods.orders`",
// "db.`a.b`"), in which a doubled back quote stands for one. A database
// left out is db.
func parseTableName(s, db string) (tableName, error) {
	var parts []string
	for rest := s; ; {
		var part string
		if strings.HasPrefix(rest, "`") {
			var b strings.Builder
			i := 1
			for ; i < len(rest); i++ {
				if rest[i] == '`' {
					if i+1 < len(rest) && rest[i+1] == '`' {
						b.WriteByte('`')
						i++
						continue
					}
					break
				}
				b.WriteByte(rest[i])
			}
			if i >= len(rest) {
				return tableName{}, fmt.Errorf("table name %q: unterminated back quote", s)
			}
			part, rest = b.String(), rest[i+1:]
		} else {
			end := strings.IndexAny(rest, ".`")
			if end < 0 {
				end = len(rest)
			}
			part, rest = rest[:end], rest[end:]
		}
		if part == "" {
			return tableName{}, fmt.Errorf("table name %q: empty name", s)
		}
		parts = append(parts, part)
		if rest == "" {
			break
		}
		if rest[0] != '.' {
			return tableName{}, fmt.Errorf("table name %q: expected '.' after %q", s, part)
		}
		rest = rest[1:]
	}
	switch len(parts) {
	case 1:
		if db == "" {
			return tableName{}, fmt.Errorf("table %s: connection.url names no database; name one there or write db.table in table.name.format", quoteIdent(parts[0]))
		}
		return tableName{db: db, name: parts[0]}, nil
	case 2:
		return tableName{db: parts[0], name: parts[1]}, nil
	}
	return tableName{}, fmt.Errorf("table name %q has %d dotted parts; back-quote a name that holds dots", s, len(parts))
}

// catalogColumn is a column as information_schema describes it.
type catalogColumn struct {
	name      string
	sqlType   string // COLUMN_TYPE: "bigint(20) unsigned", "varchar(64)", "datetime(3)"
	notNull   bool
	noDefault bool
	autoInc   bool
	generated bool
}

// required is a column an INSERT must give: NOT NULL without a default.
func (c catalogColumn) required() bool {
	return c.notNull && c.noDefault && !c.autoInc && !c.generated
}

func readColumns(cn *conn, n tableName) ([]catalogColumn, error) {
	res, err := cn.query(`SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE = 'NO', COLUMN_DEFAULT IS NULL, EXTRA
		FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`, n.db, n.name)
	if err != nil {
		return nil, fmt.Errorf("read the columns of %s: %w", n, err)
	}
	defer res.Close()
	cols := make([]catalogColumn, 0, res.RowNumber())
	for i := range res.RowNumber() {
		var c catalogColumn
		c.name, c.sqlType = text(res, i, 0), text(res, i, 1)
		notNull, _ := res.GetInt(i, 2)
		noDefault, _ := res.GetInt(i, 3)
		extra := strings.ToUpper(text(res, i, 4))
		c.notNull, c.noDefault = notNull == 1, noDefault == 1
		c.autoInc = strings.Contains(extra, "AUTO_INCREMENT")
		c.generated = strings.Contains(extra, "VIRTUAL GENERATED") || strings.Contains(extra, "STORED GENERATED") ||
			strings.Contains(extra, "PERSISTENT GENERATED")
		cols = append(cols, c)
	}
	return cols, nil
}

// readJSONColumns finds MariaDB's JSON columns, which the catalog shows as
// LONGTEXT with a CHECK (json_valid(c)) constraint, so that they take JSON
// as MySQL's do. Servers without CHECK_CONSTRAINTS.TABLE_NAME (MySQL,
// whose JSON type the catalog names) have none.
func readJSONColumns(cn *conn, n tableName) (map[string]bool, error) {
	if !strings.Contains(strings.ToLower(cn.version), "mariadb") {
		return nil, nil
	}
	res, err := cn.query(`SELECT CHECK_CLAUSE FROM information_schema.CHECK_CONSTRAINTS
		WHERE CONSTRAINT_SCHEMA = ? AND TABLE_NAME = ?`, n.db, n.name)
	if err != nil {
		if code, ok := serverCode(err); ok && code == erBadFieldError {
			return nil, nil // MariaDB before 10.3.10
		}
		return nil, fmt.Errorf("read the constraints of %s: %w", n, err)
	}
	defer res.Close()
	cols := map[string]bool{}
	for i := range res.RowNumber() {
		clause := text(res, i, 0)
		if inner, ok := strings.CutPrefix(clause, "json_valid(`"); ok {
			if name, ok := strings.CutSuffix(inner, "`)"); ok {
				cols[strings.ReplaceAll(name, "``", "`")] = true
			}
		}
	}
	return cols, nil
}

// uniqueKey is the primary key or a unique index.
type uniqueKey struct {
	name    string
	columns []string
}

func readUniqueKeys(cn *conn, n tableName) ([]uniqueKey, error) {
	res, err := cn.query(`SELECT INDEX_NAME, COLUMN_NAME FROM information_schema.STATISTICS
		WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND NON_UNIQUE = 0
		ORDER BY INDEX_NAME = 'PRIMARY' DESC, INDEX_NAME, SEQ_IN_INDEX`, n.db, n.name)
	if err != nil {
		return nil, fmt.Errorf("read the keys of %s: %w", n, err)
	}
	defer res.Close()
	var keys []uniqueKey
	for i := range res.RowNumber() {
		index, col := text(res, i, 0), text(res, i, 1)
		if len(keys) == 0 || keys[len(keys)-1].name != index {
			keys = append(keys, uniqueKey{name: index})
		}
		k := &keys[len(keys)-1]
		k.columns = append(k.columns, col)
	}
	return keys, nil
}

// createTableSQL is the DDL of auto.create.
func createTableSQL(n tableName, cols []row.Column, key []string) (string, error) {
	var b strings.Builder
	b.WriteString("CREATE TABLE IF NOT EXISTS ")
	b.WriteString(n.String())
	b.WriteString(" (")
	for i, c := range cols {
		if strings.ContainsAny(c.SQLType, ";`#\n\r") || strings.Contains(c.SQLType, "--") || strings.Contains(c.SQLType, "/*") {
			return "", fmt.Errorf("table.schema.columns: column %s: type %q holds characters a type cannot", c.Name, c.SQLType)
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(quoteIdent(c.Name))
		b.WriteByte(' ')
		b.WriteString(c.SQLType)
		if c.NotNull || slices.ContainsFunc(key, func(k string) bool { return strings.EqualFold(k, c.Name) }) {
			b.WriteString(" NOT NULL")
		}
	}
	if len(key) > 0 {
		b.WriteString(", PRIMARY KEY (")
		for i, k := range key {
			if !slices.ContainsFunc(cols, func(c row.Column) bool { return strings.EqualFold(c.Name, k) }) {
				return "", fmt.Errorf("table.primary.key: %s is not a column of table.schema.columns", k)
			}
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(quoteIdent(k))
		}
		b.WriteByte(')')
	}
	b.WriteString(") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4")
	return b.String(), nil
}

// table is a target table: its columns as the server has them, its key,
// the mapper that reads records against it and the batch of the chunk
// being written.
type table struct {
	name   tableName
	quoted string
	cols   []row.Column
	names  []string
	// required marks columns an INSERT must give (NOT NULL, no default).
	required []bool
	key      []int
	// guard is set when the table has unique keys besides key (see
	// insertSQL).
	guard  bool
	mapper *row.Mapper
	batch  *row.Batch
	// sql caches statement texts.
	sql map[sqlKey]string
	// loaded is when the catalog was read.
	loaded time.Time
	// skipped counts records that changed nothing (a delete where deletes
	// are off, a tombstone under pk.mode=record_value).
	skipped atomic.Int64
}

// sqlKey names a statement of a table.
type sqlKey struct {
	kind    byte // 'i' insert, 'd' delete, 'u' update
	columns string
	rows    int
}

// errNoTable is a missing table without auto.create.
var errNoTable = errors.New("table does not exist")

// loadTable reads a table's catalog, creating it first when it is missing
// and auto.create is on, and prepares the mapper and batch for it.
func (s *Sink) loadTable(cn *conn, n tableName) (*table, error) {
	catalog, err := readColumns(cn, n)
	if err != nil {
		return nil, err
	}
	if len(catalog) == 0 {
		if !s.cfg.AutoCreate {
			return nil, fmt.Errorf("%s: %w (create it, or set auto.create=true with table.schema.columns)", n, errNoTable)
		}
		ddl, err := createTableSQL(n, s.declared, s.createKey())
		if err != nil {
			return nil, err
		}
		if _, err := cn.query(ddl); err != nil {
			return nil, fmt.Errorf("create table %s: %w", n, err)
		}
		s.log.Info("created table", "table", n.String())
		if catalog, err = readColumns(cn, n); err != nil {
			return nil, err
		}
		if len(catalog) == 0 {
			return nil, fmt.Errorf("%s: created, but information_schema shows no columns (missing privileges?)", n)
		}
	}
	t := &table{name: n, quoted: n.String(), sql: map[sqlKey]string{}, loaded: time.Now()}
	jsonColumns, err := readJSONColumns(cn, n)
	if err != nil {
		return nil, err
	}
	for _, c := range catalog {
		if c.generated {
			continue
		}
		sqlType := c.sqlType
		if jsonColumns[c.name] {
			sqlType = "json"
		}
		col, err := row.NewColumn(c.name, sqlType, c.notNull)
		if err != nil {
			// BIT, YEAR, spatial types: the sink leaves such a column to its
			// default; a field for it counts as unknown.
			s.log.Warn("column of an unsupported type is not written", "table", t.quoted, "column", c.name, "type", c.sqlType)
			continue
		}
		t.cols = append(t.cols, col)
		t.names = append(t.names, c.name)
		t.required = append(t.required, c.required())
	}
	keyNames, uniqueKeys, err := s.keyColumns(cn, n, catalog)
	if err != nil {
		return nil, err
	}
	t.guard = len(keyNames) > 0 && uniqueKeys > 1
	m, err := row.NewMapper(row.MapperConfig{
		Columns:            t.cols,
		Key:                keyNames,
		KeyMode:            row.KeyMode(s.cfg.PKMode),
		UnknownFieldsError: s.cfg.UnknownFields == "error",
		DeleteEnabled:      s.deletes,
		EpochUnit:          s.cfg.epochUnit(),
	})
	if err != nil {
		return nil, fmt.Errorf("table %s: %w", n, err)
	}
	t.mapper, t.key = m, m.Key()
	t.batch = row.NewBatch(s.batchMode(), t.key)
	return t, nil
}

// createKey is the primary key of a table auto.create makes.
func (s *Sink) createKey() []string {
	if len(s.cfg.PrimaryKey) > 0 {
		return s.cfg.PrimaryKey
	}
	return s.cfg.PKFields
}

// keyColumns decides the key the sink writes by: pk.fields, which must be
// the columns of a unique key of the table (the server finds the row to
// update by its unique keys, not by what the sink believes), or else the
// primary key, or else the first unique key of NOT NULL columns.
func (s *Sink) keyColumns(cn *conn, n tableName, catalog []catalogColumn) (key []string, uniqueKeys int, err error) {
	if s.cfg.PKMode == "none" {
		return nil, 0, nil
	}
	keys, err := readUniqueKeys(cn, n)
	if err != nil {
		return nil, 0, err
	}
	describe := func() string {
		if len(keys) == 0 {
			return "it has none"
		}
		var ks []string
		for _, k := range keys {
			ks = append(ks, k.name+"("+strings.Join(k.columns, ",")+")")
		}
		return "its unique keys: " + strings.Join(ks, ", ")
	}
	if len(s.cfg.PKFields) > 0 {
		for _, k := range keys {
			if sameColumns(k.columns, s.cfg.PKFields) {
				return s.cfg.PKFields, len(keys), nil
			}
		}
		return nil, 0, fmt.Errorf("table %s: pk.fields %s is not the primary key or a unique key (%s); rows could not be upserted by it",
			n, strings.Join(s.cfg.PKFields, ","), describe())
	}
	notNull := map[string]bool{}
	for _, c := range catalog {
		notNull[c.name] = c.notNull
	}
	for _, k := range keys {
		if !slices.ContainsFunc(k.columns, func(c string) bool { return !notNull[c] }) {
			return k.columns, len(keys), nil
		}
	}
	return nil, 0, fmt.Errorf("table %s has no primary key or unique key of NOT NULL columns for pk.mode=%s: add one, set pk.fields, or append rows with pk.mode=none and insert.mode=insert",
		n, s.cfg.PKMode)
}

func sameColumns(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.ContainsFunc(b, func(y string) bool { return strings.EqualFold(x, y) }) {
			return false
		}
	}
	return true
}

// explain names the table in a record's server error, and says what a
// refused NULL key means on a table with a guard (see insertSQL).
func (t *table) explain(err error) error {
	if code, _ := serverCode(err); code == 1048 && t.guard {
		for _, k := range t.key {
			if strings.Contains(err.Error(), "'"+t.names[k]+"'") {
				return fmt.Errorf("table %s: the row collides on a unique key other than (%s) with another row: %w",
					t.quoted, t.keyList(), err)
			}
		}
	}
	return fmt.Errorf("table %s: %w", t.quoted, err)
}

func (t *table) keyList() string {
	names := make([]string, len(t.key))
	for i, k := range t.key {
		names[i] = t.names[k]
	}
	return strings.Join(names, ",")
}
