package aggregate

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/transforms/agg"
	"github.com/tributarydata/tributary/transforms/expr"
	"github.com/tributarydata/tributary/transforms/extract"
	"github.com/tributarydata/tributary/transforms/latest/change"
	"github.com/tributarydata/tributary/transforms/timefmt"
	"github.com/tributarydata/tributary/transforms/value"
)

// Config is the aggregate connector's config.
type Config struct {
	Topic      string   `json:"topic" validate:"required" doc:"Output topic of the results: one upsert per changed group and batch, keyed by the JSON array of the group values; a group left with no rows is deleted as Debezium deletes a row: {\"op\":\"d\",\"before\":group values and constants,\"after\":null}, then a tombstone of its key." importance:"high" group:"Aggregate"`
	Fields     []string `json:"fields" validate:"required,min=1" doc:"What to read from each row, as the extract step's name=path:type list (cc_id:long,confirm_date_time,status:long). Paths are read from a plain row, or from each of a change record's before and after." importance:"high" group:"Aggregate"`
	TimeFields []string `json:"time.fields" doc:"Fields computed from time fields, out=field:pattern, as SQL's date_format: attribution_time=confirm_date_time:yyyy-MM-dd reads confirm_date_time by time.format and writes its day. Null when the field is null. group.by, where and aggregates may name them." group:"Aggregate"`
	Where      string   `json:"where" doc:"Only rows meeting this condition (the filter step's language) are in a group: a before that does not meet it is not retracted, an after that does not is not added, as SQL's WHERE over a retracting view. Rows left out are counted as filtered." group:"Aggregate"`
	GroupBy    []string `json:"group.by" validate:"required,min=1" doc:"Fields to group by, in order; each is an output field of the same name." importance:"high" group:"Aggregate"`
	Aggregates []string `json:"aggregates" validate:"required,min=1" doc:"Aggregates per group, each out=func(field): count(), count(field), sum, avg, min, max, count_distinct; all of them go down again when a row is retracted." importance:"high" group:"Aggregate"`
	Constants  []string `json:"constants" doc:"Constant output fields, name=literal (type=1): a literal that reads as a JSON number is a number, one in quotes ('1') or anything else is a string." group:"Output"`
	TimeFormat string   `json:"time.format" default:"epoch_millis" doc:"How the fields time.fields read hold time: epoch_seconds, epoch_millis, epoch_micros, epoch_nanos, iso8601, or a pattern such as yyyy-MM-dd HH:mm:ss." group:"Time"`
	TimeZone   string   `json:"time.zone" default:"UTC" doc:"IANA zone of time patterns without an offset, in and out (e.g. Asia/Shanghai)." group:"Time"`
	EmitField  string   `json:"emit.time.field" doc:"Output field of the wall-clock time the result was computed (the seed's update_time), in output.time.format; empty: none." group:"Output"`
	OutFormat  string   `json:"output.time.format" default:"epoch_millis" doc:"How emit.time.field is written: an epoch unit, iso8601, or a pattern in time.zone." group:"Output"`
	MaxDepth   int      `json:"value.max.depth" default:"64" validate:"gt=0,lte=10000" doc:"JSON nested deeper than this is refused (dead-lettered)." group:"Aggregate"`
}

// Plugin registers the group aggregation as a transform connector.
var Plugin = sdk.Plugin{
	Class:          "tributary.transforms.aggregate",
	Aliases:        []string{"aggregate"},
	Type:           sdk.TypeTransform,
	Version:        "1.0.0",
	Summary:        "Group aggregation over a changelog stream with retraction (Flink's GROUP BY over a retracting view): count, sum, avg, min, max and count_distinct per group go down when a row's before is retracted, emitted as upserts per group and batch, exactly once through a changelog topic.",
	Config:         &Config{},
	NewTransform:   func() sdk.Transform { return &Operator{} },
	ValidateConfig: sdk.ValidateWith(&Config{}, func(cfg sdk.Config) error { _, err := compile(cfg); return err }),
}

// plan is a config compiled once per task.
type plan struct {
	cfg       Config
	reader    *change.Reader
	where     *expr.Expr
	set       *agg.Set
	groupBy   []string
	groupIdx  []int // positions of group.by in a row read
	constants []value.Field
	timeIn    timefmt.Format // of time.fields
	timeOut   timefmt.Format // of emit.time.field
	loc       *time.Location
}

