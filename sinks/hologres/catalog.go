package hologres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/tributarydata/tributary/sinks/row"
)

// server is what the sink learned about the database it writes to.
type server struct {
	hologres   bool
	versionNum int    // server_version_num, e.g. 150004
	version    string // version()
}

// detectServer tells Hologres from PostgreSQL: Hologres names itself in
// version() or has hg_version(). Looking the function up in pg_proc rather
// than calling it keeps an error out of the session on PostgreSQL.
func detectServer(ctx context.Context, conn *pgx.Conn) (server, error) {
	var s server
	var hasHgVersion bool
	err := conn.QueryRow(ctx, `SELECT version(), current_setting('server_version_num')::int,
		EXISTS (SELECT FROM pg_catalog.pg_proc p WHERE p.proname = 'hg_version' AND pg_function_is_visible(p.oid))`).Scan(&s.version, &s.versionNum, &hasHgVersion)
	if err != nil {
		return server{}, fmt.Errorf("detect server: %w", err)
	}
	s.hologres = hasHgVersion || strings.Contains(strings.ToLower(s.version), "hologres")
	return s, nil
}

// column is a column of a target table as the sink writes it.
type column struct {
	row.Column
	// base is the type without modifiers (format_type(oid, -1): "character
	// varying", "numeric", "bpchar"), the target of the casts of values, so
	// a cast never truncates or rounds: the assignment to the column checks
	// lengths and applies scales, as a plain INSERT would.
	base string
	// required marks a NOT NULL column without a default: an INSERT must
	// carry a value for it.
	required bool
}

// catalogTable is a table as the catalog describes it.
type catalogTable struct {
	schema  string // where search_path found the table
	columns []column
	primary []string   // primary-key columns, in index order; nil without one
	unique  [][]string // column sets of the unique indexes ON CONFLICT can use, the primary key's included
}

// readCatalog reads a table's columns and unique keys; ok is false when the
// table does not exist. Generated columns are left out: they cannot be
// written.
func readCatalog(ctx context.Context, conn *pgx.Conn, srv server, name tableName) (t catalogTable, ok bool, err error) {
	var oid *uint32
	var kind *string
	if err := conn.QueryRow(ctx, `SELECT c.oid, c.relkind::text, n.nspname::text FROM pg_catalog.pg_class c
		JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass($1)`,
		name.String()).Scan(&oid, &kind, &t.schema); err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return t, false, fmt.Errorf("look up table %s: %w", name, err)
	}
	if oid == nil {
		return t, false, nil
	}
	if k := *kind; k != "r" && k != "p" && k != "f" {
		return t, false, fmt.Errorf("%s is not a table (pg_class.relkind %q)", name, k)
	}
	generated := "false"
	if !srv.hologres && srv.versionNum >= 120000 {
		generated = "a.attgenerated <> ''"
	}
	rows, err := conn.Query(ctx, `SELECT a.attname, format_type(a.atttypid, a.atttypmod), format_type(a.atttypid, -1),
			a.attnotnull, a.atthasdef OR a.attidentity <> ''
		FROM pg_catalog.pg_attribute a
		WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped AND NOT (`+generated+`)
		ORDER BY a.attnum`, *oid)
	if err != nil {
		return t, false, fmt.Errorf("read columns of %s: %w", name, err)
	}
	for rows.Next() {
		var name, typ, base string
		var notNull, hasDefault bool
		if err := rows.Scan(&name, &typ, &base, &notNull, &hasDefault); err != nil {
			rows.Close()
			return t, false, err
		}
		c, err := row.NewColumn(name, typ, notNull)
		if err != nil {
			// A type the row package has no kind for (an enum, uuid[],
			// tsvector): its values are written as text and cast, so
			// anything the type's input function reads goes in.
			c = row.Column{Name: name, Kind: row.KindString, SQLType: typ, NotNull: notNull}
		}
		t.columns = append(t.columns, column{Column: c, base: base, required: notNull && !hasDefault})
	}
	if err := rows.Err(); err != nil {
		return t, false, fmt.Errorf("read columns of %s: %w", name, err)
	}
	if len(t.columns) == 0 {
		return t, false, fmt.Errorf("table %s has no columns the sink can write", name)
	}
	// Unique indexes usable as ON CONFLICT arbiters: immediate, without a
	// predicate or expressions; only their key columns (not INCLUDE ones).
	rows, err = conn.Query(ctx, `SELECT i.indisprimary, array_agg(a.attname::text ORDER BY k.ord)
		FROM pg_catalog.pg_index i
		CROSS JOIN LATERAL unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
		JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
		WHERE i.indrelid = $1 AND i.indisunique AND i.indimmediate AND i.indpred IS NULL AND i.indexprs IS NULL
			AND k.ord <= i.indnkeyatts
		GROUP BY i.indexrelid, i.indisprimary
		ORDER BY i.indisprimary DESC, i.indexrelid`, *oid)
	if err != nil {
		return t, false, fmt.Errorf("read keys of %s: %w", name, err)
	}
	for rows.Next() {
		var primary bool
		var cols []string
		if err := rows.Scan(&primary, &cols); err != nil {
			rows.Close()
			return t, false, err
		}
		if primary {
			t.primary = cols
		}
		t.unique = append(t.unique, cols)
	}
	if err := rows.Err(); err != nil {
		return t, false, fmt.Errorf("read keys of %s: %w", name, err)
	}
	return t, true, nil
}

// resolveColumns maps configured column names to the catalog's spelling:
// an exact match first, else the one column equal ignoring case.
func resolveColumns(cols []column, names []string) ([]string, error) {
	out := make([]string, 0, len(names))
	for _, n := range names {
		found := ""
		for _, c := range cols {
			if c.Name == n {
				found = c.Name
				break
			}
		}
		if found == "" {
			for _, c := range cols {
				if strings.EqualFold(c.Name, n) {
					if found != "" {
						return nil, fmt.Errorf("column %s is ambiguous: %s and %s differ only in case; write it exactly", n, found, c.Name)
					}
					found = c.Name
				}
			}
		}
		if found == "" {
			return nil, fmt.Errorf("column %s is not a column of the table", n)
		}
		if slices.Contains(out, found) {
			return nil, fmt.Errorf("column %s is listed twice", n)
		}
		out = append(out, found)
	}
	return out, nil
}

// sameSet reports whether a and b hold the same names.
func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}
