package pluginrpc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"path"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tributarydata/tributary/bus/record"
)

// fakePlugin is a plugin's Server with only the stream's calls.
type fakePlugin struct {
	Server  // nil: the other calls are not made
	process func(context.Context, *Batch) (*RecordsResponse, error)
	write   func(context.Context, *Batch) (*WriteResponse, error)
	read    func(context.Context) (*RecordsResponse, error)
}

func (f *fakePlugin) Process(ctx context.Context, b *Batch) (*RecordsResponse, error) {
	return f.process(ctx, b)
}
func (f *fakePlugin) Write(ctx context.Context, b *Batch) (*WriteResponse, error) {
	return f.write(ctx, b)
}
func (f *fakePlugin) Read(ctx context.Context, _ *Empty) (*RecordsResponse, error) {
	return f.read(ctx)
}

// errGRPC is what every call that reaches the gRPC path gets here.
var errGRPC = errors.New("went over gRPC")

// loopback stands for the gRPC connection: it answers OpenStream as the
// plugin's registered service does, and notes every method it is asked.
type loopback struct {
	srv     *served // nil: a plugin from before the stream
	mu      sync.Mutex
	invoked []string
}

func (l *loopback) Invoke(ctx context.Context, method string, _, reply any, _ ...grpc.CallOption) error {
	l.mu.Lock()
	l.invoked = append(l.invoked, path.Base(method))
	l.mu.Unlock()
	if path.Base(method) != methodOpenStream {
		return errGRPC
	}
	if l.srv == nil {
		return status.Error(codes.Unimplemented, "unknown method OpenStream")
	}
	st, err := openStream(l.srv, ctx, &Empty{})
	if err != nil {
		return err
	}
	*reply.(*Status) = *st
	return nil
}

func (l *loopback) NewStream(context.Context, *grpc.StreamDesc, string, ...grpc.CallOption) (grpc.ClientStream, error) {
	return nil, errors.New("no streams")
}

func (l *loopback) calls() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.invoked...)
}

// streamed connects a client to impl over a real socket pair, as the host
// and a plugin process are connected, and returns the plugin's end too.
func streamed(t *testing.T, impl Server) (*Client, *loopback, net.Conn) {
	t.Helper()
	host, plugin, err := NewStreamPair()
	if err != nil {
		t.Fatal(err)
	}
	pconn, err := net.FileConn(plugin)
	plugin.Close()
	if err != nil {
		t.Fatal(err)
	}
	lb := &loopback{srv: &served{Server: impl, stream: pconn}}
	c := NewClient(lb)
	if err := c.AttachStream(context.Background(), host); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.CloseStream(); pconn.Close() })
	if !c.Streaming() {
		t.Fatal("attached, yet not streaming")
	}
	return c, lb, pconn
}

func numbered(n, valueBytes int) []record.Record {
	recs := make([]record.Record, n)
	now := time.Unix(1700000000, 0)
	for i := range recs {
		v := fmt.Appendf(nil, "v%d-", i)
		v = append(v, bytes.Repeat([]byte("x"), max(valueBytes-len(v), 0))...)
		recs[i] = record.Record{Key: fmt.Appendf(nil, "k%d", i), Value: v, Topic: "ods.in", Partition: int32(i % 3), Offset: int64(i), Timestamp: now}
	}
	return recs
}

// upperEvery7th is a transform: it upper-cases values, drops every 7th
// record, and counts what it has seen.
func upperEvery7th() (func(context.Context, *Batch) (*RecordsResponse, error), *[]int) {
	seen := 0
	var pieces []int
	return func(_ context.Context, b *Batch) (*RecordsResponse, error) {
		pieces = append(pieces, len(b.Records))
		var out []record.Record
		for _, r := range b.Records {
			seen++
			if r.Offset%7 == 0 {
				continue
			}
			r.Value = bytes.ToUpper(r.Value)
			r.Topic = "dwd.out"
			out = append(out, r)
		}
		return &RecordsResponse{Records: out, Counts: map[string]int64{"seen": int64(seen)}}, nil
	}, &pieces
}

func TestStreamProcessesABatchInPieces(t *testing.T) {
	process, pieces := upperEvery7th()
	c, lb, _ := streamed(t, &fakePlugin{process: process})
	in := numbered(2000, 100)
	resp, err := c.Process(context.Background(), &Batch{Records: in})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{500, 500, 500, 500}; fmt.Sprint(*pieces) != fmt.Sprint(want) {
		t.Errorf("the plugin got pieces %v, want %v", *pieces, want)
	}
	want, _ := upperEvery7th()
	direct, _ := want(context.Background(), &Batch{Records: in})
	if len(resp.Records) != len(direct.Records) {
		t.Fatalf("%d records out, want %d", len(resp.Records), len(direct.Records))
	}
	for i := range direct.Records {
		if diff := recordDiff(direct.Records[i], resp.Records[i]); diff != "" {
			t.Fatalf("record %d: %s", i, diff)
		}
	}
	if resp.Counts["seen"] != 2000 || resp.Err != nil {
		t.Errorf("counts %v, error %v: want the last piece's total, 2000, and no error", resp.Counts, resp.Err)
	}
	if calls := lb.calls(); len(calls) != 1 {
		t.Errorf("gRPC calls %v: want OpenStream only", calls)
	}
	// A small batch is one request.
	*pieces = nil
	if _, err := c.Process(context.Background(), &Batch{Records: in[:300]}); err != nil {
		t.Fatal(err)
	}
	if len(*pieces) != 1 {
		t.Errorf("300 records went in %d pieces", len(*pieces))
	}
}

