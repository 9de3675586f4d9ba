package gen

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	gomysql "github.com/go-mysql-org/go-mysql/mysql"
)

// Database is the RowSink of the business database (MariaDB or MySQL with
// the uc_account and crm schemas of deployments/local/school.sql), which
// the CDC connectors of jobs 6 and 7 read. Each Write is one transaction.
// DATETIME columns get the simulated time in UTC, which the jobs read back
// as UTC (the CDC source writes DATETIME as epoch milliseconds of its text).
//
// Orders take their id from AUTO_INCREMENT, so runs and other writers never
// collide; Database remembers which id each of the generator's orders got.
// A lost connection is made again and the transaction retried; a server
// error (a duplicate key: ids that collide) ends the run.
type Database struct {
	addr, user, password string

	conn   *client.Conn
	stmts  map[string]*client.Stmt
	orders map[int64]int64 // the generator's order number → data_pack_order_info.id
}

// OpenDatabase connects to the server at addr (host:port).
func OpenDatabase(ctx context.Context, addr, user, password string) (*Database, error) {
	d := &Database{addr: addr, user: user, password: password, orders: map[int64]int64{}}
	if err := d.connect(ctx); err != nil {
		return nil, err
	}
	return d, nil
}

const dbTimeout = 30 * time.Second

func (d *Database) connect(ctx context.Context) error {
	c, err := client.ConnectWithContext(ctx, d.addr, d.user, d.password, "", dbTimeout, func(c *client.Conn) error {
		// UPDATE reports the rows it matched, so a missing row is told
		// from an unchanged one.
		return c.SetCapability(gomysql.CLIENT_FOUND_ROWS)
	})
	if err != nil {
		return fmt.Errorf("connect to the business database at %s: %w", d.addr, err)
	}
	c.ReadTimeout, c.WriteTimeout = dbTimeout, dbTimeout
	for _, q := range []string{"SET NAMES utf8mb4", "SET SESSION time_zone = '+00:00', sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE'"} {
		if _, err := c.Execute(q); err != nil {
			c.Close()
			return fmt.Errorf("set up the session (%s): %w", q, err)
		}
	}
	d.conn, d.stmts = c, map[string]*client.Stmt{}
	return nil
}

// Close closes the connection.
func (d *Database) Close() error {
	if d.conn == nil {
		return nil
	}
	err := d.conn.Close()
	d.conn = nil
	return err
}

// NextStudentID is the id after every student's and user's: where a run
// starts numbering, so that it does not collide with the last one.
func (d *Database) NextStudentID(ctx context.Context) (int64, error) {
	res, err := d.conn.Execute("SELECT GREATEST(COALESCE((SELECT MAX(id) FROM uc_account.student), 0), " +
		"COALESCE((SELECT MAX(id) FROM uc_account.user), 0)) + 1")
	if err != nil {
		return 0, fmt.Errorf("read the largest student id (is deployments/local/school.sql applied?): %w", err)
	}
	defer res.Close()
	return res.GetInt(0, 0)
}

