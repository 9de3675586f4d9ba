package backup

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"

	"github.com/tributarydata/tributary/bus/record"
	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/sinks/row"
)

// converted is one record turned into a row of its table, with the event
// time that places it.
type converted struct {
	row       parquet.Row
	eventTime time.Time
	skip      bool // a tombstone in the declared layout: there is no row to write
}

// rowOf converts a record. Its errors are the record's fault: the caller
// reports them as sdk.RecordError.
func (s *Sink) rowOf(r *sdk.Record, topic topicInfo) (converted, error) {
	fs := s.schema
	ncols := len(fs.columns) + 5
	vals := make([]parquet.Value, 0, ncols)
	var change record.Change
	var err error
	if r.Value != nil || !fs.generic {
		if change, err = record.ParseChange(r.Value); err != nil {
			return converted{}, err
		}
	} else {
		change.Op = record.OpDelete
	}
	fields := change.Row()
	if fields == nil && !fs.generic {
		// A tombstone, which follows the delete event that carried the row.
		return converted{skip: true}, nil
	}
	if fs.generic {
		if r.Key == nil {
			vals = append(vals, parquet.NullValue().Level(0, 0, 0))
		} else if !utf8.Valid(r.Key) {
			return converted{}, errors.New("key is not UTF-8 text, which the generic layout's key column holds")
		} else {
			// Copied: only value slices are known not to be reused by the runtime.
			vals = append(vals, parquet.ByteArrayValue(bytes.Clone(r.Key)).Level(0, 1, 0))
		}
		if r.Value == nil {
			vals = append(vals, parquet.NullValue().Level(0, 0, 1))
		} else if !utf8.Valid(r.Value) {
			return converted{}, errors.New("value is not UTF-8 JSON")
		} else {
			vals = append(vals, parquet.ByteArrayValue(r.Value).Level(0, 1, 1))
		}
	} else {
		for i := range fs.columns {
			c := &fs.columns[i]
			raw, _ := s.field(fields, c.name)
			v, err := s.convert(c, raw)
			if err != nil {
				return converted{}, err
			}
			if v == nil {
				vals = append(vals, parquet.NullValue().Level(0, 0, i))
				continue
			}
			pv, err := c.encode(v)
			if err != nil {
				return converted{}, fmt.Errorf("column %s (%s): %w", c.name, c.src.SQLType, err)
			}
			def := 1
			if c.src.NotNull {
				def = 0
			}
			vals = append(vals, pv.Level(0, def, i))
		}
	}
	when, err := s.eventTime(r, fields)
	if err != nil {
		return converted{}, err
	}
	base := len(fs.columns)
	vals = append(vals,
		parquet.ByteArrayValue(topic.name).Level(0, 0, base),
		parquet.Int32Value(r.Partition).Level(0, 0, base+1),
		parquet.Int64Value(r.Offset).Level(0, 0, base+2))
	if r.Timestamp.IsZero() {
		vals = append(vals, parquet.NullValue().Level(0, 0, base+3))
	} else {
		vals = append(vals, parquet.Int64Value(r.Timestamp.UnixMilli()).Level(0, 1, base+3))
	}
	vals = append(vals, parquet.ByteArrayValue(opBytes(change.Op)).Level(0, 0, base+4))
	return converted{row: vals, eventTime: when}, nil
}

// opBytes gives the _op value without allocating per row; the slices are
// shared and never written.
func opBytes(op record.Op) []byte {
	switch op {
	case record.OpNone:
		return []byte{}
	case record.OpCreate:
		return opC
	case record.OpUpdate:
		return opU
	case record.OpDelete:
		return opD
	case record.OpRead:
		return opR
	}
	return []byte(op)
}

var opC, opU, opD, opR = []byte("c"), []byte("u"), []byte("d"), []byte("r")

// field finds a row field by exact name, else case-insensitively.
func (s *Sink) field(fields map[string]any, name string) (any, bool) {
	if v, ok := fields[name]; ok {
		return v, true
	}
	for k, v := range fields {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return nil, false
}

// eventTime is the instant that places a record in its hour partition.
func (s *Sink) eventTime(r *sdk.Record, fields map[string]any) (time.Time, error) {
	name := s.cfg.TimeField
	if name == "" || fields == nil {
		// No time field, or a tombstone of the generic layout: the Kafka
		// timestamp, which every record has.
		if r.Timestamp.IsZero() {
			return time.Time{}, errors.New("record has no timestamp to partition by")
		}
		return r.Timestamp, nil
	}
	raw, _ := s.field(fields, name)
	if raw == nil {
		return time.Time{}, fmt.Errorf("partition.time.field %s is missing or null", name)
	}
	if c := s.timeColumn; c != nil {
		// The instant the column value stands for, so the row lands in the
		// hour its own column shows.
		v, err := s.convert(c, raw)
		if err != nil {
			return time.Time{}, fmt.Errorf("partition.time.field: %w", err)
		}
		t := v.(time.Time)
		if c.src.Kind == row.KindTimestampTZ {
			return t, nil
		}
		// Wall-clock time: the same clock reading in partition.timezone.
		return wallIn(t, s.cfg.loc), nil
	}
	return parseInstant(raw, s.cfg.unit, s.cfg.loc)
}

// wallIn is the instant at which loc's clocks show the reading t has in UTC.
func wallIn(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), loc)
}

