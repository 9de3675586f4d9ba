//go:build unix

package weblog

import (
	"os"
	"strconv"
	"syscall"
)

// inode names the file behind fi by its inode number, or "" when unknown.
// The device number is left out: it may change across reboots.
func inode(fi os.FileInfo) string {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return strconv.FormatUint(uint64(st.Ino), 10)
	}
	return ""
}
