package applog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// Keys of the position: partition {"collector": <connector name>, "task":
// <task number>}, offset {"seq": <sequence number of the event>}.
const (
	partitionKeyCollector = "collector"
	partitionKeyTask      = "task"
	offsetKeySeq          = "seq"
)

const (
	// defaultMaxRecordBytes is the runtime's default of max.record.bytes.
	defaultMaxRecordBytes = 1 << 20
	// shutdownGrace bounds how long Close waits for handlers and bodies
	// being read before it cuts the connections.
	shutdownGrace = 5 * time.Second
)

// Source is one task of the collector: an HTTP server whose handlers queue
// the events of their requests in an inbox, which Read drains and Ack
// settles. Read, Ack and Close are called by the task goroutine; the
// handlers run beside them.
type Source struct {
	sdk.UnimplementedSource

	cfg      Config
	log      *slog.Logger
	keys     *keyring
	builder  *builder
	tolerant bool // errors.tolerance=all: invalid events become dead letters
	inbox    *inbox
	partKey  string        // PartitionKey of the task's positions
	slots    chan struct{} // one per request being read, max.concurrent.requests
	stalled  atomic.Bool   // a request timed out, and the runtime has not read or acknowledged since

	srv       *http.Server
	addr      net.Addr
	served    chan struct{} // closed when Serve returned
	closeOnce sync.Once
}

// Open checks the config and starts listening. last gives the sequence
// numbers to continue from, so they keep growing across restarts.
func (s *Source) Open(ctx context.Context, cfg sdk.Config, last []sdk.Position) error {
	if err := sdk.Decode(cfg, &s.cfg); err != nil {
		return err
	}
	name := cfg["name"]
	if name == "" {
		name = "applog"
	}
	task := 0
	if v := cfg[taskKey]; v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return fmt.Errorf("applog: task config %s=%q is not a task number", taskKey, v)
		}
		task = n
	}
	s.log = slog.Default().With("connector", name, "task", task, "plugin", Plugin.Class)

	var err error
	if s.keys, err = parseKeys(s.cfg.APIKeys.Value()); err != nil {
		return fmt.Errorf("applog: %w", err)
	}
	maxRecord := defaultMaxRecordBytes
	if v := strings.TrimSpace(cfg["max.record.bytes"]); v != "" {
		if maxRecord, err = strconv.Atoi(v); err != nil || maxRecord <= 0 {
			return fmt.Errorf("applog: max.record.bytes=%q is not a positive integer", v)
		}
	}
	if int64(s.cfg.MaxBodyBytes) > s.cfg.MaxPendingBytes {
		return fmt.Errorf("applog: max.body.bytes=%d is over max.pending.bytes=%d: no body that size could ever be taken", s.cfg.MaxBodyBytes, s.cfg.MaxPendingBytes)
	}
	if s.builder, err = newBuilder(&s.cfg, maxRecord); err != nil {
		return fmt.Errorf("applog: %w", err)
	}
	s.tolerant = strings.TrimSpace(cfg["errors.tolerance"]) == "all"

	partition := map[string]any{partitionKeyCollector: name, partitionKeyTask: task}
	s.partKey = sdk.Position{Partition: partition}.PartitionKey()
	next := int64(1)
	for _, p := range last {
		if p.PartitionKey() != s.partKey {
			continue
		}
		// The sequence only orders this run's acknowledgements; a stored
		// one that does not read is no reason to refuse to start.
		if n, err := sdk.OffsetInt(p.Offset[offsetKeySeq]); err == nil {
			next = n + 1
		} else {
			s.log.Warn("applog: ignoring stored position", "err", err)
		}
	}
	s.inbox = newInbox(partition, next, s.cfg.MaxPendingEvents, s.cfg.MaxPendingBytes)
	s.slots = make(chan struct{}, s.cfg.MaxConcurrentRequests)
	return s.listen(ctx)
}

// listen binds the port and serves it until Close.
func (s *Source) listen(ctx context.Context) error {
	lc := net.ListenConfig{Control: controlListener}
	ln, err := lc.Listen(ctx, "tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("applog: listen: %w", err)
	}
	s.addr = ln.Addr()
	s.srv = &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: min(10*time.Second, s.cfg.ReadTimeout),
		ReadTimeout:       s.cfg.ReadTimeout,
		// A handler writes once Kafka answered, or after ack.timeout.ms.
		WriteTimeout:   s.cfg.ReadTimeout + s.cfg.AckTimeout + 10*time.Second,
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	s.served = make(chan struct{})
	go func() {
		defer close(s.served)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("applog: HTTP server stopped", "err", err)
		}
	}()
	s.log.Info("applog: listening", "addr", s.addr.String(), "path", EventsPath)
	return nil
}

// Read returns the events waiting, at most batch.size, oldest first; it
// waits for a request when there are none.
func (s *Source) Read(ctx context.Context) ([]sdk.Record, error) {
	s.stalled.Store(false)
	for {
		if recs := s.inbox.take(s.cfg.BatchSize); len(recs) > 0 {
			return recs, nil
		}
		select {
		case <-s.inbox.wake:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Ack answers the requests whose events are all in Kafka now.
func (s *Source) Ack(_ context.Context, positions []sdk.Position) error {
	s.stalled.Store(false)
	for _, p := range positions {
		if p.PartitionKey() != s.partKey {
			continue
		}
		seq, err := sdk.OffsetInt(p.Offset[offsetKeySeq])
		if err != nil {
			return fmt.Errorf("applog: acknowledged position: %w", err)
		}
		s.inbox.ack(seq)
	}
	return nil
}

// Close answers every waiting request with 503, refuses new ones, and stops
// the server, waiting at most shutdownGrace for requests being read.
func (s *Source) Close() error {
	s.closeOnce.Do(func() {
		if s.inbox != nil {
			s.inbox.stop()
		}
		if s.srv == nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		if err := s.srv.Shutdown(ctx); err != nil {
			s.log.Warn("applog: requests still being read at shutdown were cut", "err", err)
			_ = s.srv.Close()
		}
		<-s.served
	})
	return nil
}
