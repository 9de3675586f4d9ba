package pluginrpc

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/tributarydata/tributary/bus/record"
)

// The record stream carries the calls that carry records (Process, Write,
// Read) over a socket pair of their own, beside the gRPC connection that
// carries everything else. A batch of 2000 records is about a megabyte: gRPC
// cuts it into 16 KiB HTTP/2 frames, each passed between goroutines and
// copied into pooled buffers, which cost more per record than the cleaning
// jobs' own work. On the stream a call is one frame each way, written with
// one system call into memory that is reused from call to call.
//
// The host creates the pair and hands one end to the plugin process as an
// inherited file descriptor, named by StreamEnv; nothing is put in the file
// system and no other process can connect. The host then asks for the
// stream with the OpenStream call: a plugin built before the stream answers
// Unimplemented, and the host keeps using gRPC for every call.
//
// Frames (integers little-endian):
//
//	request:  uint32 length of the rest | uint8 method | int64 timeout in ns (0: none) | message
//	response: uint32 length of the rest | uint8 status | message, or the failure's text
//
// The message is the call's protobuf message, encoded as on gRPC. A failed
// status is what a gRPC error status is on the other path: the call broke
// the protocol (an instance not open, a message that does not decode), and
// the host ends the process's use.

// StreamEnv is the environment variable that gives a plugin process the
// number of the inherited file descriptor that is its end of the stream.
const StreamEnv = "TRIBUTARY_PLUGIN_STREAM_FD"

// Methods of the stream.
const (
	streamProcess byte = 1 + iota
	streamWrite
	streamRead
)

// Statuses of a response.
const (
	streamOK byte = iota
	streamFailed
)

const (
	requestHead  = 1 + 8 // method, timeout
	responseHead = 1     // status
	// maxFrame is the largest frame either side accepts: gRPC's limit on
	// the other path was the same. A longer one is a broken peer.
	maxFrame = math.MaxInt32
	// trustedFrame is the largest frame given its memory before it
	// arrives: 2000 records of 8 KiB.
	trustedFrame = 16 << 20
)

// readFrame reads one frame: its head (the bytes after the length) into
// head, its message into buf when buf can hold it, else into new memory.
func readFrame(r io.Reader, head []byte, buf []byte) ([]byte, error) {
	var length [4]byte
	if _, err := io.ReadFull(r, length[:]); err != nil {
		return nil, err
	}
	n := int64(binary.LittleEndian.Uint32(length[:]))
	if n < int64(len(head)) || n > maxFrame {
		return nil, fmt.Errorf("record stream: a frame of %d bytes is out of range", n)
	}
	if _, err := io.ReadFull(r, head); err != nil {
		return nil, noEOF(err)
	}
	size := int(n) - len(head)
	if cap(buf) >= size || size <= trustedFrame {
		if cap(buf) < size {
			buf = make([]byte, size)
		}
		buf = buf[:size]
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, noEOF(err)
		}
		return buf, nil
	}
	// A length is only a claim: memory for a larger frame grows with the
	// bytes that arrive.
	buf = make([]byte, 0, trustedFrame)
	for len(buf) < size {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, min(size-len(buf), cap(buf)))
		}
		chunk := buf[len(buf):min(cap(buf), size)]
		if _, err := io.ReadFull(r, chunk); err != nil {
			return nil, noEOF(err)
		}
		buf = buf[:len(buf)+len(chunk)]
	}
	return buf, nil
}

// noEOF reports a frame cut short as such: a clean EOF is only one between
// frames.
func noEOF(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// appendFrame makes a frame of m in b's memory: its length written, its
// head bytes left for the caller to fill in.
func appendFrame(b []byte, head int, m message) ([]byte, error) {
	size := 4 + head
	if h, ok := m.(interface{ sizeHint() int }); ok {
		size += h.sizeHint()
	}
	if cap(b) < size {
		b = make([]byte, 0, size)
	}
	b, err := m.marshal(b[:4+head])
	if err != nil {
		return b, err
	}
	return b, finishFrame(b)
}

// finishFrame writes the length of frame b.
func finishFrame(b []byte) error {
	if len(b)-4 > maxFrame {
		return fmt.Errorf("record stream: a message of %d bytes is too large", len(b)-4)
	}
	binary.LittleEndian.PutUint32(b, uint32(len(b)-4))
	return nil
}

// streamClient is the host's end of the stream. A call that did not finish
// cleanly (the caller gave up, the peer broke) leaves the stream's state
// unknown, so the stream is closed and the host's later calls go over gRPC.
type streamClient struct {
	mu   sync.Mutex
	conn net.Conn
	out  []byte // request frames, reused
	// in holds the answers of the last call; they are read into the same
	// memory next time (see process and write).
	in   [][]byte
	recs []record.Record // the records of the last Process answer
	// broken is why the stream is no longer used.
	broken error
}

// usable reports whether calls may go over the stream.
func (s *streamClient) usable() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.broken == nil
}

