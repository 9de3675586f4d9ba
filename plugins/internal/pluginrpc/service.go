package pluginrpc

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"sync"

	"github.com/hashicorp/go-hclog"
	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ServiceName is the gRPC service of plugin.proto.
const ServiceName = "tributary.plugin.v1.Plugin"

// Server is what a plugin process implements (plugins/sdk does, around the
// sdk.Plugin values of the binary). A returned error is a protocol failure
// and ends the process's use; a plugin's own errors go in the responses.
type Server interface {
	Describe(ctx context.Context, req *Empty) (*DescribeResponse, error)
	Validate(ctx context.Context, req *ConfigRequest) (*ValidateResponse, error)
	TaskConfigs(ctx context.Context, req *ConfigRequest) (*TaskConfigsResponse, error)
	Open(ctx context.Context, req *OpenRequest) (*Status, error)
	Close(ctx context.Context, req *Empty) (*Status, error)
	Process(ctx context.Context, req *Batch) (*RecordsResponse, error)
	Write(ctx context.Context, req *Batch) (*WriteResponse, error)
	Flush(ctx context.Context, req *Empty) (*Status, error)
	StoredOffsets(ctx context.Context, req *Empty) (*OffsetsResponse, error)
	Read(ctx context.Context, req *Empty) (*RecordsResponse, error)
	Ack(ctx context.Context, req *AckRequest) (*Status, error)
}

// unary builds the method descriptor of one call; Req and Resp are the
// message structs, which the codec encodes.
func unary[Req any, Resp any, PReq interface {
	*Req
	message
}](name string, call func(Server, context.Context, PReq) (*Resp, error)) grpc.MethodDesc {
	return grpc.MethodDesc{
		MethodName: name,
		Handler: func(srv any, ctx context.Context, dec func(any) error, ic grpc.UnaryServerInterceptor) (any, error) {
			req := PReq(new(Req))
			if err := dec(req); err != nil {
				return nil, err
			}
			if ic == nil {
				return call(srv.(Server), ctx, req)
			}
			info := &grpc.UnaryServerInfo{Server: srv, FullMethod: "/" + ServiceName + "/" + name}
			return ic(ctx, req, info, func(ctx context.Context, r any) (any, error) {
				return call(srv.(Server), ctx, r.(PReq))
			})
		},
	}
}

var serviceDesc = grpc.ServiceDesc{
	ServiceName: ServiceName,
	HandlerType: (*Server)(nil),
	Methods: []grpc.MethodDesc{
		unary[Empty, DescribeResponse](methodDescribe, Server.Describe),
		unary[ConfigRequest, ValidateResponse](methodValidate, Server.Validate),
		unary[ConfigRequest, TaskConfigsResponse](methodTaskConfigs, Server.TaskConfigs),
		unary[OpenRequest, Status](methodOpen, Server.Open),
		unary[Empty, Status](methodClose, Server.Close),
		unary[Batch, RecordsResponse](methodProcess, Server.Process),
		unary[Batch, WriteResponse](methodWrite, Server.Write),
		unary[Empty, Status](methodFlush, Server.Flush),
		unary[Empty, OffsetsResponse](methodStoredOffsets, Server.StoredOffsets),
		unary[Empty, RecordsResponse](methodRead, Server.Read),
		unary[AckRequest, Status](methodAck, Server.Ack),
		unary[Empty, Status](methodOpenStream, openStream),
	},
	Metadata: "plugin.proto",
}

const (
	methodDescribe      = "Describe"
	methodValidate      = "Validate"
	methodTaskConfigs   = "TaskConfigs"
	methodOpen          = "Open"
	methodClose         = "Close"
	methodProcess       = "Process"
	methodWrite         = "Write"
	methodFlush         = "Flush"
	methodStoredOffsets = "StoredOffsets"
	methodRead          = "Read"
	methodAck           = "Ack"
	methodOpenStream    = "OpenStream"
)

