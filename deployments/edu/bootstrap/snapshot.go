package bootstrap

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	_ "github.com/duckdb/duckdb-go/v2" // the Parquet reader

	"github.com/tributarydata/tributary/plugins/sdk"
)

// readSnapshot reads every row of the Parquet files at from as records of
// topic, in the order they were written. Files in the backup sink's
// generic layout (key and value columns beside _topic, _partition and
// _offset) give their records back as they were; files with a column per
// field give one JSON object per row, the metadata columns left out.
func readSnapshot(ctx context.Context, from, topic string) ([]sdk.Record, error) {
	glob, err := parquetGlob(from)
	if err != nil {
		return nil, err
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	source := fmt.Sprintf("read_parquet(%s, union_by_name = true, hive_partitioning = false, filename = true)", quote(glob))
	cols, err := columns(ctx, db, source)
	if err != nil {
		return nil, err
	}
	has := func(c string) bool { return slices.Contains(cols, c) }
	// The backup's own order (topic, partition, offset) is the order the
	// stream saw; another export is read in file order.
	order := "filename, file_row_number"
	if has("_offset") && has("_partition") {
		order = "_partition, _offset"
		if has("_topic") {
			order = "_topic, " + order
		}
	}
	source = strings.Replace(source, "filename = true", "filename = true, file_row_number = true", 1)
	var query string
	switch {
	case has("value") && has("_offset"):
		query = fmt.Sprintf("SELECT %s, CAST(value AS VARCHAR), %s, %s FROM %s ORDER BY %s",
			orNull(has("key"), "CAST(key AS VARCHAR)"), orZero(has("_partition"), "_partition"), "_offset", source, order)
	default:
		var fields []string
		for _, c := range cols {
			if strings.HasPrefix(c, "_") || c == "filename" {
				continue
			}
			fields = append(fields, quote(c), quoteIdent(c))
		}
		if len(fields) == 0 {
			return nil, fmt.Errorf("%s: no data columns", from)
		}
		query = fmt.Sprintf("SELECT NULL, CAST(json_object(%s) AS VARCHAR), %s, %s FROM %s ORDER BY %s",
			strings.Join(fields, ", "), orZero(has("_partition"), "_partition"), orZero(has("_offset"), "_offset"), source, order)
	}
	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", from, err)
	}
	defer rows.Close()
	var recs []sdk.Record
	for rows.Next() {
		var key, value sql.NullString
		var partition int32
		var offset int64
		if err := rows.Scan(&key, &value, &partition, &offset); err != nil {
			return nil, err
		}
		r := sdk.Record{Topic: topic, Partition: partition, Offset: offset}
		if key.Valid {
			r.Key = []byte(key.String)
		}
		if value.Valid {
			r.Value = []byte(value.String)
		}
		if !has("_offset") {
			r.Offset = int64(len(recs)) // the row's place, for messages
		}
		recs = append(recs, r)
	}
	return recs, rows.Err()
}

// parquetGlob turns a directory into the glob of every Parquet file under
// it and checks that something matches.
func parquetGlob(from string) (string, error) {
	if st, err := os.Stat(from); err == nil && st.IsDir() {
		from = filepath.Join(from, "**", "*.parquet")
	}
	if strings.HasPrefix(from, "s3://") {
		return from, nil
	}
	matches, err := filepath.Glob(strings.ReplaceAll(from, "**", "*"))
	if err != nil {
		return "", err
	}
	if len(matches) == 0 && !hasDeep(from) {
		return "", fmt.Errorf("no Parquet files at %s", from)
	}
	return from, nil
}

// hasDeep reports whether a ** glob matches anything at any depth, which
// filepath.Glob cannot say.
func hasDeep(glob string) bool {
	root, _, ok := strings.Cut(glob, "**")
	if !ok {
		return false
	}
	found := false
	_ = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".parquet") {
			found = true
			return filepath.SkipAll
		}
		return nil
	})
	return found
}

func columns(ctx context.Context, db *sql.DB, source string) ([]string, error) {
	rows, err := db.QueryContext(ctx, "SELECT column_name FROM (DESCRIBE SELECT * FROM "+source+")")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, err
		}
		cols = append(cols, c)
	}
	return cols, rows.Err()
}

func orNull(ok bool, expr string) string {
	if ok {
		return expr
	}
	return "NULL"
}

func orZero(ok bool, expr string) string {
	if ok {
		return expr
	}
	return "0"
}

func quote(s string) string      { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
