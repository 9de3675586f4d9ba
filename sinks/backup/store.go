package backup

import (
	"context"
	"io"
	"time"
)

// store is where files go: a local directory (localStore) or an S3 bucket
// (s3Store). Paths are slash-separated and relative to backup.root.
type store interface {
	// list returns the files directly in dir; none when dir does not exist.
	list(ctx context.Context, dir string) ([]entry, error)
	// listTree returns the files anywhere below dir, as paths relative to dir.
	listTree(ctx context.Context, dir string) ([]string, error)
	// put writes a file atomically: readers see all of it or nothing, and
	// once put returned it survives a crash.
	put(ctx context.Context, path string, write func(io.Writer) error) error
	remove(ctx context.Context, path string) error
	// leavesTemps reports whether put may leave a temporary file behind when
	// the process dies in the middle (a local write-and-rename may; an S3 PUT
	// does not).
	leavesTemps() bool
	String() string
}

type entry struct {
	name    string
	modTime time.Time
}
