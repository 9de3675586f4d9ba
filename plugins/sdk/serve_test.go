package sdk

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tributarydata/tributary/plugins/internal/pluginrpc"
)

// TestWireErrorKeepsWhatTheRuntimeActsOn: the record a RecordError names and
// the Retriable mark survive, however the plugin wrapped them.
func TestWireErrorKeepsWhatTheRuntimeActsOn(t *testing.T) {
	base := errors.New("lock timeout")
	for _, c := range []struct {
		err  error
		want pluginrpc.Error
	}{
		{base, pluginrpc.Error{Message: "lock timeout", Index: pluginrpc.NoIndex}},
		{Retriable(base), pluginrpc.Error{Message: "lock timeout", Retriable: true, Index: pluginrpc.NoIndex}},
		{&RecordError{Index: 3, Err: base}, pluginrpc.Error{Message: "lock timeout", Index: 3}},
		{fmt.Errorf("write: %w", &RecordError{Index: 0, Err: Retriable(base)}), pluginrpc.Error{Message: "lock timeout", Retriable: true, Index: 0}},
		{Retriable(&RecordError{Index: 2, Err: base}), pluginrpc.Error{Message: "lock timeout", Retriable: true, Index: 2}},
		{&RecordError{Index: -1, Err: base}, pluginrpc.Error{Message: "record -1: lock timeout", Index: pluginrpc.NoIndex}},
	} {
		if got := wireError(c.err); *got != c.want {
			t.Errorf("%v: %+v, want %+v", c.err, *got, c.want)
		}
	}
	if wireError(nil) != nil {
		t.Error("nil became an error")
	}
}

func TestSafelyTurnsAPanicIntoAnError(t *testing.T) {
	err := safely(func() error { panic("boom") })
	if err == nil || err.Error() != "plugin panicked: boom" {
		t.Fatalf("got %v", err)
	}
}

func TestReadEndsBeforeTheCallDeadline(t *testing.T) {
	for _, c := range []struct{ left, margin time.Duration }{
		{30 * time.Second, 2 * time.Second}, // capped
		{5 * time.Second, 500 * time.Millisecond},
		{200 * time.Millisecond, 50 * time.Millisecond}, // floored
	} {
		ctx, cancel := context.WithTimeout(context.Background(), c.left)
		deadline, _ := ctx.Deadline()
		rctx, rcancel := readContext(ctx)
		got, _ := rctx.Deadline()
		if early := deadline.Sub(got); early > c.margin || early < c.margin-10*time.Millisecond {
			t.Errorf("%v left: Read ends %v early, want %v", c.left, early, c.margin)
		}
		rcancel()
		cancel()
	}
	rctx, cancel := readContext(context.Background())
	defer cancel()
	if _, ok := rctx.Deadline(); ok {
		t.Error("a call without a deadline got one")
	}
}

func TestServeRefusesDuplicateClasses(t *testing.T) {
	p := Plugin{Class: "a", Type: TypeTransform, Config: &struct{}{}, NewTransform: func() Transform { return nil }}
	q := p
	q.Class, q.Aliases = "b", []string{"a"}
	if _, err := newServer([]Plugin{p, q}); err == nil {
		t.Error("two plugins named a were served")
	}
	if _, err := newServer(nil); err == nil {
		t.Error("a binary without plugins was served")
	}
}

// statefulTransform keeps state: out of process it would lose it silently.
type statefulTransform struct{ openCounter }

func (statefulTransform) Assign([]TopicPartition) error                     { return nil }
func (statefulTransform) Restore(int32, []byte, []byte) error               { return nil }
func (statefulTransform) Changes() []StateChange                            { return nil }
func (statefulTransform) Tick(context.Context, time.Time) ([]Record, error) { return nil, nil }

func TestServeRefusesAStatefulTransform(t *testing.T) {
	opened := false
	plain := Plugin{Class: "plain", Type: TypeTransform, Config: &struct{}{}, NewTransform: func() Transform {
		return &openCounter{opened: &opened}
	}}
	keeps := Plugin{Class: "keeps", Type: TypeTransform, Config: &struct{}{}, NewTransform: func() Transform { return &statefulTransform{openCounter{opened: new(bool)}} }}
	open := func(class string) *pluginrpc.Status {
		s, err := newServer([]Plugin{plain, keeps})
		if err != nil {
			t.Fatal(err)
		}
		st, err := s.Open(context.Background(), &pluginrpc.OpenRequest{Class: class})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	if st := open("keeps"); st.Err == nil || !strings.Contains(st.Err.Message, "in-process only") {
		t.Errorf("a stateful transform opened out of process: %+v", st.Err)
	}
	if st := open("plain"); st.Err != nil || !opened {
		t.Errorf("a stateless transform: %+v, opened %v", st.Err, opened)
	}
}

type openCounter struct {
	UnimplementedTransform
	opened *bool
}

func (o *openCounter) Open(context.Context, Config) error { *o.opened = true; return nil }

func (o *openCounter) Process(_ context.Context, recs []Record) ([]Record, error) { return recs, nil }
