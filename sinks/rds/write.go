package rds

import (
	"context"
	"fmt"
	"slices"

	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/sinks/row"
)

// A transaction is read and written in pieces: while the server writes
// one piece, the next is read. The first piece of a transaction is small,
// so that the server starts soon; the next ones are larger, as reading a
// record takes the client a fraction of the time the server takes to write
// it. Each piece costs a statement or so (see stmtRows): a transaction of
// 2000 records takes four rather than three.
const (
	firstPiece = 512
	piece      = 4096
)

// Write writes records in transactions of batch.size records, and returns
// how many leading records are committed. A record that can never be
// written is returned as a *sdk.RecordError after the records before it
// are committed; a passing fault as a Retriable error.
//
// Each piece of a transaction is merged by key on its own; its statements
// follow those of the pieces before, so a key in two pieces ends as one
// merge of the two would leave it.
func (s *Sink) Write(ctx context.Context, records []sdk.Record) (int, error) {
	if len(records) == 0 {
		return 0, nil
	}
	if err := s.connect(ctx); err != nil {
		return 0, err
	}
	cn := s.cn
	cn.arm(s.cfg.WriteTimeout)
	stop := cn.watch(ctx)
	defer func() {
		if !stop() && s.cn == cn {
			s.dropConn() // the watcher closed it
		}
	}()
	// Tables are found first, on this goroutine, since a table seen for the
	// first time needs the connection.
	limit, tableErr := s.resolveTables(records)
	if s.cn == nil {
		return 0, tableErr
	}
	rowLimit := s.rowLimit()
	// A piece ends at its size, the end of its transaction or of the
	// records.
	pieceEnd := func(start, txStart int) int {
		size := piece
		if start == txStart {
			size = firstPiece
		}
		return min(start+size, txStart+s.cfg.BatchSize, limit)
	}
	txStart := 0
	cur := &s.sets[0]
	cur.read(s, records, 0, pieceEnd(0, 0), rowLimit)
	for i := 1; ; i++ {
		// The transaction ends with this piece when it is full, at the end
		// of the records, or before a record that cannot be written.
		last := cur.err != nil || cur.end == limit || cur.end-txStart >= s.cfg.BatchSize
		nextTx := txStart
		if last {
			nextTx = cur.end
		}
		next := &s.sets[i%2]
		var reading chan struct{}
		if cur.err == nil && cur.end < limit {
			reading = make(chan struct{})
			go func() {
				defer close(reading)
				next.read(s, records, cur.end, pieceEnd(cur.end, nextTx), rowLimit)
			}()
		}
		err := s.writePiece(cur, last)
		if reading != nil {
			<-reading
		}
		if err != nil {
			n, err := s.chunkFailed(ctx, records, txStart, cur.end, err)
			if err != nil {
				next.reset()
				return n, err
			}
			nextTx = cur.end // written one by one and committed
		}
		switch {
		case cur.err != nil:
			next.reset()
			return cur.end, cur.err
		case cur.end == limit && tableErr != nil:
			return limit, tableErr
		case cur.end == limit:
			return limit, nil
		}
		txStart, cur = nextTx, next
	}
}

// resolveTables finds the table of every record, reading the catalogs of
// tables seen for the first time. It returns how many leading records have
// one, and why the next does not.
func (s *Sink) resolveTables(records []sdk.Record) (int, error) {
	s.recTables = s.recTables[:0]
	var last *table
	lastTopic := ""
	for i := range records {
		topic := records[i].Topic
		if last == nil || topic != lastTopic {
			t, err := s.tableFor(topic)
			if err != nil {
				return i, err
			}
			last, lastTopic = t, topic
		}
		s.recTables = append(s.recTables, last)
	}
	return len(records), nil
}

func checkRowSize(t *table, c row.Change, limit int) error {
	if size := rowBytes(c.Values); size > limit {
		return fmt.Errorf("a row of about %d bytes is larger than one statement may carry (%d, from the server's max_allowed_packet)", size, limit)
	}
	return nil
}

