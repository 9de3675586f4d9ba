package hologres

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/sinks/row"
)

// mapped is one record read against its table.
type mapped struct {
	t      *table // nil: already written (below the stored offset)
	change row.Change
	ok     bool // false: the record changes nothing (a tombstone after a delete)
	err    error
}

// mapPiece is how many records the background mapper maps at a time
// (on every core) before it tells the writer.
const mapPiece = 256

// Write writes records in transactions of batch.size records, each
// deduplicated by key, and returns how many leading records are written.
// A record that cannot be written ends the call with a *sdk.RecordError
// naming it, the records before it written; a fault of the connection or
// the server is a retriable error, what was committed before it counted.
//
// Records are mapped (JSON decoded and converted, the sink's own costly
// part) by a background goroutine running ahead of the writer, so the
// server writes a transaction's first records while the rest are mapped
// (see writePieces and streamAppends).
func (s *Sink) Write(ctx context.Context, records []sdk.Record) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.offsets != nil && s.offsets.stale {
		if err := s.loadOffsets(ctx); err != nil {
			return 0, err
		}
	}
	if err := s.resolve(ctx, records); err != nil {
		return 0, err
	}
	m := s.startMapping(records)
	defer m.stop()
	done := 0
	for done < len(records) {
		end := min(done+s.cfg.BatchSize, len(records))
		n, err := s.writeChunk(ctx, records, done, end, m)
		done += n
		if err != nil {
			var bad *sdk.RecordError
			if errors.As(err, &bad) {
				bad.Index = done
			}
			return done, err
		}
	}
	return done, nil
}

func (s *Sink) loadOffsets(ctx context.Context) error {
	wctx, cancel := context.WithTimeout(ctx, s.cfg.WriteTimeout)
	defer cancel()
	conn, err := s.connect(wctx)
	if err != nil {
		return s.fault(ctx, fmt.Errorf("connect: %w", err))
	}
	if err := s.offsets.load(wctx, conn); err != nil {
		return s.fault(ctx, err)
	}
	return nil
}

// resolve finds every record's table (reading catalogs where needed);
// records already written, by the stored offsets, get none.
func (s *Sink) resolve(ctx context.Context, records []sdk.Record) error {
	s.maps = slices.Grow(s.maps[:0], len(records))[:len(records)]
	for i := range s.maps {
		// The last Write's changes are done with: their slices are
		// mapped into again (MapInto).
		s.maps[i] = mapped{change: s.maps[i].change}
	}
	var last *table
	lastTopic := ""
	for i := range records {
		r := &records[i]
		if s.offsets != nil && s.offsets.written(r) {
			continue
		}
		if last == nil || r.Topic != lastTopic {
			t, err := s.tableFor(ctx, r.Topic)
			if err != nil {
				return err
			}
			last, lastTopic = t, r.Topic
		}
		s.maps[i].t = last
	}
	return nil
}

// mapping is the background mapper of one Write.
type mapping struct {
	records []sdk.Record
	ready   int      // records [0, ready) are mapped, as the writer knows
	pieces  chan int // ends of mapped pieces, in order; closed when the mapper ends
	halt    atomic.Bool
	wg      sync.WaitGroup
}

func (s *Sink) startMapping(records []sdk.Record) *mapping {
	m := &mapping{records: records, pieces: make(chan int, len(records)/mapPiece+1)}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		defer close(m.pieces)
		for lo := 0; lo < len(records); lo += mapPiece {
			if m.halt.Load() {
				return
			}
			hi := min(lo+mapPiece, len(records))
			s.mapRange(records, lo, hi)
			m.pieces <- hi
		}
	}()
	return m
}

// upTo waits until records [0, hi) are mapped, mapping them itself (a
// piece at least) when the background mapper was stopped before.
func (s *Sink) upTo(m *mapping, hi int) {
	for m.ready < hi {
		end, ok := <-m.pieces
		if !ok {
			end = max(hi, min(m.ready+mapPiece, len(m.records)))
			s.mapRange(m.records, m.ready, end)
		}
		m.ready = end
	}
}

// mappedTo waits until records [0, want) are mapped and returns how far,
// up to hi, they are mapped by then, without waiting for more.
func (s *Sink) mappedTo(m *mapping, want, hi int) int {
	s.upTo(m, want)
	for m.ready < hi {
		select {
		case end, ok := <-m.pieces:
			if !ok {
				return m.ready // stopped: upTo maps the rest when asked
			}
			m.ready = end
		default:
			return m.ready
		}
	}
	return hi
}

// stop ends the background mapper and waits for it: the writer then owns
// the tables again (to read a catalog anew) and maps what remains itself.
func (m *mapping) stop() {
	m.halt.Store(true)
	m.wg.Wait()
	for end := range m.pieces {
		m.ready = end
	}
}

