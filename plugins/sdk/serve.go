package sdk

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/tributarydata/tributary/plugins/internal/pluginrpc"
)

// Serve is the main of a plugin binary: it serves plugins to the worker that
// started the process, and returns when the worker ends it.
//
//	func main() { sdk.Serve(myplugin.Plugin) }
//
// Build the binary and put it in a directory of the worker's plugin.path;
// the worker lists its plugins with the built-in ones and runs each task of
// them in a process of its own, so a crash or a hang fails that task only.
// Started by hand, the binary says so and exits with status 1.
//
// The plugin code runs as it would in the worker: one call at a time per
// task, with the worker's context (its deadline is plugin.call.timeout.ms).
// A panic in a call fails that call with the panic's message; its stack goes
// to stderr, which the worker logs.
func Serve(plugins ...Plugin) {
	s, err := newServer(plugins)
	if err != nil {
		fmt.Fprintf(os.Stderr, "tributary plugin: %v\n", err)
		os.Exit(1)
	}
	if os.Getenv(pluginrpc.MagicCookieKey) != pluginrpc.MagicCookieValue {
		fmt.Fprintf(os.Stderr, "%s is a Tributary plugin binary (%s): a worker runs it, it does nothing on its own.\n"+
			"Put it in a directory of the worker's plugin.path (or --plugin-path) and restart the worker.\n",
			filepath.Base(os.Args[0]), strings.Join(s.classes(), ", "))
		os.Exit(1)
	}
	pluginrpc.Serve(s)
}

// server serves the plugins of a binary over pluginrpc. A process holds at
// most one task instance, which the host opens, calls and closes in turn.
type server struct {
	plugins []Plugin
	byClass map[string]*Plugin

	// mu holds a call into the instance while it runs: the host makes one
	// at a time, but a call it gave up on (a cancelled Read) may still be
	// running when the next arrives, and plugins are not written for that.
	mu        sync.Mutex
	opened    bool
	source    Source
	sink      Sink
	transform Transform
}

func newServer(plugins []Plugin) (*server, error) {
	if len(plugins) == 0 {
		return nil, errors.New("sdk.Serve needs at least one plugin")
	}
	s := &server{plugins: plugins, byClass: map[string]*Plugin{}}
	for i := range plugins {
		p := &plugins[i]
		if err := p.Check(); err != nil {
			return nil, err
		}
		for _, name := range append([]string{p.Class}, p.Aliases...) {
			if _, dup := s.byClass[name]; dup {
				return nil, fmt.Errorf("plugin class %q is served twice", name)
			}
			s.byClass[name] = p
		}
	}
	return s, nil
}

func (s *server) classes() []string {
	out := make([]string, len(s.plugins))
	for i, p := range s.plugins {
		out[i] = p.Class
	}
	return out
}

func (s *server) lookup(class string) (*Plugin, error) {
	p, ok := s.byClass[class]
	if !ok {
		return nil, fmt.Errorf("this binary has no plugin %q (it has %s)", class, strings.Join(s.classes(), ", "))
	}
	return p, nil
}

// safely runs plugin code, turning a panic into an error so the host gets an
// answer that says what happened.
func safely(fn func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			fmt.Fprintf(os.Stderr, "panic: %v\n\n%s\n", p, debug.Stack())
			err = fmt.Errorf("plugin panicked: %v", p)
		}
	}()
	return fn()
}

// wireError keeps what the runtime acts on: the record a RecordError names
// and the Retriable mark.
func wireError(err error) *pluginrpc.Error {
	if err == nil {
		return nil
	}
	e := &pluginrpc.Error{Message: err.Error(), Retriable: IsRetriable(err), Index: pluginrpc.NoIndex}
	var bad *RecordError
	if errors.As(err, &bad) && bad.Index >= 0 {
		e.Index = bad.Index
		if bad.Err != nil {
			e.Message = bad.Err.Error()
		}
	}
	return e
}

