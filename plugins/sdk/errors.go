package sdk

import (
	"errors"
	"fmt"
)

// RecordError says that one record can never be processed (malformed, too
// large, violating a constraint). The runtime dead-letters it when
// errors.tolerance=all and fails the task otherwise; the other records of the
// batch go on.
type RecordError struct {
	// Index of the bad record in the batch passed to Write or Process.
	Index int
	Err   error
}

func (e *RecordError) Error() string { return fmt.Sprintf("record %d: %v", e.Index, e.Err) }
func (e *RecordError) Unwrap() error { return e.Err }

// retriable marks errors worth retrying with backoff (a connection reset, a
// lock timeout, HTTP 429/503).
type retriable struct{ err error }

func (e retriable) Error() string { return e.err.Error() }
func (e retriable) Unwrap() error { return e.err }

// Retriable wraps err so the runtime retries the operation with backoff until
// errors.retry.timeout runs out.
func Retriable(err error) error {
	if err == nil {
		return nil
	}
	return retriable{err}
}

// IsRetriable reports whether err, or an error it wraps, was marked Retriable.
func IsRetriable(err error) bool {
	var r retriable
	return errors.As(err, &r)
}
