package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/tributarydata/tributary/bus/worker"
)

// slowController holds ConnectorInfo until released, to see that shutdown
// waits for requests in flight.
type slowController struct {
	*fakeController
	entered chan struct{}
	release chan struct{}
}

func (s *slowController) ConnectorInfo(ctx context.Context, name string) (worker.ConnectorInfo, error) {
	close(s.entered)
	<-s.release
	return worker.ConnectorInfo{Name: name}, nil
}

func TestServeShutsDownGracefully(t *testing.T) {
	ctl := &slowController{fakeController: newFake(), entered: make(chan struct{}), release: make(chan struct{})}
	srv := NewServer(ctl, Options{Logger: slog.New(slog.DiscardHandler), ShutdownTimeout: 5 * time.Second})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()

	url := "http://" + ln.Addr().String()
	type result struct {
		status int
		name   string
		err    error
	}
	inflight := make(chan result, 1)
	go func() {
		resp, err := http.Get(url + "/connectors/slow")
		if err != nil {
			inflight <- result{err: err}
			return
		}
		defer resp.Body.Close()
		var info worker.ConnectorInfo
		err = json.NewDecoder(resp.Body).Decode(&info)
		inflight <- result{resp.StatusCode, info.Name, err}
	}()
	<-ctl.entered
	cancel()

	// Serve must not return while the request is in flight.
	select {
	case err := <-served:
		t.Fatalf("Serve returned %v with a request in flight", err)
	case <-time.After(100 * time.Millisecond):
	}
	close(ctl.release)
	r := <-inflight
	if r.err != nil || r.status != http.StatusOK || r.name != "slow" {
		t.Fatalf("in-flight request: %+v", r)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Serve = %v, want nil after shutdown", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after shutdown")
	}
	if _, err := http.Get(url + "/"); err == nil {
		t.Fatal("server still accepts connections after shutdown")
	}
}

func TestListenAndServeBadAddress(t *testing.T) {
	srv := NewServer(newFake(), Options{Logger: slog.New(slog.DiscardHandler)})
	if err := srv.ListenAndServe(context.Background(), "256.0.0.1:bad"); err == nil {
		t.Fatal("ListenAndServe on a bad address returned nil")
	}
}
