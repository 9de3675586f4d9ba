package backup

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
	"time"
	"unsafe"

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

	// Listings are reused within a flush cycle (between two Flushes), except
	// by a partition that arrived after the listing: seq orders listings and
	// arrivals, flushed is seq at the end of the last Flush and arrived the
	// seq of each partition's first record since then.
	seq     uint64
	flushed uint64
	arrived map[sdk.TopicPartition]uint64

	// due is, per partition, the earliest end of an hour plus
	// success.marker.delay.ms among its buffers: once the partition's event
	// time reaches it, that hour is done for the partition and its buffer is
	// written without waiting for a Flush. It may be early, never late.
	due map[sdk.TopicPartition]time.Time

	warnedAhead bool
}

// stats are counters for logs and tests.
type stats struct {
	rows, files, replayed, tombstones int64
	// held and heldBytes are the rows in buffers and an estimate of their
	// memory, bounded by buffer.max.rows and buffer.max.bytes.
	held, heldBytes int64
	listings        int64 // hour directory listings made for data files
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
	bytes   int64 // the rowSize of rows, summed
	opened  time.Time
	// late: the partition's event time had passed the hour's end plus
	// success.marker.delay.ms when the buffer was opened, so its rows are
	// late ones; it is left to Flush rather than written as a tiny file as
	// soon as the next record comes.
	late bool
}

// rowSize estimates the memory a buffered row holds: its values and the
// bytes they point to (the topic and _op bytes, shared between rows, are
// counted too, which errs on the safe side).
func rowSize(r parquet.Row) int64 {
	n := int64(len(r))*int64(unsafe.Sizeof(parquet.Value{})) + 32 // + the slice header and the offset
	for _, v := range r {
		if k := v.Kind(); k == parquet.ByteArray || k == parquet.FixedLenByteArray {
			n += int64(len(v.ByteArray()))
		}
	}
	return n
}

// dirState is what the sink knows of the data files in one hour directory:
// the offset ranges their names cover, per topic partition. It learns them
// from listings and from its own writes and never forgets a range, so it may
// lag the directory but never claims a range that is not there.
type dirState struct {
	// ranges holds, per topic partition, the union of the ranges of its
	// files: sorted, disjoint and not adjacent, so covers is a binary search.
	ranges map[rangeKey][]offsetRange
	// temps are the temporary files the last listing found, per topic
	// partition; writeBuffer removes them when it writes that partition.
	temps  map[rangeKey][]string
	listed uint64 // Sink.seq of the last listing; 0: never listed
	used   bool   // since the last flush; unused states are dropped then
}

type rangeKey struct {
	tag       string
	partition int32
}

type offsetRange struct{ first, last int64 }

func newDirState() *dirState {
	return &dirState{ranges: map[rangeKey][]offsetRange{}, temps: map[rangeKey][]string{}}
}

func (d *dirState) covers(tag string, partition int32, offset int64) bool {
	rs := d.ranges[rangeKey{tag, partition}]
	// The first range ending at or after offset is the only one that may hold it.
	i, _ := slices.BinarySearchFunc(rs, offset, func(r offsetRange, off int64) int { return cmp.Compare(r.last, off) })
	return i < len(rs) && rs[i].first <= offset
}

