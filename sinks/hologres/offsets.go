package hologres

import (
	"context"
	"fmt"
	"maps"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// offsetStore keeps the sink's Kafka offsets in a table of the database
// (offsets.table), written in the transaction that writes the rows, so the
// rows and the offsets they reach commit together.
type offsetStore struct {
	table     tableName
	connector string
	// next is the offset of the next record expected per partition: what
	// the table held at the last load, advanced by every commit since.
	next map[sdk.TopicPartition]int64
	// stale is set when a commit may or may not have happened (the
	// connection broke during it); next is loaded again before writing.
	stale bool
}

// offsetsColumns is the offsets table's shape, one row per connector and
// partition.
const offsetsColumns = `connector text NOT NULL, topic text NOT NULL, kafka_partition integer NOT NULL,
	next_offset bigint NOT NULL, updated_at timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (connector, topic, kafka_partition)`

// ensure creates the table unless it exists (a row-oriented table on
// Hologres: it is read and written by key).
func (o *offsetStore) ensure(ctx context.Context, conn *pgx.Conn, srv server) error {
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT to_regclass($1) IS NOT NULL`, o.table.String()).Scan(&exists); err != nil {
		return fmt.Errorf("look up offsets table %s: %w", o.table, err)
	}
	if exists {
		return nil
	}
	stmts := []string{"CREATE TABLE IF NOT EXISTS " + o.table.String() + " (" + offsetsColumns + ")"}
	if srv.hologres {
		stmts = append(stmts, tableProps{Orientation: "row"}.statements(o.table)...)
	}
	return runInTx(ctx, conn, stmts)
}

// load reads the connector's offsets.
func (o *offsetStore) load(ctx context.Context, conn *pgx.Conn) error {
	rows, err := conn.Query(ctx, `SELECT topic, kafka_partition, next_offset FROM `+o.table.String()+` WHERE connector = $1`, o.connector)
	if err != nil {
		return fmt.Errorf("read offsets from %s: %w", o.table, err)
	}
	next := map[sdk.TopicPartition]int64{}
	for rows.Next() {
		var tp sdk.TopicPartition
		var off int64
		if err := rows.Scan(&tp.Topic, &tp.Partition, &off); err != nil {
			rows.Close()
			return err
		}
		next[tp] = off
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read offsets from %s: %w", o.table, err)
	}
	o.next, o.stale = next, false
	return nil
}

// written reports whether a record is already in the table: below the next
// offset of its partition.
func (o *offsetStore) written(r *sdk.Record) bool {
	next, ok := o.next[sdk.TopicPartition{Topic: r.Topic, Partition: r.Partition}]
	return ok && r.Offset < next
}

// advance returns the next offsets after records, per partition.
func advance(records []sdk.Record) map[sdk.TopicPartition]int64 {
	out := map[sdk.TopicPartition]int64{}
	for i := range records {
		tp := sdk.TopicPartition{Topic: records[i].Topic, Partition: records[i].Partition}
		if n := records[i].Offset + 1; n > out[tp] {
			out[tp] = n
		}
	}
	return out
}

// save writes next offsets in tx. An offset never goes back: a task that
// lost its partitions without noticing cannot undo its successor's
// progress.
func (o *offsetStore) save(ctx context.Context, tx pgx.Tx, next map[sdk.TopicPartition]int64) error {
	if len(next) == 0 {
		return nil
	}
	var b strings.Builder
	b.WriteString("INSERT INTO " + o.table.String() + " AS o (connector, topic, kafka_partition, next_offset) VALUES ")
	args := []any{o.connector}
	i := 0
	for tp, off := range next {
		if i > 0 {
			b.WriteString(", ")
		}
		n := len(args)
		b.WriteString("($1::text, $" + strconv.Itoa(n+1) + "::text, $" + strconv.Itoa(n+2) + "::int4, $" + strconv.Itoa(n+3) + "::int8)")
		args = append(args, tp.Topic, tp.Partition, off)
		i++
	}
	b.WriteString(` ON CONFLICT (connector, topic, kafka_partition) DO UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = now()
		WHERE o.next_offset < EXCLUDED.next_offset`)
	if _, err := tx.Exec(ctx, b.String(), args...); err != nil {
		return fmt.Errorf("save offsets in %s: %w", o.table, err)
	}
	return nil
}

// committed records offsets that are now in the table.
func (o *offsetStore) committed(next map[sdk.TopicPartition]int64) {
	for tp, off := range next {
		if off > o.next[tp] {
			o.next[tp] = off
		}
	}
}

func (o *offsetStore) snapshot() map[sdk.TopicPartition]int64 { return maps.Clone(o.next) }

// runInTx runs statements in one transaction.
func runInTx(ctx context.Context, conn *pgx.Conn, stmts []string) error {
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		for _, s := range stmts {
			if _, err := tx.Exec(ctx, s); err != nil {
				return err
			}
		}
		return nil
	})
}
