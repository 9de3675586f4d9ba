package smt

import (
	"fmt"
	"strings"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/transforms/timefmt"
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

type timestampStep struct {
	field      string
	in, out    timefmt.Format
	loc        *time.Location
	keep       bool
	outField   string
	hint, out2 int
	text       *timefmt.Writer
}

func buildTimestamp(cfg sdk.Config, _ Config) (step, error) {
	c, err := decode[timestampConfig](cfg)
	if err != nil {
		return nil, err
	}
	s := &timestampStep{field: value.Intern(c.Field), keep: c.Missing == "keep", outField: value.Intern(strings.TrimSpace(c.OutputField)), hint: -1, out2: -1}
	if s.in, err = timefmt.Parse(c.Format); err != nil {
		return nil, &sdk.KeyError{Key: "format", Err: err}
	}
	if s.out, err = timefmt.Parse(c.OutputFormat); err != nil {
		return nil, &sdk.KeyError{Key: "output.format", Err: err}
	}
	if s.loc, err = time.LoadLocation(c.Timezone); err != nil {
		return nil, &sdk.KeyError{Key: "timezone", Err: err}
	}
	s.text = timefmt.NewWriter(s.out.Layout(), s.loc)
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
	t, err := s.in.Read(row.Fields[i].Value, s.loc)
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
		s.out2 = row.SetFrom(s.out2, s.outField, s.out.Value(t, s.text))
		c.changed()
	}
	return nil
}
