package rds

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/sinks/row"
)

// chunk is a piece of records read into per-table batches, ready to be
// written. Two alternate, so one is read while the other is written.
type chunk struct {
	start, end int
	// err is the RecordError of the record at end, which ends the chunk
	// early.
	err     error
	batches map[*table]*row.Batch
	// touched lists the tables with rows, in order of first use, and
	// groups their batches' groups, sorted: worked out on the reading
	// goroutine, which the server does not wait for.
	touched []*table
	groups  [][]row.Group
	mapped  []mapped
}

// read fills the chunk from records [start, end), up to the first record
// that cannot be written. It uses nothing the writing goroutine changes:
// the tables' mappers are read-only. Records are mapped on every core,
// then added to the batches in order.
func (ch *chunk) read(s *Sink, records []sdk.Record, start, end, rowLimit int) {
	ch.reset()
	ch.start, ch.end, ch.err = start, end, nil
	if ch.batches == nil {
		ch.batches = map[*table]*row.Batch{}
	}
	n := ch.end - start
	if cap(ch.mapped) < n {
		ch.mapped = make([]mapped, n)
	}
	ch.mapped = ch.mapped[:n]
	mapRange := func(from, to int) {
		for i := from; i < to; i++ {
			t, m := s.recTables[i], &ch.mapped[i-start]
			m.change, m.ok, m.err = t.mapper.MapInto(&records[i], m.change)
			if m.err == nil && m.ok {
				m.err = checkRowSize(t, m.change, rowLimit)
			}
			if m.err != nil {
				return // the records after it are not needed now
			}
		}
	}
	workers := min(runtime.GOMAXPROCS(0), n/minPerWorker)
	if workers <= 1 {
		mapRange(start, ch.end)
	} else {
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() { mapRange(start+n*w/workers, start+n*(w+1)/workers) })
		}
		wg.Wait()
	}
	for i := start; i < ch.end; i++ {
		t, m := s.recTables[i], &ch.mapped[i-start]
		if m.err != nil {
			ch.end, ch.err = i, &sdk.RecordError{Index: i, Err: fmt.Errorf("table %s: %w", t.quoted, m.err)}
			break
		}
		if !m.ok {
			t.skipped.Add(1)
			continue
		}
		b := ch.batches[t]
		if b == nil {
			b = row.NewBatch(s.batchMode(), t.key)
			ch.batches[t] = b
		}
		if b.Added() == 0 {
			ch.touched = append(ch.touched, t)
		}
		b.Add(m.change)
	}
	for _, t := range ch.touched {
		groups := ch.batches[t].Groups()
		sortGroups(t, groups)
		ch.groups = append(ch.groups, groups)
	}
	for i := range ch.mapped {
		// The batches hold the changes until the chunk is written; the
		// chunk's next read maps into their slices again (MapInto).
		ch.mapped[i] = mapped{change: ch.mapped[i].change}
	}
}

// minPerWorker is the fewest records worth a goroutine of their own.
const minPerWorker = 128

// mapped is one record read against its table.
type mapped struct {
	change row.Change
	ok     bool
	err    error
}

// reset empties the chunk's batches for reuse; start, end and err stay.
func (ch *chunk) reset() {
	for _, t := range ch.touched {
		ch.batches[t].Reset()
	}
	ch.touched = ch.touched[:0]
	clear(ch.groups)
	ch.groups = ch.groups[:0]
}

// forget drops batches of tables whose catalog is read again.
func (ch *chunk) forget(tables []*table) {
	for _, t := range tables {
		delete(ch.batches, t)
	}
}
