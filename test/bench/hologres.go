package main

import (
	"context"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/tributarydata/tributary/deployments/local"
	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/sinks/hologres"
)

// pgBatch is how many rows each write carries: what the runtime hands a
// sink at most per Write.
const pgBatch = 2000

// pgColumns is the benchmark table: eight columns of the usual types, a
// bigint key.
const pgColumns = `id bigint %s, user_id integer NOT NULL, status smallint NOT NULL, amount numeric(10,2) NOT NULL,
	created timestamp NOT NULL, note varchar(64), score double precision, paid boolean`

// pgResult holds each way of writing the same rows: rows/s, and CPU time
// per row of this process and of the server's processes, which a busy
// machine distorts less than the rate.
type pgResult struct {
	unnest, values, sinkUpsert, copy, sinkAppend pgRate
}

type pgRate struct {
	rows           float64 // per second
	client, server float64 // CPU µs per row
}

// pgRows is the data: Go values for the hand-written writes, JSON records
// (as a topic carries them) for the sink.
type pgRows struct {
	ids      []int64
	users    []int32
	statuses []int16
	amounts  []pgtype.Numeric
	created  []time.Time
	notes    []string
	scores   []float64
	paid     []bool
	records  []sdk.Record
}

func makePgRows(n int) pgRows {
	var d pgRows
	base := time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)
	for i := 1; i <= n; i++ {
		created := base.Add(time.Duration(i) * time.Millisecond)
		amount := fmt.Sprintf("%d.%02d", i%100000, i%100)
		cents, _ := new(big.Int).SetString(strings.Replace(amount, ".", "", 1), 10)
		d.ids = append(d.ids, int64(i))
		d.users = append(d.users, int32(i%5000))
		d.statuses = append(d.statuses, int16(i%4))
		d.amounts = append(d.amounts, pgtype.Numeric{Int: cents, Exp: -2, Valid: true})
		d.created = append(d.created, created)
		d.notes = append(d.notes, "order note "+strconv.Itoa(i))
		d.scores = append(d.scores, float64(i%1000)/8)
		d.paid = append(d.paid, i%2 == 0)
		v := fmt.Sprintf(`{"id":%d,"user_id":%d,"status":%d,"amount":"%s","created":"%s","note":"order note %d","score":%g,"paid":%t}`,
			i, i%5000, i%4, amount, created.Format("2006-01-02 15:04:05.000"), i, float64(i%1000)/8, i%2 == 0)
		d.records = append(d.records, sdk.Record{Topic: "bench.orders", Offset: int64(i - 1), Value: []byte(v)})
	}
	return d
}