// add merges a file's range into the union, joining the ranges it overlaps
// or touches.
func (d *dirState) add(r fileRange) {
	k := rangeKey{r.tag, r.partition}
	rs := d.ranges[k]
	first, last := r.first, r.last
	// The first range ending at or after first-1 is the first that overlaps
	// or touches [first, last].
	touch := first
	if touch > math.MinInt64 {
		touch--
	}
	i, _ := slices.BinarySearchFunc(rs, touch, func(o offsetRange, t int64) int { return cmp.Compare(o.last, t) })
	j := i
	for j < len(rs) && (rs[j].first <= last || rs[j].first-1 == last) {
		first, last = min(first, rs[j].first), max(last, rs[j].last)
		j++
	}
	d.ranges[k] = slices.Replace(rs, i, j, offsetRange{first, last})
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
	s.arrived = map[sdk.TopicPartition]uint64{}
	s.due = map[sdk.TopicPartition]time.Time{}
	s.seq, s.flushed = 0, 0
	s.marks = newMarkers(s.now())
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
//
// Buffers are written as files before Flush when one reaches flush.size,
// when one was opened rotate.interval.ms ago, when its partition's event
// time has passed the end of its hour plus success.marker.delay.ms, and,
// largest first, when all of them together hold more than buffer.max.rows
// rows or buffer.max.bytes bytes.
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
			// after this offset come again. Files of the partition that
			// another task wrote meanwhile are not in the listings made
			// so far: it counts as arriving anew.
			s.rewind(tp, r.Offset)
			delete(s.arrived, tp)
		}
		s.next[tp] = r.Offset + 1
		if _, ok := s.arrived[tp]; !ok {
			s.seq++
			s.arrived[tp] = s.seq
		}
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
			s.log.Warn("backup sink: event time far ahead of the clock; written to its hour, counted as the current time for the watermark",
				"topic", r.Topic, "partition", r.Partition, "offset", r.Offset, "event_time", c.eventTime)
		}
		// Hours this partition is done with are written before record i
		// is taken, so a failure leaves record i out and the runtime hands
		// it over again.
		if err := s.writeDone(ctx, tp); err != nil {
			return i, err
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
			done := dir.end.Add(s.cfg.SuccessDelay)
			if b.late = !s.marks.maxEvent[tp].Before(done); !b.late {
				if d, ok := s.due[tp]; !ok || done.Before(d) {
					s.due[tp] = done
				}
			}
			s.buffers[key] = b
		}
		size := rowSize(c.row)
		b.rows = append(b.rows, c.row)
		b.offsets = append(b.offsets, r.Offset)
		b.bytes += size
		s.stats.held++
		s.stats.heldBytes += size
		// On a failure below record i is in a buffer but not reported as
		// written: when the runtime hands it over again, rewind drops it
		// from the buffer first.
		if len(b.rows) >= s.cfg.FlushSize {
			if err := s.writeBuffer(ctx, key, b); err != nil {
				return i, err
			}
		}
		if err := s.shed(ctx); err != nil {
			return i, err
		}
	}
	return len(records), nil
}

// writeDone writes the buffers of tp whose hour the partition is done with:
// its event time has reached the hour's end plus success.marker.delay.ms.
// While a backlog is caught up this keeps one buffer or so per partition in
// memory rather than one per hour read since the last Flush.
func (s *Sink) writeDone(ctx context.Context, tp sdk.TopicPartition) error {
	due, ok := s.due[tp]
	reached := s.marks.maxEvent[tp]
	if !ok || reached.Before(due) {
		return nil
	}
	delete(s.due, tp)
	var done []bufferKey
	for key, b := range s.buffers {
		if key.tp != tp || b.late {
			continue
		}
		end := b.dir.end.Add(s.cfg.SuccessDelay)
		if !reached.Before(end) {
			done = append(done, key)
		} else if d, ok := s.due[tp]; !ok || end.Before(d) {
			s.due[tp] = end
		}
	}
	slices.SortFunc(done, compareKeys)
	for _, key := range done {
		if err := s.writeBuffer(ctx, key, s.buffers[key]); err != nil {
			s.due[tp] = due // early for the buffers left, which is allowed
			return err
		}
	}
	return nil
}

