package intervaljoin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/transforms/expr"
	"github.com/tributarydata/tributary/transforms/extract"
	"github.com/tributarydata/tributary/transforms/timefmt"
	"github.com/tributarydata/tributary/transforms/value"
)

// Config is the interval join connector's config.
type Config struct {
	Topic string `json:"topic" validate:"required" doc:"Output topic of the joined rows: one JSON object of output.fields (then time.difference.field and emit.time.field), keyed by the JSON array of the output.key.fields values, an upsert of that key." importance:"high" group:"Join"`

	LeftTopics  []string `json:"left.topics" doc:"Input topics (of topics) whose records are left records; empty: every input topic. A topic may feed both sides (a self-join)." group:"Left"`
	LeftFields  []string `json:"left.fields" validate:"required,min=1" doc:"What to read from a left record, as the extract step's name=path:type list (data_time=extra.data_time:long). left.key, left.where and left.time.field name these fields; output.fields reads them as left.<name>." importance:"high" group:"Left"`
	LeftKey     []string `json:"left.key" validate:"required,min=1" doc:"Join key fields of a left record, in order, each of a declared type (user_id:long in left.fields) so that 7 and '7' join: the record meets the right records whose right.key values are equal." importance:"high" group:"Left"`
	LeftWhere   string   `json:"left.where" doc:"Only left records meeting this condition (the filter step's language, over left.fields) join; empty: all." group:"Left"`
	LeftTime    string   `json:"left.time.field" doc:"Field holding a left record's event time; empty: the record's Kafka timestamp." group:"Left"`
	LeftFormat  string   `json:"left.time.format" default:"epoch_millis" doc:"How left.time.field holds time: epoch_seconds, epoch_millis, epoch_micros, epoch_nanos, iso8601, or a pattern such as yyyy-MM-dd HH:mm:ss." group:"Left"`
	RightTopics []string `json:"right.topics" doc:"Input topics whose records are right records; empty: every input topic." group:"Right"`
	RightFields []string `json:"right.fields" validate:"required,min=1" doc:"What to read from a right record (name=path:type list); output.fields reads them as right.<name>." importance:"high" group:"Right"`
	RightKey    []string `json:"right.key" validate:"required,min=1" doc:"Join key fields of a right record, as many as left.key and of the same types." importance:"high" group:"Right"`
	RightWhere  string   `json:"right.where" doc:"Only right records meeting this condition join; empty: all." group:"Right"`
	RightTime   string   `json:"right.time.field" doc:"Field holding a right record's event time; empty: the record's Kafka timestamp." group:"Right"`
	RightFormat string   `json:"right.time.format" default:"epoch_millis" doc:"How right.time.field holds time (as left.time.format)." group:"Right"`
	TimeZone    string   `json:"time.zone" default:"UTC" doc:"IANA zone of time patterns without an offset, read and written (e.g. Asia/Shanghai)." group:"Join"`

	Lower time.Duration `json:"interval.lower.ms" validate:"required" doc:"A left and a right record join when left time - right time is at least this (ms, may be negative): -21600000 takes left records up to 6 hours before the right one." importance:"high" group:"Join"`
	Upper time.Duration `json:"interval.upper.ms" validate:"required" doc:"A left and a right record join only when left time - right time is at most this (ms, not below interval.lower.ms): -1 takes only left records strictly before the right one." importance:"high" group:"Join"`
	Match string        `json:"match" default:"all" validate:"oneof=all earliest latest" doc:"all: every joining pair once, when its second record arrives (Flink's interval join). earliest / latest: per right record only the joining left record of the smallest / largest time (of equal times the first to arrive), emitted at the first match and emitted again under the same key when a better one arrives." importance:"high" group:"Join"`

	Output    string        `json:"output.fields" validate:"required" doc:"The joined row, as the set step's assignments name = value separated by commas over the fields left.<name> and right.<name> (and the outputs assigned before): user_id = right.user_id, event_time = date_format(right.event_time, 'yyyy-MM-dd HH:mm:ss.SSS', 'Asia/Shanghai'). Functions coalesce, concat, md5, lower, upper, trim, cast, date_format and CASE WHEN, as in the set step. Only the fields named here are kept in the state." importance:"high" group:"Output"`
	OutputKey []string      `json:"output.key.fields" validate:"required,min=1" doc:"Output fields whose values, as a JSON array, key each output record (the sink table's primary key). With match earliest or latest they must be computed from right fields only, so that a better match replaces the row it corrects." importance:"high" group:"Output"`
	DiffField string        `json:"time.difference.field" doc:"Output field of right time - left time in ms (job 4's spend_time); empty: none." group:"Output"`
	EmitField string        `json:"emit.time.field" doc:"Output field of the wall-clock time the row was computed (the seed's create_time), in output.time.format; empty: none." group:"Output"`
	OutFormat string        `json:"output.time.format" default:"epoch_millis" doc:"How emit.time.field is written: an epoch unit, iso8601, or a pattern in time.zone." group:"Output"`
	Delay     time.Duration `json:"out.of.orderness.ms" default:"0" validate:"gte=0" doc:"How far (ms) event time may run backwards: a partition's watermark is its largest event time minus this." group:"Event Time"`
	Lateness  time.Duration `json:"allowed.lateness.ms" default:"0" validate:"gte=0" doc:"How far (ms) behind the watermark a record may still join (and correct an earliest or latest match); a record further behind goes to late.topic. State is kept until no record within this could join it." group:"Event Time"`
	MaxAhead  time.Duration `json:"event.time.max.ahead.ms" default:"0" validate:"gte=0" doc:"An event time more than this (ms) ahead of the wall clock is refused (dead-lettered with the reason) instead of moving the watermark: one record from a client whose clock is years off would make every other record late. 0: no limit." group:"Event Time"`
	Idle      time.Duration `json:"idle.timeout.ms" default:"10000" validate:"gte=0" doc:"A partition without records this long (ms, wall clock) no longer holds the watermark back; 0: it always does." group:"Event Time"`
	LateTopic string        `json:"late.topic" validate:"required" doc:"Topic of records too late to join, as they came, with the header tributary.late.ms saying by how much." importance:"high" group:"Event Time"`
	TTL       time.Duration `json:"state.ttl.ms" default:"0" validate:"gte=0" doc:"A record held this long (ms, wall clock) is dropped from the state whatever the watermark says: a bound on memory should event time stall. 0: only the watermark drops records." group:"State"`
	MaxDepth  int           `json:"value.max.depth" default:"64" validate:"gt=0,lte=10000" doc:"JSON nested deeper than this is refused (dead-lettered)." group:"Join"`
}

