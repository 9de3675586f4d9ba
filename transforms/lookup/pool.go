package lookup

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Querier runs the lookup queries. It must be safe for concurrent use: a
// pool such as *pgxpool.Pool, not a single *pgx.Conn.
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// connPool is the pool Open makes: at most max connections, made when
// needed and kept idle between queries. A connection a query found broken
// (pgx closes it on a fatal error) is dropped and the next query makes a new
// one, so a Get after a lost connection or a server restart works again.
//
// It exists because pgxpool needs a module (puddle) this module does not
// require; it does only what lookups need.
type connPool struct {
	config *pgx.ConnConfig
	idle   chan *pgx.Conn // connections not in use
	slots  chan struct{}  // one token per connection open or being opened

	mu     sync.Mutex
	closed bool
}

func newConnPool(config *pgx.ConnConfig, max int) *connPool {
	return &connPool{config: config, idle: make(chan *pgx.Conn, max), slots: make(chan struct{}, max)}
}

// Query runs sql on an idle connection, or a new one while there are fewer
// than max, or the first one another query releases. The connection returns
// to the pool when the rows are closed.
func (p *connPool) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	c, err := p.acquire(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := c.Query(ctx, sql, args...)
	if err != nil {
		p.release(c)
		return nil, err
	}
	return &pooledRows{Rows: rows, pool: p, conn: c}, nil
}

func (p *connPool) acquire(ctx context.Context) (*pgx.Conn, error) {
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	select {
	case c := <-p.idle:
		return c, nil
	default:
	}
	select {
	case c := <-p.idle:
		return c, nil
	case p.slots <- struct{}{}:
		c, err := pgx.ConnectConfig(ctx, p.config)
		if err != nil {
			<-p.slots
			return nil, err
		}
		return c, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// release keeps c for the next query, or closes it when it is broken or the
// pool is closed.
func (p *connPool) release(c *pgx.Conn) {
	p.mu.Lock()
	closed := p.closed
	if !closed && !c.IsClosed() {
		p.idle <- c // never blocks: there are at most cap(idle) connections
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	closeConn(c)
	<-p.slots
}

// close closes the idle connections, and the others as they are released.
func (p *connPool) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	for {
		select {
		case c := <-p.idle:
			closeConn(c)
			<-p.slots
		default:
			return
		}
	}
}

// closeConn says goodbye to the server, or gives up on a server that does
// not answer within a few seconds.
func closeConn(c *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = c.Close(ctx)
}

// pooledRows gives the connection back when the rows are closed.
type pooledRows struct {
	pgx.Rows
	pool     *connPool
	conn     *pgx.Conn
	released bool
}

func (r *pooledRows) Close() {
	r.Rows.Close()
	if !r.released {
		r.released = true
		r.pool.release(r.conn)
	}
}
