// Command good serves a well-behaved transform, sink and source for the
// host's tests. Each does what its config asks, so a test can check that
// records, errors, counts and positions cross the process boundary intact.
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/tributarydata/tributary/plugins/internal/pluginrpc"
	"github.com/tributarydata/tributary/plugins/sdk"
)

func main() {
	if os.Getenv("TEST_NO_STREAM") == "1" {
		// Leaves the record stream untaken, as a plugin built before
		// it does: the host's calls must then go over gRPC.
		os.Unsetenv(pluginrpc.StreamEnv)
	}
	sdk.Serve(Echo, Collect, Counter)
}

type echoConfig struct {
	Suffix    string `json:"suffix" validate:"max=10" doc:"Appended to every value; empty passes records through untouched."`
	Reject    string `json:"reject" doc:"A value refused with a RecordError."`
	Retriable string `json:"retriable" doc:"A value that fails the batch with a retriable error."`
	Fault     string `json:"fault" doc:"A value returned with Fault set."`
	Secret    string `json:"secret" type:"password" doc:"Never shown."`
	Mode      string `json:"mode" default:"plain" validate:"oneof=plain loud"`
}

// Echo appends a suffix to values.
var Echo = sdk.Plugin{
	Class: "test.echo", Aliases: []string{"test.Echo"}, Type: sdk.TypeTransform, Version: "1.2.3",
	Summary: "Appends a suffix to values.", Config: &echoConfig{},
	ValidateConfig: func(cfg sdk.Config) map[string][]string {
		if cfg["suffix"] == "forbidden" {
			return map[string][]string{"suffix": {"must not be forbidden"}}
		}
		return nil
	},
	NewTransform: func() sdk.Transform { return &echo{} },
}

type echo struct {
	sdk.UnimplementedTransform
	cfg  echoConfig
	seen int64
}

func (e *echo) Open(_ context.Context, cfg sdk.Config) error {
	// Through os.Stderr, which go-plugin streams to the host over gRPC.
	fmt.Fprintf(os.Stderr, "echo: open with args %q and TRIBUTARY_TEST_ENV=%s\n", os.Args[1:], os.Getenv("TRIBUTARY_TEST_ENV"))
	return sdk.Decode(cfg, &e.cfg)
}

func (e *echo) Process(_ context.Context, recs []sdk.Record) ([]sdk.Record, error) {
	e.seen += int64(len(recs))
	if e.cfg.Suffix == "" && e.cfg.Reject == "" && e.cfg.Retriable == "" && e.cfg.Fault == "" {
		return recs, nil
	}
	for i := range recs {
		r := &recs[i]
		switch v := string(r.Value); {
		case e.cfg.Reject != "" && v == e.cfg.Reject:
			return nil, &sdk.RecordError{Index: i, Err: fmt.Errorf("value %q is refused", v)}
		case e.cfg.Retriable != "" && v == e.cfg.Retriable:
			return nil, sdk.Retriable(errors.New("try again later"))
		case e.cfg.Fault != "" && v == e.cfg.Fault:
			r.Fault = errors.New("value is faulty")
		default:
			r.Value = append(r.Value, e.cfg.Suffix...)
		}
	}
	return recs, nil
}

func (e *echo) Counts() map[string]int64 { return map[string]int64{"seen": e.seen} }

type collectConfig struct {
	File string `json:"file" validate:"required" doc:"File the records are appended to, one line each."`
}

// Collect appends records to a file and keeps their offsets.
var Collect = sdk.Plugin{
	Class: "test.collect", Type: sdk.TypeSink, Version: "1", Config: &collectConfig{},
	NewSink: func() sdk.Sink { return &collect{} },
}

type collect struct {
	sdk.UnimplementedSink
	f       *os.File
	w       *bufio.Writer
	next    map[sdk.TopicPartition]int64
	written int64
}

func (c *collect) Open(_ context.Context, cfg sdk.Config) error {
	var conf collectConfig
	if err := sdk.Decode(cfg, &conf); err != nil {
		return err
	}
	f, err := os.OpenFile(conf.File, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	c.f, c.w, c.next = f, bufio.NewWriter(f), map[sdk.TopicPartition]int64{}
	return nil
}

func (c *collect) Write(_ context.Context, recs []sdk.Record) (int, error) {
	for i, r := range recs {
		if string(r.Value) == "bad" {
			return i, &sdk.RecordError{Index: i, Err: errors.New("bad value")}
		}
		fmt.Fprintf(c.w, "%s/%d/%d %s\n", r.Topic, r.Partition, r.Offset, r.Value)
		c.next[sdk.TopicPartition{Topic: r.Topic, Partition: r.Partition}] = r.Offset + 1
		c.written++
	}
	return len(recs), nil
}

func (c *collect) Flush(context.Context) error {
	if err := c.w.Flush(); err != nil {
		return err
	}
	return c.f.Sync()
}

func (c *collect) StoredOffsets(context.Context) (map[sdk.TopicPartition]int64, error) {
	return c.next, nil
}

func (c *collect) Counts() map[string]int64 { return map[string]int64{"written": c.written} }

func (c *collect) Close() error {
	if c.f == nil {
		return nil
	}
	if err := c.w.Flush(); err != nil {
		return err
	}
	return c.f.Close()
}

type counterConfig struct {
	Count int    `json:"count" default:"10" validate:"gte=0" doc:"How many records to emit."`
	Topic string `json:"topic" doc:"Topic of the records."`
	Batch int    `json:"batch" default:"4" validate:"gt=0"`
}

// Counter emits numbered records with positions, resuming after the last.
var Counter = sdk.Plugin{
	Class: "test.counter", Type: sdk.TypeSource, Version: "1", Config: &counterConfig{},
	NewSource: func() sdk.Source { return &counter{} },
	TaskConfigs: func(cfg sdk.Config, maxTasks int) ([]sdk.Config, error) {
		out := make([]sdk.Config, maxTasks)
		for i := range out {
			c := sdk.Config{"task.index": strconv.Itoa(i)}
			for k, v := range cfg {
				c[k] = v
			}
			out[i] = c
		}
		return out, nil
	},
}

type counter struct {
	sdk.UnimplementedSource
	cfg   counterConfig
	next  int64
	acked int64
}

func (c *counter) Open(_ context.Context, cfg sdk.Config, last []sdk.Position) error {
	if err := sdk.Decode(cfg, &c.cfg); err != nil {
		return err
	}
	for _, p := range last {
		n, err := sdk.OffsetInt(p.Offset["n"])
		if err != nil {
			return fmt.Errorf("stored position: %w", err)
		}
		c.next = n + 1
	}
	return nil
}

func (c *counter) Read(ctx context.Context) ([]sdk.Record, error) {
	if c.next >= int64(c.cfg.Count) {
		<-ctx.Done() // nothing more: a quiet source waits
		return nil, ctx.Err()
	}
	var out []sdk.Record
	for ; c.next < int64(c.cfg.Count) && len(out) < c.cfg.Batch; c.next++ {
		out = append(out, sdk.Record{
			Topic: c.cfg.Topic, Value: []byte(strconv.FormatInt(c.next, 10)), Partition: -1,
			Position: sdk.Position{Partition: map[string]any{"counter": "c"}, Offset: map[string]any{"n": c.next}},
		})
	}
	return out, nil
}

func (c *counter) Ack(_ context.Context, positions []sdk.Position) error {
	for _, p := range positions {
		n, err := sdk.OffsetInt(p.Offset["n"])
		if err != nil {
			return err
		}
		c.acked = n
	}
	return nil
}

func (c *counter) Counts() map[string]int64 { return map[string]int64{"acked": c.acked} }
