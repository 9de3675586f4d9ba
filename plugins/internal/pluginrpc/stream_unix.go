//go:build unix

package pluginrpc

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"syscall"
)

// NewStreamPair makes the two ends of a record stream: the host's as a
// connection, and the plugin's as a file for the process to inherit (in
// exec.Cmd.ExtraFiles, named by StreamEnv), which the host closes once the
// process has started.
func NewStreamPair() (net.Conn, *os.File, error) {
	// Under ForkLock, so no process started meanwhile inherits either end
	// before it is marked close-on-exec.
	syscall.ForkLock.RLock()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err == nil {
		syscall.CloseOnExec(fds[0])
		syscall.CloseOnExec(fds[1])
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return nil, nil, os.NewSyscallError("socketpair", err)
	}
	host := os.NewFile(uintptr(fds[0]), "record-stream")
	plugin := os.NewFile(uintptr(fds[1]), "record-stream")
	conn, err := net.FileConn(host) // a duplicate, on the runtime's poller
	_ = host.Close()
	if err != nil {
		_ = plugin.Close()
		return nil, nil, err
	}
	return conn, plugin, nil
}

// inheritedStream is the plugin's end of the stream, when its host gave it
// one: nil when StreamEnv is not set (an older host).
func inheritedStream() (net.Conn, error) {
	v, ok := os.LookupEnv(StreamEnv)
	if !ok {
		return nil, nil
	}
	// Not for the processes the plugin starts: they do not inherit the
	// descriptor either, as FileConn's duplicate is close-on-exec.
	_ = os.Unsetenv(StreamEnv)
	fd, err := strconv.Atoi(v)
	if err != nil || fd < 0 {
		return nil, fmt.Errorf("%s=%q is not a file descriptor", StreamEnv, v)
	}
	f := os.NewFile(uintptr(fd), "record-stream")
	defer f.Close()
	conn, err := net.FileConn(f)
	if err != nil {
		return nil, fmt.Errorf("%s=%d: %w", StreamEnv, fd, err)
	}
	return conn, nil
}
