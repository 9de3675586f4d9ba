package pluginrpc

import (
	"fmt"

	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
)

// CodecName is the gRPC content-subtype of the service's calls: the bytes
// are protobuf, but encoded by this package rather than by generated code.
const CodecName = "tributary"

func init() { encoding.RegisterCodecV2(codec{}) }

// codec is a CodecV2 rather than a Codec so the decoder's ownership of the
// bytes is explicit: records keep slices of the message, and gRPC recycles
// the buffers it hands to Unmarshal.
type codec struct{}

func (codec) Name() string { return CodecName }

func (codec) Marshal(v any) (mem.BufferSlice, error) {
	m, ok := v.(message)
	if !ok {
		return nil, fmt.Errorf("pluginrpc: cannot marshal %T", v)
	}
	hinted, ok := m.(interface{ sizeHint() int })
	if !ok {
		b, err := m.marshal(nil)
		if err != nil {
			return nil, err
		}
		return mem.BufferSlice{mem.SliceBuffer(b)}, nil
	}
	// A batch goes into a pooled buffer, which gRPC returns to the pool
	// once sent: a megabyte a call is not left to the collector.
	pool := mem.DefaultBufferPool()
	buf := pool.Get(hinted.sizeHint())
	b, err := m.marshal((*buf)[:0])
	if err != nil {
		pool.Put(buf)
		return nil, err
	}
	if cap(b) != cap(*buf) { // outgrew the guess
		pool.Put(buf)
		return mem.BufferSlice{mem.SliceBuffer(b)}, nil
	}
	*buf = b
	return mem.BufferSlice{mem.NewBuffer(buf, pool)}, nil
}

func (codec) Unmarshal(data mem.BufferSlice, v any) error {
	m, ok := v.(message)
	if !ok {
		return fmt.Errorf("pluginrpc: cannot unmarshal into %T", v)
	}
	// One copy per message into memory of our own; no copy per record.
	return m.unmarshal(data.Materialize())
}
