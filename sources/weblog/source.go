package weblog

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// Headers of a faulty record (a line that could not be read), saying where
// the line is.
const (
	HeaderFile   = "tributary.weblog.file"
	HeaderOffset = "tributary.weblog.offset"
)

// readBufSize is how much of a file one read takes. A line longer than this
// is gathered in its file's long buffer, up to max.line.bytes.
const readBufSize = 64 << 10

// Source tails the files a glob matches and turns their lines into JSON
// records. Read, Ack and Close are called by one task goroutine at a time.
type Source struct {
	sdk.UnimplementedSource

	cfg     Config
	pattern string // absolute; the source partition
	log     *slog.Logger
	parser  *parser

	files    []*tailFile // in reading order: older files first
	lastScan time.Time

	buf        []byte          // read buffer, shared by the files
	headBuf    []byte          // fingerprint.bytes, to read first bytes
	unreadable map[string]bool // paths that could not be opened, logged once
}

// batch collects the records of one Read.
type batch struct {
	recs     []sdk.Record
	bytes    int
	maxRecs  int
	maxBytes int
	retry    bool // a file was found truncated while reading: scan and read again at once
}

func (b *batch) add(r sdk.Record) {
	b.recs = append(b.recs, r)
	b.bytes += len(r.Value) + len(r.Key)
}

func (b *batch) full() bool { return len(b.recs) >= b.maxRecs || b.bytes >= b.maxBytes }

// Open decodes and checks the config, compiles the log format and finds the
// files, matching them to the stored position when there is one.
func (s *Source) Open(_ context.Context, cfg sdk.Config, last []sdk.Position) error {
	if err := sdk.Decode(cfg, &s.cfg); err != nil {
		return err
	}
	if err := s.checkConfig(); err != nil {
		return err
	}
	pattern, err := filepath.Abs(s.cfg.Glob)
	if err != nil {
		return fmt.Errorf("weblog: resolve %q: %w", s.cfg.Glob, err)
	}
	s.pattern = pattern
	s.log = slog.Default().With("connector", cfg["name"], "plugin", Plugin.Class, "glob", pattern)
	if s.parser, err = newParser(&s.cfg); err != nil {
		return &sdk.ValidationError{Fields: map[string][]string{"log.format": {err.Error()}}}
	}
	s.buf = make([]byte, readBufSize)
	s.unreadable = map[string]bool{}
	s.headBuf = make([]byte, s.cfg.FingerprintBytes)

	var stored []storedFile
	found := false
	for _, p := range last {
		if glob, _ := p.Partition[partitionKeyGlob].(string); glob != pattern {
			continue
		}
		found = true
		if stored, err = decodeState(p.Offset); err != nil {
			return fmt.Errorf("weblog: stored position of %s: %w", pattern, err)
		}
	}
	cands := s.candidates()
	if err := s.restore(stored, cands); err != nil {
		s.Close()
		return err
	}
	fromEnd := !found && s.cfg.ReadFrom == "end"
	for _, c := range cands {
		if c.claimed || c.fi.Size() == 0 {
			continue
		}
		prefix, err := s.prefixOf(c)
		if err != nil || len(prefix) == 0 || s.copyOfTracked(prefix) {
			continue
		}
		offset := int64(0)
		if fromEnd {
			offset = s.lastLineEnd(c)
		}
		if err := s.track(c, offset); err != nil {
			s.Close()
			return err
		}
	}
	s.lastScan = time.Now()
	return nil
}

// checkConfig checks what the tags cannot say.
func (s *Source) checkConfig() error {
	bad := map[string][]string{}
	if _, err := filepath.Match(s.cfg.Glob, ""); err != nil {
		bad["path.glob"] = append(bad["path.glob"], "is not a valid glob pattern")
	}
	for _, p := range s.cfg.Exclude {
		if _, err := filepath.Match(p, ""); err != nil {
			bad["path.exclude"] = append(bad["path.exclude"], fmt.Sprintf("entry %q is not a valid glob pattern", p))
		}
	}
	if s.cfg.Format == formatCustom && s.cfg.LogFormat == "" {
		bad["log.format"] = append(bad["log.format"], "required when format=custom")
	}
	if len(bad) > 0 {
		return &sdk.ValidationError{Fields: bad}
	}
	return nil
}

