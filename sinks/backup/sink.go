package backup

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"

	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/sinks/row"
)

// Sink writes records into hourly partitioned Parquet files.
type Sink struct {
	sdk.UnimplementedSink

	mu         sync.Mutex
	cfg        *settings
	log        *slog.Logger
	store      store
	schema     *fileSchema
	timeColumn *column // the declared column of partition.time.field, when it is a date or timestamp
	codec      compress.Codec
	// now is the wall clock (rotate.interval.ms, the idle timeout); tests replace it.
	now func() time.Time

	topics  map[string]topicInfo
	buffers map[bufferKey]*buffer
	dirs    map[string]*dirState         // hour dir → the files known to be in it
	next    map[sdk.TopicPartition]int64 // one past the highest offset handed to Write
	marks   markers
	stats   stats

	warnedAhead bool
}

// stats are counters for logs and tests.
type stats struct {
	rows, files, replayed, tombstones int64
}

type topicInfo struct {
	table string
	tag   string // the topic as file names carry it
	name  []byte // the topic, shared by the _topic values of its rows
}

type bufferKey struct {
	dir string
	tp  sdk.TopicPartition
}

// buffer holds the rows of one topic partition for one hour directory, in
// offset order, until they are written as one file.
type buffer struct {
	dir     hourDir
	tp      sdk.TopicPartition
	tag     string
	rows    []parquet.Row
	offsets []int64
	opened  time.Time
}

// dirState is what the sink knows of the data files in one hour directory:
// the offset ranges their names cover, per topic partition. It learns them
// from listings and from its own writes and never forgets a range, so it may
// lag the directory but never claims a range that is not there.
type dirState struct {
	ranges map[rangeKey][]offsetRange
	used   bool // since the last flush; unused states are dropped then
}

type rangeKey struct {
	tag       string
	partition int32
}

type offsetRange struct{ first, last int64 }

func (d *dirState) covers(tag string, partition int32, offset int64) bool {
	for _, r := range d.ranges[rangeKey{tag, partition}] {
		if r.first <= offset && offset <= r.last {
			return true
		}
	}
	return false
}

func (d *dirState) add(r fileRange) {
	k := rangeKey{r.tag, r.partition}
	o := offsetRange{r.first, r.last}
	if !slices.Contains(d.ranges[k], o) {
		d.ranges[k] = append(d.ranges[k], o)
	}
}

var _ sdk.Sink = (*Sink)(nil)

// Open checks the config, connects to the store and prepares the schema.
func (s *Sink) Open(ctx context.Context, raw sdk.Config) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cfg, err := parseConfig(raw)
	if err != nil {
		return err
	}
	schema, err := newFileSchema(cfg.columns)
	if err != nil {
		return err
	}
	s.cfg, s.schema = cfg, schema
	s.timeColumn = nil
	if cfg.TimeField != "" && !schema.generic {
		if i, ok := schema.index(cfg.TimeField); ok {
			switch c := &schema.columns[i]; c.src.Kind {
			case row.KindDate, row.KindTimestamp, row.KindTimestampTZ:
				s.timeColumn = c
			}
		}
	}
	switch cfg.Compression {
	case "snappy":
		s.codec = &parquet.Snappy
	case "zstd":
		s.codec = &parquet.Zstd
	case "gzip":
		s.codec = &parquet.Gzip
	default:
		s.codec = &parquet.Uncompressed
	}
	if cfg.S3Endpoint != "" {
		st, err := newS3Store(ctx, cfg)
		if err != nil {
			return fmt.Errorf("backup sink: %w", err)
		}
		s.store = st
	} else {
		st, err := newLocalStore(cfg.Root)
		if err != nil {
			return fmt.Errorf("backup sink: %w", err)
		}
		s.store = st
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.log = slog.Default().With("connector", raw["name"], "plugin", Plugin.Class, "root", s.store.String())
	s.topics = map[string]topicInfo{}
	s.buffers = map[bufferKey]*buffer{}
	s.dirs = map[string]*dirState{}
	s.next = map[sdk.TopicPartition]int64{}
	s.marks = newMarkers()
	s.stats = stats{}
	return nil
}

// index finds a data column by exact name, else case-insensitively.
func (fs *fileSchema) index(name string) (int, bool) {
	for i := range fs.columns {
		if fs.columns[i].name == name {
			return i, true
		}
	}
	i, ok := fs.lookup[strings.ToLower(name)]
	return i, ok
}