// mapRange maps records [lo, hi) that have a table, on several cores (a
// row.Mapper only reads its configuration).
func (s *Sink) mapRange(records []sdk.Record, lo, hi int) {
	work := func(lo, hi int) {
		for i := lo; i < hi; i++ {
			if m := &s.maps[i]; m.t != nil {
				m.change, m.ok, m.err = m.t.mapper.MapInto(&records[i], m.change)
			}
		}
	}
	workers := min(runtime.GOMAXPROCS(0), 8)
	if hi-lo < 64 || workers < 2 {
		work(lo, hi)
		return
	}
	per := (hi - lo + workers - 1) / workers
	var wg sync.WaitGroup
	for a := lo; a < hi; a += per {
		wg.Go(func() { work(a, min(a+per, hi)) })
	}
	wg.Wait()
}

// writeChunk writes records [lo, hi) in one transaction and returns how
// many leading ones are written; the error is a *sdk.RecordError (its
// Index relative to lo) or a fault. It ends short without an error before
// a record its table refused when the table's catalog is due to be read
// again: the next call, starting at that record, reads the catalog
// outside any transaction, in case the column the record needs was just
// added.
func (s *Sink) writeChunk(ctx context.Context, records []sdk.Record, lo, hi int, m *mapping) (int, error) {
	write := s.writePieces
	if s.settings.mode == row.ModeAppend {
		write = s.streamAppends
	}
	for attempt := 0; ; attempt++ {
		n, refused, err := write(ctx, records, lo, hi, m)
		switch {
		case err == nil:
		case classify(err) == faultSchema && attempt == 0:
			// A column or the table went away: read the catalogs and
			// map the records again.
			m.stop()
			for _, t := range slices.Clone(s.touched) {
				if err := s.reload(ctx, t); err != nil {
					return 0, err
				}
			}
			m.ready = lo
			continue
		case classify(err) == faultData:
			k, err := s.oneByOne(ctx, records[lo:lo+n], s.maps[lo:lo+n])
			if err != nil || k < n {
				return k, err
			}
		default:
			return 0, s.fault(ctx, err)
		}
		if refused == nil {
			return n, nil
		}
		if t := s.maps[lo+n].t; time.Since(t.loadedAt) >= remapGuard {
			if n > 0 {
				return n, nil
			}
			m.stop()
			if err := s.reload(ctx, t); err != nil {
				return 0, err
			}
			m.ready = lo
			continue
		}
		return n, &sdk.RecordError{Index: n, Err: refused}
	}
}

// firstPiece is how many records the first statements of a transaction of
// upserts carry when it has more: the server writes them while the mapper
// maps the rest, which the next statements carry. Writing only once the
// whole chunk was mapped left the server idle for that time, which cost
// more than the statements one more piece takes.
const firstPiece = 512

// writePieces writes records [lo, hi) up to the first that cannot be
// written in one transaction, in two pieces (see firstPiece), with the
// offsets when the sink keeps them. It returns how many leading records it
// wrote (took into the transaction, when err is set) and why record lo+n
// cannot be written. The tables written are left in s.touched.
func (s *Sink) writePieces(ctx context.Context, records []sdk.Record, lo, hi int, m *mapping) (n int, refused error, err error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.WriteTimeout)
	defer cancel()
	s.resetBatches()
	var tx pgx.Tx
	at := lo
	for _, end := range [2]int{min(lo+firstPiece, hi), hi} {
		if refused != nil || at == end {
			break
		}
		s.upTo(m, end)
		if at, refused = s.batch(at, end); !s.pending() {
			continue
		}
		if tx == nil {
			if tx, err = s.begin(ctx); err != nil {
				return at - lo, nil, err
			}
		}
		if err = s.execBatches(ctx, tx); err != nil {
			s.rollback(tx)
			return at - lo, nil, err
		}
	}
	return at - lo, refused, s.commit(ctx, tx, records[lo:at])
}

// batch adds the mapped records [at, end) to their tables' batches, up to
// the first that cannot be written: it returns where it stopped, and why
// that record cannot be written.
func (s *Sink) batch(at, end int) (int, error) {
	for ; at < end; at++ {
		mp := &s.maps[at]
		if mp.err != nil {
			return at, fmt.Errorf("table %s: %w", mp.t.name, mp.err)
		}
		if mp.t == nil || !mp.ok {
			continue
		}
		if mp.t.batch.Added() == 0 {
			s.touch(mp.t)
		}
		mp.t.batch.Add(mp.change)
	}
	return end, nil
}

// touch lists a table as written in the transaction.
func (s *Sink) touch(t *table) {
	if !slices.Contains(s.touched, t) {
		s.touched = append(s.touched, t)
	}
}