// Client calls a plugin process: over the record stream once AttachStream
// succeeded and while the stream is sound, over gRPC otherwise.
type Client struct {
	cc     grpc.ClientConnInterface
	stream *streamClient
}

// NewClient returns a client on a connection to a plugin process.
func NewClient(cc grpc.ClientConnInterface) *Client { return &Client{cc: cc} }

// AttachStream asks the plugin to serve the record stream on its end of the
// pair whose other end is conn, and sends Process, Write and Read over it
// from then on. When the plugin does not (it was built before the stream,
// or was not given its end), conn is closed, the error says why, and the
// calls stay on gRPC.
func (c *Client) AttachStream(ctx context.Context, conn net.Conn) error {
	resp := new(Status)
	err := c.invoke(ctx, methodOpenStream, &Empty{}, resp)
	if err == nil && resp.Err != nil {
		err = errors.New(resp.Err.Message)
	}
	if err != nil {
		_ = conn.Close()
		return err
	}
	c.stream = &streamClient{conn: conn}
	return nil
}

// Streaming reports whether calls go over the record stream.
func (c *Client) Streaming() bool { return c.stream != nil && c.stream.usable() }

// CloseStream closes the record stream, if any; later calls use gRPC.
func (c *Client) CloseStream() {
	if c.stream != nil {
		c.stream.close()
	}
}

func (c *Client) invoke(ctx context.Context, method string, req, resp message) error {
	// The subtype selects this package's codec for these calls only:
	// go-plugin's own services on the connection stay on protobuf.
	return c.cc.Invoke(ctx, "/"+ServiceName+"/"+method, req, resp, grpc.CallContentSubtype(CodecName))
}

func (c *Client) Describe(ctx context.Context) (*DescribeResponse, error) {
	resp := new(DescribeResponse)
	return resp, c.invoke(ctx, methodDescribe, &Empty{}, resp)
}

func (c *Client) Validate(ctx context.Context, req *ConfigRequest) (*ValidateResponse, error) {
	resp := new(ValidateResponse)
	return resp, c.invoke(ctx, methodValidate, req, resp)
}

func (c *Client) TaskConfigs(ctx context.Context, req *ConfigRequest) (*TaskConfigsResponse, error) {
	resp := new(TaskConfigsResponse)
	return resp, c.invoke(ctx, methodTaskConfigs, req, resp)
}

func (c *Client) Open(ctx context.Context, req *OpenRequest) (*Status, error) {
	resp := new(Status)
	return resp, c.invoke(ctx, methodOpen, req, resp)
}

func (c *Client) Close(ctx context.Context) (*Status, error) {
	resp := new(Status)
	return resp, c.invoke(ctx, methodClose, &Empty{}, resp)
}

// Process runs a transform's batch. The records it returns are valid until
// the next Process call, as sdk.Transform allows: the stream reuses their
// memory.
func (c *Client) Process(ctx context.Context, req *Batch) (*RecordsResponse, error) {
	if c.Streaming() {
		return c.stream.process(ctx, req)
	}
	resp := new(RecordsResponse)
	return resp, c.invoke(ctx, methodProcess, req, resp)
}

func (c *Client) Write(ctx context.Context, req *Batch) (*WriteResponse, error) {
	if c.Streaming() {
		return c.stream.write(ctx, req)
	}
	resp := new(WriteResponse)
	return resp, c.invoke(ctx, methodWrite, req, resp)
}

func (c *Client) Flush(ctx context.Context) (*Status, error) {
	resp := new(Status)
	return resp, c.invoke(ctx, methodFlush, &Empty{}, resp)
}

func (c *Client) StoredOffsets(ctx context.Context) (*OffsetsResponse, error) {
	resp := new(OffsetsResponse)
	return resp, c.invoke(ctx, methodStoredOffsets, &Empty{}, resp)
}

