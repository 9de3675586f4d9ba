package applog

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// reusePort is true where several tasks can listen on one port, the kernel
// spreading connections over them (SO_REUSEPORT, Linux 3.9+). Only sockets
// of the same user can join, so another user cannot take the traffic over.
const reusePort = true

func controlListener(_, _ string, c syscall.RawConn) error {
	var sockErr error
	err := c.Control(func(fd uintptr) {
		sockErr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
	})
	if err != nil {
		return err
	}
	return sockErr
}
