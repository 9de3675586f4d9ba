package stream

import (
	"errors"
	"fmt"
)

// Windows assigns event times to tumbling or hopping windows aligned to the
// epoch, as Flink's TUMBLE and HOP do: [start, start+size) for every start
// that is a multiple of slide.
type Windows struct {
	Size  int64 // ms
	Slide int64 // ms; equal to Size for tumbling windows
}

// NewWindows checks a window definition: size > 0, 0 < slide <= size, and
// size a multiple of slide (so each time is in exactly size/slide windows).
// A slide of 0 means tumbling.
func NewWindows(size, slide int64) (Windows, error) {
	if slide == 0 {
		slide = size
	}
	switch {
	case size <= 0:
		return Windows{}, errors.New("window size must be positive")
	case slide <= 0 || slide > size:
		return Windows{}, fmt.Errorf("window slide %d must be positive and at most the size %d", slide, size)
	case size%slide != 0:
		return Windows{}, fmt.Errorf("window size %d must be a multiple of the slide %d", size, slide)
	}
	return Windows{Size: size, Slide: slide}, nil
}

// Starts appends to dst the start of every window that holds t, oldest
// first.
func (w Windows) Starts(dst []int64, t int64) []int64 {
	last := floorDiv(t, w.Slide) * w.Slide
	for s := last - w.Size + w.Slide; s <= last; s += w.Slide {
		dst = append(dst, s)
	}
	return dst
}

// floorDiv divides rounding down, also for times before 1970.
func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}
