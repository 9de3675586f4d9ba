//go:build linux

package host

import (
	"os"
	"os/exec"
	"syscall"
)

// prepare has the kernel kill the plugin when the worker dies, even by
// SIGKILL or a crash, when no cleanup code runs (Pdeathsig), and puts the
// plugin in a process group of its own, so killing it also kills what it
// started: a child left holding the plugin's stderr would keep go-plugin
// waiting for the end of that stream.
//
// Linux ties the death signal to the thread that started the child; Go ends
// a thread only when a goroutine exits while locked to it, which nothing in
// the worker does.
func prepare(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
}

// killGroup kills the plugin and the processes it started.
func killGroup(p *os.Process) {
	_ = syscall.Kill(-p.Pid, syscall.SIGKILL)
	_ = p.Kill()
}
