package backup

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/tributarydata/tributary/plugins/sdk"
)

var ctx = context.Background()

// config is a backup sink config writing to root, with extra key/value pairs.
func config(root string, kv ...string) sdk.Config {
	c := sdk.Config{"name": "backup-test", "backup.root": root, "topics": "ods.events"}
	for i := 0; i+1 < len(kv); i += 2 {
		c[kv[i]] = kv[i+1]
	}
	return c
}

// clock is a settable wall clock for the sink's now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func openSink(t testing.TB, cfg sdk.Config, clk *clock) *Sink {
	t.Helper()
	s := &Sink{}
	if clk != nil {
		s.now = clk.now
	}
	if err := s.Open(ctx, cfg); err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

// deliver hands batch to the sink the way bus/worker's sinkTask.write does:
// records the sink reports as bad are dead-lettered (their indexes in batch
// are returned) and the rest handed over again. After each Write the slice
// passed is overwritten, as the runtime reuses its batch between polls, so a
// sink keeping references into it would write garbage.
func deliver(t testing.TB, s *Sink, batch []sdk.Record) (bad []int) {
	t.Helper()
	rest := make([]int, len(batch))
	for i := range rest {
		rest[i] = i
	}
	for len(rest) > 0 {
		recs := make([]sdk.Record, len(rest))
		for i, j := range rest {
			recs[i] = batch[j]
		}
		n, err := s.Write(ctx, recs)
		for i := range recs {
			recs[i] = sdk.Record{Topic: "scribbled", Partition: 99, Offset: -1}
		}
		var re *sdk.RecordError
		switch {
		case errors.As(err, &re):
			if re.Index < n || re.Index >= len(rest) {
				t.Fatalf("RecordError index %d with %d written of %d", re.Index, n, len(rest))
			}
			bad = append(bad, rest[re.Index])
			rest = append(rest[n:re.Index:re.Index], rest[re.Index+1:]...)
		case err != nil:
			t.Fatalf("Write: %v", err)
		case n <= 0:
			t.Fatalf("Write accepted none of %d records", len(rest))
		default:
			rest = rest[min(n, len(rest)):]
		}
	}
	return bad
}

func flush(t testing.TB, s *Sink) {
	t.Helper()
	if err := s.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
}

func openDuck(t testing.TB) *sql.DB {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

// scan is the read_parquet call over a table's files, as the package docs
// give it: ds and hh as text, as in MaxCompute (DuckDB would otherwise guess
// their types from the values it sees).
func scan(root, table string) string {
	return fmt.Sprintf("read_parquet('%s/%s/*/*/*.parquet', hive_partitioning=true, hive_types_autocast=false, filename=true)",
		filepath.ToSlash(root), table)
}

// query runs q and returns every row, each value as text ("NULL" for null).
func query(t testing.TB, db *sql.DB, q string) [][]string {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			row[i] = "NULL"
			if v.Valid {
				row[i] = v.String
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return out
}

// files lists the regular files under root, relative and slash-separated.
func files(t testing.TB, root string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			rel, _ := filepath.Rel(root, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// temps returns the temporary files under root.
func temps(t testing.TB, root string) []string {
	var out []string
	for _, f := range files(t, root) {
		if strings.HasPrefix(filepath.Base(f), ".") {
			out = append(out, f)
		}
	}
	return out
}

// checkFileNames checks, for every data file, that its name states the
// topic partition and the first and last offsets of the rows it holds.
func checkFileNames(t testing.TB, db *sql.DB, root, table string) {
	t.Helper()
	got := query(t, db, `SELECT filename, min(_topic), max(_topic), min(_partition), max(_partition), min(_offset), max(_offset)
		FROM `+scan(root, table)+` GROUP BY filename ORDER BY filename`)
	if len(got) == 0 {
		t.Fatal("no files")
	}
	for _, r := range got {
		fr, ok := parsePartName(filepath.Base(r[0]))
		if !ok {
			t.Fatalf("file %s: name does not parse", r[0])
		}
		if r[1] != r[2] || r[3] != r[4] {
			t.Fatalf("file %s mixes topic partitions: %v", r[0], r)
		}
		want := []string{topicTag(r[1]), fmt.Sprint(fr.partition), fmt.Sprint(fr.first), fmt.Sprint(fr.last)}
		if have := []string{fr.tag, r[3], r[5], r[6]}; fmt.Sprint(have) != fmt.Sprint(want) {
			t.Fatalf("file %s: name says %v, rows are %v", r[0], want, have)
		}
	}
}
