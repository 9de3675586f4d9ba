package api

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

// accessLog writes one structured line per request. Probes, scrapes and
// dashboard assets log at debug level so they do not drown the rest.
func (s *Server) accessLog(c *gin.Context) {
	start := time.Now()
	c.Next()
	status := c.Writer.Status()
	level := slog.LevelInfo
	switch p := c.Request.URL.Path; {
	case p == "/health" && status == http.StatusServiceUnavailable:
		// A worker answers 503 while it starts; probes polling it then are
		// expected, not errors.
		level = slog.LevelDebug
	case status >= http.StatusInternalServerError:
		level = slog.LevelError
	case p == "/health" || p == "/metrics" || strings.HasPrefix(p, uiPrefix+"/"):
		level = slog.LevelDebug
	}
	attrs := []slog.Attr{
		slog.String("method", c.Request.Method),
		slog.String("path", c.Request.URL.Path),
		slog.Int("status", status),
		slog.Duration("duration", time.Since(start)),
		slog.Int("bytes", max(c.Writer.Size(), 0)),
		slog.String("remote", c.ClientIP()),
	}
	if len(c.Errors) > 0 {
		attrs = append(attrs, slog.String("error", c.Errors.String()))
	}
	s.log.LogAttrs(c.Request.Context(), level, "http request", attrs...)
}

// recoverPanic turns a panic of a handler into a 500 answer.
func (s *Server) recoverPanic(c *gin.Context) {
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		if r == http.ErrAbortHandler { // compared as net/http does
			panic(r)
		}
		_ = c.Error(fmt.Errorf("panic: %v", r))
		s.log.Error("panic serving request", "method", c.Request.Method, "path", c.Request.URL.Path,
			"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		if c.Writer.Written() {
			c.Abort()
			return
		}
		writeError(c, http.StatusInternalServerError, "internal server error")
	}()
	c.Next()
}

// authenticate checks the bearer token on writes, and on reads with
// ProtectReads. The token is compared through its SHA-256 in constant time,
// so neither its content nor its length leaks through timing.
func (s *Server) authenticate(c *gin.Context) {
	if s.tokenHash == nil || !s.needsToken(c.Request) {
		c.Next()
		return
	}
	h := c.GetHeader("Authorization")
	const scheme = "Bearer "
	if len(h) < len(scheme) || !strings.EqualFold(h[:len(scheme)], scheme) {
		s.unauthorized(c, "missing bearer token: send the header `Authorization: Bearer <token>`")
		return
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(h[len(scheme):])))
	if subtle.ConstantTimeCompare(got[:], s.tokenHash[:]) != 1 {
		s.unauthorized(c, "invalid bearer token")
		return
	}
	c.Next()
}

func (s *Server) needsToken(r *http.Request) bool {
	p := r.URL.Path
	if p == "/health" || p == uiPrefix || strings.HasPrefix(p, uiPrefix+"/") {
		return false
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return s.opts.ProtectReads
	default:
		return true
	}
}

func (s *Server) unauthorized(c *gin.Context, msg string) {
	c.Header("WWW-Authenticate", `Bearer realm="tributary"`)
	writeError(c, http.StatusUnauthorized, msg)
}

// limitBody bounds the request body: a declared length beyond the limit is
// refused at once, a body that turns out longer fails its read (see readBody).
func (s *Server) limitBody(c *gin.Context) {
	if c.Request.ContentLength > s.opts.MaxBodyBytes {
		writeError(c, http.StatusRequestEntityTooLarge, tooLarge(s.opts.MaxBodyBytes))
		return
	}
	if c.Request.Body != nil {
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, s.opts.MaxBodyBytes)
	}
	c.Next()
}

func tooLarge(limit int64) string {
	return fmt.Sprintf("request body is larger than the limit of %d bytes", limit)
}

// untilReady answers 503 while the worker starts (it is still replaying its
// topics, so it could not answer truthfully); /health says the same in its
// own shape, and the static documents and metrics need no worker state.
func (s *Server) untilReady(c *gin.Context) {
	switch p := c.Request.URL.Path; {
	case p == "/health", p == "/openapi.yaml", p == "/metrics", p == uiPrefix, strings.HasPrefix(p, uiPrefix+"/"):
		c.Next()
		return
	}
	if err := s.ctl.Ready(); err != nil {
		writeError(c, http.StatusServiceUnavailable, "worker is not ready: "+err.Error())
		c.Abort()
		return
	}
	c.Next()
}
