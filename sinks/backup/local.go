package backup

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// localStore keeps the backup in a directory tree.
type localStore struct{ root string }

func newLocalStore(root string) (*localStore, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, err
	}
	return &localStore{root: abs}, nil
}

func (l *localStore) String() string { return l.root }

func (l *localStore) abs(p string) string { return filepath.Join(l.root, filepath.FromSlash(p)) }

func (l *localStore) leavesTemps() bool { return true }

func (l *localStore) list(_ context.Context, dir string) ([]entry, error) {
	des, err := os.ReadDir(l.abs(dir))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := make([]entry, 0, len(des))
	for _, de := range des {
		if !de.Type().IsRegular() {
			continue
		}
		e := entry{name: de.Name()}
		if fi, err := de.Info(); err == nil {
			e.modTime = fi.ModTime()
		}
		out = append(out, e)
	}
	return out, nil
}

func (l *localStore) listTree(_ context.Context, dir string) ([]string, error) {
	base := l.abs(dir)
	var out []string
	err := filepath.WalkDir(base, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == base {
				return filepath.SkipAll
			}
			return err
		}
		if d.Type().IsRegular() {
			rel, err := filepath.Rel(base, p)
			if err != nil {
				return err
			}
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	return out, err
}

// put writes to a hidden temporary file beside the target, syncs it, renames
// it into place and syncs the directory (and the directories it created), so
// that after a crash the file is either whole or absent.
func (l *localStore) put(_ context.Context, p string, write func(io.Writer) error) (err error) {
	dir, name := path.Split(p)
	absDir := l.abs(dir)
	created, err := mkdirAll(absDir)
	if err != nil {
		return err
	}
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	tmp := filepath.Join(absDir, tempName(name, binary.BigEndian.Uint32(rnd[:])))
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriterSize(f, 256<<10)
	err = write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err = os.Rename(tmp, filepath.Join(absDir, name)); err != nil {
		return err
	}
	if err = sdk.SyncDir(absDir); err != nil {
		return err
	}
	// Make the new directories' own entries durable, innermost first.
	for _, d := range created {
		if err = sdk.SyncDir(filepath.Dir(d)); err != nil {
			return err
		}
	}
	return nil
}

func (l *localStore) remove(_ context.Context, p string) error {
	err := os.Remove(l.abs(p))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// mkdirAll is os.MkdirAll returning the directories it created, innermost first.
func mkdirAll(dir string) ([]string, error) {
	var missing []string
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil {
			break
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		missing = append(missing, d)
		if filepath.Dir(d) == d {
			break
		}
	}
	if len(missing) == 0 {
		return nil, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return missing, nil
}