// Plugin registers the interval join as a transform connector.
var Plugin = sdk.Plugin{
	Class:          "tributary.transforms.intervaljoin",
	Aliases:        []string{"intervaljoin"},
	Type:           sdk.TypeTransform,
	Version:        "1.0.0",
	Summary:        "Event-time interval join of two streams (or of one with itself) on key equality and left time - right time within bounds, every pair or only the earliest or latest match per right record, with watermarks, allowed lateness and a late topic, exactly once through a changelog topic.",
	Config:         &Config{},
	NewTransform:   func() sdk.Transform { return &Operator{} },
	ValidateConfig: sdk.ValidateWith(&Config{}, func(cfg sdk.Config) error { _, err := compile(cfg); return err }),
}

// Match modes.
const (
	matchAll = iota
	matchEarliest
	matchLatest
)

// side is one input of the join, compiled.
type side struct {
	name   string // "left" or "right", the prefix of its config keys and fields
	topics map[string]bool
	ex     *extract.Extractor
	specs  []extract.Spec
	at     map[string]int // field name → position in the extracted row
	where  *expr.Expr
	keyIdx []int
	timeIx int // -1: the record's timestamp
	timeIn timefmt.Format
	// kept are the positions of the fields output.fields reads, and
	// qualified their names as it reads them (left.x): only these are
	// stored with a record.
	kept      []int
	qualified []string
}

