package file

import "bytes"

// line is one complete line found by lineReader.
type line struct {
	// data is the line without its terminator ("\n" or "\r\n"), cut to the
	// reader's max when the line was longer. It is never nil and aliases no
	// buffer of the reader.
	data []byte
	// length is the length of the whole line without its terminator; it is
	// larger than len(data) exactly when the line was truncated.
	length int64
	// end is the file offset just after the line's terminator: the position to
	// resume from once this line is delivered.
	end int64
	// crlf reports whether the terminator was "\r\n" rather than "\n".
	crlf bool
}

func (l line) truncated() bool { return l.length > int64(len(l.data)) }

// lineReader splits a byte stream fed in chunks of any size into lines. It
// keeps at most max bytes of an unfinished line, so a file without newlines
// cannot exhaust memory: the bytes of a line beyond that are counted, not kept.
type lineReader struct {
	max int
	// pos is the stream offset of the next byte fed.
	pos int64
	// pending holds the first bytes (at most max) of the unfinished line.
	pending []byte
	// dropped counts the bytes of the unfinished line beyond pending.
	dropped int64
	// lastCR reports whether the last byte of the unfinished line was '\r',
	// kept or not, which decides whether its terminator is "\r\n".
	lastCR bool
}

func newLineReader(max int, pos int64) *lineReader {
	return &lineReader{max: max, pos: pos}
}

// start returns the stream offset where the unfinished line begins, which is
// also the offset just after the last complete line.
func (r *lineReader) start() int64 { return r.pos - int64(len(r.pending)) - r.dropped }

// reset forgets the unfinished line and continues at stream offset pos.
func (r *lineReader) reset(pos int64) {
	r.pos, r.pending, r.dropped, r.lastCR = pos, r.pending[:0], 0, false
}

// feed consumes p and appends the lines it completes to out.
func (r *lineReader) feed(p []byte, out []line) []line {
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			r.add(p)
			r.pos += int64(len(p))
			return out
		}
		r.add(p[:i])
		r.pos += int64(i) + 1
		p = p[i+1:]

		total := int64(len(r.pending)) + r.dropped
		l := line{length: total, end: r.pos}
		if r.lastCR {
			l.crlf = true
			l.length--
		}
		// pending holds min(total, max) bytes, which covers min(length, max).
		keep := min(l.length, int64(r.max))
		// Never nil: an empty line is an empty value, not a tombstone.
		l.data = make([]byte, keep)
		copy(l.data, r.pending)
		out = append(out, l)
		r.pending, r.dropped, r.lastCR = r.pending[:0], 0, false
	}
	return out
}

// add appends bytes without a newline to the unfinished line.
func (r *lineReader) add(p []byte) {
	if len(p) == 0 {
		return
	}
	r.lastCR = p[len(p)-1] == '\r'
	room := r.max - len(r.pending)
	if room >= len(p) {
		r.pending = append(r.pending, p...)
		return
	}
	if room > 0 {
		r.pending = append(r.pending, p[:room]...)
		p = p[room:]
	}
	r.dropped += int64(len(p))
}
