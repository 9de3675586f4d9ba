package host

import (
	"context"

	"github.com/tributarydata/tributary/plugins/internal/pluginrpc"
	"github.com/tributarydata/tributary/plugins/sdk"
)

// remoteSink runs a sink in its own process.
type remoteSink struct {
	sdk.UnimplementedSink
	instance
}

var (
	_ sdk.Sink         = (*remoteSink)(nil)
	_ sdk.Counted      = (*remoteSink)(nil)
	_ sdk.OffsetKeeper = (*remoteKeeperSink)(nil)
)

func (s *remoteSink) Open(ctx context.Context, cfg sdk.Config) error {
	return s.open(ctx, cfg, nil)
}

func (s *remoteSink) Write(ctx context.Context, recs []sdk.Record) (int, error) {
	var resp *pluginrpc.WriteResponse
	err := s.call(ctx, "Write", func(ctx context.Context, c *pluginrpc.Client) (err error) {
		resp, err = c.Write(ctx, &pluginrpc.Batch{Records: recs})
		return err
	})
	if err != nil {
		return 0, err
	}
	s.setCounts(resp.Counts)
	return resp.Written, fromWire(resp.Err)
}

func (s *remoteSink) Flush(ctx context.Context) error {
	var resp *pluginrpc.Status
	err := s.call(ctx, "Flush", func(ctx context.Context, c *pluginrpc.Client) (err error) {
		resp, err = c.Flush(ctx)
		return err
	})
	if err != nil {
		return err
	}
	return fromWire(resp.Err)
}

func (s *remoteSink) Close() error { return s.close() }

// remoteKeeperSink is the adapter of a sink that keeps its own offsets: the
// runtime tells one by its StoredOffsets method.
type remoteKeeperSink struct{ remoteSink }

func (s *remoteKeeperSink) StoredOffsets(ctx context.Context) (map[sdk.TopicPartition]int64, error) {
	var resp *pluginrpc.OffsetsResponse
	err := s.call(ctx, "StoredOffsets", func(ctx context.Context, c *pluginrpc.Client) (err error) {
		resp, err = c.StoredOffsets(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	if resp.Err != nil {
		return nil, fromWire(resp.Err)
	}
	out := make(map[sdk.TopicPartition]int64, len(resp.Offsets))
	for _, o := range resp.Offsets {
		out[sdk.TopicPartition{Topic: o.Topic, Partition: o.Partition}] = o.Offset
	}
	return out, nil
}
