package weblog

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// maxFingerprintBytes bounds fingerprint.bytes, and what is read of a file
// to check a stored fingerprint.
const maxFingerprintBytes = 64 << 10

// tailFile is one file being read. It is known by its open descriptor while
// running, and by the checksum of its first bytes (head) across restarts and
// copies.
type tailFile struct {
	f      *os.File
	path   string // where it was last seen
	inGlob bool   // the last scan found it at a path the glob matches
	ino    string

	// head holds the file's first min(fingerprint.bytes, size) bytes, as far
	// as seen. A file whose first bytes no longer start with head was
	// truncated (and maybe written again).
	head []byte

	// offset is the byte after the last line turned into a record: where a
	// restart resumes. next is the next byte to read; it is beyond offset only
	// while inside a line longer than the read buffer, whose first bytes (up
	// to max.line.bytes) long holds.
	offset, next int64
	long         []byte

	eof       bool      // the last read found no new data
	seen      int64     // the end of the data read so far
	grew      time.Time // when a read last found data beyond seen
	truncated bool      // seen truncated: read nothing until the scan has dealt with it
}

// candidate is a file the glob matches, as one scan saw it.
type candidate struct {
	path    string
	fi      os.FileInfo
	ino     string
	claimed bool // a tracked file, or the copy of one
}

// candidates lists the regular files the glob matches, but for the
// excluded names, oldest modification first so that rotated files are read
// before the current one.
func (s *Source) candidates() []*candidate {
	matches, _ := filepath.Glob(s.pattern) // the pattern was checked in Open
	out := make([]*candidate, 0, len(matches))
	for _, m := range matches {
		if s.excluded(filepath.Base(m)) {
			continue
		}
		fi, err := os.Stat(m)
		if err != nil || !fi.Mode().IsRegular() {
			continue // gone since the glob, or not a file
		}
		out = append(out, &candidate{path: m, fi: fi, ino: inode(fi)})
	}
	slices.SortStableFunc(out, func(a, b *candidate) int {
		if c := a.fi.ModTime().Compare(b.fi.ModTime()); c != 0 {
			return c
		}
		return cmp.Compare(a.path, b.path)
	})
	return out
}

func (s *Source) excluded(base string) bool {
	for _, p := range s.cfg.Exclude {
		if ok, _ := filepath.Match(p, base); ok {
			return true
		}
	}
	return false
}

var errReplaced = errors.New("replaced while looking at it")

// openCandidate opens c and checks it is still the file the scan saw.
func openCandidate(c *candidate) (*os.File, error) {
	f, err := os.Open(c.path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil || !os.SameFile(fi, c.fi) {
		f.Close()
		return nil, errReplaced
	}
	return f, nil
}

// readHead reads the first n bytes of f, fewer when it is shorter.
func readHead(f *os.File, buf []byte, n int) ([]byte, error) {
	k, err := f.ReadAt(buf[:n], 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return buf[:k], nil
}

// prefixOf reads the first bytes of c, at most fingerprint.bytes. A file
// that cannot be opened (permissions) is logged once; the next scans try it
// again.
func (s *Source) prefixOf(c *candidate) ([]byte, error) {
	f, err := openCandidate(c)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, errReplaced) && !s.unreadable[c.path] {
			s.log.Warn("weblog: cannot open a file path.glob matches; it is not read until it can be", "file", c.path, "err", err)
			s.unreadable[c.path] = true
		}
		return nil, err
	}
	delete(s.unreadable, c.path)
	defer f.Close()
	return readHead(f, s.headBuf, s.cfg.FingerprintBytes)
}

// checkHead re-reads the first bytes of t and reports whether they still
// start with t.head, extending t.head while it is shorter than
// fingerprint.bytes.
func (s *Source) checkHead(t *tailFile) (bool, error) {
	got, err := readHead(t.f, s.headBuf, s.cfg.FingerprintBytes)
	if err != nil {
		return false, fmt.Errorf("weblog: read %s: %w", t.path, err)
	}
	if !bytes.HasPrefix(got, t.head) {
		return false, nil
	}
	if len(got) > len(t.head) {
		t.head = append(t.head[:0], got...)
	}
	return true, nil
}

