package extract

import (
	"strings"

	"github.com/tributarydata/tributary/transforms/value"
)

// arena hands out copies of text from chunks it only ever appends to, so a
// string it gave stays valid (and unchanged) for as long as anything points
// to it, while one chunk serves many records. The price: a value kept long
// keeps its whole chunk (4 KiB) alive.
type arena struct {
	buf []byte
	// chunk is the size of a new chunk; 0 means arenaChunk.
	chunk int
}

const arenaChunk = 4 << 10

// copy returns a string with b's bytes in the arena.
func (a *arena) copy(b string) string {
	if len(b) == 0 {
		return ""
	}
	if cap(a.buf)-len(a.buf) < len(b) {
		size := a.chunk
		if size == 0 {
			size = arenaChunk
		}
		if len(b) > size/4 {
			return strings.Clone(b) // big: its own allocation, the chunk stays
		}
		a.buf = make([]byte, 0, size)
	}
	start := len(a.buf)
	a.buf = append(a.buf, b...)
	return str(a.buf[start:])
}

// own returns v with its text, if it has any, copied to the arena.
func (a *arena) own(v value.Value) value.Value {
	switch v.Kind() {
	case value.String:
		s, _ := v.Str()
		return value.OfString(a.copy(s))
	case value.Number:
		s, _ := v.Raw()
		return value.OfNumber(a.copy(s))
	case value.JSON:
		s, _ := v.Raw()
		return value.OfJSON(a.copy(s))
	}
	return v
}
