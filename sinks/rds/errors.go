package rds

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"

	gomysql "github.com/go-mysql-org/go-mysql/mysql"
)

// fault is how the sink treats a failed statement.
type fault uint8

const (
	// faultFatal is neither the data's fault nor passing: a missing
	// privilege, an unknown database, a syntax error. The task fails.
	faultFatal fault = iota
	// faultRetry passes: the connection dropped, the server restarts or
	// fails over, a deadlock, a lock wait timeout. The chunk is rolled back
	// and written again later.
	faultRetry
	// faultData is a record's fault: a value the column refuses, a
	// constraint. The chunk is written again record by record to find it.
	faultData
)

// Server error numbers (MySQL's and MariaDB's, which agree on these).
const (
	erConCount          = 1040 // too many connections
	erServerShutdown    = 1053
	erBadFieldError     = 1054 // unknown column: the table changed
	erDupEntry          = 1062
	erNoSuchTable       = 1146
	erLockWaitTimeout   = 1205
	erLockDeadlock      = 1213
	erOptionPreventsStm = 1290 // --read-only, as during a failover
	erUnknownStmtHandle = 1243
	erQueryInterrupted  = 1317
	erNeedReprepare     = 1615
	erReadOnlyMode      = 1836
	erConnectionKilled  = 1927 // MariaDB
	erClientInteraction = 4031 // MySQL 8: disconnected for inactivity
	crServerGone        = 2006
	crServerLost        = 2013
)

// dataErrors are refusals of a value or row: the record that carries it can
// never be written as it is.
var dataErrors = map[uint16]bool{
	1048: true, // column cannot be null
	1062: true, // duplicate entry (a unique key other than the one upserted by, or insert.mode=insert)
	1138: true, // invalid use of NULL
	1264: true, // out of range
	1265: true, // data truncated
	1292: true, // incorrect datetime/date/decimal value
	1364: true, // field has no default value
	1366: true, // incorrect integer/string value (also invalid utf8mb4)
	1367: true, // illegal value
	1406: true, // data too long
	1411: true, // incorrect value for function
	1416: true, // cannot get geometry object
	1451: true, // foreign key: row is referenced
	1452: true, // foreign key: parent row missing
	1644: true, // SIGNAL from a trigger
	1690: true, // value out of range in an expression
	1729: true, // row of a partition that does not exist (1526 on older servers)
	1526: true,
	3140: true, // MySQL: invalid JSON text
	3819: true, // MySQL: CHECK constraint violated
	4025: true, // MariaDB: CHECK constraint failed (also a JSON column's json_valid)
}

// retryErrors pass on their own.
var retryErrors = map[uint16]bool{
	erConCount:          true,
	erServerShutdown:    true,
	erLockWaitTimeout:   true,
	erLockDeadlock:      true,
	erOptionPreventsStm: true,
	erUnknownStmtHandle: true,
	erQueryInterrupted:  true,
	erNeedReprepare:     true,
	erReadOnlyMode:      true,
	erConnectionKilled:  true,
	erClientInteraction: true,
	crServerGone:        true,
	crServerLost:        true,
	1158:                true, // network read error
	1159:                true, // network read timeout
	1160:                true, // network write error
	1161:                true, // network write timeout
	1180:                true, // error during COMMIT
	1181:                true, // error during ROLLBACK
	1184:                true, // aborted new connection
	1461:                true, // max_prepared_stmt_count reached
	1614:                true, // XA: transaction branch rolled back (deadlock)
	1637:                true, // too many active concurrent transactions
	1792:                true, // read-only transaction
	// The catalog changed under the sink: re-read it and try again.
	erBadFieldError: true,
	erNoSuchTable:   true,
}

// serverCode returns the server's error number, if err carries one.
func serverCode(err error) (uint16, bool) {
	var my *gomysql.MyError
	if errors.As(err, &my) {
		return my.Code, true
	}
	return 0, false
}

// classify says how to treat err from a statement or a connection attempt.
func classify(err error) fault {
	if code, ok := serverCode(err); ok {
		switch {
		case dataErrors[code]:
			return faultData
		case retryErrors[code]:
			return faultRetry
		}
		return faultFatal
	}
	if connLost(err) {
		return faultRetry
	}
	return faultFatal
}

// connLost reports an error of the connection itself, after which it cannot
// be used again.
func connLost(err error) bool {
	if code, ok := serverCode(err); ok {
		switch code {
		case crServerGone, crServerLost, erConnectionKilled, erServerShutdown, erClientInteraction, 1158, 1159, 1160, 1161:
			return true
		}
		return false
	}
	var netErr net.Error
	return errors.Is(err, gomysql.ErrBadConn) || errors.Is(err, gomysql.ErrMalformPacket) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed) ||
		errors.Is(err, context.DeadlineExceeded) || errors.As(err, &netErr)
}