// takes reports whether records of topic feed this side.
func (s *side) takes(topic string) bool { return s.topics == nil || s.topics[topic] }

// plan is a config compiled once per task.
type plan struct {
	cfg         Config
	left, right side
	// sameFields: both sides read the same fields, so a record feeding both
	// is extracted once.
	sameFields   bool
	match        int
	lower, upper int64 // ms
	late         int64 // ms
	ttl          int64 // ms
	loc          *time.Location
	timeOut      timefmt.Format
	outputs      []expr.Assignment
	quoted       [][]byte // each output's name as a JSON string and a colon
	keyIdx       []int    // positions of output.key.fields among outputs
	diffQuoted   []byte
	emitQuoted   []byte
	// schema names the shape of the state (match mode, key types, the kept
	// fields and their types): state of another shape must not be
	// restored into this one.
	schema string
}

func compile(cfg sdk.Config) (*plan, error) {
	var c Config
	if err := sdk.Decode(cfg, &c); err != nil {
		return nil, err
	}
	p := &plan{cfg: c, lower: c.Lower.Milliseconds(), upper: c.Upper.Milliseconds(),
		late: c.Lateness.Milliseconds(), ttl: c.TTL.Milliseconds()}
	p.match = map[string]int{"all": matchAll, "earliest": matchEarliest, "latest": matchLatest}[strings.TrimSpace(c.Match)]
	if p.lower > p.upper {
		return nil, sdk.ErrorAtKey("interval.upper.ms", fmt.Errorf("the upper bound %d is below the lower bound %d", p.upper, p.lower))
	}
	var err error
	if p.loc, err = time.LoadLocation(c.TimeZone); err != nil {
		return nil, sdk.ErrorAtKey("time.zone", err)
	}
	if p.timeOut, err = timefmt.Parse(c.OutFormat); err != nil {
		return nil, sdk.ErrorAtKey("output.time.format", err)
	}
	if err := p.left.compile("left", c.LeftTopics, c.LeftFields, c.LeftKey, c.LeftWhere, c.LeftTime, c.LeftFormat, c.MaxDepth); err != nil {
		return nil, err
	}
	if err := p.right.compile("right", c.RightTopics, c.RightFields, c.RightKey, c.RightWhere, c.RightTime, c.RightFormat, c.MaxDepth); err != nil {
		return nil, err
	}
	if err := p.checkTopics(cfg["topics"]); err != nil {
		return nil, err
	}
	p.sameFields = slices.Equal(c.LeftFields, c.RightFields)
	if len(p.left.keyIdx) != len(p.right.keyIdx) {
		return nil, sdk.ErrorAtKey("right.key", fmt.Errorf("%d key fields, and left.key has %d", len(p.right.keyIdx), len(p.left.keyIdx)))
	}
	for i := range p.left.keyIdx {
		lt, rt := p.left.specs[p.left.keyIdx[i]].Type, p.right.specs[p.right.keyIdx[i]].Type
		if lt != rt {
			return nil, sdk.ErrorAtKey("right.key", fmt.Errorf("key field %d is a %s here and a %s in left.key: keys of different types never join", i+1, rt, lt))
		}
	}
	if err := p.compileOutput(); err != nil {
		return nil, err
	}
	p.schema = p.shape()
	return p, nil
}

