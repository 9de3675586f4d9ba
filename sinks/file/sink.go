package file

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"sync"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// OffsetsSuffix is appended to the data file's path to name the sidecar that
// holds the sink's offsets.
const OffsetsSuffix = ".offsets"

const bufferSize = 64 << 10

// Sink appends record values to one file.
type Sink struct {
	sdk.UnimplementedSink

	mu      sync.Mutex
	cfg     Config
	path    string
	offPath string
	log     *slog.Logger

	f      *os.File
	w      *bufio.Writer
	length int64 // data file length, counting bytes still in w

	next    map[sdk.TopicPartition]int64 // next expected offset, including unflushed writes
	stored  map[sdk.TopicPartition]int64 // next expected offset as of the sidecar
	dirty   bool                         // writes since the last flush
	skipLog map[sdk.TopicPartition]bool  // partitions whose replay skip was logged
	// failed is the first IO error; the sink refuses all further work, so the
	// task restarts and Open rolls the file back to the last flush.
	failed error
}

var _ sdk.OffsetKeeper = (*Sink)(nil)

// Open opens the data file and rolls it back to the last completed flush.
func (s *Sink) Open(_ context.Context, cfg sdk.Config) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := sdk.Decode(cfg, &s.cfg); err != nil {
		return err
	}
	path, err := filepath.Abs(s.cfg.File)
	if err != nil {
		return fmt.Errorf("file sink: resolve %q: %w", s.cfg.File, err)
	}
	s.path, s.offPath = path, path+OffsetsSuffix
	s.log = slog.Default().With("connector", cfg["name"], "plugin", Plugin.Class, "file", path)
	s.skipLog = map[sdk.TopicPartition]bool{}

	length, next, haveOffsets, err := readOffsets(s.offPath)
	if err != nil {
		return fmt.Errorf("file sink: read offsets: %w", err)
	}
	_, statErr := os.Stat(path)
	existed := statErr == nil
	if statErr != nil && !errors.Is(statErr, fs.ErrNotExist) {
		return fmt.Errorf("file sink: %w", statErr)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("file sink: %w", err)
	}
	if err := s.recover(f, existed, haveOffsets, length, next); err != nil {
		f.Close()
		return err
	}
	s.f = f
	s.w = bufio.NewWriterSize(f, bufferSize)
	return nil
}

// recover brings the data file in line with the sidecar and positions f at
// its end.
func (s *Sink) recover(f *os.File, existed, haveOffsets bool, length int64, next map[sdk.TopicPartition]int64) error {
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("file sink: %w", err)
	}
	size := fi.Size()
	switch {
	case !haveOffsets:
		// Claim the file now: from here on its length is recorded, so a
		// crash before the first flush rolls back to what was there.
		next = map[sdk.TopicPartition]int64{}
		if size > 0 {
			s.log.Info("file sink: appending to a file this sink has no offsets for; starting at the consumer group's offsets",
				"size", size, "offsets_file", s.offPath)
		}
		length = size
		if err := writeOffsets(s.offPath, length, next); err != nil {
			return fmt.Errorf("file sink: write offsets: %w", err)
		}
	case size == 0 && length > 0:
		// The file was moved away or emptied on purpose (rotated by hand):
		// what it held was delivered, so start a new one after the same
		// offsets, and record the new length now so that a crash before the
		// first flush does not look like a damaged file.
		s.log.Warn("file sink: data file is missing or empty although the offsets file records flushed data; starting a new file after the stored offsets",
			"existed", existed, "recorded_length", length)
		length = 0
		if err := writeOffsets(s.offPath, 0, next); err != nil {
			return fmt.Errorf("file sink: write offsets: %w", err)
		}
	case size < length:
		return fmt.Errorf("file sink: %s is %d bytes but %d were flushed to it: it was changed by someone else; move it away or delete %s to start over",
			s.path, size, length, s.offPath)
	case size > length:
		s.log.Warn("file sink: dropping data written after the last completed flush; it will be written again from Kafka",
			"size", size, "flushed_length", length, "dropped_bytes", size-length)
		if err := f.Truncate(length); err != nil {
			return fmt.Errorf("file sink: roll back to the last flush: %w", err)
		}
		if err := f.Sync(); err != nil {
			return fmt.Errorf("file sink: %w", err)
		}
	}
	if _, err := f.Seek(length, io.SeekStart); err != nil {
		return fmt.Errorf("file sink: %w", err)
	}
	s.length, s.next, s.stored = length, next, maps.Clone(next)
	return nil
}

// StoredOffsets returns the next offset per partition as of the last
// completed flush, or none when the file has no sidecar.
func (s *Sink) StoredOffsets(context.Context) (map[sdk.TopicPartition]int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.stored), nil
}

// Write appends each record's value and a newline. Records below the next
// offset already recorded for their partition are in the file and are
// skipped, so a replay from older consumer offsets changes nothing.
func (s *Sink) Write(_ context.Context, records []sdk.Record) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failed != nil {
		return 0, s.failed
	}
	if s.w == nil {
		return 0, errors.New("file sink: not open")
	}
	for i := range records {
		r := &records[i]
		tp := sdk.TopicPartition{Topic: r.Topic, Partition: r.Partition}
		if n, ok := s.next[tp]; ok && r.Offset < n {
			if !s.skipLog[tp] {
				s.skipLog[tp] = true
				s.log.Info("file sink: skipping records already in the file",
					"topic", r.Topic, "partition", r.Partition, "offset", r.Offset, "next_offset", n)
			}
			continue
		}
		if _, err := s.w.Write(r.Value); err != nil {
			return i, s.fail(err)
		}
		if err := s.w.WriteByte('\n'); err != nil {
			return i, s.fail(err)
		}
		s.length += int64(len(r.Value)) + 1
		s.next[tp] = r.Offset + 1
		s.dirty = true
	}
	return len(records), nil
}

// Flush writes the buffer, syncs the data file, then records its length and
// the offsets in the sidecar. Once Flush returned, a restart resumes after the
// records written so far, whether or not the runtime committed them.
func (s *Sink) Flush(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.flush()
}

func (s *Sink) flush() error {
	if s.failed != nil {
		return s.failed
	}
	if s.w == nil {
		return errors.New("file sink: not open")
	}
	if !s.dirty {
		return nil
	}
	if err := s.w.Flush(); err != nil {
		return s.fail(err)
	}
	if err := s.f.Sync(); err != nil {
		return s.fail(err)
	}
	if err := writeOffsets(s.offPath, s.length, s.next); err != nil {
		return s.fail(fmt.Errorf("write offsets: %w", err))
	}
	s.stored = maps.Clone(s.next)
	s.dirty = false
	return nil
}

func (s *Sink) fail(err error) error {
	s.failed = fmt.Errorf("file sink: %s: %w", s.path, err)
	return s.failed
}

// Close flushes what was written, as a Flush would, and closes the file.
func (s *Sink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return nil
	}
	var err error
	if s.failed == nil {
		err = s.flush()
	}
	err = errors.Join(err, s.f.Close())
	s.f, s.w = nil, nil
	return err
}
