package timefmt

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/tributarydata/tributary/transforms/value"
)

// Format is one way of holding time in a field: an epoch unit or a layout.
type Format struct {
	unit   time.Duration // epoch unit, or 0 for a layout
	layout string        // Go layout
}

// Parse reads a format: epoch_seconds, epoch_millis, epoch_micros,
// epoch_nanos, iso8601 (or rfc3339), or a pattern of the letters y M d H m s
// S and X (zone offset) with text between them in 'quotes'.
func Parse(f string) (Format, error) {
	switch strings.TrimSpace(f) {
	case "epoch_seconds":
		return Format{unit: time.Second}, nil
	case "epoch_millis":
		return Format{unit: time.Millisecond}, nil
	case "epoch_micros":
		return Format{unit: time.Microsecond}, nil
	case "epoch_nanos":
		return Format{unit: time.Nanosecond}, nil
	case "iso8601", "rfc3339":
		return Format{layout: time.RFC3339Nano}, nil
	}
	layout, err := goLayout(f)
	return Format{layout: layout}, err
}

// goLayout turns a yyyy-MM-dd HH:mm:ss.SSS pattern into a Go layout.
func goLayout(p string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(p); {
		c := p[i]
		if c == '\'' {
			end := strings.IndexByte(p[i+1:], '\'')
			if end < 0 {
				return "", fmt.Errorf("unclosed quote in %q", p)
			}
			text := p[i+1 : i+1+end]
			if err := literalText(text, p); err != nil {
				return "", err
			}
			b.WriteString(text)
			i += end + 2
			continue
		}
		n := 1
		for i+n < len(p) && p[i+n] == c {
			n++
		}
		run := p[i : i+n]
		switch {
		case run == "yyyy":
			b.WriteString("2006")
		case run == "yy":
			b.WriteString("06")
		case run == "MM":
			b.WriteString("01")
		case run == "dd":
			b.WriteString("02")
		case run == "HH":
			b.WriteString("15")
		case run == "mm":
			b.WriteString("04")
		case run == "ss":
			b.WriteString("05")
		case c == 'S' && n <= 9:
			// Go reads and writes a fraction only right after the seconds
			// and a dot or comma.
			if l := b.String(); !strings.HasSuffix(l, "05.") && !strings.HasSuffix(l, "05,") {
				return "", fmt.Errorf("fraction %s must follow ss and a . or , in %q", run, p)
			}
			b.WriteString(strings.Repeat("0", n))
		case run == "X" || run == "XXX":
			b.WriteString("Z07:00")
		case run == "XX" || run == "Z":
			b.WriteString("Z0700")
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			return "", fmt.Errorf("pattern letters %q are not supported in %q (use y M d H m s S X and 'text')", run, p)
		default:
			if err := literalText(run, p); err != nil {
				return "", err
			}
			b.WriteString(run)
		}
		i += n
	}
	if b.Len() == 0 {
		return "", errors.New("empty time pattern")
	}
	// Go writes fractional seconds after a dot only as .000 directly after
	// the seconds; the pattern's dot is already in place.
	return b.String(), nil
}

// literalText allows in a pattern only text that a Go layout keeps as
// it is: digits or words there (a quoted 'Jan' or '+0100') would be read as
// parts of the time.
func literalText(text, pattern string) error {
	for _, r := range text {
		if !strings.ContainsRune(" -/:.,T", r) {
			return fmt.Errorf("literal %q in %q: only spaces and - / : . , T may stand between the fields", text, pattern)
		}
	}
	return nil
}

// Epoch reports whether the format is an epoch number.
func (f Format) Epoch() bool { return f.unit != 0 }

// Layout is the Go layout of a text format ("" for an epoch).
func (f Format) Layout() string { return f.layout }

// Read reads a time from v; loc is the zone of patterns without an offset.
func (f Format) Read(v value.Value, loc *time.Location) (time.Time, error) {
	if f.unit != 0 {
		if n, ok := v.Int(); ok {
			if n > math.MaxInt64/int64(f.unit) || n < math.MinInt64/int64(f.unit) {
				return time.Time{}, fmt.Errorf("%d is out of range for %s", n, f.unit)
			}
			return time.Unix(0, n*int64(f.unit)), nil
		}
		if x, ok := v.Float(); ok && math.Abs(x*float64(f.unit)) < math.MaxInt64 {
			return time.Unix(0, int64(x*float64(f.unit))), nil
		}
		return time.Time{}, fmt.Errorf("%q is not an epoch number", v.Text())
	}
	text, ok := v.Str()
	if !ok {
		return time.Time{}, fmt.Errorf("%s %s is not a time text", v.Kind(), v.Text())
	}
	t, err := time.ParseInLocation(f.layout, strings.TrimSpace(text), loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q does not match the format: %w", text, err)
	}
	return t, nil
}

// Value writes t as this format holds it: an epoch number, or text by w
// (a Writer of this format's layout).
func (f Format) Value(t time.Time, w *Writer) value.Value {
	if f.unit != 0 {
		return value.OfInt(t.UnixNano() / int64(f.unit))
	}
	return value.OfString(w.Format(t))
}