// Read returns the next lines of the files as records, waiting until there
// are some or ctx ends. Only the last record of a batch carries the
// position, which covers every file.
func (s *Source) Read(ctx context.Context) ([]sdk.Record, error) {
	b := &batch{maxRecs: s.cfg.BatchSize, maxBytes: s.cfg.BatchBytes}
	for {
		if time.Since(s.lastScan) >= s.cfg.ScanInterval {
			if _, err := s.scan(b); err != nil {
				return nil, err
			}
		}
		if err := s.fill(b); err != nil {
			return nil, err
		}
		if len(b.recs) > 0 {
			return s.seal(b), nil
		}
		if b.retry {
			continue // a file was found truncated: deal with it now
		}
		changed, err := s.scan(b)
		if err != nil {
			return nil, err
		}
		if len(b.recs) > 0 {
			return s.seal(b), nil
		}
		if changed {
			continue
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

// seal puts the position of every file on the batch's last record: the
// runtime stores the last position of each partition in a batch, and all
// files share one partition.
func (s *Source) seal(b *batch) []sdk.Record {
	b.recs[len(b.recs)-1].Position = s.position()
	return b.recs
}

// fill reads the files in order, each to its end, until the batch is full.
func (s *Source) fill(b *batch) error {
	b.retry = false
	for _, t := range s.files {
		if t.truncated {
			continue
		}
		for !b.full() {
			n, err := t.f.ReadAt(s.buf, t.next)
			if err != nil && !errors.Is(err, io.EOF) {
				return fmt.Errorf("weblog: read %s: %w", t.path, err)
			}
			if n == 0 {
				t.eof = true
				break
			}
			// Data read after the file was truncated and written again is
			// not the data at this offset: check the first bytes are still
			// those of the file, after the read.
			same, err := s.checkHead(t)
			if err != nil {
				return err
			}
			if !same {
				t.truncated = true
				s.lastScan = time.Time{} // deal with it at once
				b.retry = true
				break
			}
			t.eof = false
			if end := t.next + int64(n); end > t.seen {
				// New data, not only the unfinished line read again.
				t.seen, t.grew = end, time.Now()
			}
			before := t.next
			s.lines(t, s.buf[:n], b)
			if t.next == before && n < len(s.buf) {
				// Only an unfinished line: wait for the rest of it.
				t.eof = true
				break
			}
			if n < len(s.buf) && !b.full() {
				t.eof = true
				break
			}
		}
		if b.full() {
			break
		}
	}
	return nil
}

// lines turns the complete lines of data, read at t.next, into records until
// the batch is full, and moves t's offsets past them. An unfinished line is
// left to be read again with its end, unless it fills the whole read buffer:
// then its first max.line.bytes bytes are kept in t.long and reading goes on
// after it.
func (s *Source) lines(t *tailFile, data []byte, b *batch) {
	base := t.next // file offset of data[0]
	for len(data) > 0 && !b.full() {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			if t.next > t.offset || len(data) == len(s.buf) {
				// Inside a line longer than the buffer.
				t.long = appendMax(t.long, data, s.cfg.MaxLineBytes)
				t.next = base + int64(len(data))
			}
			return
		}
		length := (base - t.offset) + int64(i) // bytes of the line, before its newline
		var line []byte
		if len(t.long) > 0 || t.next > t.offset {
			t.long = appendMax(t.long, data[:i], s.cfg.MaxLineBytes)
			line = t.long
		} else {
			line = data[:min(i, s.cfg.MaxLineBytes)]
		}
		start := t.offset
		t.offset = base + int64(i) + 1
		t.next = t.offset
		s.emit(t, start, line, length, b)
		t.long = t.long[:0]
		if cap(t.long) > readBufSize {
			t.long = nil // do not keep a long line's memory for every file
		}
		base = t.offset
		data = data[i+1:]
	}
}

// appendMax appends to dst what fits of p within max bytes in all.
func appendMax(dst, p []byte, max int) []byte {
	if room := max - len(dst); room > 0 {
		dst = append(dst, p[:min(room, len(p))]...)
	}
	return dst
}

// emit turns one line into a record: its JSON object, or a faulty record
// holding the line when it is too long or does not parse.
func (s *Source) emit(t *tailFile, start int64, line []byte, length int64, b *batch) {
	if length > int64(s.cfg.MaxLineBytes) {
		b.add(s.faultRecord(t, start, line, fmt.Errorf("line of %d bytes exceeds max.line.bytes (%d)", length, s.cfg.MaxLineBytes)))
		return
	}
	line = bytes.TrimSuffix(line, []byte{'\r'})
	if len(bytes.TrimSpace(line)) == 0 {
		return // a blank line holds nothing
	}
	p, err := s.parser.parse(line)
	if err != nil {
		b.add(s.faultRecord(t, start, line, err))
		return
	}
	ts := p.time
	if !p.hasTime {
		ts = time.Now()
	}
	b.add(sdk.Record{Key: p.key, Value: p.value, Topic: s.cfg.Topic, Partition: -1, Timestamp: ts})
}

// faultRecord holds a line that could not be read, for the dead-letter topic.
func (s *Source) faultRecord(t *tailFile, start int64, line []byte, cause error) sdk.Record {
	return sdk.Record{
		Value:     bytes.Clone(line),
		Topic:     s.cfg.Topic,
		Partition: -1,
		Timestamp: time.Now(),
		Headers: []sdk.Header{
			{Key: HeaderFile, Value: []byte(t.path)},
			{Key: HeaderOffset, Value: []byte(strconv.FormatInt(start, 10))},
		},
		Fault: fmt.Errorf("weblog: %s at byte %d: %w", t.path, start, cause),
	}
}

// Close closes the files.
func (s *Source) Close() error {
	var errs []error
	for _, t := range s.files {
		errs = append(errs, t.f.Close())
	}
	s.files = nil
	return errors.Join(errs...)
}
