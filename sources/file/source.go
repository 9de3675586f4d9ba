package file

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// HeaderTruncated is set on a record whose line was longer than
// max.line.bytes; its value is the line's full length in decimal.
const HeaderTruncated = "tributary.line.truncated"

const readChunk = 64 << 10

// Source tails one file. Read, Ack and Close are called by one task goroutine
// at a time.
type Source struct {
	sdk.UnimplementedSource

	cfg  Config
	path string // absolute; the source partition
	log  *slog.Logger

	f     *os.File // nil while the file does not exist yet
	id    string   // identity of f, "" when unknown
	lr    *lineReader
	queue []line // complete lines not returned by Read yet
	buf   []byte

	// resume and resumeID are where to start once a missing file appears.
	resume   int64
	resumeID string
	waiting  bool // "waiting for the file" was logged
}

// Open decodes the config and opens the file at the stored position for it,
// or at its start. A file that does not exist yet is waited for by Read.
func (s *Source) Open(_ context.Context, cfg sdk.Config, last []sdk.Position) error {
	if err := sdk.Decode(cfg, &s.cfg); err != nil {
		return err
	}
	path, err := filepath.Abs(s.cfg.File)
	if err != nil {
		return fmt.Errorf("file source: resolve %q: %w", s.cfg.File, err)
	}
	s.path = path
	s.log = slog.Default().With("connector", cfg["name"], "plugin", Plugin.Class, "file", path)
	s.buf = make([]byte, readChunk)

	for _, p := range last {
		if name, _ := p.Partition[partitionKeyFile].(string); name != path {
			continue
		}
		if s.resume, err = sdk.OffsetInt(p.Offset[offsetKeyPos]); err != nil {
			return fmt.Errorf("file source: stored position of %s: %w", path, err)
		}
		s.resumeID = storedIdentity(p.Offset[offsetKeyInode])
	}
	_, err = s.openFile()
	return err
}

// openFile opens the file and seeks to the resume position, unless the file
// is not the one the position belongs to. It reports whether the file is open.
func (s *Source) openFile() (bool, error) {
	f, err := os.Open(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		if !s.waiting {
			s.log.Warn("file source: file does not exist, waiting for it to be created")
			s.waiting = true
		}
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("file source: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return false, fmt.Errorf("file source: %w", err)
	}
	id := identity(fi)
	pos := s.resume
	switch {
	case pos > 0 && s.resumeID != "" && id != "" && id != s.resumeID:
		s.log.Warn("file source: file was replaced since the stored position was taken (inode changed), reading it from the start",
			"stored_inode", s.resumeID, "inode", id, "stored_position", pos)
		pos = 0
	case fi.Size() < pos:
		s.log.Warn("file source: file is shorter than the stored position (truncated), reading it from the start",
			"stored_position", pos, "size", fi.Size())
		pos = 0
	}
	if _, err := f.Seek(pos, io.SeekStart); err != nil {
		f.Close()
		return false, fmt.Errorf("file source: %w", err)
	}
	if s.waiting {
		s.log.Info("file source: file appeared")
		s.waiting = false
	}
	s.f, s.id = f, id
	s.lr = newLineReader(s.cfg.MaxLineBytes, pos)
	s.log.Info("file source: reading", "position", pos, "inode", id)
	return true, nil
}

// Read returns the next lines, waiting at the end of the file until more are
// written or ctx ends. A last line without its newline is held back until the
// newline arrives.
func (s *Source) Read(ctx context.Context) ([]sdk.Record, error) {
	for {
		if s.f == nil {
			if _, err := s.openFile(); err != nil {
				return nil, err
			}
		}
		if s.f != nil {
			if err := s.fill(); err != nil {
				return nil, err
			}
			if len(s.queue) > 0 {
				return s.emit(), nil
			}
			changed, err := s.checkFile()
			if err != nil {
				return nil, err
			}
			if changed {
				continue
			}
		}
		t := time.NewTimer(s.cfg.PollInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// fill reads until a batch of lines is queued or the file ends.
func (s *Source) fill() error {
	for len(s.queue) < s.cfg.BatchSize {
		n, err := s.f.Read(s.buf)
		if n > 0 {
			s.queue = s.lr.feed(s.buf[:n], s.queue)
		}
		if errors.Is(err, io.EOF) || (n == 0 && err == nil) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("file source: read %s: %w", s.path, err)
		}
	}
	return nil
}

// emit turns up to a batch of queued lines into records.
func (s *Source) emit() []sdk.Record {
	n := min(len(s.queue), s.cfg.BatchSize)
	now := time.Now()
	recs := make([]sdk.Record, n)
	for i, l := range s.queue[:n] {
		offset := map[string]any{offsetKeyPos: l.end}
		if s.id != "" {
			offset[offsetKeyInode] = s.id
		}
		recs[i] = sdk.Record{
			Value:     l.data,
			Topic:     s.cfg.Topic,
			Partition: -1,
			Timestamp: now,
			Position:  sdk.Position{Partition: map[string]any{partitionKeyFile: s.path}, Offset: offset},
		}
		if l.truncated() {
			recs[i].Headers = []sdk.Header{{Key: HeaderTruncated, Value: []byte(strconv.FormatInt(l.length, 10))}}
			s.log.Warn("file source: line longer than max.line.bytes, truncated",
				"line_end", l.end, "length", l.length, "max_line_bytes", s.cfg.MaxLineBytes)
		}
	}
	rest := copy(s.queue, s.queue[n:])
	clear(s.queue[rest:])
	s.queue = s.queue[:rest]
	return recs
}

// checkFile looks, at the end of the file, for truncation (the file is now
// shorter than what was read) and rotation (another file now has the path).
// Either way reading restarts at offset 0 of the file now at the path; the
// unfinished last line of the old one, if any, is dropped with a warning. It
// reports whether reading restarted.
func (s *Source) checkFile() (bool, error) {
	fi, err := s.f.Stat()
	if err != nil {
		return false, fmt.Errorf("file source: %w", err)
	}
	if fi.Size() < s.lr.pos {
		s.log.Warn("file source: file was truncated, reading it again from the start",
			"read_up_to", s.lr.pos, "size", fi.Size())
		s.dropUnfinished()
		if _, err := s.f.Seek(0, io.SeekStart); err != nil {
			return false, fmt.Errorf("file source: %w", err)
		}
		s.lr.reset(0)
		return true, nil
	}
	cur, err := os.Stat(s.path)
	if err != nil {
		// Rotated away and not recreated yet: keep the old file, which the
		// writer may still be appending to, until a new one appears.
		return false, nil
	}
	if os.SameFile(fi, cur) {
		return false, nil
	}
	s.log.Warn("file source: file was rotated (another file now has its path), reading the new one from the start",
		"old_inode", s.id, "new_inode", identity(cur), "old_read_up_to", s.lr.pos)
	s.dropUnfinished()
	s.f.Close()
	s.f, s.resume, s.resumeID = nil, 0, ""
	return s.openFile()
}

func (s *Source) dropUnfinished() {
	if n := s.lr.pos - s.lr.start(); n > 0 {
		s.log.Warn("file source: dropping the unfinished last line of the old file", "bytes", n, "at", s.lr.start())
	}
}

// Close closes the file.
func (s *Source) Close() error {
	if s.f == nil {
		return nil
	}
	err := s.f.Close()
	s.f = nil
	return err
}
