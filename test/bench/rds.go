package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-mysql-org/go-mysql/client"

	"github.com/tributarydata/tributary/deployments/local"
	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/sinks/rds"
)

// rdsTable is the shape both sides write: 8 columns, a bigint key.
const rdsTable = `(id BIGINT PRIMARY KEY, user_id BIGINT NOT NULL, classroom_id BIGINT NOT NULL, role INT NOT NULL,
	event VARCHAR(64) NOT NULL, amount DECIMAL(12,2), created DATETIME(3) NOT NULL, note VARCHAR(64))`

// rdsRates upserts rows into fresh tables of a MariaDB of its own, in turns:
// hand-written multi-row INSERT … ON DUPLICATE KEY UPDATE statements with
// their values built beforehand, executed back to back (the best of 1000-
// and 2000-row statements), and the rds sink's Write on the same rows as
// JSON records, handed over 2000 at a time as the runtime does. Each returns
// rows/s; only the writing is timed.
func rdsRates(rows int) (handWritten, sink float64, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp("", "tributary-bench-rds-")
	if err != nil {
		return 0, 0, err
	}
	defer os.RemoveAll(dir)
	db, err := local.StartMariaDB(ctx, local.MariaDBOptions{Dir: filepath.Join(dir, "mariadb")})
	if err != nil {
		return 0, 0, err
	}
	defer db.Stop()
	conn, err := client.Connect(db.Addr(), db.User, db.Password, "")
	if err != nil {
		return 0, 0, err
	}
	defer conn.Close()
	if _, err := conn.Execute("CREATE DATABASE bench"); err != nil {
		return 0, 0, err
	}
	// The machine is shared: the sides take turns, three rounds, each on
	// fresh tables, and the best of each side counts.
	for round := range 3 {
		for _, batch := range []int{1000, 2000} {
			rate, err := rdsHandWrittenRate(conn, fmt.Sprintf("bench.hand_%d_%d", round, batch), rows, batch)
			if err != nil {
				return 0, 0, fmt.Errorf("hand-written: %w", err)
			}
			handWritten = max(handWritten, rate)
		}
		rate, err := rdsSinkRate(ctx, conn, db, fmt.Sprintf("sink_%d", round), rows)
		if err != nil {
			return 0, 0, fmt.Errorf("sink: %w", err)
		}
		sink = max(sink, rate)
	}
	return handWritten, sink, nil
}

// rdsRow is row i's values, the same on both sides.
func rdsRow(i int) (userID, classroomID, role int, event, amount, created, note string) {
	return i % 5000, i % 700, i % 3, fmt.Sprintf("STUDENT_EVENT_%d", i%7), fmt.Sprintf("%d.%02d", i%1000, i%100),
		fmt.Sprintf("2024-05-01 08:%02d:%02d.%03d", i/60%60, i%60, i%1000), fmt.Sprintf("note %d", i)
}

func rdsHandWrittenRate(conn *client.Conn, table string, rows, batch int) (float64, error) {
	if _, err := conn.Execute("CREATE TABLE " + table + " " + rdsTable); err != nil {
		return 0, err
	}
	var statements []string
	var b strings.Builder
	for start := 0; start < rows; start += batch {
		b.Reset()
		b.WriteString("INSERT INTO " + table + " (id,user_id,classroom_id,role,event,amount,created,note) VALUES ")
		for i := start; i < start+batch && i < rows; i++ {
			if i > start {
				b.WriteByte(',')
			}
			u, c, r, ev, amount, created, note := rdsRow(i)
			fmt.Fprintf(&b, "(%d,%d,%d,%d,'%s',%s,'%s','%s')", i, u, c, r, ev, amount, created, note)
		}
		b.WriteString(" ON DUPLICATE KEY UPDATE user_id=VALUES(user_id),classroom_id=VALUES(classroom_id),role=VALUES(role)," +
			"event=VALUES(event),amount=VALUES(amount),created=VALUES(created),note=VALUES(note)")
		statements = append(statements, b.String())
	}
	start := time.Now()
	for _, q := range statements {
		if _, err := conn.Execute(q); err != nil {
			return 0, err
		}
	}
	return float64(rows) / time.Since(start).Seconds(), nil
}

func rdsSinkRate(ctx context.Context, conn *client.Conn, db *local.MariaDB, table string, rows int) (float64, error) {
	if _, err := conn.Execute("CREATE TABLE bench." + table + " " + rdsTable); err != nil {
		return 0, err
	}
	records := make([]sdk.Record, rows)
	for i := range records {
		u, c, r, ev, amount, created, note := rdsRow(i)
		records[i] = sdk.Record{Topic: "bench.rows", Partition: 0, Offset: int64(i), Value: fmt.Appendf(nil,
			`{"id":%d,"user_id":%d,"classroom_id":%d,"role":%d,"event":%q,"amount":"%s","created":"%s","note":%q}`,
			i, u, c, r, ev, amount, created, note)}
	}
	s := rds.Plugin.NewSink()
	if err := s.Open(ctx, sdk.Config{
		"name": "bench-rds", "connection.url": fmt.Sprintf("%s:%s@tcp(%s)/bench", db.User, db.Password, db.Addr()),
		"table.name.format": table, "topics": "bench.rows",
	}); err != nil {
		return 0, err
	}
	defer s.Close()
	start := time.Now()
	for off := 0; off < rows; off += 2000 {
		batch := records[off:min(off+2000, rows)]
		n, err := s.Write(ctx, batch)
		if err != nil {
			return 0, err
		}
		if n != len(batch) {
			return 0, fmt.Errorf("wrote %d of %d records", n, len(batch))
		}
	}
	if err := s.Flush(ctx); err != nil {
		return 0, err
	}
	return float64(rows) / time.Since(start).Seconds(), nil
}
