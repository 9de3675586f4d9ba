package applog

import (
	"errors"
	"slices"
	"sync"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// Outcomes of a request that are not an acknowledgement.
var (
	errStopped  = errors.New("the task is not running")
	errFull     = errors.New("too many events are waiting for Kafka")
	errTooLarge = errors.New("the request alone exceeds max.pending.events or max.pending.bytes")
)

// request is the part of one HTTP request that waits for Kafka: its
// records, and the channel its handler learns the outcome from.
type request struct {
	recs   []sdk.Record // records not handed to Read yet
	seq    int64        // sequence number of the request, in every record's position
	events int          // counted against inbox.maxEvents
	bytes  int64        // counted against inbox.maxBytes
	done   chan error   // gets nil once every record is acknowledged, or why not; buffered
	ended  bool         // the outcome is decided (done was sent, or the handler gave up)
}

// inbox holds the records of requests between their handler and Kafka's
// acknowledgement, bounded in events and bytes. Requests get increasing
// sequence numbers in arrival order, and Read hands their records out in
// that order, so an acknowledgement of seq N covers every request numbered
// at most N that was handed out whole. (A request split over two reads is
// still queued after the first: the ack of that read leaves it waiting.)
type inbox struct {
	partition map[string]any // of every record's position; shared, read-only
	maxEvents int
	maxBytes  int64

	mu       sync.Mutex
	seq      int64      // last seq given out
	queued   []*request // with records not handed to Read yet, in seq order
	inflight []*request // handed to Read whole, waiting for the ack, in seq order
	events   int
	bytes    int64
	stopped  bool

	wake chan struct{} // poked when records are queued; one reader
}

func newInbox(partition map[string]any, firstSeq int64, maxEvents int, maxBytes int64) *inbox {
	return &inbox{
		partition: partition, maxEvents: maxEvents, maxBytes: maxBytes, seq: firstSeq - 1,
		wake: make(chan struct{}, 1),
	}
}

// put queues recs, which must not be empty, giving them their position, and
// returns the request to wait on. size is the memory the records hold.
// errFull, errTooLarge and errStopped say why not.
func (in *inbox) put(recs []sdk.Record, size int64) (*request, error) {
	if len(recs) > in.maxEvents || size > in.maxBytes {
		return nil, errTooLarge
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.stopped {
		return nil, errStopped
	}
	if in.events+len(recs) > in.maxEvents || in.bytes+size > in.maxBytes {
		return nil, errFull
	}
	// One position for all records of the request: acknowledging it
	// settles the request only once Read handed out all of them.
	in.seq++
	pos := sdk.Position{Partition: in.partition, Offset: map[string]any{offsetKeySeq: in.seq}}
	for i := range recs {
		recs[i].Position = pos
	}
	req := &request{recs: recs, seq: in.seq, events: len(recs), bytes: size, done: make(chan error, 1)}
	in.events += req.events
	in.bytes += req.bytes
	in.queued = append(in.queued, req)
	select {
	case in.wake <- struct{}{}:
	default:
	}
	return req, nil
}

// room reports whether a request of events and size bytes would be taken
// now, with put's errors; put checks again.
func (in *inbox) room(events int, size int64) error {
	if events > in.maxEvents || size > in.maxBytes {
		return errTooLarge
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.stopped {
		return errStopped
	}
	if in.events+events > in.maxEvents || in.bytes+size > in.maxBytes {
		return errFull
	}
	return nil
}

// take hands out up to n queued records, oldest first, merging requests and
// splitting one that has more.
func (in *inbox) take(n int) []sdk.Record {
	in.mu.Lock()
	defer in.mu.Unlock()
	var out []sdk.Record
	for len(in.queued) > 0 && len(out) < n {
		req := in.queued[0]
		k := min(n-len(out), len(req.recs))
		if out == nil {
			out = make([]sdk.Record, 0, min(n, in.events))
		}
		out = append(out, req.recs[:k]...)
		req.recs = req.recs[k:]
		if len(req.recs) == 0 {
			req.recs = nil
			in.queued[0] = nil
			in.queued = in.queued[1:]
			in.inflight = append(in.inflight, req)
		}
	}
	return out
}

// ack ends, successfully, every request handed out whole up to seq.
func (in *inbox) ack(seq int64) {
	in.mu.Lock()
	defer in.mu.Unlock()
	n := 0
	for n < len(in.inflight) && in.inflight[n].seq <= seq {
		in.end(in.inflight[n], nil)
		n++
	}
	in.inflight = slices.Delete(in.inflight, 0, n)
}

// abandon gives up on req, whose handler stops waiting. Its records not
// handed to Read yet are dropped, so a client retrying after a timeout does
// not also get them delivered from here. It reports false when the outcome
// was already decided: then it is on req.done.
func (in *inbox) abandon(req *request) bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	if req.ended {
		return false
	}
	if i := slices.Index(in.queued, req); i >= 0 {
		in.queued = slices.Delete(in.queued, i, i+1)
	} else if i := slices.Index(in.inflight, req); i >= 0 {
		in.inflight = slices.Delete(in.inflight, i, i+1)
	}
	req.recs = nil
	in.release(req)
	req.ended = true
	return true
}

// stop ends every request with errStopped and refuses new ones.
func (in *inbox) stop() {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.stopped = true
	for _, req := range in.queued {
		req.recs = nil
		in.end(req, errStopped)
	}
	for _, req := range in.inflight {
		in.end(req, errStopped)
	}
	in.queued, in.inflight = nil, nil
}

// isStopped reports whether stop was called.
func (in *inbox) isStopped() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.stopped
}

// pending returns the events and bytes held.
func (in *inbox) pending() (int, int64) {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.events, in.bytes
}

// end decides req's outcome; in.mu is held.
func (in *inbox) end(req *request, err error) {
	in.release(req)
	req.ended = true
	req.done <- err
}

// release returns req's share of the bounds; in.mu is held.
func (in *inbox) release(req *request) {
	in.events -= req.events
	in.bytes -= req.bytes
	req.events, req.bytes = 0, 0
}
