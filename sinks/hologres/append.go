package hologres

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// Appends (insert.mode=insert) stream their rows into COPY as the mapper
// maps them, so that the server stores the first rows of a chunk while the
// client still reads the next: a COPY started only once the whole chunk
// was mapped kept the server idle for that time, which cost a fifth of the
// rate. The stream carries the rows of one table and one set of columns,
// those of the first record COPY can take; the chunk's other records go to
// their tables' batches, written after it in the same transaction (as
// groups of a batch, appends of different columns are written one set
// after the other anyway).

// streamAppends writes records [lo, hi) up to the first that cannot be
// written in one transaction: the stream's COPY, then the batches, then the
// offsets. It returns like writePieces.
func (s *Sink) streamAppends(ctx context.Context, records []sdk.Record, lo, hi int, m *mapping) (n int, refused error, err error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.WriteTimeout)
	defer cancel()
	s.resetBatches()
	st := &s.stream
	st.reset(s, m, lo, hi)
	defer st.reset(nil, nil, 0, 0) // holds no records past the Write
	// Records up to the first COPY can stream go to the batches.
	for st.t == nil && st.at < st.hi {
		st.route(s.mappedTo(m, st.at+1, st.hi))
	}
	var tx pgx.Tx
	if st.t != nil {
		if tx, err = s.begin(ctx); err != nil {
			return st.at - lo, nil, err
		}
		s.touch(st.t)
		sql := "COPY " + st.t.name.String() + " " + st.t.columnList(st.cols) + " FROM STDIN BINARY"
		if _, err = tx.Conn().PgConn().CopyFrom(ctx, st, sql); err != nil {
			s.rollback(tx)
			return st.at - lo, nil, fmt.Errorf("write to %s: %w", st.t.name, err)
		}
	}
	n, refused = st.at-lo, st.refused
	if tx == nil && s.pending() {
		if tx, err = s.begin(ctx); err != nil {
			return n, nil, err
		}
	}
	if tx != nil {
		if err = s.execBatches(ctx, tx); err != nil {
			s.rollback(tx)
			return n, nil, err
		}
	}
	return n, refused, s.commit(ctx, tx, records[lo:lo+n])
}

// copyStream is the binary COPY data of a chunk of appends, which pgconn
// reads (on a goroutine of its own, while the writer waits for CopyFrom)
// as the mapper maps the records.
type copyStream struct {
	s       *Sink
	m       *mapping
	at, hi  int   // records [at, hi) are still to be read
	refused error // why record at cannot be written; the stream ends there
	// The stream's table and columns (indexes into t.cols), and their
	// binary types.
	t     *table
	cols  []int
	types []binaryType
	// buf holds encoded rows from off on; ended is set once the trailer
	// is in it.
	buf   []byte
	off   int
	ended bool
}

// reset readies the stream for records [lo, hi), keeping its buffers.
func (c *copyStream) reset(s *Sink, m *mapping, lo, hi int) {
	*c = copyStream{s: s, m: m, at: lo, hi: hi, cols: c.cols[:0], types: c.types[:0], buf: c.buf[:0]}
}

func (c *copyStream) Read(p []byte) (int, error) {
	for c.off == len(c.buf) {
		if c.ended {
			return 0, io.EOF
		}
		c.buf, c.off = c.buf[:0], 0
		if c.at < c.hi {
			c.route(c.s.mappedTo(c.m, c.at+1, c.hi))
		}
		if c.at == c.hi {
			c.buf, c.ended = appendCopyEnd(c.buf), true
		}
	}
	n := copy(p, c.buf[c.off:])
	c.off += n
	return n, nil
}

// route reads mapped records [c.at, end): those of the stream's table and
// columns are encoded into c.buf, the others added to their tables'
// batches. The first record COPY can take, when there is no stream yet,
// starts it. A record that cannot be written ends the stream before it.
func (c *copyStream) route(end int) {
	s := c.s
	for ; c.at < end; c.at++ {
		mp := &s.maps[c.at]
		if mp.err != nil {
			c.refused = fmt.Errorf("table %s: %w", mp.t.name, mp.err)
			c.hi = c.at
			return
		}
		if mp.t == nil || !mp.ok {
			continue
		}
		if c.t == nil && mp.t.copyOK {
			c.start(mp.t, mp.change.Present)
		}
		if mp.t == c.t && c.carries(mp.change.Present) && c.encode(mp.change.Values) {
			continue
		}
		// Another table or other columns, or a value COPY cannot carry
		// (which the batch's own COPY then sends through INSERT).
		if mp.t.batch.Added() == 0 {
			s.touch(mp.t)
		}
		mp.t.batch.Add(mp.change)
	}
}

func (c *copyStream) start(t *table, present []bool) {
	c.t = t
	for j, p := range present {
		if p {
			c.cols = append(c.cols, j)
			c.types = append(c.types, copyTypes[t.cols[j].base])
		}
	}
	c.buf = append(c.buf, copyHeader...)
}

// carries reports whether a row with these columns present fits the
// stream.
func (c *copyStream) carries(present []bool) bool {
	k := 0
	for j, p := range present {
		if p {
			if k == len(c.cols) || c.cols[k] != j {
				return false
			}
			k++
		}
	}
	return k == len(c.cols)
}

// encode appends a row to the stream, or reports that a value cannot be
// encoded, leaving the stream as it was.
func (c *copyStream) encode(values []any) bool {
	mark := len(c.buf)
	c.buf = binary.BigEndian.AppendUint16(c.buf, uint16(len(c.cols)))
	for k, j := range c.cols {
		var ok bool
		if c.buf, ok = appendValue(c.buf, c.types[k], values[j]); !ok {
			c.buf = c.buf[:mark]
			return false
		}
	}
	return true
}