func TestStreamErrorIndexIsTheWholeBatchs(t *testing.T) {
	c, _, _ := streamed(t, &fakePlugin{process: func(_ context.Context, b *Batch) (*RecordsResponse, error) {
		for i, r := range b.Records {
			if string(r.Key) == "k1234" {
				return &RecordsResponse{Err: &Error{Message: "bad record", Index: i}}, nil
			}
		}
		return &RecordsResponse{Records: b.Records}, nil
	}})
	resp, err := c.Process(context.Background(), &Batch{Records: numbered(2000, 10)})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Err == nil || resp.Err.Index != 1234 || resp.Err.Message != "bad record" {
		t.Fatalf("error %+v, want bad record at 1234", resp.Err)
	}
	if resp.Records != nil {
		t.Errorf("a failed batch came with %d records", len(resp.Records))
	}
}

func TestStreamWritesAndReads(t *testing.T) {
	var written [][]byte
	reads := 0
	c, lb, _ := streamed(t, &fakePlugin{
		write: func(_ context.Context, b *Batch) (*WriteResponse, error) {
			for _, r := range b.Records {
				written = append(written, r.Value) // kept, as sinks keep records until a flush
			}
			return &WriteResponse{Written: len(b.Records) - 1, Err: &Error{Message: "full", Retriable: true, Index: NoIndex}}, nil
		},
		read: func(context.Context) (*RecordsResponse, error) {
			reads++
			return &RecordsResponse{Records: numbered(3, 5*reads)}, nil
		},
	})
	for round := range 2 {
		resp, err := c.Write(context.Background(), &Batch{Records: numbered(1000, 50-20*round)})
		if err != nil {
			t.Fatal(err)
		}
		if resp.Written != 999 || resp.Err == nil || !resp.Err.Retriable {
			t.Errorf("round %d: %+v", round, resp)
		}
	}
	// The first Write's values are intact after the second.
	want := numbered(1000, 50)
	for i := range want {
		if !bytes.Equal(written[i], want[i].Value) {
			t.Fatalf("value %d kept by the sink is %q after the next Write", i, written[i])
		}
	}
	first, err := c.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	second, err := c.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write(context.Background(), &Batch{Records: numbered(1, 5)}); err != nil {
		t.Fatal(err)
	}
	// A source's records live until acknowledged: later calls must not
	// reuse their memory.
	for i := range 3 {
		if diff := recordDiff(numbered(3, 5)[i], first.Records[i]); diff != "" {
			t.Errorf("the first Read's record %d changed after later calls: %s", i, diff)
		}
		if diff := recordDiff(numbered(3, 10)[i], second.Records[i]); diff != "" {
			t.Errorf("the second Read's record %d changed after a Write: %s", i, diff)
		}
	}
	if calls := lb.calls(); len(calls) != 1 {
		t.Errorf("gRPC calls %v: want OpenStream only", calls)
	}
}

func TestStreamProtocolFailureIsAnErrorNotABreak(t *testing.T) {
	fail := true
	c, _, _ := streamed(t, &fakePlugin{process: func(_ context.Context, b *Batch) (*RecordsResponse, error) {
		if fail {
			return nil, errors.New("plugin instance is not open")
		}
		return &RecordsResponse{Records: b.Records}, nil
	}})
	_, err := c.Process(context.Background(), &Batch{Records: numbered(1200, 10)})
	if err == nil || err.Error() != "plugin instance is not open" {
		t.Fatalf("error %v", err)
	}
	fail = false
	resp, err := c.Process(context.Background(), &Batch{Records: numbered(1200, 10)})
	if err != nil || len(resp.Records) != 1200 || !c.Streaming() {
		t.Fatalf("after a failure: %v, streaming %v", err, c.Streaming())
	}
}

// blocking is a plugin whose Process waits for its context to end and
// reports how it ended.
func blocking() (*fakePlugin, chan error) {
	ended := make(chan error, 1)
	return &fakePlugin{process: func(ctx context.Context, _ *Batch) (*RecordsResponse, error) {
		<-ctx.Done()
		ended <- ctx.Err()
		return &RecordsResponse{}, nil
	}}, ended
}

