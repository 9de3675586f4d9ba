package host

import (
	"bytes"
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

const (
	// tailLines is how many of a plugin's last output lines an error quotes.
	tailLines = 20
	// maxLineBytes cuts lines that would make an error message unreadable.
	maxLineBytes = 512
)

// output logs a plugin process's stderr and stdout line by line and keeps
// the last lines, so the error of a crash can say what the plugin said last.
type output struct {
	log *slog.Logger
	pid atomic.Int64 // known once the process started

	mu    sync.Mutex
	lines []string // ring of the last tailLines lines
	next  int
	// panicLine is the first line of a Go panic or fatal error: the stack
	// under it is longer than the tail, and the line says what happened.
	panicLine string
}

func newOutput(log *slog.Logger) *output { return &output{log: log} }

func (o *output) add(stream, line string) {
	level := slog.LevelInfo
	crash := strings.HasPrefix(line, "panic: ") || strings.HasPrefix(line, "fatal error: ")
	if crash {
		level = slog.LevelError
	}
	o.log.Log(context.Background(), level, "plugin output", "pid", o.pid.Load(), "stream", stream, "line", line)
	if len(line) > maxLineBytes {
		line = line[:maxLineBytes] + "…"
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if crash && o.panicLine == "" {
		o.panicLine = line
	}
	if len(o.lines) < tailLines {
		o.lines = append(o.lines, line)
		return
	}
	o.lines[o.next] = line
	o.next = (o.next + 1) % tailLines
}

// tail returns the last lines, oldest first, with the panic line first when
// it scrolled out.
func (o *output) tail() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := append(append([]string(nil), o.lines[o.next:]...), o.lines[:o.next]...)
	if o.panicLine != "" && !slices.Contains(out, o.panicLine) {
		out = append([]string{o.panicLine, "…"}, out...)
	}
	return out
}

// quote renders the tail for an error message, "" when the plugin said nothing.
func (o *output) quote() string {
	lines := o.tail()
	if len(lines) == 0 {
		return "; it wrote nothing to stderr"
	}
	return "; its last output:\n  " + strings.Join(lines, "\n  ")
}

// writer returns an io.Writer for one stream: go-plugin writes lines in
// pieces, so each stream keeps its partial line.
func (o *output) writer(stream string) *lineWriter {
	return &lineWriter{o: o, stream: stream}
}

type lineWriter struct {
	o       *output
	stream  string
	partial []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			w.partial = append(w.partial, p...)
			if len(w.partial) > 64*1024 {
				w.flush()
			}
			break
		}
		w.partial = append(w.partial, p[:i]...)
		w.flush()
		p = p[i+1:]
	}
	return n, nil
}

func (w *lineWriter) flush() {
	line := strings.TrimRight(string(w.partial), "\r")
	w.partial = w.partial[:0]
	w.o.add(w.stream, line)
}
