//go:build unix

package file

import (
	"os"
	"strconv"
	"syscall"
)

// identity names the file behind fi (its inode number), or "" when unknown.
// Only the inode is used: device numbers may change across reboots.
func identity(fi os.FileInfo) string {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return strconv.FormatUint(uint64(st.Ino), 10)
	}
	return ""
}
