package host

import (
	"context"

	"github.com/tributarydata/tributary/plugins/internal/pluginrpc"
	"github.com/tributarydata/tributary/plugins/sdk"
)

// remoteSource runs a source in its own process. Its Read is bounded by
// plugin.call.timeout.ms like any call: the plugin's side ends a quiet Read
// before that with an empty batch, and the runtime reads again.
type remoteSource struct {
	sdk.UnimplementedSource
	instance
}

var (
	_ sdk.Source  = (*remoteSource)(nil)
	_ sdk.Counted = (*remoteSource)(nil)
)

func (s *remoteSource) Open(ctx context.Context, cfg sdk.Config, last []sdk.Position) error {
	return s.open(ctx, cfg, last)
}

func (s *remoteSource) Read(ctx context.Context) ([]sdk.Record, error) {
	var resp *pluginrpc.RecordsResponse
	err := s.call(ctx, "Read", func(ctx context.Context, c *pluginrpc.Client) (err error) {
		resp, err = c.Read(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.setCounts(resp.Counts)
	if resp.Err != nil {
		return nil, fromWire(resp.Err)
	}
	return resp.Records, nil
}

func (s *remoteSource) Ack(ctx context.Context, positions []sdk.Position) error {
	var resp *pluginrpc.Status
	err := s.call(ctx, "Ack", func(ctx context.Context, c *pluginrpc.Client) (err error) {
		resp, err = c.Ack(ctx, &pluginrpc.AckRequest{Positions: positions})
		return err
	})
	if err != nil {
		return err
	}
	return fromWire(resp.Err)
}

func (s *remoteSource) Close() error { return s.close() }