// Write commits rows in one transaction, connecting again and retrying
// when the connection is lost.
func (d *Database) Write(ctx context.Context, rows []Row) error {
	backoff := 200 * time.Millisecond
	for attempt := 1; ; attempt++ {
		if d.conn == nil {
			if err := d.connect(ctx); err != nil {
				if attempt >= 10 || ctx.Err() != nil {
					return err
				}
				if !sleepFor(ctx, backoff) {
					return ctx.Err()
				}
				backoff = min(2*backoff, 5*time.Second)
				continue
			}
		}
		created, err := d.write(rows)
		if err == nil {
			for n, id := range created {
				d.orders[n] = id
			}
			for _, r := range rows {
				if r.Last {
					delete(d.orders, r.Order)
				}
			}
			return nil
		}
		if d.conn != nil {
			_ = d.conn.Rollback()
		}
		if !retriable(err) || attempt >= 10 {
			return err
		}
		_ = d.Close()
		if !sleepFor(ctx, backoff) {
			return ctx.Err()
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// write runs one transaction; it returns the ids the orders created got.
func (d *Database) write(rows []Row) (map[int64]int64, error) {
	if err := d.conn.Begin(); err != nil {
		return nil, err
	}
	created := map[int64]int64{}
	orderID := func(n int64) (int64, error) {
		if id, ok := created[n]; ok {
			return id, nil
		}
		if id, ok := d.orders[n]; ok {
			return id, nil
		}
		return 0, fmt.Errorf("%w: order %d of this run has none", errNoRow, n)
	}
	for _, r := range rows {
		at := r.At.UTC().Format("2006-01-02 15:04:05.000")
		var err error
		switch r.Op {
		case OpRegister:
			var ch any
			if r.Channel != nil {
				ch = *r.Channel
			}
			if _, err = d.exec("INSERT INTO uc_account.student (id, channel_id, update_time) VALUES (?, ?, ?)", r.StudentID, ch, at); err == nil {
				_, err = d.exec("INSERT INTO uc_account.user (id, name, register_date_time, status) VALUES (?, ?, ?, ?)", r.StudentID, r.Name, at, r.Status)
			}
		case OpChangeChannel:
			var ch any
			if r.Channel != nil {
				ch = *r.Channel
			}
			err = d.update("UPDATE uc_account.student SET channel_id = ?, update_time = ? WHERE id = ?", ch, at, r.StudentID)
		case OpCreateOrder:
			var res *gomysql.Result
			res, err = d.exec("INSERT INTO crm.data_pack_order_info (cc_id, student_id, order_id, status, create_time, update_time, order_create_time) VALUES (?, ?, ?, 1, ?, ?, ?)",
				r.CCID, r.StudentID, r.BusinessNo, at, at, at)
			if err == nil {
				created[r.Order] = int64(res.InsertId)
			}
		case OpConfirmOrder, OpCancelOrder, OpRefundOrder:
			var id int64
			if id, err = orderID(r.Order); err == nil {
				q := map[RowOp]string{
					OpConfirmOrder: "UPDATE crm.data_pack_order_info SET status = 3, confirm_date_time = ?, update_time = ? WHERE id = ?",
					OpCancelOrder:  "UPDATE crm.data_pack_order_info SET status = 2, canceled_date_time = ?, update_time = ? WHERE id = ?",
					OpRefundOrder:  "UPDATE crm.data_pack_order_info SET status = 4, apply_refund_date = ?, update_time = ? WHERE id = ?",
				}[r.Op]
				err = d.update(q, at, at, id)
			}
		default:
			err = fmt.Errorf("unknown row operation %d", r.Op)
		}
		if err != nil {
			return nil, fmt.Errorf("%s at %s: %w", r.Op, at, err)
		}
	}
	if err := d.conn.Commit(); err != nil {
		return nil, fmt.Errorf("commit: %w", err)
	}
	return created, nil
}

// exec runs a statement, prepared once per connection.
func (d *Database) exec(query string, args ...any) (*gomysql.Result, error) {
	st, ok := d.stmts[query]
	if !ok {
		var err error
		if st, err = d.conn.Prepare(query); err != nil {
			return nil, err
		}
		d.stmts[query] = st
	}
	return st.Execute(args...)
}

// update runs an UPDATE that must match exactly one row.
func (d *Database) update(query string, args ...any) error {
	res, err := d.exec(query, args...)
	if err != nil {
		return err
	}
	if res.AffectedRows != 1 {
		return fmt.Errorf("%w: %s matched %d rows, want 1", errNoRow, query, res.AffectedRows)
	}
	return nil
}

// errNoRow is a change to a row that is not there: someone else changed
// the tables under the generator.
var errNoRow = errors.New("no such row")

// retriable says whether err came from the connection rather than the
// statement: a server error would come again, deadlocks and lock waits
// aside.
func retriable(err error) bool {
	if errors.Is(err, errNoRow) {
		return false
	}
	var my *gomysql.MyError
	if errors.As(err, &my) {
		return my.Code == gomysql.ER_LOCK_DEADLOCK || my.Code == gomysql.ER_LOCK_WAIT_TIMEOUT
	}
	return true
}

func sleepFor(ctx context.Context, d time.Duration) bool {
	return sleepUntil(ctx, time.Now().Add(d))
}
