package smt

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/transforms/value"
)

const timestampSummary = "Makes a field the record's event time (its Kafka timestamp, which windows downstream read), from epoch numbers or formatted text; optionally writes that time formatted into another field."

type timestampConfig struct {
	Field        string `json:"field" validate:"required" doc:"Field holding the event time." importance:"high"`
	Format       string `json:"format" default:"epoch_millis" doc:"How the field holds time: epoch_seconds, epoch_millis, epoch_micros, epoch_nanos (numbers, or strings of digits), iso8601 (RFC 3339), or a pattern such as yyyy-MM-dd HH:mm:ss.SSS (letters y M d H m s S, X for the zone offset, text in 'quotes')." importance:"high"`
	Timezone     string `json:"timezone" default:"UTC" doc:"IANA zone of patterns without an offset, and of output.format (e.g. Asia/Shanghai)."`
	Missing      string `json:"missing" default:"fail" validate:"oneof=fail keep" doc:"A null or missing field: fail refuses the record; keep leaves its timestamp as it was."`
	OutputField  string `json:"output.field" doc:"Also write the event time into this field, formatted by output.format."`
	OutputFormat string `json:"output.format" default:"yyyy-MM-dd HH:mm:ss.SSS" doc:"Format of output.field: a pattern, iso8601, or an epoch unit."`
}

// timeFormat reads or writes time one way.
type timeFormat struct {
	unit   time.Duration // epoch unit, or 0 for a layout
	layout string        // Go layout
}

func parseTimeFormat(f string) (timeFormat, error) {
	switch strings.TrimSpace(f) {
	case "epoch_seconds":
		return timeFormat{unit: time.Second}, nil
	case "epoch_millis":
		return timeFormat{unit: time.Millisecond}, nil
	case "epoch_micros":
		return timeFormat{unit: time.Microsecond}, nil
	case "epoch_nanos":
		return timeFormat{unit: time.Nanosecond}, nil
	case "iso8601", "rfc3339":
		return timeFormat{layout: time.RFC3339Nano}, nil
	}
	layout, err := goLayout(f)
	return timeFormat{layout: layout}, err
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

type timestampStep struct {
	field      string
	in, out    timeFormat
	loc        *time.Location
	keep       bool
	outField   string
	hint, out2 int
	text       *timeWriter
}

func buildTimestamp(cfg sdk.Config, _ Config) (step, error) {
	c, err := decode[timestampConfig](cfg)
	if err != nil {
		return nil, err
	}
	s := &timestampStep{field: c.Field, keep: c.Missing == "keep", outField: strings.TrimSpace(c.OutputField), hint: -1, out2: -1}
	if s.in, err = parseTimeFormat(c.Format); err != nil {
		return nil, &keyError{key: "format", err: err}
	}
	if s.out, err = parseTimeFormat(c.OutputFormat); err != nil {
		return nil, &keyError{key: "output.format", err: err}
	}
	if s.loc, err = time.LoadLocation(c.Timezone); err != nil {
		return nil, &keyError{key: "timezone", err: err}
	}
	s.text = newTimeWriter(s.out.layout, s.loc)
	return s, nil
}

func (s *timestampStep) apply(c *cursor) error {
	row, err := c.fields()
	if err != nil {
		return err
	}
	i := row.IndexFrom(s.hint, s.field)
	if i < 0 || row.Fields[i].Value.IsNull() {
		if s.keep {
			return nil
		}
		return fmt.Errorf("event time field %s is null or missing", s.field)
	}
	s.hint = i
	t, err := s.read(row.Fields[i].Value)
	if err != nil {
		return fmt.Errorf("event time field %s: %w", s.field, err)
	}
	if t.UnixMilli() < 1 {
		// Kafka reads a timestamp of 0 or less as "none" (librdkafka puts the
		// send time in its place), so a window downstream would misplace it.
		return fmt.Errorf("event time field %s: %s is not after 1970", s.field, t.UTC().Format(time.RFC3339Nano))
	}
	c.rec.Timestamp = t
	if s.outField != "" {
		s.out2 = row.SetFrom(s.out2, s.outField, s.write(t))
		c.changed()
	}
	return nil
}

func (s *timestampStep) read(v value.Value) (time.Time, error) {
	if s.in.unit != 0 {
		if n, ok := v.Int(); ok {
			if n > math.MaxInt64/int64(s.in.unit) || n < math.MinInt64/int64(s.in.unit) {
				return time.Time{}, fmt.Errorf("%d is out of range for %s", n, s.in.unit)
			}
			return time.Unix(0, n*int64(s.in.unit)), nil
		}
		if f, ok := v.Float(); ok && math.Abs(f*float64(s.in.unit)) < math.MaxInt64 {
			return time.Unix(0, int64(f*float64(s.in.unit))), nil
		}
		return time.Time{}, fmt.Errorf("%q is not an epoch number", v.Text())
	}
	text, ok := v.Str()
	if !ok {
		return time.Time{}, fmt.Errorf("%s %s is not a time text", v.Kind(), v.Text())
	}
	t, err := time.ParseInLocation(s.in.layout, strings.TrimSpace(text), s.loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q does not match the format: %w", text, err)
	}
	return t, nil
}

func (s *timestampStep) write(t time.Time) value.Value {
	if s.out.unit != 0 {
		return value.OfInt(t.UnixNano() / int64(s.out.unit))
	}
	return value.OfString(s.text.format(t))
}