// Write converts each record and adds it to the buffer of its topic
// partition and hour. A record whose offset lies in a file already in its
// hour directory is skipped: it was written before a crash that kept its
// offset from being committed. A record that cannot be converted is reported
// as an *sdk.RecordError and the records before it are accepted.
func (s *Sink) Write(ctx context.Context, records []sdk.Record) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.store == nil {
		return 0, errors.New("backup sink: not open")
	}
	now := s.now()
	if err := s.rotate(ctx, now); err != nil {
		return 0, err
	}
	for i := range records {
		r := &records[i]
		tp := sdk.TopicPartition{Topic: r.Topic, Partition: r.Partition}
		if n, ok := s.next[tp]; ok && r.Offset < n {
			// The partition was sought back (a lost assignment, or the
			// runtime retrying records the sink already holds): rows at or
			// after this offset come again.
			s.rewind(tp, r.Offset)
		}
		s.next[tp] = r.Offset + 1
		topic, err := s.topic(r.Topic)
		if err != nil {
			return i, &sdk.RecordError{Index: i, Err: err}
		}
		c, err := s.rowOf(r, topic)
		if err != nil {
			return i, &sdk.RecordError{Index: i, Err: err}
		}
		if c.skip {
			s.stats.tombstones++
			continue
		}
		local := c.eventTime.In(s.cfg.loc)
		dir := hourOf(topic.table, local)
		if !s.marks.observe(tp, c.eventTime, now) && !s.warnedAhead {
			s.warnedAhead = true
			s.log.Warn("backup sink: event time far ahead of the clock; written to its hour but not advancing the watermark",
				"topic", r.Topic, "partition", r.Partition, "offset", r.Offset, "event_time", c.eventTime)
		}
		if s.cfg.SuccessMarker {
			if err := s.touch(ctx, topic.table, dir, local); err != nil {
				return i, err
			}
		}
		st, err := s.dirState(ctx, dir.path)
		if err != nil {
			return i, err
		}
		if st.covers(topic.tag, r.Partition, r.Offset) {
			s.stats.replayed++
			continue
		}
		key := bufferKey{dir.path, tp}
		b := s.buffers[key]
		if b == nil {
			b = &buffer{dir: dir, tp: tp, tag: topic.tag, opened: now}
			s.buffers[key] = b
		}
		b.rows = append(b.rows, c.row)
		b.offsets = append(b.offsets, r.Offset)
		if len(b.rows) >= s.cfg.FlushSize {
			if err := s.writeBuffer(ctx, key, b); err != nil {
				// Record i is in the buffer but not reported as written:
				// when the runtime hands it over again, rewind drops it
				// from the buffer first.
				return i, err
			}
		}
	}
	return len(records), nil
}

// rotate writes the buffers open longer than rotate.interval.ms.
func (s *Sink) rotate(ctx context.Context, now time.Time) error {
	if s.cfg.RotateInterval <= 0 {
		return nil
	}
	for _, key := range s.sortedKeys() {
		if b := s.buffers[key]; now.Sub(b.opened) >= s.cfg.RotateInterval {
			if err := s.writeBuffer(ctx, key, b); err != nil {
				return err
			}
		}
	}
	return nil
}

// rewind drops the buffered rows of tp at or after offset.
func (s *Sink) rewind(tp sdk.TopicPartition, offset int64) {
	dropped := 0
	for key, b := range s.buffers {
		if key.tp != tp {
			continue
		}
		cut, _ := slices.BinarySearch(b.offsets, offset)
		dropped += len(b.offsets) - cut
		clear(b.rows[cut:])
		b.rows, b.offsets = b.rows[:cut], b.offsets[:cut]
		if cut == 0 {
			delete(s.buffers, key)
		}
	}
	if dropped > 0 {
		s.log.Info("backup sink: partition read again from an earlier offset; dropping the buffered rows it will deliver again",
			"topic", tp.Topic, "partition", tp.Partition, "offset", offset, "dropped", dropped)
	}
}

// topic returns the table and file-name tag of a topic.
func (s *Sink) topic(name string) (topicInfo, error) {
	if t, ok := s.topics[name]; ok {
		return t, nil
	}
	if name == "" {
		return topicInfo{}, errors.New("record has no topic")
	}
	table, err := s.cfg.table.render(name)
	if err != nil {
		return topicInfo{}, err
	}
	t := topicInfo{table: table, tag: topicTag(name), name: []byte(name)}
	s.topics[name] = t
	return t, nil
}

// dirState returns what is known of an hour directory, listing it the first
// time.
func (s *Sink) dirState(ctx context.Context, dir string) (*dirState, error) {
	if st, ok := s.dirs[dir]; ok {
		st.used = true
		return st, nil
	}
	entries, err := s.store.list(ctx, dir)
	if err != nil {
		return nil, fmt.Errorf("backup sink: list %s: %w", dir, err)
	}
	st := &dirState{ranges: map[rangeKey][]offsetRange{}, used: true}
	for _, e := range entries {
		if r, ok := parsePartName(e.name); ok {
			st.add(r)
		}
	}
	s.dirs[dir] = st
	return st, nil
}