func (s *streamClient) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.breakOff(errors.New("record stream: closed"))
}

func (s *streamClient) breakOff(err error) {
	if s.broken == nil {
		s.broken = err
		_ = s.conn.Close()
	}
}

// aLongTimeAgo is a deadline in the past: setting it ends a blocked read or
// write at once.
var aLongTimeAgo = time.Unix(1, 0)

// exchange sends every request as method, then reads their answers in
// order, into the memory of s.in when reuse is set, and returns their
// messages. Requests after the first are on their way while the plugin
// works on the first: that is what pipelining a batch in pieces buys. It
// holds s.mu.
func (s *streamClient) exchange(ctx context.Context, method byte, reqs []message, reuse bool) ([][]byte, error) {
	if s.broken != nil {
		return nil, s.broken
	}
	deadline, hasDeadline := ctx.Deadline()
	var timeout time.Duration
	if hasDeadline {
		if timeout = time.Until(deadline); timeout <= 0 {
			return nil, context.DeadlineExceeded
		}
	}
	if err := s.conn.SetDeadline(deadline); err != nil {
		s.breakOff(err)
		return nil, err
	}
	stop := context.AfterFunc(ctx, func() { _ = s.conn.SetDeadline(aLongTimeAgo) })
	bodies, failure, err := s.send(method, timeout, reqs, reuse)
	if !stop() {
		// The caller gave up: closing tells the plugin's side, whose
		// call then sees its context cancelled, as over gRPC.
		s.breakOff(fmt.Errorf("record stream: a call was abandoned: %w", context.Cause(ctx)))
		if err != nil {
			return nil, context.Cause(ctx)
		}
	}
	if err != nil {
		s.breakOff(err)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			// The deadline is ctx's; its timer may fire a moment after
			// the socket's.
			select {
			case <-ctx.Done():
				return nil, context.Cause(ctx)
			case <-time.After(time.Second):
			}
		}
		return nil, fmt.Errorf("record stream: %w", err)
	}
	if failure != nil {
		return nil, failure
	}
	return bodies, nil
}

// send writes the requests and reads their answers. A failed answer is
// returned as failure after the others were read, so the stream stays in
// step; err is the stream's own failure.
func (s *streamClient) send(method byte, timeout time.Duration, reqs []message, reuse bool) (bodies [][]byte, failure, err error) {
	for _, req := range reqs {
		frame, err := appendFrame(s.out[:0], requestHead, req)
		if err != nil {
			// Nothing of this request was sent; the earlier ones
			// are answered, and the stream cannot skip them.
			return nil, nil, err
		}
		s.out = frame
		frame[4] = method
		binary.LittleEndian.PutUint64(frame[5:], uint64(timeout))
		if _, err := s.conn.Write(frame); err != nil {
			return nil, nil, err
		}
	}
	bodies = make([][]byte, len(reqs))
	for len(s.in) < len(reqs) {
		s.in = append(s.in, nil)
	}
	for i := range reqs {
		var buf []byte
		if reuse {
			buf = s.in[i]
		}
		var head [responseHead]byte
		body, err := readFrame(s.conn, head[:], buf)
		if err != nil {
			return nil, nil, err
		}
		if reuse {
			s.in[i] = body
		}
		bodies[i] = body
		if head[0] != streamOK && failure == nil {
			failure = errors.New(string(body))
		}
	}
	return bodies, failure, nil
}

// Pipelining: a Process batch of at least 2×minPiece records goes in up to
// maxPieces requests, so the host encodes the next piece and decodes the
// last answer while the plugin works.
const (
	maxPieces = 4
	minPiece  = 256
)

// pieces cuts recs into the batches of a pipelined call.
func pieces(recs []record.Record) []message {
	n := min(max(len(recs)/minPiece, 1), maxPieces)
	reqs := make([]message, n)
	for i := range n {
		reqs[i] = &Batch{Records: recs[i*len(recs)/n : (i+1)*len(recs)/n]}
	}
	return reqs
}