// pgRates writes the same rows into fresh tables of a PostgreSQL of its
// own: the best hand-written pgx upsert (one prepared INSERT ... SELECT
// FROM unnest(arrays) ON CONFLICT per batch, values pre-built), the same as
// a multi-row VALUES list, the sink's upsert (JSON records through
// Open/Write as the runtime hands them, default configuration: one
// transaction per Write), hand-written COPY into an append table, and the
// sink's append mode. Each is run twice, the better run
// counting: the machine is shared.
func pgRates(dir string, n int) (pgResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	srv, err := local.StartPostgres(ctx, local.PostgresOptions{Dir: filepath.Join(dir, "postgres")})
	if err != nil {
		return pgResult{}, err
	}
	defer srv.Stop()
	conn, err := pgx.Connect(ctx, srv.URL())
	if err != nil {
		return pgResult{}, err
	}
	defer conn.Close(ctx)
	data := makePgRows(n)

	table := 0
	fresh := func(key string) (string, error) {
		table++
		name := fmt.Sprintf("bench_%d", table)
		_, err := conn.Exec(ctx, "CREATE TABLE "+name+" ("+fmt.Sprintf(pgColumns, key)+")")
		return name, err
	}
	// write returns a function that ends what it opened: called after the
	// CPU times are read, as an exited backend's time is gone from /proc.
	measure := func(key string, write func(table string) (func(), error)) (pgRate, error) {
		var best pgRate
		for range 2 {
			name, err := fresh(key)
			if err != nil {
				return best, err
			}
			// Settle what the last run left behind (dirty pages, WAL).
			if _, err := conn.Exec(ctx, "CHECKPOINT"); err != nil {
				return best, err
			}
			client0, server0 := selfCPU(), serverCPU(srv)
			start := time.Now()
			end, err := write(name)
			if err != nil {
				return best, err
			}
			r := pgRate{rows: float64(n) / time.Since(start).Seconds()}
			r.client = (selfCPU() - client0).Seconds() * 1e6 / float64(n)
			r.server = (serverCPU(srv) - server0).Seconds() * 1e6 / float64(n)
			end()
			var got int
			if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+name).Scan(&got); err != nil {
				return best, err
			}
			if got != n {
				return best, fmt.Errorf("%s holds %d rows, want %d", name, got, n)
			}
			if r.rows > best.rows {
				best = r
			}
		}
		return best, nil
	}

	var r pgResult
	raw := func(write func(ctx context.Context, conn *pgx.Conn, table string, d *pgRows) error) func(string) (func(), error) {
		return func(t string) (func(), error) { return func() {}, write(ctx, conn, t, &data) }
	}
	if r.unnest, err = measure("PRIMARY KEY", raw(unnestUpsert)); err != nil {
		return r, fmt.Errorf("unnest upsert: %w", err)
	}
	if r.values, err = measure("PRIMARY KEY", raw(valuesUpsert)); err != nil {
		return r, fmt.Errorf("VALUES upsert: %w", err)
	}
	if r.sinkUpsert, err = measure("PRIMARY KEY", func(t string) (func(), error) {
		return sinkWrite(ctx, srv.URL(), &data, "table.name.format", t)
	}); err != nil {
		return r, fmt.Errorf("sink upsert: %w", err)
	}
	if r.copy, err = measure("", raw(copyRows)); err != nil {
		return r, fmt.Errorf("COPY: %w", err)
	}
	if r.sinkAppend, err = measure("", func(t string) (func(), error) {
		return sinkWrite(ctx, srv.URL(), &data, "table.name.format", t, "insert.mode", "insert", "pk.mode", "none", "delete.enabled", "false")
	}); err != nil {
		return r, fmt.Errorf("sink append: %w", err)
	}
	return r, nil
}

const upsertSet = ` ON CONFLICT (id) DO UPDATE SET user_id = EXCLUDED.user_id, status = EXCLUDED.status,
	amount = EXCLUDED.amount, created = EXCLUDED.created, note = EXCLUDED.note, score = EXCLUDED.score, paid = EXCLUDED.paid`