// writeBuffer writes a buffer as one file. It lists the directory first, as
// another task (which owned the partition before) may have written files
// there since the sink last looked; rows those files cover are dropped, so a
// replay never writes a row twice however the earlier run cut its files. It
// also removes temporary files a crashed writer of this partition left there.
func (s *Sink) writeBuffer(ctx context.Context, key bufferKey, b *buffer) error {
	entries, err := s.store.list(ctx, b.dir.path)
	if err != nil {
		return fmt.Errorf("backup sink: list %s: %w", b.dir.path, err)
	}
	st := s.dirs[b.dir.path]
	if st == nil {
		st = &dirState{ranges: map[rangeKey][]offsetRange{}}
		s.dirs[b.dir.path] = st
	}
	for _, e := range entries {
		if r, ok := parsePartName(e.name); ok {
			st.add(r)
			continue
		}
		if !s.store.leavesTemps() {
			continue
		}
		if final, ok := parseTempName(e.name); ok {
			if r, ok := parsePartName(final); ok && r.tag == b.tag && r.partition == b.tp.Partition {
				if err := s.store.remove(ctx, b.dir.path+"/"+e.name); err != nil {
					return fmt.Errorf("backup sink: remove temporary file: %w", err)
				}
				s.log.Info("backup sink: removed a temporary file left by a crashed writer", "file", b.dir.path+"/"+e.name)
			}
		}
	}
	kept := 0
	for i, off := range b.offsets {
		if !st.covers(b.tag, b.tp.Partition, off) {
			b.rows[kept], b.offsets[kept] = b.rows[i], off
			kept++
		}
	}
	s.stats.replayed += int64(len(b.offsets) - kept)
	clear(b.rows[kept:])
	b.rows, b.offsets = b.rows[:kept], b.offsets[:kept]
	if kept == 0 {
		delete(s.buffers, key)
		return nil
	}
	fr := fileRange{tag: b.tag, partition: b.tp.Partition, first: b.offsets[0], last: b.offsets[kept-1]}
	p := b.dir.path + "/" + fr.name()
	if err := s.store.put(ctx, p, func(w io.Writer) error { return s.encode(w, b.rows) }); err != nil {
		return fmt.Errorf("backup sink: write %s: %w", p, err)
	}
	st.add(fr)
	s.stats.rows += int64(kept)
	s.stats.files++
	delete(s.buffers, key)
	s.marks.wrote(b.dir, s.log)
	return nil
}

func (s *Sink) encode(w io.Writer, rows []parquet.Row) error {
	pw := parquet.NewWriter(w, s.schema.schema, parquet.Compression(s.codec),
		parquet.CreatedBy("tributary", Plugin.Version, ""))
	if _, err := pw.WriteRows(rows); err != nil {
		return err
	}
	return pw.Close()
}

func (s *Sink) sortedKeys() []bufferKey {
	return slices.SortedFunc(maps.Keys(s.buffers), func(a, b bufferKey) int {
		return cmp.Or(strings.Compare(a.dir, b.dir), strings.Compare(a.tp.Topic, b.tp.Topic), cmp.Compare(a.tp.Partition, b.tp.Partition))
	})
}

// Flush writes every buffer as a file, then the _SUCCESS markers the
// watermark allows. When it returns nil every row handed to Write is in a
// file.
func (s *Sink) Flush(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.store == nil {
		return errors.New("backup sink: not open")
	}
	for _, key := range s.sortedKeys() {
		if err := s.writeBuffer(ctx, key, s.buffers[key]); err != nil {
			return err
		}
	}
	// Forget the directories not used since the last flush, so a task
	// running for months does not keep every hour it ever saw; writeBuffer
	// lists a directory again anyway.
	for dir, st := range s.dirs {
		if !st.used {
			delete(s.dirs, dir)
		}
		st.used = false
	}
	if s.cfg.SuccessMarker {
		return s.writeMarkers(ctx, s.now())
	}
	return nil
}

// Close drops what was not flushed: its offsets were not committed, so the
// next owner of the partitions reads it again.
func (s *Sink) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.store == nil {
		return nil
	}
	pending := 0
	for _, b := range s.buffers {
		pending += len(b.rows)
	}
	if pending > 0 {
		s.log.Info("backup sink: closing with unflushed rows; they are read again from Kafka", "rows", pending)
	}
	s.buffers, s.store = nil, nil
	return nil
}
