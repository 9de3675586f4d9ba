package window

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/transforms/agg"
	"github.com/tributarydata/tributary/transforms/expr"
	"github.com/tributarydata/tributary/transforms/extract"
	"github.com/tributarydata/tributary/transforms/stream"
	"github.com/tributarydata/tributary/transforms/timefmt"
)

// Config is the window connector's config.
type Config struct {
	Topic      string        `json:"topic" validate:"required" doc:"Output topic of the results: one record per window and group, keyed by the JSON array [window start, group values...], an upsert of that key." importance:"high" group:"Window"`
	Fields     []string      `json:"fields" validate:"required,min=1" doc:"What to read from each record, as the extract step's name=path:type list (userId=data.userid:long). group.by, aggregates, where and time.field name these fields." importance:"high" group:"Window"`
	GroupBy    []string      `json:"group.by" validate:"required,min=1" doc:"Fields to group by, in order; each is an output field of the same name." importance:"high" group:"Window"`
	Aggregates []string      `json:"aggregates" validate:"required,min=1" doc:"Aggregates per window and group, each out=func(field): count(), count(field), sum, avg, min, max, count_distinct." importance:"high" group:"Window"`
	Where      string        `json:"where" doc:"Only records meeting this condition count (the filter step's language); the others are counted as filtered." group:"Window"`
	TimeField  string        `json:"time.field" doc:"Field holding the event time; empty: the record's Kafka timestamp." group:"Event Time"`
	TimeFormat string        `json:"time.format" default:"epoch_millis" doc:"How time.field holds time: epoch_seconds, epoch_millis, epoch_micros, epoch_nanos, iso8601, or a pattern such as yyyy-MM-dd HH:mm:ss." group:"Event Time"`
	TimeZone   string        `json:"time.zone" default:"UTC" doc:"IANA zone of time patterns without an offset, in and out (e.g. Asia/Shanghai)." group:"Event Time"`
	Size       time.Duration `json:"window.size.ms" validate:"gt=0" doc:"Window length (ms)." importance:"high" group:"Window"`
	Slide      time.Duration `json:"window.slide.ms" default:"0" validate:"gte=0" doc:"Hopping windows start every slide (ms); 0: tumbling windows (slide = size)." group:"Window"`
	Delay      time.Duration `json:"out.of.orderness.ms" default:"0" validate:"gte=0" doc:"How far (ms) event time may run backwards: a partition's watermark is its largest event time minus this." group:"Event Time"`
	Lateness   time.Duration `json:"allowed.lateness.ms" default:"0" validate:"gte=0" doc:"How long (ms of watermark) a fired window stays open: a record arriving for it within this re-emits the corrected result under the same key; later ones go to late.topic." group:"Event Time"`
	MaxAhead   time.Duration `json:"event.time.max.ahead.ms" default:"0" validate:"gte=0" doc:"An event time more than this (ms) ahead of the wall clock is refused (dead-lettered with the reason) instead of moving the watermark: one record from a client whose clock is years off would make every other record late. 0: no limit." group:"Event Time"`
	Idle       time.Duration `json:"idle.timeout.ms" default:"10000" validate:"gte=0" doc:"A partition without records this long (ms, wall clock) no longer holds the watermark back; 0: it always does." group:"Event Time"`
	LateTopic  string        `json:"late.topic" validate:"required" doc:"Topic of records too late for any open window, as they came, with the header tributary.late.ms saying by how much." importance:"high" group:"Event Time"`
	StartField string        `json:"window.start.field" default:"window_start" doc:"Output field of the window start." group:"Output"`
	EndField   string        `json:"window.end.field" default:"window_end" doc:"Output field of the window end (exclusive)." group:"Output"`
	OutFormat  string        `json:"output.time.format" default:"epoch_millis" doc:"How window start and end are written: an epoch unit, iso8601, or a pattern in time.zone." group:"Output"`
	EmitField  string        `json:"emit.time.field" doc:"Output field of the wall-clock time the result was computed (the seed's create_time), in output.time.format; empty: none." group:"Output"`
	MaxDepth   int           `json:"value.max.depth" default:"64" validate:"gt=0,lte=10000" doc:"JSON nested deeper than this is refused (dead-lettered)." group:"Window"`
}

// Plugin registers the windowed aggregation as a transform connector.
var Plugin = sdk.Plugin{
	Class:          "tributary.transforms.window",
	Aliases:        []string{"window"},
	Type:           sdk.TypeTransform,
	Version:        "1.0.0",
	Summary:        "Event-time tumbling or hopping windows with a group-by aggregation, fired by the watermark, corrected for late records within the allowed lateness, exactly once through a changelog topic.",
	Config:         &Config{},
	NewTransform:   func() sdk.Transform { return &Operator{} },
	ValidateConfig: sdk.ValidateWith(&Config{}, func(cfg sdk.Config) error { _, err := compile(cfg); return err }),
}