func (s *side) compile(name string, topics, fields, key []string, where, timeField, timeFormat string, maxDepth int) error {
	s.name = name
	if len(topics) > 0 {
		s.topics = map[string]bool{}
		for _, t := range topics {
			s.topics[t] = true
		}
	}
	s.at = map[string]int{}
	for _, item := range fields {
		spec, err := extract.ParseSpec(item)
		if err != nil {
			return sdk.ErrorAtKey(name+".fields", err)
		}
		if _, dup := s.at[spec.Name]; dup {
			return sdk.ErrorAtKey(name+".fields", fmt.Errorf("field %s is named twice", spec.Name))
		}
		s.at[spec.Name] = len(s.specs)
		s.specs = append(s.specs, spec)
	}
	var err error
	if s.ex, err = extract.Compile(s.specs, extract.Options{MaxDepth: maxDepth}); err != nil {
		return sdk.ErrorAtKey(name+".fields", err)
	}
	seen := map[string]bool{}
	for _, k := range key {
		k = strings.TrimSpace(k)
		i, ok := s.at[k]
		if !ok {
			return sdk.ErrorAtKey(name+".key", fmt.Errorf("%s is not one of %s.fields", k, name))
		}
		if seen[k] {
			return sdk.ErrorAtKey(name+".key", fmt.Errorf("%s is named twice", k))
		}
		if s.specs[i].Type == value.TypeAuto {
			// Keys are compared by kind as well as text (stream.AppendKey),
			// and apps send ids as numbers and as strings alike.
			return sdk.ErrorAtKey(name+".key", fmt.Errorf("give the key field %s a type in %s.fields (%s:long or :string), so that 7 and '7' are one key", k, name, k))
		}
		seen[k] = true
		s.keyIdx = append(s.keyIdx, i)
	}
	if strings.TrimSpace(where) != "" {
		if s.where, err = expr.Parse(where); err != nil {
			return sdk.ErrorAtKey(name+".where", err)
		}
		for _, f := range s.where.Fields() {
			if _, ok := s.at[f]; !ok {
				return sdk.ErrorAtKey(name+".where", fmt.Errorf("%s is not one of %s.fields", f, name))
			}
		}
	}
	s.timeIx = -1
	if timeField = strings.TrimSpace(timeField); timeField != "" {
		i, ok := s.at[timeField]
		if !ok {
			return sdk.ErrorAtKey(name+".time.field", fmt.Errorf("%s is not one of %s.fields", timeField, name))
		}
		s.timeIx = i
	}
	if s.timeIn, err = timefmt.Parse(timeFormat); err != nil {
		return sdk.ErrorAtKey(name+".time.format", err)
	}
	return nil
}

// checkTopics holds the sides to the runtime's input topics (the topics
// key, when the config has it): a side naming a topic that is not read
// would never join, and records of a topic on neither side would all be
// refused.
func (p *plan) checkTopics(list string) error {
	var inputs []string
	for t := range strings.SplitSeq(list, ",") {
		if t = strings.TrimSpace(t); t != "" {
			inputs = append(inputs, t)
		}
	}
	if len(inputs) == 0 {
		return nil
	}
	for _, s := range []*side{&p.left, &p.right} {
		for t := range s.topics {
			if !slices.Contains(inputs, t) {
				return sdk.ErrorAtKey(s.name+".topics", fmt.Errorf("%s is not one of the input topics (topics)", t))
			}
		}
	}
	for _, t := range inputs {
		if !p.left.takes(t) && !p.right.takes(t) {
			return sdk.ErrorAtKey("right.topics", fmt.Errorf("input topic %s is in neither left.topics nor right.topics", t))
		}
	}
	return nil
}

