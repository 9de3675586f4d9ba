package hologres

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
)

// fault is what an error from the database means for the records.
type fault uint8

const (
	faultFatal     fault = iota // a configuration or schema problem: the task fails
	faultRetriable              // the connection or the server's state: retry later
	faultData                   // some record's data: find it and dead-letter it
	faultSchema                 // the table changed: read the catalog again
)

// classify sorts an error of a statement, a commit or a connection attempt.
func classify(err error) fault {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return classifyCode(pg.Code)
	}
	var enc *encodeError
	if errors.As(err, &enc) {
		return faultData
	}
	switch {
	case errors.Is(err, context.Canceled):
		// The task is stopping (the caller checks its own context), or
		// pgx gave up on a query it had to cancel: neither is about data.
		return faultRetriable
	case errors.Is(err, context.DeadlineExceeded), pgconn.Timeout(err), pgconn.SafeToRetry(err),
		errors.Is(err, pgconn.ErrConnClosed), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE),
		errors.Is(err, syscall.ECONNABORTED), errors.Is(err, net.ErrClosed):
		return faultRetriable
	}
	var connect *pgconn.ConnectError
	if errors.As(err, &connect) {
		return faultRetriable
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return faultRetriable
	}
	return faultFatal
}

// classifyCode sorts a SQLSTATE.
func classifyCode(code string) fault {
	switch code {
	case "40001", // serialization_failure
		"40P01", // deadlock_detected
		"55P03", // lock_not_available
		"57014", // query_canceled (statement_timeout, pg_cancel_backend)
		"57P01", // admin_shutdown
		"57P02", // crash_shutdown
		"57P03", // cannot_connect_now (starting up, recovering)
		"58000", // system_error
		"58030", // io_error
		"25P03": // idle_in_transaction_session_timeout
		return faultRetriable
	case "21000": // cardinality_violation: keys distinct in Go but equal to the database (a collation, char padding)
		return faultData
	case "42703", // undefined_column: a column was dropped or renamed
		"42P01": // undefined_table
		return faultSchema
	}
	switch {
	case strings.HasPrefix(code, "08"), // connection_exception
		strings.HasPrefix(code, "53"): // insufficient_resources
		return faultRetriable
	case strings.HasPrefix(code, "22"), // data_exception
		strings.HasPrefix(code, "23"): // integrity_constraint_violation
		return faultData
	}
	return faultFatal
}

// dbError is a record's database error as the dead-letter topic shows it:
// the table, the message, the column or constraint and the SQLSTATE, but
// not the server's detail, which quotes the row's values.
type dbError struct {
	table tableName
	pg    *pgconn.PgError
	err   error // when not a server error
}

func (e *dbError) Error() string {
	if e.pg == nil {
		return "table " + e.table.String() + ": " + e.err.Error()
	}
	var b strings.Builder
	b.WriteString("table ")
	b.WriteString(e.table.String())
	b.WriteString(": ")
	b.WriteString(e.pg.Message)
	b.WriteString(" (")
	if e.pg.ColumnName != "" {
		b.WriteString("column " + e.pg.ColumnName + ", ")
	}
	if e.pg.ConstraintName != "" {
		b.WriteString("constraint " + e.pg.ConstraintName + ", ")
	}
	b.WriteString("SQLSTATE " + e.pg.Code + ")")
	return b.String()
}

func (e *dbError) Unwrap() error {
	if e.pg != nil {
		return e.pg
	}
	return e.err
}

func newDBError(t tableName, err error) error {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return &dbError{table: t, pg: pg}
	}
	return &dbError{table: t, err: err}
}
