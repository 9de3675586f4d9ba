//go:build !linux

package host

import (
	"os"
	"os/exec"
)

// prepare does nothing where the kernel has no parent-death signal: plugins
// are then killed by Close only.
func prepare(*exec.Cmd) {}

func killGroup(p *os.Process) { _ = p.Kill() }