// compileOutput parses output.fields, works out which fields of each side
// they read, and places the output key, the difference and the emit time.
func (p *plan) compileOutput() error {
	c := &p.cfg
	var err error
	if p.outputs, err = expr.ParseAssignments(c.Output); err != nil {
		return sdk.ErrorAtKey("output.fields", err)
	}
	// readsLeft says whether an output depends on a left field, directly
	// or through an output before it.
	readsLeft := map[string]bool{}
	assigned := map[string]bool{}
	for _, a := range p.outputs {
		if assigned[a.Field] {
			return sdk.ErrorAtKey("output.fields", fmt.Errorf("%s is assigned twice", a.Field))
		}
		if strings.HasPrefix(a.Field, "left.") || strings.HasPrefix(a.Field, "right.") {
			return sdk.ErrorAtKey("output.fields", fmt.Errorf("output %s: names starting left. or right. are the input fields", a.Field))
		}
		for _, f := range a.Value.Fields() {
			switch {
			case assigned[f]:
				readsLeft[a.Field] = readsLeft[a.Field] || readsLeft[f]
			case strings.HasPrefix(f, "left."):
				if err := p.left.keep(strings.TrimPrefix(f, "left.")); err != nil {
					return err
				}
				readsLeft[a.Field] = true
			case strings.HasPrefix(f, "right."):
				if err := p.right.keep(strings.TrimPrefix(f, "right.")); err != nil {
					return err
				}
			default:
				return sdk.ErrorAtKey("output.fields", fmt.Errorf("output %s reads %s, which is neither left.<field>, right.<field> nor an output assigned before it", a.Field, f))
			}
		}
		assigned[a.Field] = true
		p.quoted = append(p.quoted, append(sdk.AppendJSONString(nil, a.Field), ':'))
	}
	for _, k := range c.OutputKey {
		k = strings.TrimSpace(k)
		i := slices.IndexFunc(p.outputs, func(a expr.Assignment) bool { return a.Field == k })
		if i < 0 {
			return sdk.ErrorAtKey("output.key.fields", fmt.Errorf("%s is not one of output.fields", k))
		}
		if slices.Contains(p.keyIdx, i) {
			return sdk.ErrorAtKey("output.key.fields", fmt.Errorf("%s is named twice", k))
		}
		if p.match != matchAll && readsLeft[k] {
			return sdk.ErrorAtKey("output.key.fields", fmt.Errorf("%s reads a left field: with match %s a better left match must replace the row under the same key, so key by right fields only", k, c.Match))
		}
		p.keyIdx = append(p.keyIdx, i)
	}
	for _, f := range []struct{ key, name string }{{"time.difference.field", c.DiffField}, {"emit.time.field", c.EmitField}} {
		if f.name == "" {
			continue
		}
		if assigned[f.name] {
			return sdk.ErrorAtKey(f.key, fmt.Errorf("%s is taken by another output field", f.name))
		}
		assigned[f.name] = true
	}
	if c.DiffField != "" {
		p.diffQuoted = append(sdk.AppendJSONString(nil, c.DiffField), ':')
	}
	if c.EmitField != "" {
		p.emitQuoted = append(sdk.AppendJSONString(nil, c.EmitField), ':')
	}
	if len(p.outputs) == 0 {
		return sdk.ErrorAtKey("output.fields", errors.New("no output fields"))
	}
	return nil
}

// keep adds a field that output.fields reads to what is stored of a record.
func (s *side) keep(name string) error {
	i, ok := s.at[name]
	if !ok {
		return sdk.ErrorAtKey("output.fields", fmt.Errorf("%s.%s: %s is not one of %s.fields", s.name, name, name, s.name))
	}
	if !slices.Contains(s.kept, i) {
		s.kept = append(s.kept, i)
		s.qualified = append(s.qualified, s.name+"."+name)
	}
	return nil
}

// shape describes what the state holds, for the schema record.
func (p *plan) shape() string {
	var b strings.Builder
	fmt.Fprintf(&b, "v1 match=%s key=", strings.TrimSpace(p.cfg.Match))
	for i, k := range p.left.keyIdx {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(p.left.specs[k].Type.String())
	}
	for _, s := range []*side{&p.left, &p.right} {
		fmt.Fprintf(&b, " %s=", s.name)
		for i, k := range s.kept {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "%s:%s", s.specs[k].Name, s.specs[k].Type)
		}
	}
	return b.String()
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
