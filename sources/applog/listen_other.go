//go:build !linux

package applog

import "syscall"

// reusePort is false: elsewhere SO_REUSEPORT does not spread connections
// over the sockets (or does not exist), so the connector runs one task.
const reusePort = false

func controlListener(_, _ string, _ syscall.RawConn) error { return nil }