// plan is a config compiled once per task.
type plan struct {
	cfg        Config
	ex         *extract.Extractor
	where      *expr.Expr
	set        *agg.Set
	groupBy    []string
	windows    stream.Windows
	timeIn     timefmt.Format
	timeOut    timefmt.Format
	loc        *time.Location
	size, late int64 // ms
	// schema names the shape of the state (window, group.by and their
	// types): state of another shape must not be restored into this one.
	schema string
}

func compile(cfg sdk.Config) (*plan, error) {
	var c Config
	if err := sdk.Decode(cfg, &c); err != nil {
		return nil, err
	}
	p := &plan{cfg: c, size: c.Size.Milliseconds(), late: c.Lateness.Milliseconds()}
	var err error
	specs := make([]extract.Spec, 0, len(c.Fields))
	names := map[string]bool{}
	for _, item := range c.Fields {
		spec, err := extract.ParseSpec(item)
		if err != nil {
			return nil, sdk.ErrorAtKey("fields", err)
		}
		if names[spec.Name] {
			return nil, sdk.ErrorAtKey("fields", fmt.Errorf("field %s is named twice", spec.Name))
		}
		names[spec.Name] = true
		specs = append(specs, spec)
	}
	if p.ex, err = extract.Compile(specs, extract.Options{MaxDepth: c.MaxDepth}); err != nil {
		return nil, sdk.ErrorAtKey("fields", err)
	}
	known := func(key, name string) error {
		if !names[name] {
			return sdk.ErrorAtKey(key, fmt.Errorf("%s is not one of fields", name))
		}
		return nil
	}
	taken := map[string]bool{c.StartField: true, c.EndField: true}
	if c.StartField == c.EndField {
		return nil, sdk.ErrorAtKey("window.end.field", errors.New("window start and end need different fields"))
	}
	for _, g := range c.GroupBy {
		g = strings.TrimSpace(g)
		if err := known("group.by", g); err != nil {
			return nil, err
		}
		if taken[g] {
			return nil, sdk.ErrorAtKey("group.by", fmt.Errorf("%s is named twice among group.by and the window fields", g))
		}
		taken[g] = true
		p.groupBy = append(p.groupBy, g)
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
			return nil, sdk.ErrorAtKey("aggregates", fmt.Errorf("output %s is taken by a group or window field", a.Out))
		}
		taken[a.Out] = true
	}
	if c.EmitField != "" && taken[c.EmitField] {
		return nil, sdk.ErrorAtKey("emit.time.field", fmt.Errorf("%s is taken by another output field", c.EmitField))
	}
	if p.set, err = agg.NewSet(aggs); err != nil {
		return nil, sdk.ErrorAtKey("aggregates", err)
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
	if c.TimeField != "" {
		if err := known("time.field", c.TimeField); err != nil {
			return nil, err
		}
	}
	if p.windows, err = stream.NewWindows(p.size, c.Slide.Milliseconds()); err != nil {
		return nil, sdk.ErrorAtKey("window.slide.ms", err)
	}
	types := map[string]string{}
	for _, spec := range specs {
		types[spec.Name] = spec.Type.String()
	}
	var schema strings.Builder
	fmt.Fprintf(&schema, "v1 size=%d slide=%d group.by=", p.windows.Size, p.windows.Slide)
	for i, g := range p.groupBy {
		if i > 0 {
			schema.WriteByte(',')
		}
		fmt.Fprintf(&schema, "%s:%s", g, types[g])
	}
	p.schema = schema.String()
	if p.timeIn, err = timefmt.Parse(c.TimeFormat); err != nil {
		return nil, sdk.ErrorAtKey("time.format", err)
	}
	if p.timeOut, err = timefmt.Parse(c.OutFormat); err != nil {
		return nil, sdk.ErrorAtKey("output.time.format", err)
	}
	if p.loc, err = time.LoadLocation(c.TimeZone); err != nil {
		return nil, sdk.ErrorAtKey("time.zone", err)
	}
	return p, nil
}

var _ sdk.Stateful = (*Operator)(nil)

// Open compiles the config.
func (o *Operator) Open(_ context.Context, cfg sdk.Config) error {
	p, err := compile(cfg)
	if err != nil {
		return err
	}
	o.init(p, time.Now)
	return nil
}
