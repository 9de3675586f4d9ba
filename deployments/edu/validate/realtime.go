package validate

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// Realtime is what a job's real-time result table holds.
type Realtime struct {
	Rows []Row
	// Missing: the table does not exist, read as empty (a job that has
	// not written a row yet has not created it).
	Missing bool
}

// Endpoints are where the real-time results are.
type Endpoints struct {
	RDS     string // go-sql-driver DSN of the MySQL/MariaDB results database (RDS_URL)
	Serving string // PostgreSQL URL of the serving store (SERVING_URL)
}

// ReadRealtime reads the compared columns of every row of job's result
// table.
func ReadRealtime(ctx context.Context, job *Job, ep Endpoints) (*Realtime, error) {
	switch job.Store {
	case StoreRDS:
		return readMySQL(ctx, job, ep.RDS)
	case StoreServing:
		return readPostgres(ctx, job, ep.Serving)
	}
	return nil, fmt.Errorf("%s: unknown store %q", job, job.Store)
}

// wallClockLayout is how a DATETIME(3) of the result tables is printed,
// and how the report prints a KindTime.
const wallClockLayout = "2006-01-02 15:04:05.000"

func readMySQL(ctx context.Context, job *Job, dsn string) (*Realtime, error) {
	ep, err := parseMySQLDSN(dsn)
	if err != nil {
		return nil, err
	}
	conn, err := client.ConnectWithContext(ctx, ep.Addr, ep.User, ep.Password, ep.DB, 30*time.Second)
	if err != nil {
		return nil, fmt.Errorf("connect to RDS %s: %w", ep.Addr, err)
	}
	defer conn.Close()
	// The driver does not watch ctx once connected: an interrupt closes
	// the connection, which ends a read in progress.
	defer context.AfterFunc(ctx, func() { conn.Close() })()
	if _, err := conn.Execute("SET NAMES utf8mb4"); err != nil {
		return nil, fmt.Errorf("RDS: %w", err)
	}
	cols := make([]string, len(job.Columns))
	for i, c := range job.Columns {
		if c.Kind == KindTime {
			// Text, so no driver or session zone gets between the
			// wall-clock reading and the report.
			cols[i] = fmt.Sprintf("DATE_FORMAT(`%s`, '%%Y-%%m-%%d %%H:%%i:%%s.%%f')", c.Name)
		} else {
			cols[i] = "`" + c.Name + "`"
		}
	}
	res, err := conn.Execute(fmt.Sprintf("SELECT %s FROM `%s`", strings.Join(cols, ", "), job.Table))
	if err != nil {
		var my *gomysql.MyError
		if errors.As(err, &my) && my.Code == gomysql.ER_NO_SUCH_TABLE {
			return &Realtime{Missing: true}, nil
		}
		return nil, fmt.Errorf("read %s.%s: %w", ep.DB, job.Table, err)
	}
	defer res.Close()
	rt := &Realtime{Rows: make([]Row, 0, res.RowNumber())}
	for r := range res.RowNumber() {
		row := make(Row, len(job.Columns))
		for i, c := range job.Columns {
			if null, _ := res.IsNull(r, i); null {
				continue
			}
			var err error
			switch c.Kind {
			case KindInt:
				row[i], err = res.GetInt(r, i)
			case KindFloat:
				row[i], err = res.GetFloat(r, i)
			case KindText:
				row[i], err = res.GetString(r, i)
			case KindTime:
				var s string
				if s, err = res.GetString(r, i); err == nil {
					row[i], err = time.ParseInLocation("2006-01-02 15:04:05.999999", s, shanghai)
				}
			}
			if err != nil {
				return nil, fmt.Errorf("read %s.%s, column %s: %w", ep.DB, job.Table, c.Name, err)
			}
		}
		rt.Rows = append(rt.Rows, row)
	}
	return rt, nil
}

func readPostgres(ctx context.Context, job *Job, url string) (*Realtime, error) {
	if strings.TrimSpace(url) == "" {
		return nil, errors.New("no serving store URL: set SERVING_URL or --serving")
	}
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("connect to the serving store: %w", err)
	}
	defer conn.Close(context.Background())
	cols := make([]string, len(job.Columns))
	for i, c := range job.Columns {
		col := pgx.Identifier{c.Name}.Sanitize()
		switch c.Kind {
		case KindInt:
			col += "::bigint"
		case KindFloat:
			col += "::double precision"
		case KindText:
			col += "::text"
		case KindTime:
			col = fmt.Sprintf("to_char(%s, 'YYYY-MM-DD HH24:MI:SS.US')", col)
		}
		cols[i] = col
	}
	q := fmt.Sprintf("SELECT %s FROM %s", strings.Join(cols, ", "), pgx.Identifier{job.Table}.Sanitize())
	rows, err := conn.Query(ctx, q)
	if err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "42P01" { // undefined_table
			return &Realtime{Missing: true}, nil
		}
		return nil, fmt.Errorf("read %s: %w", job.Table, err)
	}
	defer rows.Close()
	rt := &Realtime{}
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", job.Table, err)
		}
		row := make(Row, len(job.Columns))
		for i, c := range job.Columns {
			if vals[i] == nil {
				continue
			}
			row[i] = vals[i]
			if c.Kind == KindTime {
				if row[i], err = time.ParseInLocation("2006-01-02 15:04:05.999999", vals[i].(string), shanghai); err != nil {
					return nil, fmt.Errorf("read %s, column %s: %w", job.Table, c.Name, err)
				}
			}
		}
		rt.Rows = append(rt.Rows, row)
	}
	if err := rows.Err(); err != nil {
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "42P01" {
			return &Realtime{Missing: true}, nil
		}
		return nil, fmt.Errorf("read %s: %w", job.Table, err)
	}
	return rt, nil
}
