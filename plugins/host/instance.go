package host

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/tributarydata/tributary/plugins/internal/pluginrpc"
	"github.com/tributarydata/tributary/plugins/sdk"
)

// instance is the worker's side of one task instance of an external plugin:
// a process started by open and ended by close. The runtime calls it from
// its task's goroutine only, except Counts.
type instance struct {
	l       *launcher
	class   string
	p       *proc
	timeout time.Duration

	countsMu sync.Mutex
	counts   map[string]int64
}

func (in *instance) open(ctx context.Context, cfg sdk.Config, last []sdk.Position) error {
	if in.p != nil {
		return fmt.Errorf("plugin %s: instance opened twice", in.class)
	}
	var hc hostConfig
	if err := sdk.Decode(cfg, &hc); err != nil {
		return err
	}
	in.timeout = hc.CallTimeout
	p, err := in.l.start(in.timeout)
	if err != nil {
		return err
	}
	var resp *pluginrpc.Status
	err = p.call(ctx, "Open", in.timeout, func(ctx context.Context) (err error) {
		resp, err = p.rpc.Open(ctx, &pluginrpc.OpenRequest{Class: in.class, Config: cfg, Last: last})
		return err
	})
	if err == nil {
		err = fromWire(resp.Err)
	}
	if err != nil {
		// The runtime closes only what opened.
		p.kill()
		return err
	}
	in.p = p
	return nil
}

// call runs method on the open process.
func (in *instance) call(ctx context.Context, method string, do func(context.Context, *pluginrpc.Client) error) error {
	if in.p == nil {
		return fmt.Errorf("plugin %s: %s: %w", in.class, method, errNotOpen)
	}
	return in.p.call(ctx, method, in.timeout, func(ctx context.Context) error { return do(ctx, in.p.rpc) })
}

// close asks the plugin to close and ends the process either way. A process
// that already failed has had its error reported by the call that met it.
func (in *instance) close() error {
	p := in.p
	if p == nil {
		return nil
	}
	in.p = nil
	defer p.stop()
	if p.gone != nil {
		return nil
	}
	var resp *pluginrpc.Status
	// The task's context has ended when the runtime closes.
	err := p.call(context.Background(), "Close", in.timeout, func(ctx context.Context) (err error) {
		resp, err = p.rpc.Close(ctx)
		return err
	})
	if err != nil {
		return err
	}
	return fromWire(resp.Err)
}

func (in *instance) setCounts(c map[string]int64) {
	in.countsMu.Lock()
	defer in.countsMu.Unlock()
	in.counts = c
}

// Counts returns the plugin's sdk.Counted totals of the last answer: nil
// when the plugin does not count.
func (in *instance) Counts() map[string]int64 {
	in.countsMu.Lock()
	defer in.countsMu.Unlock()
	return maps.Clone(in.counts)
}

// fromWire rebuilds a plugin's error with the wrapping the runtime acts on.
func fromWire(e *pluginrpc.Error) error {
	if e == nil {
		return nil
	}
	err := errors.New(e.Message)
	if e.Retriable {
		err = sdk.Retriable(err)
	}
	if e.Index >= 0 {
		err = &sdk.RecordError{Index: e.Index, Err: err}
	}
	return err
}
