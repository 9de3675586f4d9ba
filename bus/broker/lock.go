package broker

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// lockFileName is the lock file inside a data directory.
const lockFileName = "tributary.lock"

// ErrLocked is returned when another process holds the data directory.
var ErrLocked = errors.New("data directory is in use")

// dirLock is an exclusive flock on a data directory's lock file. The kernel
// releases it when the process dies, so a SIGKILLed broker leaves no stale lock.
type dirLock struct {
	f *os.File
	// crashed says the previous holder died without releasing the lock
	// (its pid was still written in the file).
	crashed bool
}

func lockDir(dir string) (*dirLock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	path := filepath.Join(dir, lockFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s is locked by pid %s", ErrLocked, dir, strings.TrimSpace(string(holder)))
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	previous, _ := os.ReadFile(path)
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &dirLock{f: f, crashed: len(strings.TrimSpace(string(previous))) > 0}, nil
}

func (l *dirLock) release() {
	if l == nil || l.f == nil {
		return
	}
	// An empty file tells the next holder this one shut down cleanly.
	_ = l.f.Truncate(0)
	_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	_ = l.f.Close()
	l.f = nil
}
