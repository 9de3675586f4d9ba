package hbase

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/tsuna/gohbase"
	"github.com/tsuna/gohbase/hrpc"
	"github.com/tsuna/gohbase/region"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// rowID names a row across tables.
type rowID struct{ table, row string }

// rowChange is what a batch does to one row once its records are folded in
// order: whether the row's cells are deleted first, then which cells are put.
type rowChange struct {
	id    rowID
	del   bool
	cells map[string][]byte // nil: no put
}

// fold collapses the mutations of a batch to one change per row, keeping
// what sending them one by one would leave: a delete drops the puts before
// it, later puts overwrite the cells of earlier ones. A delete followed by
// a put stays a delete then a put, so the row holds exactly the put's cells.
// Rows keep the order in which they first appear.
func fold(muts []*mutation) []*rowChange {
	var rows []*rowChange
	byID := make(map[rowID]*rowChange, len(muts))
	for _, m := range muts {
		if m == nil {
			continue
		}
		id := rowID{m.table, m.row}
		rc := byID[id]
		if rc == nil {
			rc = &rowChange{id: id}
			byID[id] = rc
			rows = append(rows, rc)
		}
		if m.del {
			rc.del, rc.cells = true, nil
			continue
		}
		if rc.cells == nil {
			rc.cells = make(map[string][]byte, len(m.cells))
		}
		maps.Copy(rc.cells, m.cells)
	}
	return rows
}

// send writes one batch: first every delete, then every put, each phase as
// one gohbase SendBatch per table (which groups the calls per region
// server and retries region moves itself), the tables in parallel.
func (s *Sink) send(ctx context.Context, muts []*mutation) error {
	rows := fold(muts)
	var dels, puts []*rowChange
	for _, rc := range rows {
		if rc.del {
			dels = append(dels, rc)
		}
		if rc.cells != nil {
			puts = append(puts, rc)
		}
	}
	if len(dels) > 0 {
		err := s.phase(ctx, "delete", dels, func(ctx context.Context, rc *rowChange) (hrpc.Call, error) {
			// Only the sink's column family: other families of the
			// table may belong to other writers.
			return hrpc.NewDelStr(ctx, rc.id.table, rc.id.row, map[string]map[string][]byte{s.cfg.Family: nil})
		})
		if err != nil {
			return err
		}
		s.lastDelete = time.Now()
	}
	if len(puts) > 0 {
		if wait := time.Until(s.lastDelete.Add(deleteGap)); wait > 0 {
			if err := s.sleep(ctx, wait); err != nil {
				return err
			}
		}
		return s.phase(ctx, "put", puts, func(ctx context.Context, rc *rowChange) (hrpc.Call, error) {
			return hrpc.NewPutStr(ctx, rc.id.table, rc.id.row, map[string]map[string][]byte{s.cfg.Family: rc.cells})
		})
	}
	return nil
}

// failure is one failed call of a phase.
type failure struct {
	id  rowID
	err error
}

// phase sends one call per row, grouped per table, and waits for all of
// them or write.timeout.ms: gohbase retries a call until it succeeds, fails
// for good or its context ends, so the deadline is what turns an unreachable
// cluster into an error.
func (s *Sink) phase(ctx context.Context, kind string, rows []*rowChange,
	build func(context.Context, *rowChange) (hrpc.Call, error)) error {
	pctx, cancel := context.WithTimeout(ctx, s.cfg.WriteTimeout)
	defer cancel()

	var tables []string
	byTable := map[string][]hrpc.Call{}
	ids := map[string][]rowID{}
	for _, rc := range rows {
		call, err := build(pctx, rc)
		if err != nil {
			return fmt.Errorf("hbase sink: %s %q row %q: %w", kind, rc.id.table, rc.id.row, err)
		}
		t := rc.id.table
		if _, ok := byTable[t]; !ok {
			tables = append(tables, t)
		}
		byTable[t] = append(byTable[t], call)
		ids[t] = append(ids[t], rc.id)
	}

	results := make([][]hrpc.RPCResult, len(tables))
	var wg sync.WaitGroup
	for i, t := range tables {
		wg.Go(func() {
			res, allOK := s.client.SendBatch(pctx, byTable[t])
			if !allOK {
				results[i] = res
			}
		})
	}
	wg.Wait()

	var failed []failure
	for i, t := range tables {
		for j, r := range results[i] {
			if r.Error != nil {
				failed = append(failed, failure{id: ids[t][j], err: r.Error})
			}
		}
	}
	if len(failed) == 0 {
		return nil
	}
	if ctx.Err() != nil {
		// The task is stopping; the runtime expects its context's error.
		return ctx.Err()
	}
	return phaseError(kind, len(rows), failed)
}

// phaseError reports the failures of a phase as one error: retriable when
// every failure is a fault that may pass (a timeout, a connection, a region
// in transit), fatal otherwise, naming the first fatal failure.
func phaseError(kind string, total int, failed []failure) error {
	first := -1
	allRetriable := true
	for i, f := range failed {
		if errors.Is(f.err, gohbase.NotExecutedError) {
			continue // it names no fault of its own, only that another call failed
		}
		if !retriable(f.err) {
			if allRetriable {
				first = i
			}
			allRetriable = false
		} else if first < 0 {
			first = i
		}
	}
	if first < 0 {
		first = 0
	}
	f := failed[first]
	cause := f.err
	if errors.Is(cause, gohbase.TableNotFound) {
		cause = fmt.Errorf("%w: create table %q with the column family of column.family", cause, f.id.table)
	}
	err := fmt.Errorf("hbase sink: %d of %d %ss failed; table %q row %q: %w", len(failed), total, kind, f.id.table, f.id.row, cause)
	if allRetriable {
		return sdk.Retriable(err)
	}
	return err
}

// retriable reports faults that a later attempt may not meet. gohbase has
// already retried region moves and busy servers until the deadline; what
// reaches here is the deadline itself, a lost connection or a server that
// is stopping.
func retriable(err error) bool {
	var (
		retryable  region.RetryableError
		server     region.ServerError
		notServing region.NotServingRegionError
		netErr     net.Error
	)
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return true
	case errors.As(err, &retryable), errors.As(err, &server), errors.As(err, &notServing):
		return true
	case errors.Is(err, gohbase.ErrCannotFindRegion):
		return true
	case errors.As(err, &netErr):
		return true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return true
	}
	return false
}
