//go:build !unix

package weblog

import "os"

// inode is unknown off Unix: files are then recognised by their fingerprint
// alone, and files shorter than fingerprint.bytes not across restarts.
func inode(os.FileInfo) string { return "" }