func TestStreamDeadlineReachesBothSides(t *testing.T) {
	impl, ended := blocking()
	c, lb, _ := streamed(t, impl)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := c.Process(ctx, &Batch{Records: numbered(10, 10)})
	if !errors.Is(err, context.DeadlineExceeded) || ctx.Err() == nil {
		t.Fatalf("error %v, context %v: want the context's deadline, passed", err, ctx.Err())
	}
	select {
	case err := <-ended:
		if err == nil {
			t.Error("the plugin's call ended without its context")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the plugin's call never saw the deadline")
	}
	// The stream's state is unknown now: later calls go over gRPC.
	if c.Streaming() {
		t.Error("still streaming after an unfinished call")
	}
	if _, err := c.Process(context.Background(), &Batch{}); !errors.Is(err, errGRPC) {
		t.Errorf("next call: %v", err)
	}
	if calls := lb.calls(); calls[len(calls)-1] != methodProcess {
		t.Errorf("gRPC calls %v", calls)
	}
}

func TestStreamCancelReachesThePlugin(t *testing.T) {
	impl, ended := blocking()
	c, _, _ := streamed(t, impl)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err := c.Process(ctx, &Batch{Records: numbered(10, 10)})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	select {
	case err := <-ended:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("the plugin's call ended with %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the plugin's call was not cancelled")
	}
}

func TestStreamPeerGoneIsAnError(t *testing.T) {
	var plugin net.Conn
	c, _, pconn := streamed(t, &fakePlugin{process: func(context.Context, *Batch) (*RecordsResponse, error) {
		plugin.Close() // as a crash closes it
		select {}
	}})
	plugin = pconn
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := c.Process(ctx, &Batch{Records: numbered(10, 10)})
	if err == nil || ctx.Err() != nil || !strings.Contains(err.Error(), "EOF") {
		t.Fatalf("error %v (context %v): want the stream's end, at once", err, ctx.Err())
	}
}

// TestStreamPipelinesLargeAnswers sends pieces larger than the socket's
// buffers both ways: the plugin must read ahead while its answers wait.
func TestStreamPipelinesLargeAnswers(t *testing.T) {
	c, _, _ := streamed(t, &fakePlugin{process: func(_ context.Context, b *Batch) (*RecordsResponse, error) {
		return &RecordsResponse{Records: b.Records}, nil
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	in := numbered(2000, 8<<10) // 16 MiB each way
	resp, err := c.Process(ctx, &Batch{Records: in})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Records) != len(in) || !bytes.Equal(resp.Records[1999].Value, in[1999].Value) {
		t.Fatalf("%d records back", len(resp.Records))
	}
}

func TestAttachStreamFallsBackForAnOlderPlugin(t *testing.T) {
	host, plugin, err := NewStreamPair()
	if err != nil {
		t.Fatal(err)
	}
	defer plugin.Close()
	lb := &loopback{}
	c := NewClient(lb)
	if err := c.AttachStream(context.Background(), host); status.Code(err) != codes.Unimplemented {
		t.Fatalf("attach: %v", err)
	}
	if c.Streaming() {
		t.Fatal("streaming to a plugin without the stream")
	}
	if _, err := host.Write([]byte{0}); err == nil {
		t.Error("the refused stream's end was left open")
	}
	if _, err := c.Process(context.Background(), &Batch{}); !errors.Is(err, errGRPC) {
		t.Errorf("process: %v", err)
	}
}

func TestOpenStreamOnce(t *testing.T) {
	host, plugin, err := NewStreamPair()
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	pconn, err := net.FileConn(plugin)
	plugin.Close()
	if err != nil {
		t.Fatal(err)
	}
	s := &served{Server: &fakePlugin{}, stream: pconn}
	if st, err := openStream(s, context.Background(), &Empty{}); err != nil || st.Err != nil {
		t.Fatalf("open: %v %v", err, st.Err)
	}
	if st, _ := openStream(s, context.Background(), &Empty{}); st.Err == nil {
		t.Error("a stream opened twice")
	}
	if st, _ := openStream(&served{}, context.Background(), &Empty{}); st.Err == nil {
		t.Error("opened a stream the process was not given")
	}
}

func TestReadFrameDoesNotTrustTheLength(t *testing.T) {
	// A frame that claims a gigabyte and brings ten bytes.
	claim := []byte{0, 0, 0, 0x40, streamProcess, 0, 0, 0, 0, 0, 0, 0, 0}
	claim = append(claim, "0123456789"...)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	var head [requestHead]byte
	_, err := readFrame(bytes.NewReader(claim), head[:], nil)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("error %v, want the frame cut short", err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 2*trustedFrame {
		t.Errorf("allocated %d bytes for ten", got)
	}
	// A frame past the largest is refused before it is read.
	if _, err := readFrame(bytes.NewReader([]byte{0xff, 0xff, 0xff, 0xff}), head[:], nil); err == nil || !strings.Contains(err.Error(), "out of range") {
		t.Errorf("a 4 GiB frame: %v", err)
	}
}
