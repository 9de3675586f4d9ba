package rds

import (
	"container/list"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-mysql-org/go-mysql/client"
	gomysql "github.com/go-mysql-org/go-mysql/mysql"
)

// sessionSQL makes the session refuse what it would otherwise silently
// change: a too-long string or an out-of-range number is an error rather
// than truncated (STRICT_ALL_TABLES), as are zero dates; 0 in an
// AUTO_INCREMENT column is stored as 0 rather than as the next id, so a
// replay writes the same rows. Values are UTC; text is utf8mb4.
const sessionSQL = "SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE," +
	"ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION,NO_AUTO_VALUE_ON_ZERO', time_zone = '+00:00', autocommit = 1"

// stmtCacheSize bounds the prepared statements kept per connection; the
// server's max_prepared_stmt_count (16382 by default) is shared by all.
const stmtCacheSize = 256

// conn is one connection to the server with its prepared statements, cached
// by SQL text.
type conn struct {
	c   *client.Conn
	raw net.Conn
	// closeOnce guards raw against the cancellation watcher and close.
	closeOnce sync.Once

	version string
	dialect dialect
	// maxPacket is the server's max_allowed_packet.
	maxPacket int
	// attributes is set when the server takes query attributes (MySQL
	// 8.0.23 and later): go-mysql then asks for them, and a statement's
	// arguments are preceded by their count and each has a name.
	attributes bool

	stmts map[string]*list.Element // of *cachedStmt
	lru   *list.List
	// packet is the buffer execute encodes statements in.
	packet []byte
}

type cachedStmt struct {
	sql  string
	stmt *client.Stmt
}