func compile(cfg sdk.Config) (*plan, error) {
	var c Config
	if err := sdk.Decode(cfg, &c); err != nil {
		return nil, err
	}
	p := &plan{cfg: c}
	var err error
	if p.timeIn, err = timefmt.Parse(c.TimeFormat); err != nil {
		return nil, sdk.ErrorAtKey("time.format", err)
	}
	if p.timeOut, err = timefmt.Parse(c.OutFormat); err != nil {
		return nil, sdk.ErrorAtKey("output.time.format", err)
	}
	if p.loc, err = time.LoadLocation(c.TimeZone); err != nil {
		return nil, sdk.ErrorAtKey("time.zone", err)
	}
	specs := make([]extract.Spec, 0, len(c.Fields))
	at := map[string]int{} // the position of each field in a row read
	for _, item := range c.Fields {
		spec, err := extract.ParseSpec(item)
		if err != nil {
			return nil, sdk.ErrorAtKey("fields", err)
		}
		if _, dup := at[spec.Name]; dup {
			return nil, sdk.ErrorAtKey("fields", fmt.Errorf("field %s is named twice", spec.Name))
		}
		at[spec.Name] = len(specs)
		specs = append(specs, spec)
	}
	opts := change.Options{MaxDepth: c.MaxDepth, TimeIn: p.timeIn, Zone: p.loc}
	if opts.Times, err = change.ParseTimeFields(c.TimeFields, specs); err != nil {
		return nil, sdk.ErrorAtKey("time.fields", err)
	}
	if p.reader, err = change.NewReader(specs, opts); err != nil {
		return nil, sdk.ErrorAtKey("fields", err)
	}
	for i, name := range p.reader.Names() {
		at[name] = i
	}
	known := func(key, name string) error {
		if _, ok := at[name]; !ok {
			return sdk.ErrorAtKey(key, fmt.Errorf("%s is not one of fields or time.fields", name))
		}
		return nil
	}
	taken := map[string]bool{}
	for _, g := range c.GroupBy {
		g = strings.TrimSpace(g)
		if err := known("group.by", g); err != nil {
			return nil, err
		}
		if taken[g] {
			return nil, sdk.ErrorAtKey("group.by", fmt.Errorf("%s is named twice", g))
		}
		taken[g] = true
		p.groupBy = append(p.groupBy, g)
		p.groupIdx = append(p.groupIdx, at[g])
	}
	for _, item := range c.Constants {
		f, err := parseConstant(item)
		if err != nil {
			return nil, sdk.ErrorAtKey("constants", err)
		}
		if taken[f.Name] {
			return nil, sdk.ErrorAtKey("constants", fmt.Errorf("%s is taken by a group field or another constant", f.Name))
		}
		taken[f.Name] = true
		p.constants = append(p.constants, f)
	}
	aggs, err := agg.ParseSpecs(c.Aggregates)
	if err != nil {
		return nil, sdk.ErrorAtKey("aggregates", err)
	}
	for _, a := range aggs {
		if a.Field != "" {
			if err := known("aggregates", a.Field); err != nil {
				return nil, err
			}
		}
		if taken[a.Out] {
			return nil, sdk.ErrorAtKey("aggregates", fmt.Errorf("output %s is taken by a group field or a constant", a.Out))
		}
		taken[a.Out] = true
	}
	if p.set, err = agg.NewSet(aggs); err != nil {
		return nil, sdk.ErrorAtKey("aggregates", err)
	}
	if c.EmitField != "" && taken[c.EmitField] {
		return nil, sdk.ErrorAtKey("emit.time.field", fmt.Errorf("%s is taken by another output field", c.EmitField))
	}
	if strings.TrimSpace(c.Where) != "" {
		if p.where, err = expr.Parse(c.Where); err != nil {
			return nil, sdk.ErrorAtKey("where", err)
		}
		for _, f := range p.where.Fields() {
			if err := known("where", f); err != nil {
				return nil, err
			}
		}
	}
	return p, nil
}

// parseConstant reads name=literal: a JSON number is a number (an Int when
// it is whole and fits), text in single or double quotes is that text, and
// anything else is a string as written.
func parseConstant(item string) (value.Field, error) {
	name, lit, ok := strings.Cut(item, "=")
	name, lit = strings.TrimSpace(name), strings.TrimSpace(lit)
	if !ok || name == "" {
		return value.Field{}, fmt.Errorf("%q: want name=literal, as in type=1", item)
	}
	f := value.Field{Name: name}
	switch {
	case len(lit) >= 2 && (lit[0] == '\'' || lit[0] == '"') && lit[len(lit)-1] == lit[0]:
		f.Value = value.OfString(lit[1 : len(lit)-1])
	case isNumber(lit):
		if i, err := strconv.ParseInt(lit, 10, 64); err == nil {
			f.Value = value.OfInt(i)
		} else {
			f.Value = value.OfNumber(lit)
		}
	default:
		f.Value = value.OfString(lit)
	}
	return f, nil
}

// isNumber reports whether s is a JSON number.
func isNumber(s string) bool {
	if s == "" || s[0] != '-' && (s[0] < '0' || s[0] > '9') {
		return false
	}
	return json.Valid([]byte(s))
}

var (
	_ sdk.Stateful = (*Operator)(nil)
	_ sdk.Counted  = (*Operator)(nil)
)

// Open compiles the config.
func (o *Operator) Open(_ context.Context, cfg sdk.Config) error {
	p, err := compile(cfg)
	if err != nil {
		return err
	}
	o.init(p, time.Now)
	return nil
}
