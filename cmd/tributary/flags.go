package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/tributarydata/tributary/bus/worker"
)

func versionString() string {
	return fmt.Sprintf("tributary %s (%s)", worker.Version, worker.Commit)
}

// logFlags adds --log-level and --log-format to fs and returns a function
// building the logger once flags are parsed.
func logFlags(fs *flag.FlagSet) func() *slog.Logger {
	level := fs.String("log-level", "info", "debug, info, warn or error")
	format := fs.String("log-format", "text", "text or json")
	return func() *slog.Logger {
		var lvl slog.Level
		if err := lvl.UnmarshalText([]byte(*level)); err != nil {
			lvl = slog.LevelInfo
		}
		opts := &slog.HandlerOptions{Level: lvl}
		var w io.Writer = os.Stderr
		var h slog.Handler
		if strings.EqualFold(*format, "json") {
			h = slog.NewJSONHandler(w, opts)
		} else {
			h = slog.NewTextHandler(w, opts)
		}
		l := slog.New(h)
		slog.SetDefault(l)
		return l
	}
}