// dial connects and prepares the session.
func dial(ctx context.Context, ep endpoint, timeout time.Duration) (*conn, error) {
	cn := &conn{stmts: map[string]*list.Element{}, lru: list.New()}
	dialer := func(ctx context.Context, network, addr string) (net.Conn, error) {
		d := net.Dialer{Timeout: timeout}
		c, err := d.DialContext(ctx, network, addr)
		if err == nil {
			// The handshake and the session's setup.
			_ = c.SetDeadline(time.Now().Add(timeout))
		}
		cn.raw = c
		return c, err
	}
	opts := []client.Option{func(c *client.Conn) error {
		// UPDATE reports the rows it matched, not only those it changed,
		// so a row that exists is told from one that does not.
		return c.SetCapability(gomysql.CLIENT_FOUND_ROWS)
	}}
	switch ep.TLS {
	case "true":
		host, _, _ := net.SplitHostPort(ep.Addr)
		opts = append(opts, func(c *client.Conn) error { c.SetTLSConfig(&tls.Config{ServerName: host}); return nil })
	case "skip-verify":
		opts = append(opts, func(c *client.Conn) error { c.UseSSL(true); return nil })
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c, err := client.ConnectWithDialer(ctx, ep.Network, ep.Addr, ep.User, ep.Password, ep.DB, dialer, opts...)
	if err != nil {
		if cn.raw != nil {
			cn.raw.Close()
		}
		return nil, fmt.Errorf("connect to %s: %w", ep.Addr, err)
	}
	cn.c = c
	// The server's flags show only in CapabilityString.
	cn.attributes = slices.Contains(strings.Split(c.CapabilityString(), "|"), gomysql.CapNames[gomysql.CLIENT_QUERY_ATTRIBUTES])
	for _, q := range []string{"SET NAMES utf8mb4", sessionSQL} {
		if _, err := c.Execute(q); err != nil {
			cn.close()
			return nil, fmt.Errorf("set up the session (%s): %w", q, err)
		}
	}
	res, err := c.Execute("SELECT @@version, @@max_allowed_packet")
	if err != nil {
		cn.close()
		return nil, fmt.Errorf("read the server's version: %w", err)
	}
	defer res.Close()
	cn.version = text(res, 0, 0)
	maxPacket, _ := res.GetInt(0, 1)
	cn.maxPacket = int(maxPacket)
	cn.dialect = dialectOf(cn.version)
	return cn, nil
}

var mysqlVersion = regexp.MustCompile(`^(\d+)\.(\d+)\.(\d+)`)

// dialectOf picks the upsert syntax from the server's version: MariaDB and
// MySQL before 8.0.19 name the inserted values VALUES(c); later MySQL
// deprecates that for a row alias.
func dialectOf(version string) dialect {
	if strings.Contains(strings.ToLower(version), "mariadb") {
		return dialect{}
	}
	m := mysqlVersion.FindStringSubmatch(version)
	if m == nil {
		return dialect{}
	}
	major, _ := strconv.Atoi(m[1])
	minor, _ := strconv.Atoi(m[2])
	patch, _ := strconv.Atoi(m[3])
	if major > 8 || major == 8 && (minor > 0 || patch >= 19) {
		return dialect{rowAlias: true}
	}
	return dialect{}
}

// arm gives the connection d to finish what it does next (a transaction);
// past that, reads and writes fail and the connection counts as lost.
func (cn *conn) arm(d time.Duration) {
	_ = cn.raw.SetDeadline(time.Now().Add(d))
}

// watch closes the connection when ctx ends, which interrupts a statement
// the server is still running (the server then rolls its transaction back).
// stop reports whether that happened.
func (cn *conn) watch(ctx context.Context) (stop func() bool) {
	return context.AfterFunc(ctx, cn.closeRaw)
}

func (cn *conn) closeRaw() {
	cn.closeOnce.Do(func() {
		if cn.raw != nil {
			cn.raw.Close()
		}
	})
}

// close ends the connection; the server frees its prepared statements.
func (cn *conn) close() {
	if cn.c != nil {
		_ = cn.c.Quit()
	}
	cn.closeRaw()
}

// exec runs sql as a prepared statement, preparing it on first use, with
// the arguments p.
func (cn *conn) exec(sql string, p params) (*gomysql.Result, error) {
	st, err := cn.prepare(sql)
	if err != nil {
		return nil, err
	}
	res, err := cn.execute(st, p)
	if code, ok := serverCode(err); ok && (code == erUnknownStmtHandle || code == erNeedReprepare) {
		cn.forget(sql)
	}
	return res, err
}

func (cn *conn) prepare(sql string) (*client.Stmt, error) {
	if e, ok := cn.stmts[sql]; ok {
		cn.lru.MoveToFront(e)
		return e.Value.(*cachedStmt).stmt, nil
	}
	st, err := cn.c.Prepare(sql)
	if err != nil {
		return nil, err
	}
	cn.stmts[sql] = cn.lru.PushFront(&cachedStmt{sql: sql, stmt: st})
	if cn.lru.Len() > stmtCacheSize {
		old := cn.lru.Back().Value.(*cachedStmt)
		cn.forget(old.sql)
	}
	return st, nil
}

func (cn *conn) forget(sql string) {
	e, ok := cn.stmts[sql]
	if !ok {
		return
	}
	cn.lru.Remove(e)
	delete(cn.stmts, sql)
	_ = e.Value.(*cachedStmt).stmt.Close()
}

// query runs a statement that is not worth caching (catalog reads, DDL).
func (cn *conn) query(sql string, args ...any) (*gomysql.Result, error) {
	return cn.c.Execute(sql, args...)
}

func (cn *conn) begin() error {
	_, err := cn.c.Execute("BEGIN")
	return err
}

func (cn *conn) commit() error {
	_, err := cn.c.Execute("COMMIT")
	return err
}

func (cn *conn) rollback() error {
	_, err := cn.c.Execute("ROLLBACK")
	return err
}

// text reads a result's value as a string of its own: go-mysql's GetString
// shares the packet buffer, which is reused once the result is closed.
func text(res *gomysql.Result, row, col int) string {
	s, _ := res.GetString(row, col)
	return strings.Clone(s)
}
