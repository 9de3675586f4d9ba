package api

import (
	"log/slog"
	"net/http"
	"time"
)

// Defaults of Options.
const (
	DefaultMaxBodyBytes    = 1 << 20
	DefaultRequestTimeout  = 90 * time.Second // Kafka Connect's REST request timeout
	DefaultShutdownTimeout = 30 * time.Second
)

// Options configure a Server. The zero value serves the API without
// authentication, metrics or dashboard.
type Options struct {
	// Token, when set, is the bearer token every write (POST, PUT, PATCH,
	// DELETE) must carry in `Authorization: Bearer <token>`.
	Token string
	// ProtectReads requires the token for reads too. /health and the dashboard's
	// static files stay open either way (probes and browsers send no token).
	ProtectReads bool

	// UI, when set, serves the dashboard under /ui/; it sees paths with the
	// /ui prefix stripped.
	UI http.Handler
	// Metrics, when set, is served at GET /metrics (a promhttp handler).
	Metrics http.Handler

	// Logger receives access logs and server errors; slog.Default() when nil.
	Logger *slog.Logger

	// MaxBodyBytes bounds request bodies (413 beyond); DefaultMaxBodyBytes when 0.
	MaxBodyBytes int64
	// RequestTimeout bounds the context passed to the Controller;
	// DefaultRequestTimeout when 0.
	RequestTimeout time.Duration
	// ShutdownTimeout bounds the graceful shutdown of Serve;
	// DefaultShutdownTimeout when 0.
	ShutdownTimeout time.Duration
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = DefaultShutdownTimeout
	}
	return o
}