// wallOf is the reading loc's clocks show at instant t, kept in UTC as
// row.KindTimestamp values are.
func wallOf(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	y, m, d := t.Date()
	return time.Date(y, m, d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
}

// convert is c.src.ConvertEpoch, except for text given to a date, timestamp
// or timestamptz column, which it reads with partition.timezone as the one
// zone of the backup (see "Time" in the package docs):
//
//   - text with an offset is an instant: a timestamp or date column keeps
//     the reading partition.timezone's clocks show at that instant, a
//     timestamptz column the instant;
//   - text without one is a clock reading: a timestamp or date column keeps
//     it, a timestamptz column the instant partition.timezone's clocks show
//     it at.
//
// Numbers (epoch counts, which Debezium writes) and other values are left
// to ConvertEpoch: in a timestamp column they are the clock reading taken as
// UTC (a DATETIME), in a timestamptz column the instant.
func (s *Sink) convert(c *column, raw any) (any, error) {
	text, ok := raw.(string)
	if !ok {
		return c.src.ConvertEpoch(raw, s.cfg.unit)
	}
	switch c.src.Kind {
	case row.KindDate, row.KindTimestamp, row.KindTimestampTZ:
	default:
		return c.src.ConvertEpoch(raw, s.cfg.unit)
	}
	text = strings.TrimSpace(text)
	var t time.Time
	zoned, wall := false, false
	for _, l := range zonedLayouts {
		if p, err := time.Parse(l, text); err == nil {
			t, zoned = p, true
			break
		}
	}
	if !zoned && c.src.Kind == row.KindTimestampTZ {
		for _, l := range wallLayouts {
			if p, err := time.Parse(l, text); err == nil {
				t, wall = p, true
				break
			}
		}
	}
	switch {
	case zoned && c.src.Kind == row.KindTimestampTZ:
		t = t.UTC()
	case zoned && c.src.Kind == row.KindTimestamp:
		t = wallOf(t, s.cfg.loc)
	case zoned: // a date
		y, m, d := t.In(s.cfg.loc).Date()
		t = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	case wall: // a timestamptz
		t = wallIn(t, s.cfg.loc).UTC()
	default:
		// Clock readings for a date or timestamp, epoch numbers as text,
		// and what is no time at all (ConvertEpoch's error names it).
		return c.src.ConvertEpoch(raw, s.cfg.unit)
	}
	if y := t.Year(); y < 1 || y > 9999 {
		return nil, fmt.Errorf("column %s (%s): %q is out of range", c.name, c.src.SQLType, clip(text))
	}
	return t, nil
}

// zonedLayouts and wallLayouts are the text forms an undeclared time field
// may take; the first set names its zone, the second is read in
// partition.timezone.
var (
	zonedLayouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999 -0700"}
	wallLayouts  = []string{"2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999", "2006-01-02T15:04", "2006-01-02 15:04", time.DateOnly}
)

// parseInstant reads an event time that is not a declared timestamp column:
// a number (or numeric text) counts unit since the epoch; text with a zone is
// that instant; text without one is wall-clock time in loc.
func parseInstant(v any, unit time.Duration, loc *time.Location) (time.Time, error) {
	var text string
	switch x := v.(type) {
	case json.Number:
		text = x.String()
	case string:
		text = strings.TrimSpace(x)
	default:
		return time.Time{}, fmt.Errorf("partition.time.field holds %T, not a time", v)
	}
	if n, err := strconv.ParseInt(text, 10, 64); err == nil {
		return epochTime(n, unit)
	}
	if f, err := strconv.ParseFloat(text, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) && f == math.Trunc(f) && math.Abs(f) < 1<<62 {
		return epochTime(int64(f), unit)
	}
	for _, l := range zonedLayouts {
		if t, err := time.Parse(l, text); err == nil {
			return t, nil
		}
	}
	for _, l := range wallLayouts {
		if t, err := time.ParseInLocation(l, text, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("partition.time.field %q is not a time (epoch number, RFC 3339 or YYYY-MM-DD hh:mm:ss)", clip(text))
}

// epochTime reads n units since 1970, refusing instants outside years 1 to 9999.
func epochTime(n int64, unit time.Duration) (time.Time, error) {
	const maxSeconds = 253402300799 // 9999-12-31T23:59:59Z
	const minSeconds = -62135596800 // 0001-01-01T00:00:00Z
	per := int64(time.Second / unit)
	sec, rem := n/per, n%per
	if rem < 0 {
		sec, rem = sec-1, rem+per
	}
	if sec > maxSeconds || sec < minSeconds {
		return time.Time{}, fmt.Errorf("partition.time.field %d is out of range", n)
	}
	return time.Unix(sec, rem*int64(unit)).UTC(), nil
}
