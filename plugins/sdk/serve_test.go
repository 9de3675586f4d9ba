package sdk

import (
	"context"
	"errors"
	"fmt"
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