// mapRecord reads record i against its (resolved) table, on the writing
// goroutine.
func (s *Sink) mapRecord(r *sdk.Record, i int) (*table, row.Change, bool, error) {
	t := s.recTables[i]
	c, ok, err := t.mapper.Map(r)
	if err == nil && ok {
		err = checkRowSize(t, c, s.rowLimit())
	}
	if err != nil {
		return nil, row.Change{}, false, &sdk.RecordError{Index: i, Err: fmt.Errorf("table %s: %w", t.quoted, err)}
	}
	return t, c, ok, nil
}

// writePiece writes a piece's batches in the transaction, beginning it
// first if none is open, and commits it after the last piece; it empties
// the batches. A failed transaction is rolled back.
func (s *Sink) writePiece(ch *chunk, last bool) (err error) {
	defer ch.reset()
	if !s.inTx && len(ch.touched) > 0 {
		s.cn.arm(s.cfg.WriteTimeout)
		if err := s.cn.begin(); err != nil {
			return err
		}
		s.inTx = true
	}
	for i, t := range ch.touched {
		for _, g := range ch.groups[i] {
			if err := s.execGroup(t, g); err != nil {
				s.rollback()
				return err
			}
		}
	}
	if last && s.inTx {
		if err := s.cn.commit(); err != nil {
			s.rollback()
			return err
		}
		s.inTx = false
	}
	return nil
}

// rollback ends a failed transaction; a connection that cannot even do
// that is dropped (the server rolls back when it notices).
func (s *Sink) rollback() {
	s.inTx = false
	if s.cn != nil && s.cn.rollback() != nil {
		s.dropConn()
	}
}

// chunkFailed handles a chunk [start, end) whose transaction failed: a
// passing fault is returned as Retriable; a data error makes the records be
// written again one by one to find the one at fault.
func (s *Sink) chunkFailed(ctx context.Context, records []sdk.Record, start, end int, err error) (int, error) {
	if ctx.Err() != nil {
		s.dropConn()
		return start, fmt.Errorf("rds sink: interrupted: %w", ctx.Err())
	}
	if code, ok := serverCode(err); ok && (code == erBadFieldError || code == erNoSuchTable) {
		s.log.Warn("a table changed; reading its catalog again", "err", err)
		var tables []*table
		for _, t := range s.recTables[start:end] {
			if !slices.Contains(tables, t) {
				tables = append(tables, t)
			}
		}
		s.forget(tables)
	}
	switch {
	case classify(err) != faultData:
		return start, s.fault(err)
	case s.cn == nil:
		// The rollback lost the connection: try the chunk again later.
		return start, sdk.Retriable(fmt.Errorf("rds sink: %w (then the connection was lost)", err))
	}
	return s.writeOneByOne(records, start, end)
}

// writeOneByOne writes records [start, end) one at a time, in order, in one
// transaction, and commits those before the first the server refuses.
// Written one by one, records give the table the state their chunk would
// have, so the result is the same as had the chunk succeeded up to there.
func (s *Sink) writeOneByOne(records []sdk.Record, start, end int) (int, error) {
	s.cn.arm(s.cfg.WriteTimeout)
	if err := s.cn.begin(); err != nil {
		return start, s.fault(err)
	}
	for i := start; i < end; i++ {
		t, c, ok, err := s.mapRecord(&records[i], i)
		if err != nil {
			// It was read before; a table that changed since is read again.
			s.rollback()
			return start, err
		}
		if !ok {
			continue
		}
		t.batch.Add(c)
		for _, g := range t.batch.Groups() {
			if err = s.execGroup(t, g); err != nil {
				break
			}
		}
		t.batch.Reset()
		if err == nil {
			continue
		}
		if classify(err) != faultData {
			s.rollback()
			return start, s.fault(err)
		}
		if cerr := s.cn.commit(); cerr != nil {
			s.rollback()
			return start, s.fault(cerr)
		}
		return i, &sdk.RecordError{Index: i, Err: t.explain(err)}
	}
	if err := s.cn.commit(); err != nil {
		s.rollback()
		return start, s.fault(err)
	}
	return end, nil
}
