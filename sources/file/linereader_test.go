package file

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// referenceLines splits data the obvious way, on the whole input at once.
func referenceLines(data []byte, max int, base int64) (lines []line, rest []byte) {
	pos := base
	for {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			return lines, data
		}
		content, crlf := data[:i], false
		if len(content) > 0 && content[len(content)-1] == '\r' {
			content, crlf = content[:len(content)-1], true
		}
		pos += int64(i) + 1
		lines = append(lines, line{
			data:   content[:min(len(content), max)],
			length: int64(len(content)),
			end:    pos,
			crlf:   crlf,
		})
		data = data[i+1:]
	}
}

// feedChunks feeds data to r in chunks whose sizes come from seed.
func feedChunks(r *lineReader, data []byte, seed uint64) []line {
	rng := rand.New(rand.NewPCG(seed, 0))
	var out []line
	for len(data) > 0 {
		n := rng.IntN(len(data) + 1) // 0 is a valid (empty) chunk
		out = r.feed(data[:n], out)
		data = data[n:]
	}
	return out
}

func checkLineReader(t *testing.T, data []byte, seed uint64, max int, base int64) {
	t.Helper()
	r := newLineReader(max, base)
	got := feedChunks(r, data, seed)
	want, rest := referenceLines(data, max, base)

	if len(got) != len(want) {
		t.Fatalf("got %d lines, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if !bytes.Equal(g.data, w.data) || g.data == nil || g.length != w.length || g.end != w.end || g.crlf != w.crlf {
			t.Fatalf("line %d: got {%q len=%d end=%d crlf=%v}, want {%q len=%d end=%d crlf=%v}",
				i, g.data, g.length, g.end, g.crlf, w.data, w.length, w.end, w.crlf)
		}
		if len(g.data) > max || g.truncated() != (w.length > int64(max)) {
			t.Fatalf("line %d: %d bytes kept of %d with max %d", i, len(g.data), g.length, max)
		}
	}
	if r.pos != base+int64(len(data)) {
		t.Fatalf("pos = %d, want %d", r.pos, base+int64(len(data)))
	}
	if wantStart := base + int64(len(data)-len(rest)); r.start() != wantStart {
		t.Fatalf("start = %d, want %d (remainder %q)", r.start(), wantStart, rest)
	}
	if len(r.pending) > max {
		t.Fatalf("kept %d bytes of an unfinished line with max %d", len(r.pending), max)
	}
	if !bytes.HasPrefix(rest, r.pending) || (len(rest) <= max && len(r.pending) != len(rest)) {
		t.Fatalf("pending %q does not match remainder %q", r.pending, rest)
	}
	// Without truncation, lines, terminators and the remainder give back the input.
	if len(rest) <= max {
		var rebuilt []byte
		for _, l := range got {
			if l.truncated() {
				return
			}
			rebuilt = append(rebuilt, l.data...)
			if l.crlf {
				rebuilt = append(rebuilt, '\r')
			}
			rebuilt = append(rebuilt, '\n')
		}
		rebuilt = append(rebuilt, r.pending...)
		if !bytes.Equal(rebuilt, data) {
			t.Fatalf("rebuilt %q from the lines, input was %q", rebuilt, data)
		}
	}
}

func TestLineReader(t *testing.T) {
	cases := []struct {
		name string
		data string
		max  int
	}{
		{"empty", "", 10},
		{"lines", "a\nbc\n\nd", 10},
		{"crlf", "a\r\nb\r\r\n\r\n", 10},
		{"lone cr is data", "a\rb\n", 10},
		{"truncated", "abcdefgh\nxy\nlongtail", 4},
		{"truncated crlf at the cut", "abcd\r\nabcde\r\n", 4},
		{"cr just past max", "abcde\r\n", 4},
		{"tail at max", "ab\nabcd", 4},
		{"tail past max", "ab\nabcde", 4},
		{"max one", "\n\r\nab\n", 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for seed := range uint64(50) {
				checkLineReader(t, []byte(c.data), seed, c.max, 7)
			}
		})
	}
}

// A "\r\n" split between two reads is still one terminator.
func TestLineReaderSplitCRLF(t *testing.T) {
	r := newLineReader(100, 0)
	out := r.feed([]byte("ab\r"), nil)
	if len(out) != 0 {
		t.Fatalf("got %d lines before the newline", len(out))
	}
	out = r.feed([]byte("\ncd"), out)
	if len(out) != 1 || string(out[0].data) != "ab" || !out[0].crlf || out[0].end != 4 {
		t.Fatalf("got %+v", out)
	}
	if r.start() != 4 || string(r.pending) != "cd" {
		t.Fatalf("start %d pending %q", r.start(), r.pending)
	}
}

func FuzzLineReader(f *testing.F) {
	f.Add([]byte("a\nb\r\nc"), uint64(1), uint16(3), false)
	f.Add([]byte("\r\n\r\r\n\n"), uint64(2), uint16(0), true)
	f.Add(bytes.Repeat([]byte("x"), 300), uint64(3), uint16(20), false)
	f.Add([]byte("abcdefgh\r\nxy\n"), uint64(4), uint16(3), false)
	f.Fuzz(func(t *testing.T, data []byte, seed uint64, max uint16, big bool) {
		m := int(max%64) + 1
		if big {
			m = 1 << 20
		}
		checkLineReader(t, data, seed, m, int64(seed%1000))
	})
}
