package host

import (
	"context"

	"github.com/tributarydata/tributary/plugins/internal/pluginrpc"
	"github.com/tributarydata/tributary/plugins/sdk"
)

// remoteTransform runs a transform in its own process; a batch is one call.
type remoteTransform struct {
	sdk.UnimplementedTransform
	instance
}

var (
	_ sdk.Transform = (*remoteTransform)(nil)
	_ sdk.Counted   = (*remoteTransform)(nil)
)

func (t *remoteTransform) Open(ctx context.Context, cfg sdk.Config) error {
	return t.open(ctx, cfg, nil)
}

func (t *remoteTransform) Process(ctx context.Context, recs []sdk.Record) ([]sdk.Record, error) {
	var resp *pluginrpc.RecordsResponse
	err := t.call(ctx, "Process", func(ctx context.Context, c *pluginrpc.Client) (err error) {
		resp, err = c.Process(ctx, &pluginrpc.Batch{Records: recs})
		return err
	})
	if err != nil {
		return nil, err
	}
	t.setCounts(resp.Counts)
	if resp.Err != nil {
		return nil, fromWire(resp.Err)
	}
	return resp.Records, nil
}

func (t *remoteTransform) Close() error { return t.close() }
