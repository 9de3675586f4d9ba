//go:build !unix

package file

import "os"

// identity is unknown off Unix; rotation is still detected while running
// through os.SameFile, but not across restarts.
func identity(os.FileInfo) string { return "" }