// pending reports whether a batch holds rows.
func (s *Sink) pending() bool {
	return slices.ContainsFunc(s.touched, func(t *table) bool { return t.batch.Added() > 0 })
}

// execBatches runs the statements of the batches in tx and empties them;
// s.touched keeps their tables.
func (s *Sink) execBatches(ctx context.Context, tx pgx.Tx) error {
	for _, t := range s.touched {
		if t.batch.Added() == 0 {
			continue
		}
		for _, g := range t.batch.Groups() {
			if err := t.exec(ctx, tx, g, false); err != nil {
				return fmt.Errorf("write to %s: %w", t.name, err)
			}
		}
		t.batch.Reset()
	}
	return nil
}

func (s *Sink) resetBatches() {
	for _, t := range s.touched {
		t.batch.Reset()
	}
	s.touched = s.touched[:0]
}

// commit commits tx with the next offsets after records when the sink
// keeps them, in a transaction of their own when tx is nil (the records
// changed nothing); without either it has nothing to do.
func (s *Sink) commit(ctx context.Context, tx pgx.Tx, records []sdk.Record) error {
	if tx == nil {
		if s.offsets == nil || len(records) == 0 {
			return nil
		}
		var err error
		if tx, err = s.begin(ctx); err != nil {
			return err
		}
	}
	var next map[sdk.TopicPartition]int64
	if s.offsets != nil {
		next = advance(records)
		if err := s.offsets.save(ctx, tx, next); err != nil {
			s.rollback(tx)
			return err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	if s.offsets != nil {
		s.offsets.committed(next)
	}
	return nil
}

// begin starts a transaction, on a new connection when the one it has
// turns out to be gone (the server ended an idle session, say): nothing
// was written on it, so that needs no retry by the runtime.
func (s *Sink) begin(ctx context.Context) (pgx.Tx, error) {
	conn, err := s.connect(ctx)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	tx, err := conn.Begin(ctx)
	if err == nil || ctx.Err() != nil || !conn.IsClosed() {
		return tx, err
	}
	s.dropConn()
	if conn, err = s.connect(ctx); err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	return conn.Begin(ctx)
}

// rollback ends a failed transaction; a connection that cannot roll back
// is closed, which rolls back too.
func (s *Sink) rollback(tx pgx.Tx) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := tx.Rollback(ctx); err != nil && !errors.Is(err, pgx.ErrTxClosed) {
		s.dropConn()
	}
}

// oneByOne writes records that failed together on some record's data
// again, one by one in record order, each under a savepoint, to find that
// record: the records before it are committed and it is returned as a
// *sdk.RecordError. No row is skipped silently: when no record fails
// alone, all are written.
func (s *Sink) oneByOne(ctx context.Context, records []sdk.Record, maps []mapped) (int, error) {
	wctx, cancel := context.WithTimeout(ctx, s.cfg.WriteTimeout)
	defer cancel()
	tx, err := s.begin(wctx)
	if err != nil {
		return 0, s.fault(ctx, err)
	}
	finish := func(applied int) error {
		var next map[sdk.TopicPartition]int64
		if s.offsets != nil {
			next = advance(records[:applied])
			if err := s.offsets.save(wctx, tx, next); err != nil {
				s.rollback(tx)
				return s.fault(ctx, err)
			}
		}
		if err := tx.Commit(wctx); err != nil {
			return s.fault(ctx, fmt.Errorf("commit: %w", err))
		}
		if s.offsets != nil {
			s.offsets.committed(next)
		}
		return nil
	}
	for i := range records {
		m := &maps[i]
		if m.t == nil || !m.ok {
			continue
		}
		// Mapped again: the batch merged later records of a key into the
		// first one's change.
		c, ok, err := m.t.mapper.Map(&records[i])
		if err != nil || !ok {
			continue // cannot happen: it mapped the same way before
		}
		m.t.single.Reset()
		m.t.single.Add(c)
		sp, err := tx.Begin(wctx)
		if err != nil {
			s.rollback(tx)
			return 0, s.fault(ctx, err)
		}
		for _, g := range m.t.single.Groups() {
			if err = m.t.exec(wctx, sp, g, true); err != nil {
				break
			}
		}
		if err == nil {
			err = sp.Commit(wctx)
		}
		if err == nil {
			continue
		}
		if classify(err) != faultData {
			s.rollback(tx)
			return 0, s.fault(ctx, fmt.Errorf("write to %s: %w", m.t.name, err))
		}
		if rerr := sp.Rollback(wctx); rerr != nil {
			s.rollback(tx)
			return 0, s.fault(ctx, rerr)
		}
		if err := finish(i); err != nil {
			return 0, err
		}
		return i, &sdk.RecordError{Index: i, Err: newDBError(m.t.name, err)}
	}
	if err := finish(len(records)); err != nil {
		return 0, err
	}
	return len(records), nil
}