// scan matches the glob again and brings the tracked files up to date:
// renamed files get their new path, truncated ones continue in their copy,
// files gone for good are finished and forgotten, and new files are tracked.
// Records it makes (the unterminated last line of a finished file) go to b.
// It reports whether anything changed that may have made data readable.
func (s *Source) scan(b *batch) (bool, error) {
	s.lastScan = time.Now()
	changed := false

	// The open files are looked at before the glob is matched: copytruncate
	// copies before it truncates, so the copy of a file seen truncated here
	// is in the list.
	infos := make([]os.FileInfo, len(s.files))
	for i, t := range s.files {
		fi, err := t.f.Stat()
		if err != nil {
			return false, fmt.Errorf("weblog: stat %s: %w", t.path, err)
		}
		infos[i] = fi
		if fi.Size() < t.next {
			t.truncated = true
		}
	}
	cands := s.candidates()
	if len(s.unreadable) > 0 {
		present := map[string]bool{}
		for _, c := range cands {
			present[c.path] = true
		}
		maps.DeleteFunc(s.unreadable, func(path string, _ bool) bool { return !present[path] })
	}

	// Files already open are recognised by their descriptor, whatever their
	// name now: a renamed file keeps its place and offset.
	for i, t := range s.files {
		t.inGlob = false
		for _, c := range cands {
			if !c.claimed && os.SameFile(infos[i], c.fi) {
				c.claimed, t.inGlob = true, true
				if t.path != c.path {
					s.log.Info("weblog: file renamed", "from", t.path, "to", c.path)
					t.path = c.path
				}
				break
			}
		}
	}

	for _, t := range slices.Clone(s.files) {
		if t.truncated {
			if err := s.truncated(t, cands); err != nil {
				return false, err
			}
			changed = true
		}
	}

	// Files the glob no longer matches (renamed away, deleted) are read to
	// their end, then given rotate.wait for their writer to let go of them.
	now := time.Now()
	kept := s.files[:0]
	for _, t := range s.files {
		if t.inGlob || !t.eof || now.Sub(t.grew) < s.cfg.RotateWait {
			kept = append(kept, t)
			continue
		}
		if c := s.copyOf(t, cands); c != nil {
			// A copy of it is still here: go on with that one.
			if err := s.moveTo(t, c); err == nil {
				kept = append(kept, t)
				changed = true
				continue
			}
		}
		s.finish(t, b)
	}
	clear(s.files[len(kept):])
	s.files = kept

	for _, c := range cands {
		if c.claimed || c.fi.Size() == 0 {
			continue // empty files have nothing to read, nor an identity yet
		}
		prefix, err := s.prefixOf(c)
		if err != nil || len(prefix) == 0 {
			continue // gone or replaced since the glob: the next scan sees it
		}
		if s.copyOfTracked(prefix) {
			continue
		}
		if err := s.track(c, 0); err != nil {
			return false, err
		}
		changed = true
	}
	return changed, nil
}

// copyOfTracked reports whether a file starting with prefix looks like a copy
// of a tracked file: the first bytes of both agree as far as both go. Such a
// file (a copytruncate copy, complete or in progress, or a plain cp) is not
// read on its own; it takes over from the tracked file if that one is
// truncated or goes away.
func (s *Source) copyOfTracked(prefix []byte) bool {
	for _, t := range s.files {
		if t.truncated {
			continue
		}
		n := min(len(prefix), len(t.head))
		if n > 0 && bytes.Equal(prefix[:n], t.head[:n]) {
			return true
		}
	}
	return false
}

// copyOf finds a file other than t, not tracked, that starts with t.head and
// holds at least what was delivered of t: a copy to continue t from.
func (s *Source) copyOf(t *tailFile, cands []*candidate) *candidate {
	if len(t.head) == 0 {
		return nil
	}
	for _, c := range cands {
		if c.claimed || c.fi.Size() < max(t.offset, int64(len(t.head))) {
			continue
		}
		prefix, err := s.prefixOf(c)
		if err == nil && bytes.HasPrefix(prefix, t.head) {
			return c
		}
	}
	return nil
}

// moveTo makes t read from c from now on, at the offset delivered so far.
func (s *Source) moveTo(t *tailFile, c *candidate) error {
	f, err := openCandidate(c)
	if err != nil {
		return err
	}
	t.f.Close()
	c.claimed = true
	t.f, t.path, t.ino, t.inGlob = f, c.path, c.ino, true
	t.next, t.seen, t.long, t.eof, t.truncated, t.grew = t.offset, t.offset, nil, false, false, time.Now()
	return nil
}

// truncated deals with a file found shorter than what was read, or with
// other first bytes. When a file the glob matches starts like it did and
// holds at least what was delivered, that is its copy (copytruncate): reading
// goes on in the copy at the delivered offset, so the lines written between
// the last read and the truncation are not lost, and the truncated file is
// read again as a new one. Without a copy, the truncated file is read again
// from its start, and those lines are lost.
func (s *Source) truncated(t *tailFile, cands []*candidate) error {
	if c := s.copyOf(t, cands); c != nil {
		old, oldPath, oldIno, oldInGlob := t.f, t.path, t.ino, t.inGlob
		f, err := openCandidate(c)
		if err == nil {
			c.claimed = true
			t.f, t.path, t.ino, t.inGlob = f, c.path, c.ino, true
			t.next, t.seen, t.long, t.eof, t.truncated = t.offset, t.offset, nil, false, false
			s.log.Info("weblog: file truncated; going on in its copy", "file", oldPath, "copy", c.path, "offset", t.offset)
			fresh := &tailFile{f: old, path: oldPath, ino: oldIno, inGlob: oldInGlob, grew: time.Now()}
			return s.add(fresh)
		}
	}
	if t.next > t.offset || t.offset > 0 {
		s.log.Warn("weblog: file truncated and no copy of it found among the files path.glob matches; reading it again from the start, and what was written after the last read and before the truncation is lost",
			"file", t.path, "delivered_up_to", t.offset)
	}
	t.offset, t.next, t.seen, t.head, t.long, t.eof, t.truncated = 0, 0, 0, t.head[:0], nil, false, false
	return nil
}

