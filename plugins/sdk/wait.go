package sdk

import (
	"context"
	"os"
	"time"
)

// Sleep waits for d, or until ctx ends (then it returns ctx's error): the
// pause between a connector's own retries, which must not outlive a stopping
// task.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// SyncDir makes renames and new entries in dir durable, for sinks that
// write a temporary file and rename it into place: without it a crash may
// forget the rename although the file's data was synced.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
