package timefmt

import (
	"strings"
	"time"
	"unsafe"
)

// Writer formats times by a Go layout, fast for a stream of times close
// together, as events are: when the layout ends in a fraction of a second
// (.000), the text up to it is kept per second and only the digits of the
// fraction are written per record (time.AppendFormat was a seventh of the
// signal ETL's time). Zone offsets change on whole seconds, so a second's
// text is the same for all its instants. The texts are cut from chunks that
// are never rewritten, so each is a string without an allocation of its own.
type Writer struct {
	layout string
	loc    *time.Location
	head   string // the layout up to the fraction; "" when it has none at its end
	digits int    // digits of the fraction
	sep    byte   // '.' or ','

	sec    int64 // the second head was last written for
	cached []byte
	valid  bool

	buf   []byte
	chunk []byte
}

// NewWriter returns a Writer of a Go layout in zone loc.
func NewWriter(layout string, loc *time.Location) *Writer {
	w := &Writer{layout: layout, loc: loc}
	zeros := len(layout) - len(strings.TrimRight(layout, "0"))
	if cut := len(layout) - zeros - 1; zeros >= 1 && zeros <= 9 && cut >= 2 && (layout[cut] == '.' || layout[cut] == ',') && layout[cut-2:cut] == "05" {
		w.head, w.digits, w.sep = layout[:cut], zeros, layout[cut]
	}
	return w
}

// Format returns t as text; the string stays valid for good.
func (w *Writer) Format(t time.Time) string {
	if w.head == "" {
		w.buf = t.In(w.loc).AppendFormat(w.buf[:0], w.layout)
		return w.keep(w.buf)
	}
	sec := t.Unix()
	if !w.valid || sec != w.sec {
		w.cached = t.In(w.loc).AppendFormat(w.cached[:0], w.head)
		w.sec, w.valid = sec, true
	}
	w.buf = append(append(w.buf[:0], w.cached...), w.sep)
	frac := t.Nanosecond()
	for i := 9; i > w.digits; i-- {
		frac /= 10
	}
	start := len(w.buf)
	for range w.digits {
		w.buf = append(w.buf, '0')
	}
	for i := len(w.buf) - 1; i >= start; i-- {
		w.buf[i] = byte('0' + frac%10)
		frac /= 10
	}
	return w.keep(w.buf)
}

// keep copies b into the current chunk and returns it as a string.
func (w *Writer) keep(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if cap(w.chunk)-len(w.chunk) < len(b) {
		w.chunk = make([]byte, 0, max(4096, len(b)))
	}
	start := len(w.chunk)
	w.chunk = append(w.chunk, b...)
	return unsafe.String(&w.chunk[start], len(b))
}
