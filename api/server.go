package api

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

// Server serves the REST API of one worker.
type Server struct {
	ctl       Controller
	opts      Options
	log       *slog.Logger
	tokenHash *[sha256.Size]byte // nil when no token is configured
	engine    *gin.Engine
}

// NewServer builds the API over c. It puts gin in release mode, a process-wide
// setting, so gin prints no debug output.
func NewServer(c Controller, opts Options) *Server {
	gin.SetMode(gin.ReleaseMode)
	opts = opts.withDefaults()
	s := &Server{ctl: c, opts: opts, log: opts.Logger}
	if opts.Token != "" {
		h := sha256.Sum256([]byte(opts.Token))
		s.tokenHash = &h
	}
	s.engine = s.newEngine()
	return s
}

func (s *Server) newEngine() *gin.Engine {
	e := gin.New()
	// Answer an unknown method with 405 rather than 404, and never redirect:
	// trailing slashes are removed before routing instead (see Handler).
	e.HandleMethodNotAllowed = true
	e.RedirectTrailingSlash = false
	e.RedirectFixedPath = false
	// ClientIP is the peer address; no proxy headers are trusted.
	_ = e.SetTrustedProxies(nil)
	e.Use(s.accessLog, s.recoverPanic, s.authenticate, s.limitBody, s.untilReady)
	e.NoRoute(func(c *gin.Context) {
		writeError(c, http.StatusNotFound, fmt.Sprintf("no route for %s %s", c.Request.Method, c.Request.URL.Path))
	})
	e.NoMethod(func(c *gin.Context) {
		writeError(c, http.StatusMethodNotAllowed, fmt.Sprintf("method %s is not allowed on %s (allowed: %s)",
			c.Request.Method, c.Request.URL.Path, c.Writer.Header().Get("Allow")))
	})
	s.routes(e)
	return e
}

// Handler returns the API as an http.Handler.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.engine.ServeHTTP(w, trimTrailingSlash(r))
	})
}

// trimTrailingSlash makes /connectors/ the same resource as /connectors, as
// Kafka Connect's Jersey does, without a redirect a client would have to follow.
// Dashboard paths are left alone: /ui/ is the dashboard's index.
func trimTrailingSlash(r *http.Request) *http.Request {
	p := r.URL.Path
	if len(p) <= 1 || !strings.HasSuffix(p, "/") || p == uiPrefix+"/" || strings.HasPrefix(p, uiPrefix+"/") {
		return r
	}
	u := *r.URL
	u.Path = strings.TrimRight(p, "/")
	if u.Path == "" {
		u.Path = "/"
	}
	u.RawPath = ""
	r2 := r.WithContext(r.Context())
	r2.URL = &u
	return r2
}

// ListenAndServe listens on addr and serves until ctx ends, then shuts down
// gracefully (see Serve).
func (s *Server) ListenAndServe(ctx context.Context, addr string) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("api: listen on %s: %w", addr, err)
	}
	return s.Serve(ctx, ln)
}

// Serve serves on ln until ctx ends. It then stops accepting connections and
// waits up to Options.ShutdownTimeout for requests in flight, closing the rest.
// It returns nil after a shutdown caused by ctx.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       time.Minute,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	s.log.Info("REST API listening", "addr", ln.Addr().String())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("api: serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), s.opts.ShutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serr := <-served; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	if err != nil {
		_ = srv.Close()
		return fmt.Errorf("api: shutdown: %w", err)
	}
	return nil
}
