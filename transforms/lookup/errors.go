package lookup

import (
	"context"
	"errors"
	"io"
	"net"
	"slices"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// ErrClosed is returned by a Get after Close.
var ErrClosed = errors.New("lookup table closed")

// markRetriable marks err with sdk.Retriable when it is about the
// connection or the server's state rather than the lookup's configuration,
// so that the runtime retries the batch with backoff: a lost connection, a
// server shutting down or starting, a timeout, too many connections. A
// missing table or column, or a permission, stays fatal, unless its
// SQLSTATE is among alsoCodes (the caller's moment makes it transient).
func markRetriable(err error, alsoCodes ...string) error {
	var pg *pgconn.PgError
	if retriable(err) || errors.As(err, &pg) && slices.Contains(alsoCodes, pg.Code) {
		return sdk.Retriable(err)
	}
	return err
}

// undefinedTable is the SQLSTATE of a table that does not exist. When the
// table is first described it is worth waiting for: the pipeline's own
// sink creates it (auto.create) when its task starts, perhaps after the
// join's.
const undefinedTable = "42P01"

func retriable(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch pg.Code {
		case "40001", // serialization_failure
			"40P01", // deadlock_detected
			"55P03", // lock_not_available
			"57014", // query_canceled (statement_timeout, pg_cancel_backend)
			"57P01", // admin_shutdown (pg_terminate_backend, a fast shutdown)
			"57P02", // crash_shutdown
			"57P03", // cannot_connect_now (starting up, recovering)
			"58000", // system_error
			"58030": // io_error
			return true
		}
		return strings.HasPrefix(pg.Code, "08") || // connection_exception
			strings.HasPrefix(pg.Code, "53") // insufficient_resources
	}
	var connect *pgconn.ConnectError
	var netErr net.Error
	return errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err) || pgconn.SafeToRetry(err) ||
		errors.Is(err, pgconn.ErrConnClosed) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, net.ErrClosed) || errors.As(err, &connect) || errors.As(err, &netErr)
}