// selfCPU is the CPU time this process has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// serverCPU is the CPU time the server's processes (the children of the
// postmaster: sessions, WAL writer, checkpointer) have used, from /proc;
// 0 where /proc cannot tell.
func serverCPU(srv *local.Postgres) time.Duration {
	pidFile, err := os.ReadFile(filepath.Join(srv.Dir, "data", "postmaster.pid"))
	if err != nil {
		return 0
	}
	postmaster := strings.SplitN(string(pidFile), "\n", 2)[0]
	entries, _ := os.ReadDir("/proc")
	var ticks int64
	for _, e := range entries {
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ... utime stime: fields 4, 14 and 15,
		// counted after the command, which may hold spaces.
		i := strings.LastIndexByte(string(stat), ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(stat[i+1:]))
		if len(f) < 13 || (f[1] != postmaster && e.Name() != postmaster) {
			continue
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		s, _ := strconv.ParseInt(f[12], 10, 64)
		ticks += u + s
	}
	return time.Duration(ticks) * (time.Second / 100) // USER_HZ is 100 on Linux
}

// unnestUpsert is the fastest hand-written upsert we know on PostgreSQL:
// one array per column, one prepared statement per batch.
func unnestUpsert(ctx context.Context, conn *pgx.Conn, table string, d *pgRows) error {
	sql := "INSERT INTO " + table + ` (id, user_id, status, amount, created, note, score, paid)
		SELECT * FROM unnest($1::int8[], $2::int4[], $3::int2[], $4::numeric[], $5::timestamp[], $6::text[], $7::float8[], $8::bool[])` + upsertSet
	for lo := 0; lo < len(d.ids); lo += pgBatch {
		hi := min(lo+pgBatch, len(d.ids))
		if _, err := conn.Exec(ctx, sql, d.ids[lo:hi], d.users[lo:hi], d.statuses[lo:hi], d.amounts[lo:hi],
			d.created[lo:hi], d.notes[lo:hi], d.scores[lo:hi], d.paid[lo:hi]); err != nil {
			return err
		}
	}
	return nil
}

// valuesUpsert is the same as one multi-row VALUES list per batch.
func valuesUpsert(ctx context.Context, conn *pgx.Conn, table string, d *pgRows) error {
	sqlFor := map[int]string{}
	for lo := 0; lo < len(d.ids); lo += pgBatch {
		hi := min(lo+pgBatch, len(d.ids))
		sql, ok := sqlFor[hi-lo]
		if !ok {
			var b strings.Builder
			b.WriteString("INSERT INTO " + table + " (id, user_id, status, amount, created, note, score, paid) VALUES ")
			for i := range hi - lo {
				if i > 0 {
					b.WriteByte(',')
				}
				p := 8*i + 1
				fmt.Fprintf(&b, "($%d::int8,$%d::int4,$%d::int2,$%d::numeric,$%d::timestamp,$%d::text,$%d::float8,$%d::bool)",
					p, p+1, p+2, p+3, p+4, p+5, p+6, p+7)
			}
			b.WriteString(upsertSet)
			sql = b.String()
			sqlFor[hi-lo] = sql
		}
		args := make([]any, 0, 8*(hi-lo))
		for i := lo; i < hi; i++ {
			args = append(args, d.ids[i], d.users[i], d.statuses[i], d.amounts[i], d.created[i], d.notes[i], d.scores[i], d.paid[i])
		}
		if _, err := conn.Exec(ctx, sql, args...); err != nil {
			return err
		}
	}
	return nil
}

// copyRows appends with COPY, one per batch.
func copyRows(ctx context.Context, conn *pgx.Conn, table string, d *pgRows) error {
	cols := []string{"id", "user_id", "status", "amount", "created", "note", "score", "paid"}
	for lo := 0; lo < len(d.ids); lo += pgBatch {
		hi := min(lo+pgBatch, len(d.ids))
		src := pgx.CopyFromSlice(hi-lo, func(i int) ([]any, error) {
			i += lo
			return []any{d.ids[i], d.users[i], d.statuses[i], d.amounts[i], d.created[i], d.notes[i], d.scores[i], d.paid[i]}, nil
		})
		if _, err := conn.CopyFrom(ctx, pgx.Identifier{table}, cols, src); err != nil {
			return err
		}
	}
	return nil
}

// sinkWrite writes the records through the sink, pgBatch per Write; the
// timing includes Open (a connection and a catalog read). It returns the
// sink's Close.
func sinkWrite(ctx context.Context, url string, d *pgRows, kv ...string) (func(), error) {
	cfg := sdk.Config{"name": "bench", "connection.url": url, "topics": "bench.orders"}
	for i := 0; i+1 < len(kv); i += 2 {
		cfg[kv[i]] = kv[i+1]
	}
	s := &hologres.Sink{}
	if err := s.Open(ctx, cfg); err != nil {
		return nil, err
	}
	end := func() { s.Close() }
	for lo := 0; lo < len(d.records); lo += pgBatch {
		batch := d.records[lo:min(lo+pgBatch, len(d.records))]
		n, err := s.Write(ctx, batch)
		if err != nil {
			end()
			return nil, err
		}
		if n != len(batch) {
			end()
			return nil, fmt.Errorf("sink wrote %d of %d records", n, len(batch))
		}
	}
	return end, nil
}