// track starts reading the file of c at offset.
func (s *Source) track(c *candidate, offset int64) error {
	f, err := openCandidate(c)
	if err != nil {
		return nil // gone or replaced: the next scan sees what is there
	}
	c.claimed = true
	t := &tailFile{f: f, path: c.path, ino: c.ino, inGlob: true, offset: offset, next: offset, grew: time.Now()}
	if _, err := s.checkHead(t); err != nil {
		f.Close()
		return err
	}
	s.log.Info("weblog: reading file", "file", c.path, "offset", offset)
	return s.add(t)
}

func (s *Source) add(t *tailFile) error {
	if len(s.files) >= s.cfg.MaxFiles {
		t.f.Close()
		return fmt.Errorf("weblog: path.glob %s matches more than files.max=%d files; narrow it or raise files.max", s.pattern, s.cfg.MaxFiles)
	}
	s.files = append(s.files, t)
	return nil
}

// finish closes a file the glob no longer matches and that stopped growing.
// An unterminated last line becomes a faulty record: nginx writes whole
// lines, so it is the remains of a crash, and keeping it in the dead-letter
// topic is better than dropping it unseen.
func (s *Source) finish(t *tailFile, b *batch) {
	defer t.f.Close()
	fi, err := t.f.Stat()
	if err == nil && fi.Size() > t.offset && !t.truncated {
		n := min(fi.Size()-t.offset, int64(s.cfg.MaxLineBytes))
		data := t.long
		if len(data) == 0 {
			data = make([]byte, n)
			k, _ := t.f.ReadAt(data, t.offset)
			data = data[:k]
		}
		length := fi.Size() - t.offset
		b.add(s.faultRecord(t, t.offset, data, fmt.Errorf("last line of %d bytes has no newline, and the file was rotated away or deleted", length)))
		t.offset = fi.Size()
	}
	s.log.Info("weblog: file no longer matched by path.glob and read to its end; forgetting it", "file", t.path)
}

// restore matches the files of a stored position to the files the glob
// matches now. A file whose stored fingerprint covers fingerprint.bytes is
// recognised by it alone, wherever it is now (renamed, or copied and the
// original truncated, while the connector was stopped), preferring the file
// with the same inode and then the same path; a shorter one needs the same
// inode as well. Stored files found nowhere are forgotten.
func (s *Source) restore(stored []storedFile, cands []*candidate) error {
	// Read as much of each file as the longest stored fingerprint covers:
	// fingerprint.bytes may have changed since.
	need := int64(s.cfg.FingerprintBytes)
	for _, sf := range stored {
		need = max(need, min(sf.fpLen, maxFingerprintBytes))
	}
	buf := make([]byte, need)
	heads := map[*candidate][]byte{}
	headOf := func(c *candidate) []byte {
		if h, ok := heads[c]; ok {
			return h
		}
		var h []byte
		if f, err := openCandidate(c); err == nil {
			h, _ = readHead(f, buf, len(buf))
			f.Close()
		}
		heads[c] = slices.Clone(h)
		return heads[c]
	}
	for _, sf := range stored {
		mature := sf.fpLen >= int64(s.cfg.FingerprintBytes)
		var best *candidate
		score := -1
		for _, c := range cands {
			if c.claimed || c.fi.Size() < sf.fpLen || (!mature && (c.ino == "" || c.ino != sf.ino)) {
				continue
			}
			h := headOf(c)
			if int64(len(h)) < sf.fpLen || fingerprint(h[:sf.fpLen]) != sf.fp {
				continue
			}
			sc := 0
			if c.ino != "" && c.ino == sf.ino {
				sc += 2
			}
			if c.path == sf.path {
				sc++
			}
			if sc > score {
				best, score = c, sc
			}
		}
		if best == nil {
			s.log.Info("weblog: file of the stored position not found; forgetting it", "file", sf.path, "offset", sf.offset)
			continue
		}
		offset := sf.offset
		if best.fi.Size() < offset {
			s.log.Warn("weblog: file is shorter than its stored position; reading it from the start",
				"file", best.path, "size", best.fi.Size(), "stored_offset", offset)
			offset = 0
		}
		if best.path != sf.path {
			s.log.Info("weblog: file of the stored position found under another name", "stored", sf.path, "now", best.path)
		}
		if err := s.track(best, offset); err != nil {
			return err
		}
	}
	return nil
}

// lastLineEnd returns the offset just after the last newline among the last
// bytes of the file of c, for read.from=end: reading starts at a line.
func (s *Source) lastLineEnd(c *candidate) int64 {
	size := c.fi.Size()
	f, err := openCandidate(c)
	if err != nil {
		return size
	}
	defer f.Close()
	from := max(0, size-int64(len(s.buf)))
	n, _ := f.ReadAt(s.buf[:size-from], from)
	if i := bytes.LastIndexByte(s.buf[:n], '\n'); i >= 0 {
		return from + int64(i) + 1
	}
	return size
}
