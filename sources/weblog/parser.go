package weblog

import (
	"bytes"
	"fmt"
	"time"
	"unicode/utf8"
)

// Names of the formats (config format).
const (
	formatCombined = "combined"
	formatJSON     = "json"
	formatCustom   = "custom"
)

// lineFormat reads one log line into an event.
type lineFormat interface {
	parse(line []byte, ev *event) error
}

// parser turns log lines into record values: it checks the line, parses it
// in the configured format, adds beacon parameters and writes the JSON object.
// It is not safe for concurrent use.
type parser struct {
	format   lineFormat
	name     string // the format's name, for errors
	beacons  beacons
	keyField string
	ev       event
	out      []byte
}

// newParser compiles the configured format. The error names what is wrong
// with the log.format.
func newParser(c *Config) (*parser, error) {
	p := &parser{name: c.Format, keyField: c.KeyField, beacons: beacons{repeated: c.BeaconRepeated}}
	for _, path := range c.BeaconPaths {
		p.beacons.paths = append(p.beacons.paths, []byte(path))
	}
	switch c.Format {
	case formatJSON:
		p.format = newJSONFormat()
	case formatCustom:
		f, err := compileFormat(c.LogFormat, c.LogEscape)
		if err != nil {
			return nil, err
		}
		p.format = f
	default:
		f, err := compileFormat(combinedFormat, escapeDefault)
		if err != nil {
			panic("weblog: the combined format does not compile: " + err.Error())
		}
		p.format = f
	}
	return p, nil
}

// parsedLine is what a good line gives: the JSON object, the record key (nil
// without key.field or when the field is absent) and the line's time.
type parsedLine struct {
	value   []byte
	key     []byte
	time    time.Time
	hasTime bool
}

// parse reads one line, without its line terminator. The returned slices are
// the caller's.
func (p *parser) parse(line []byte) (parsedLine, error) {
	if !utf8.Valid(line) {
		return parsedLine{}, fmt.Errorf("not valid UTF-8 at byte %d", invalidUTF8At(line))
	}
	ev := &p.ev
	ev.reset()
	if err := p.format.parse(line, ev); err != nil {
		return parsedLine{}, fmt.Errorf("does not match the %s format: %w", p.name, err)
	}
	p.beacons.apply(ev)
	p.out = ev.appendJSON(p.out[:0])
	res := parsedLine{value: bytes.Clone(p.out), time: ev.time, hasTime: ev.hasTime}
	if p.keyField != "" {
		if k, ok := ev.lookup(p.keyField); ok {
			res.key = bytes.Clone(k)
		}
	}
	return res, nil
}

// invalidUTF8At returns the offset of the first byte of b that is not part
// of valid UTF-8.
func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return len(b)
}
