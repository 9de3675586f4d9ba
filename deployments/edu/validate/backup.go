package validate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// nonTableChar is what the backup sink turns into _ in a topic's table
// directory (sinks/backup, table.name.format): ods.qos_log → ods_qos_log.
var nonTableChar = regexp.MustCompile(`[^A-Za-z0-9_-]`)

// TableDir returns the directory under the backup root that holds topic.
func TableDir(root, topic string) string {
	return filepath.Join(root, nonTableChar.ReplaceAllString(topic, "_"))
}

// parquetFiles lists the data files of a topic's table directory,
// <table>/ds=YYYYMMDD/hh=HH/part-….parquet. A missing directory is no
// files: a topic nothing was written to (a late topic of a run without late
// records) has none.
func parquetFiles(root, topic string) ([]string, error) {
	var files []string
	dir := TableDir(root, topic)
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if path == dir && errors.Is(err, fs.ErrNotExist) {
				return fs.SkipAll
			}
			return err
		}
		// Temporary files are hidden (.part-….tmp) and _SUCCESS is not
		// Parquet; neither ends in .parquet.
		if !d.IsDir() && strings.HasSuffix(d.Name(), ".parquet") && !strings.HasPrefix(d.Name(), ".") {
			files = append(files, path)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list the backup of %s: %w", topic, err)
	}
	slices.Sort(files)
	return files, nil
}

// sqlString quotes s as a standard SQL string literal, as DuckDB and
// PostgreSQL read it.
func sqlString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// inputColumns is the table each input is loaded into: the backup's
// generic layout (sinks/backup/schema.go) under short names, the Kafka
// timestamp as epoch ms, and whether the record came from the late topic.
const inputColumns = `key VARCHAR, value VARCHAR, topic VARCHAR, part INTEGER, off BIGINT, ts_ms BIGINT, op VARCHAR, from_late BOOLEAN`

// inputStats says what loading an input found.
type inputStats struct {
	files, records, lateFiles, lateRecords int64
}

// loadInput loads an input's backed-up records, and its late topic's, into
// a table named after the input. A record is identified by (topic,
// partition, offset): a replay rewrites the same file names, but should two
// files ever hold one record, it is loaded once.
func loadInput(ctx context.Context, conn *sql.Conn, root string, in Input) (inputStats, error) {
	var st inputStats
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("CREATE TEMP TABLE %s (%s)", in.Name, inputColumns)); err != nil {
		return st, fmt.Errorf("create table %s: %w", in.Name, err)
	}
	load := func(topic string, late bool) (files, records int64, err error) {
		paths, err := parquetFiles(root, topic)
		if err != nil || len(paths) == 0 {
			return 0, 0, err
		}
		quoted := make([]string, len(paths))
		for i, p := range paths {
			quoted[i] = sqlString(p)
		}
		// hive_partitioning off: ds and hh are not needed, and DuckDB
		// would otherwise guess their types. union_by_name: files written
		// by other versions of the sink may order columns differently.
		q := fmt.Sprintf(`INSERT INTO %s
			SELECT DISTINCT ON (_topic, _partition, _offset)
			       key, value::VARCHAR, _topic, _partition, _offset, epoch_ms(_timestamp), _op, %t
			FROM read_parquet([%s], hive_partitioning = false, union_by_name = true)
			WHERE _topic = %s`, in.Name, late, strings.Join(quoted, ", "), sqlString(topic))
		res, err := conn.ExecContext(ctx, q)
		if err != nil {
			return 0, 0, fmt.Errorf("read the backup of %s: %w", topic, err)
		}
		n, _ := res.RowsAffected()
		return int64(len(paths)), n, nil
	}
	var err error
	if st.files, st.records, err = load(in.Topic, false); err != nil {
		return st, err
	}
	if in.LateTopic != "" {
		if st.lateFiles, st.lateRecords, err = load(in.LateTopic, true); err != nil {
			return st, err
		}
	}
	if in.Changes {
		if _, err := conn.ExecContext(ctx, fmt.Sprintf(changesView, in.Name)); err != nil {
			return st, fmt.Errorf("create view %s_changes: %w", in.Name, err)
		}
	}
	return st, nil
}

// changesView reads a changelog input as package transforms/latest/change
// does: a record whose op is a string and whose before or after is an
// object is a Debezium envelope (row: after for c, u, r; before for d), any
// other JSON object a plain row (a new version of its key), a null value a
// tombstone (row: the record key, {"id":7} from the CDC source, which holds
// the key fields). kind is the op, 'row' or 'tombstone'; an unknown op
// leaves row null, so the record reads as refused. before_row is an
// envelope's before, which must convert too.
const changesView = `CREATE TEMP VIEW %[1]s_changes AS
WITH records AS (
  SELECT part, off, ts_ms, key, value,
         CASE WHEN value IS NULL THEN 'tombstone'
              WHEN json_type(value, '$.op') = 'VARCHAR'
                   AND (json_type(value, '$.before') = 'OBJECT' OR json_type(value, '$.after') = 'OBJECT')
                THEN value->>'$.op'
              ELSE 'row' END AS kind
  FROM %[1]s
  WHERE NOT from_late AND (value IS NULL OR (json_valid(value) AND json_type(value) = 'OBJECT'))
)
SELECT part, off, ts_ms, key, kind, kind IN ('d', 'tombstone') AS deleted,
       CASE WHEN kind = 'row' THEN value::JSON
            WHEN kind IN ('c', 'u', 'r') THEN json_extract(value, '$.after')
            WHEN kind = 'd' THEN json_extract(value, '$.before')
            WHEN kind = 'tombstone' AND json_valid(key) THEN key::JSON END AS row,
       CASE WHEN kind IN ('c', 'u', 'r', 'd') AND json_type(value, '$.before') = 'OBJECT'
            THEN json_extract(value, '$.before') END AS before_row
FROM records`

// backupExists reports whether root is a directory, so that a mistyped
// --backup is an error rather than an empty recomputation.
func backupExists(root string) error {
	st, err := os.Stat(root)
	if err != nil {
		return fmt.Errorf("backup directory: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("backup directory %s is not a directory", root)
	}
	return nil
}