func (s *server) Describe(context.Context, *pluginrpc.Empty) (*pluginrpc.DescribeResponse, error) {
	resp := &pluginrpc.DescribeResponse{}
	for i := range s.plugins {
		p := &s.plugins[i]
		keys, err := p.Keys()
		if err != nil {
			return nil, err
		}
		d := pluginrpc.Descriptor{
			Class: p.Class, Aliases: p.Aliases, Type: string(p.Type), Version: p.Version, Summary: p.Summary,
			Singleton: p.Singleton, TaskConfigs: p.TaskConfigs != nil,
		}
		if p.Type == TypeSink {
			// The runtime tells an OffsetKeeper by its methods, so the host
			// needs to know before it makes the adapter.
			err := safely(func() error {
				_, d.OffsetKeeper = p.NewSink().(OffsetKeeper)
				return nil
			})
			if err != nil {
				return nil, fmt.Errorf("plugin %s: NewSink: %w", p.Class, err)
			}
		}
		for _, k := range keys {
			d.ConfigKeys = append(d.ConfigKeys, pluginrpc.ConfigKey{
				Name: k.Name, Type: k.Type, Required: k.Required, DefaultValue: k.DefaultValue,
				Importance: k.Importance, Documentation: k.Documentation, Group: k.Group, Width: k.Width,
				DisplayName: k.DisplayName, Dependents: k.Dependents, Order: k.Order, Enum: k.Enum,
			})
		}
		resp.Plugins = append(resp.Plugins, d)
	}
	return resp, nil
}

func (s *server) Validate(_ context.Context, req *pluginrpc.ConfigRequest) (*pluginrpc.ValidateResponse, error) {
	p, err := s.lookup(req.Class)
	if err != nil {
		return &pluginrpc.ValidateResponse{Err: wireError(err)}, nil
	}
	var problems map[string][]string
	err = safely(func() error {
		problems = p.Problems(Config(req.Config))
		return nil
	})
	return &pluginrpc.ValidateResponse{Problems: problems, Err: wireError(err)}, nil
}

func (s *server) TaskConfigs(_ context.Context, req *pluginrpc.ConfigRequest) (*pluginrpc.TaskConfigsResponse, error) {
	p, err := s.lookup(req.Class)
	if err == nil && p.TaskConfigs == nil {
		err = fmt.Errorf("plugin %s does not split its config into tasks", p.Class)
	}
	if err != nil {
		return &pluginrpc.TaskConfigsResponse{Err: wireError(err)}, nil
	}
	var cfgs []Config
	err = safely(func() (err error) {
		cfgs, err = p.TaskConfigs(Config(req.Config), req.MaxTasks)
		return err
	})
	resp := &pluginrpc.TaskConfigsResponse{Err: wireError(err)}
	for _, c := range cfgs {
		resp.Configs = append(resp.Configs, map[string]string(c))
	}
	return resp, nil
}

func (s *server) Open(ctx context.Context, req *pluginrpc.OpenRequest) (*pluginrpc.Status, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.opened {
		return nil, errors.New("sdk: this plugin process already serves a task")
	}
	p, err := s.lookup(req.Class)
	if err != nil {
		return &pluginrpc.Status{Err: wireError(err)}, nil
	}
	s.opened = true
	cfg := Config(req.Config)
	err = safely(func() error {
		switch p.Type {
		case TypeSource:
			s.source = p.NewSource()
			return s.source.Open(ctx, cfg, req.Last)
		case TypeSink:
			s.sink = p.NewSink()
			return s.sink.Open(ctx, cfg)
		default:
			tr := p.NewTransform()
			if _, ok := tr.(Stateful); ok {
				// Its state would live in this process only: no changelog,
				// no restore, lost at every restart while the task ran on
				// as if nothing happened.
				return fmt.Errorf("%s keeps state (sdk.Stateful), and stateful transforms run in-process only, where the worker logs their state to a changelog topic and restores it: build it into the worker instead of serving it from a plugin binary", p.Class)
			}
			s.transform = tr
			return s.transform.Open(ctx, cfg)
		}
	})
	return &pluginrpc.Status{Err: wireError(err)}, nil
}

func (s *server) Close(context.Context, *pluginrpc.Empty) (*pluginrpc.Status, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	err := safely(func() error {
		switch {
		case s.source != nil:
			return s.source.Close()
		case s.sink != nil:
			return s.sink.Close()
		case s.transform != nil:
			return s.transform.Close()
		}
		return nil
	})
	s.source, s.sink, s.transform = nil, nil, nil
	return &pluginrpc.Status{Err: wireError(err)}, nil
}