func (c *Client) Read(ctx context.Context) (*RecordsResponse, error) {
	if c.Streaming() {
		return c.stream.read(ctx)
	}
	resp := new(RecordsResponse)
	return resp, c.invoke(ctx, methodRead, &Empty{}, resp)
}

func (c *Client) Ack(ctx context.Context, req *AckRequest) (*Status, error) {
	resp := new(Status)
	return resp, c.invoke(ctx, methodAck, req, resp)
}

// goPlugin adapts the service to go-plugin: it registers the server in the
// plugin process and dispenses a *Client in the host.
type goPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	impl   Server
	stream net.Conn
}

func (p *goPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	s.RegisterService(&serviceDesc, &served{Server: p.impl, stream: p.stream})
	return nil
}

// served is the registered service: the plugin's Server, and the end of the
// record stream it was given, if any.
type served struct {
	Server
	stream net.Conn
	once   sync.Once
}

// openStream answers OpenStream: it starts serving the stream, once.
func openStream(srv Server, _ context.Context, _ *Empty) (*Status, error) {
	s, ok := srv.(*served)
	if !ok {
		return nil, status.Error(codes.Unimplemented, "no record stream")
	}
	if s.stream == nil {
		return &Status{Err: &Error{Message: "the plugin process was given no record stream", Index: NoIndex}}, nil
	}
	started := false
	s.once.Do(func() {
		started = true
		go (&streamServer{conn: s.stream, impl: s.Server}).serve()
	})
	if !started {
		return &Status{Err: &Error{Message: "the record stream is open already", Index: NoIndex}}, nil
	}
	return &Status{}, nil
}

func (p *goPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, cc *grpc.ClientConn) (any, error) {
	return NewClient(cc), nil
}

// A batch is a megabyte or more. HTTP/2's default windows (64 KiB, grown by
// gRPC's estimate only after a few calls) stall every call for window
// updates, and 32 KiB socket buffers split it into many system calls.
const (
	window   = 16 << 20
	ioBuffer = 256 << 10
)

// DialOptions are the gRPC options of a host's connection to a plugin.
func DialOptions() []grpc.DialOption {
	return []grpc.DialOption{
		grpc.WithInitialWindowSize(window), grpc.WithInitialConnWindowSize(window),
		grpc.WithWriteBufferSize(ioBuffer), grpc.WithReadBufferSize(ioBuffer),
	}
}

// ClientPlugins is the plugin set a host gives go-plugin.
func ClientPlugins() plugin.PluginSet {
	return plugin.PluginSet{PluginName: &goPlugin{}}
}

// Serve serves impl to the host that started this process, until the host
// ends it. Call it only when the handshake cookie is set: go-plugin exits
// the process otherwise.
func Serve(impl Server) {
	stream, err := inheritedStream()
	if err != nil {
		// The calls go over gRPC: the host is told so when it asks.
		fmt.Fprintf(os.Stderr, "tributary plugin: no record stream: %v\n", err)
	}
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: Handshake,
		Plugins:         plugin.PluginSet{PluginName: &goPlugin{impl: impl, stream: stream}},
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			// A batch is one message; gRPC's default 4 MiB would refuse
			// 2000 records of a few KiB each. The host's side allows the same.
			opts = append(opts, grpc.MaxRecvMsgSize(math.MaxInt32), grpc.MaxSendMsgSize(math.MaxInt32),
				grpc.InitialWindowSize(window), grpc.InitialConnWindowSize(window),
				grpc.WriteBufferSize(ioBuffer), grpc.ReadBufferSize(ioBuffer))
			return grpc.NewServer(opts...)
		},
		// go-plugin's own chatter (debug lines per connection) would flood
		// the worker's log, which shows the plugin's stderr.
		Logger: hclog.New(&hclog.LoggerOptions{Output: os.Stderr, Level: hclog.Warn, Name: "go-plugin"}),
	})
}