// process makes a Process call, the batch in pieces. The answers' records
// are decoded into memory kept from the previous Process call: sdk.Transform
// has the runtime done with a Process's outputs when it calls Process
// again. An error of a piece is the call's, its record index counted in the
// whole batch.
func (s *streamClient) process(ctx context.Context, req *Batch) (*RecordsResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	reqs := pieces(req.Records)
	bodies, err := s.exchange(ctx, streamProcess, reqs, true)
	if err != nil {
		return nil, err
	}
	all := &RecordsResponse{Records: s.recs[:0]}
	offset := 0
	for i, body := range bodies {
		var resp RecordsResponse
		if err := resp.decode(body, all.Records); err != nil {
			return nil, fmt.Errorf("answer %d of %d: %w", i+1, len(bodies), err)
		}
		all.Records, all.Counts = resp.Records, resp.Counts
		if resp.Err != nil && all.Err == nil {
			all.Err = resp.Err
			if all.Err.Index != NoIndex {
				all.Err.Index += offset
			}
		}
		offset += len(reqs[i].(*Batch).Records)
	}
	s.recs = all.Records
	if all.Err != nil {
		all.Records = nil
	}
	return all, nil
}

// write makes a Write call; its answer keeps nothing of the buffer.
func (s *streamClient) write(ctx context.Context, req *Batch) (*WriteResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	bodies, err := s.exchange(ctx, streamWrite, []message{req}, true)
	if err != nil {
		return nil, err
	}
	resp := new(WriteResponse)
	return resp, resp.unmarshal(bodies[0])
}

// read makes a Read call. A source's records live on until Kafka has them
// and their positions are acknowledged, so they get memory of their own.
func (s *streamClient) read(ctx context.Context) (*RecordsResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	bodies, err := s.exchange(ctx, streamRead, []message{&Empty{}}, false)
	if err != nil {
		return nil, err
	}
	resp := new(RecordsResponse)
	return resp, resp.unmarshal(bodies[0])
}

// streamServer is the plugin's end of the stream. A goroutine reads
// requests while earlier ones are served: the pieces of a pipelined call,
// and the host giving up (the stream closed), which cancels the calls.
type streamServer struct {
	conn net.Conn
	impl Server
	out  []byte
	// recs is reused from request to request, as the runtime reuses the
	// slice of the batches it hands a plugin in its own process; the
	// records' bytes are new each time.
	recs []record.Record
}

// streamRequest is one request as read.
type streamRequest struct {
	method  byte
	timeout time.Duration
	body    []byte
}

func (s *streamServer) serve() {
	defer s.conn.Close()
	ctx, cancel := context.WithCancel(context.Background())
	// Room for every piece of a call: the host reads no answer before it
	// has sent them all, so a reader that waited for the calls to take its
	// requests would leave both sides writing into full sockets.
	requests := make(chan streamRequest, maxPieces)
	go func() {
		defer close(requests)
		defer cancel()
		for {
			var head [requestHead]byte
			// New memory for each request: plugins may keep the
			// records they are given, as sinks do until a flush.
			body, err := readFrame(s.conn, head[:], nil)
			if err != nil {
				return
			}
			timeout := int64(binary.LittleEndian.Uint64(head[1:]))
			requests <- streamRequest{method: head[0], timeout: time.Duration(timeout), body: body}
		}
	}()
	for req := range requests {
		if ctx.Err() != nil {
			return // the host is gone
		}
		callCtx, done := ctx, context.CancelFunc(func() {})
		if req.timeout > 0 {
			callCtx, done = context.WithTimeout(ctx, req.timeout)
		}
		resp, err := s.call(callCtx, req)
		done()
		if err = s.answer(resp, err); err != nil {
			return
		}
	}
}

// call decodes a request and runs it on the plugin.
func (s *streamServer) call(ctx context.Context, req streamRequest) (message, error) {
	switch req.method {
	case streamProcess, streamWrite:
		var batch Batch
		if err := batch.decode(req.body, s.recs); err != nil {
			return nil, fmt.Errorf("decoding the batch: %w", err)
		}
		s.recs = batch.Records
		if req.method == streamProcess {
			return s.impl.Process(ctx, &batch)
		}
		return s.impl.Write(ctx, &batch)
	case streamRead:
		return s.impl.Read(ctx, &Empty{})
	default:
		return nil, fmt.Errorf("record stream: no method %d", req.method)
	}
}

// answer writes a call's response, or its failure.
func (s *streamServer) answer(resp message, failure error) error {
	var frame []byte
	var err error
	if failure == nil {
		frame, err = appendFrame(s.out[:0], responseHead, resp)
		if err != nil {
			failure = fmt.Errorf("encoding the answer: %w", err)
		}
	}
	if failure != nil {
		frame = append(s.out[:0], 0, 0, 0, 0, streamFailed)
		frame = append(frame, failure.Error()...)
		if err := finishFrame(frame); err != nil {
			return err
		}
	} else {
		frame[4] = streamOK
	}
	s.out = frame
	_, err = s.conn.Write(frame)
	return err
}
