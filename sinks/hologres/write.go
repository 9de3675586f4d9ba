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
// part) by a background goroutine running ahead of the writer, so the next
// transaction's records are ready while the database works on this one.
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
	clear(s.maps)
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

// upTo waits until records [0, hi) are mapped, mapping them itself when
// the background mapper was stopped before.
func (s *Sink) upTo(m *mapping, hi int) {
	for m.ready < hi {
		end, ok := <-m.pieces
		if !ok {
			s.mapRange(m.records, m.ready, hi)
			m.ready = hi
			return
		}
		m.ready = end
	}
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
				m.change, m.ok, m.err = m.t.mapper.Map(&records[i])
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
// Index relative to lo) or a fault.
func (s *Sink) writeChunk(ctx context.Context, records []sdk.Record, lo, hi int, m *mapping) (int, error) {
	for attempt := 0; ; attempt++ {
		n, bad, err := s.prepare(ctx, lo, hi, m)
		if err != nil {
			return 0, err
		}
		if n > 0 {
			touched := slices.Clone(s.touched)
			err := s.commit(ctx, records[lo:lo+n])
			switch {
			case err == nil:
			case classify(err) == faultSchema && attempt == 0:
				// A column or the table went away: read the catalogs and
				// map the records again.
				m.stop()
				for _, t := range touched {
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
		}
		if bad != nil {
			return n, &sdk.RecordError{Index: n, Err: bad}
		}
		return n, nil
	}
}

// prepare fills the tables' batches with records [lo, hi) up to the first
// one that cannot be written (n of them); bad says why that one cannot. A
// refused record makes the sink read its table's catalog again once, in
// case a column was just added.
func (s *Sink) prepare(ctx context.Context, lo, hi int, m *mapping) (n int, bad error, err error) {
	s.resetBatches()
	s.upTo(m, hi)
	first := func() int {
		for i := lo; i < hi; i++ {
			if s.maps[i].err != nil {
				return i
			}
		}
		return hi
	}
	i := first()
	if i < hi && time.Since(s.maps[i].t.loadedAt) >= remapGuard {
		m.stop()
		if err := s.reload(ctx, s.maps[i].t); err != nil {
			return 0, nil, err
		}
		m.ready = lo
		s.upTo(m, hi)
		i = first()
	}
	if i < hi {
		bad = fmt.Errorf("table %s: %w", s.maps[i].t.name, s.maps[i].err)
	}
	for k := lo; k < i; k++ {
		mp := &s.maps[k]
		if mp.t == nil || !mp.ok {
			continue
		}
		if mp.t.batch.Added() == 0 {
			s.touched = append(s.touched, mp.t)
		}
		mp.t.batch.Add(mp.change)
	}
	return i - lo, bad, nil
}

func (s *Sink) resetBatches() {
	for _, t := range s.touched {
		t.batch.Reset()
	}
	s.touched = s.touched[:0]
}

// commit writes the filled batches, and the offsets when the sink keeps
// them, in one transaction.
func (s *Sink) commit(ctx context.Context, records []sdk.Record) error {
	defer s.resetBatches()
	if len(s.touched) == 0 && s.offsets == nil {
		return nil // only records that change nothing
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.WriteTimeout)
	defer cancel()
	tx, err := s.begin(ctx)
	if err != nil {
		return err
	}
	for _, t := range s.touched {
		for _, g := range t.batch.Groups() {
			if err := t.exec(ctx, tx, g, false); err != nil {
				s.rollback(tx)
				return fmt.Errorf("write to %s: %w", t.name, err)
			}
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