var errNotOpen = errors.New("sdk: no task of that type is open in this plugin process")

// counts reads a Counted instance's totals. They are copied: the response is
// encoded after the call returns, while the plugin may count on.
func counts(instance any) map[string]int64 {
	if c, ok := instance.(Counted); ok {
		return maps.Clone(c.Counts())
	}
	return nil
}

func (s *server) Process(ctx context.Context, req *pluginrpc.Batch) (*pluginrpc.RecordsResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.transform == nil {
		return nil, errNotOpen
	}
	var out []Record
	err := safely(func() (err error) {
		out, err = s.transform.Process(ctx, req.Records)
		return err
	})
	if err != nil {
		out = nil
	}
	var n map[string]int64
	_ = safely(func() error { n = counts(s.transform); return nil })
	return &pluginrpc.RecordsResponse{Records: out, Err: wireError(err), Counts: n}, nil
}

func (s *server) Write(ctx context.Context, req *pluginrpc.Batch) (*pluginrpc.WriteResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sink == nil {
		return nil, errNotOpen
	}
	var written int
	err := safely(func() (err error) {
		written, err = s.sink.Write(ctx, req.Records)
		return err
	})
	written = min(max(written, 0), len(req.Records))
	var n map[string]int64
	_ = safely(func() error { n = counts(s.sink); return nil })
	return &pluginrpc.WriteResponse{Written: written, Err: wireError(err), Counts: n}, nil
}

func (s *server) Flush(ctx context.Context, _ *pluginrpc.Empty) (*pluginrpc.Status, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sink == nil {
		return nil, errNotOpen
	}
	return &pluginrpc.Status{Err: wireError(safely(func() error { return s.sink.Flush(ctx) }))}, nil
}

func (s *server) StoredOffsets(ctx context.Context, _ *pluginrpc.Empty) (*pluginrpc.OffsetsResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	keeper, ok := s.sink.(OffsetKeeper)
	if !ok {
		return nil, errNotOpen
	}
	var stored map[TopicPartition]int64
	err := safely(func() (err error) {
		stored, err = keeper.StoredOffsets(ctx)
		return err
	})
	resp := &pluginrpc.OffsetsResponse{Err: wireError(err)}
	for tp, off := range stored {
		resp.Offsets = append(resp.Offsets, pluginrpc.TopicOffset{Topic: tp.Topic, Partition: tp.Partition, Offset: off})
	}
	return resp, nil
}

func (s *server) Read(ctx context.Context, _ *pluginrpc.Empty) (*pluginrpc.RecordsResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.source == nil {
		return nil, errNotOpen
	}
	// The host kills a process that lets a call outlive its deadline, and a
	// source waiting for data is not hung: its Read ends a little before the
	// deadline, and the answer is an empty batch the host asks again after.
	rctx, cancel := readContext(ctx)
	defer cancel()
	var recs []Record
	err := safely(func() (err error) {
		recs, err = s.source.Read(rctx)
		return err
	})
	if err != nil && rctx.Err() != nil && ctx.Err() == nil {
		err = nil
	}
	var n map[string]int64
	_ = safely(func() error { n = counts(s.source); return nil })
	return &pluginrpc.RecordsResponse{Records: recs, Err: wireError(err), Counts: n}, nil
}

// readContext ends a tenth of the remaining time before ctx's deadline,
// within 50 ms to 2 s, leaving room for the answer to travel.
func readContext(ctx context.Context) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	margin := min(max(time.Until(deadline)/10, 50*time.Millisecond), 2*time.Second)
	return context.WithDeadline(ctx, deadline.Add(-margin))
}

func (s *server) Ack(ctx context.Context, req *pluginrpc.AckRequest) (*pluginrpc.Status, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.source == nil {
		return nil, errNotOpen
	}
	return &pluginrpc.Status{Err: wireError(safely(func() error { return s.source.Ack(ctx, req.Positions) }))}, nil
}
