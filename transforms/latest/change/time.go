package change

import (
	"fmt"
	"strings"
	"time"

	"github.com/tributarydata/tributary/transforms/extract"
	"github.com/tributarydata/tributary/transforms/timefmt"
	"github.com/tributarydata/tributary/transforms/value"
)

// TimeField is a field computed from a time field of the row, as SQL's
// date_format(confirm_date_time, 'yyyy-MM-dd') computes a day to group by.
type TimeField struct {
	Name   string         // the field it makes
	Field  string         // the field it reads, one of the specs
	Format timefmt.Format // how it writes the time
}

// ParseTimeField reads name=field:pattern, as in
// attribution_time=confirm_date_time:yyyy-MM-dd. The pattern is anything
// timefmt.Parse reads; it may hold colons (HH:mm).
func ParseTimeField(item string) (TimeField, error) {
	name, rest, ok := strings.Cut(item, "=")
	field, pattern, ok2 := strings.Cut(rest, ":")
	tf := TimeField{Name: strings.TrimSpace(name), Field: strings.TrimSpace(field)}
	if !ok || !ok2 || tf.Name == "" || tf.Field == "" {
		return TimeField{}, fmt.Errorf("%q: want name=field:pattern, as in day=confirm_date_time:yyyy-MM-dd", item)
	}
	var err error
	if tf.Format, err = timefmt.Parse(pattern); err != nil {
		return TimeField{}, fmt.Errorf("%q: %w", item, err)
	}
	return tf, nil
}

// timeField is a TimeField compiled: the position of the field it reads,
// and a writer of its format.
type timeField struct {
	TimeField
	src int
	w   *timefmt.Writer
}

// complete appends the time fields to the row whose specs' fields start at
// mark. A null time gives null.
func (r *Reader) complete(row *value.Row, mark int) error {
	for i := range r.times {
		tf := &r.times[i]
		src := row.Fields[mark+tf.src]
		v := value.Value{}
		if !src.Value.IsNull() {
			t, err := r.timeIn.Read(src.Value, r.loc)
			if err != nil {
				truncate(row, mark)
				return fmt.Errorf("time field %s (from %s): %w", tf.Name, src.Name, err)
			}
			v = tf.Format.Value(t, tf.w)
		}
		row.Append(tf.Name, v)
	}
	return nil
}

func truncate(row *value.Row, mark int) {
	clear(row.Fields[mark:])
	row.Fields = row.Fields[:mark]
}

// Options tune a Reader.
type Options struct {
	// MaxDepth bounds the nesting of the records' JSON (extract.Options).
	MaxDepth int
	// Times are fields to compute from time fields after reading each row.
	Times []TimeField
	// TimeIn is how the fields Times read hold time, and Zone the zone of
	// patterns without an offset, read and written. A nil Zone is UTC.
	TimeIn timefmt.Format
	Zone   *time.Location
}

// ParseTimeFields reads a list of name=field:pattern items for rows of the
// specs: each reads one of the specs' fields, and no two fields are called
// alike.
func ParseTimeFields(items []string, specs []extract.Spec) ([]TimeField, error) {
	kind := map[string]string{}
	for _, s := range specs {
		kind[s.Name] = "field"
	}
	var tfs []TimeField
	for _, item := range items {
		tf, err := ParseTimeField(item)
		if err != nil {
			return nil, err
		}
		if kind[tf.Field] != "field" {
			return nil, fmt.Errorf("%q: %s is not one of fields", item, tf.Field)
		}
		if kind[tf.Name] != "" {
			return nil, fmt.Errorf("%q: %s is named twice among fields and time fields", item, tf.Name)
		}
		kind[tf.Name] = "time"
		tfs = append(tfs, tf)
	}
	return tfs, nil
}