// shed bounds the memory the buffers hold: once they hold more than
// buffer.max.rows rows or buffer.max.bytes bytes, the largest are written as
// files until they hold at most half of each.
func (s *Sink) shed(ctx context.Context) error {
	overRows := s.stats.held > int64(s.cfg.MaxRows)
	if !overRows && s.stats.heldBytes <= s.cfg.MaxBytes {
		return nil
	}
	keys := s.sortedKeys()
	slices.SortStableFunc(keys, func(a, b bufferKey) int {
		x, y := s.buffers[a], s.buffers[b]
		if overRows {
			return cmp.Compare(len(y.rows), len(x.rows))
		}
		return cmp.Compare(y.bytes, x.bytes)
	})
	s.log.Debug("backup sink: buffers over buffer.max.rows or buffer.max.bytes; writing the largest",
		"rows", s.stats.held, "bytes", s.stats.heldBytes, "buffers", len(keys))
	for _, key := range keys {
		if s.stats.held <= int64(s.cfg.MaxRows)/2 && s.stats.heldBytes <= s.cfg.MaxBytes/2 {
			break
		}
		if err := s.writeBuffer(ctx, key, s.buffers[key]); err != nil {
			return err
		}
	}
	return nil
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
		for _, r := range b.rows[cut:] {
			s.release(b, r)
		}
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

// release takes a row leaving buffer b off the memory held.
func (s *Sink) release(b *buffer, r parquet.Row) {
	size := rowSize(r)
	b.bytes -= size
	s.stats.held--
	s.stats.heldBytes -= size
}

// dirState returns what is known of an hour directory, listing it the first
// time.
func (s *Sink) dirState(ctx context.Context, dir string) (*dirState, error) {
	if st, ok := s.dirs[dir]; ok {
		st.used = true
		return st, nil
	}
	st := newDirState()
	if err := s.list(ctx, dir, st); err != nil {
		return nil, err
	}
	st.used = true
	s.dirs[dir] = st
	return st, nil
}

// list learns the data files of an hour directory and the temporary files
// crashed writers left there.
func (s *Sink) list(ctx context.Context, dir string, st *dirState) error {
	entries, err := s.store.list(ctx, dir)
	if err != nil {
		return fmt.Errorf("backup sink: list %s: %w", dir, err)
	}
	s.stats.listings++
	s.seq++
	st.listed = s.seq
	clear(st.temps)
	for _, e := range entries {
		if r, ok := parsePartName(e.name); ok {
			st.add(r)
			continue
		}
		if !s.store.leavesTemps() {
			continue
		}
		if final, ok := parseTempName(e.name); ok {
			if r, ok := parsePartName(final); ok {
				k := rangeKey{r.tag, r.partition}
				st.temps[k] = append(st.temps[k], e.name)
			}
		}
	}
	return nil
}

// writeBuffer writes a buffer as one file, leaving out the rows that files
// in the directory cover already, so a replay never writes a row twice
// however the earlier run cut its files. Another task (which owned the
// partition before) may have written files there since the sink last
// looked, so the directory is listed again unless the sink listed it in the
// current flush cycle after the partition's first record: each directory is
// listed about once per Flush, the listing updated with the files the sink
// writes. It also removes temporary files a crashed writer of this
// partition left there.
func (s *Sink) writeBuffer(ctx context.Context, key bufferKey, b *buffer) error {
	st := s.dirs[b.dir.path]
	if st == nil {
		st = newDirState()
		s.dirs[b.dir.path] = st
	}
	if st.listed <= max(s.flushed, s.arrived[b.tp]) {
		if err := s.list(ctx, b.dir.path, st); err != nil {
			return err
		}
	}
	rk := rangeKey{b.tag, b.tp.Partition}
	for len(st.temps[rk]) > 0 {
		name := st.temps[rk][0]
		if err := s.store.remove(ctx, b.dir.path+"/"+name); err != nil {
			return fmt.Errorf("backup sink: remove temporary file: %w", err)
		}
		s.log.Info("backup sink: removed a temporary file left by a crashed writer", "file", b.dir.path+"/"+name)
		st.temps[rk] = st.temps[rk][1:]
	}
	delete(st.temps, rk)
	kept := 0
	for i, off := range b.offsets {
		if st.covers(b.tag, b.tp.Partition, off) {
			s.release(b, b.rows[i])
			continue
		}
		b.rows[kept], b.offsets[kept] = b.rows[i], off
		kept++
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
	s.stats.held -= int64(kept)
	s.stats.heldBytes -= b.bytes
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
	return slices.SortedFunc(maps.Keys(s.buffers), compareKeys)
}

func compareKeys(a, b bufferKey) int {
	return cmp.Or(strings.Compare(a.dir, b.dir), strings.Compare(a.tp.Topic, b.tp.Topic), cmp.Compare(a.tp.Partition, b.tp.Partition))
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
	// A new flush cycle: the next write into a directory lists it again.
	s.seq++
	s.flushed = s.seq
	clear(s.arrived)
	clear(s.due)
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
	s.stats.held, s.stats.heldBytes = 0, 0
	return nil
}
