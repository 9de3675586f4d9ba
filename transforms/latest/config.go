package latest

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/transforms/extract"
	"github.com/tributarydata/tributary/transforms/latest/change"
	"github.com/tributarydata/tributary/transforms/timefmt"
)

// Config is the latest connector's config.
type Config struct {
	Topic      string        `json:"topic" validate:"required" doc:"Output topic of the change records: {\"op\":\"c\"|\"u\"|\"d\",\"before\":row|null,\"after\":row|null}, keyed by the JSON array of the output.key.fields values of the row carried." importance:"high" group:"Latest"`
	Fields     []string      `json:"fields" validate:"required,min=1" doc:"What to keep of each row, as the extract step's name=path:type list (id:long,cc_id:long,confirm_date_time,status:long); the row stored and emitted is these fields alone. Paths are read from a plain row, or from a Debezium envelope's after (before for deletes)." importance:"high" group:"Latest"`
	KeyFields  []string      `json:"key.fields" doc:"Fields that identify a row (its primary key, e.g. id); give them a type (id:long) so 5 and '5' are one key. Empty: the record's Kafka key, as CDC topics are keyed. A tombstone's key is read as a JSON object by the same paths." importance:"high" group:"Latest"`
	TimeFields []string      `json:"time.fields" doc:"Fields computed from time fields and kept with the row, name=field:pattern, as SQL's date_format: attribution_time=confirm_date_time:yyyy-MM-dd reads confirm_date_time by time.format and writes its day (null when it is null). output.key.fields may name them, so a day to group by downstream can key the output." group:"Latest"`
	TimeFormat string        `json:"time.format" default:"epoch_millis" doc:"How the fields time.fields read hold time: epoch_seconds, epoch_millis (the mysql source's DATETIME), epoch_micros, epoch_nanos, iso8601, or a pattern such as yyyy-MM-dd HH:mm:ss." group:"Latest"`
	TimeZone   string        `json:"time.zone" default:"UTC" doc:"IANA zone of time patterns without an offset, read and written (e.g. Asia/Shanghai)." group:"Latest"`
	OutputKey  []string      `json:"output.key.fields" doc:"Fields whose values, as a JSON array, key each output record: the group key of the aggregation downstream, so that its input is partitioned by group. An update that changes them is emitted as a delete under the old key and a create under the new. Empty: key.fields (the record's key when those are empty too)." group:"Output"`
	TTL        time.Duration `json:"state.ttl.ms" default:"0" validate:"gte=0" doc:"A key with no new version for this long (ms, wall clock) is forgotten: its state is deleted from the changelog, and no retraction is emitted, so a later version of it is a create. 0: keep every key." group:"State"`
	MaxDepth   int           `json:"value.max.depth" default:"64" validate:"gt=0,lte=10000" doc:"JSON nested deeper than this is refused (dead-lettered)." group:"Latest"`
}

// Plugin registers the latest-value-per-key operator as a transform
// connector.
var Plugin = sdk.Plugin{
	Class:          "tributary.transforms.latest",
	Aliases:        []string{"latest"},
	Type:           sdk.TypeTransform,
	Version:        "1.0.0",
	Summary:        "The latest version of each row by key (Flink's LAST_VALUE … GROUP BY id) from CDC envelopes or plain rows, emitted as a changelog stream whose updates retract the previous row, exactly once through a changelog topic.",
	Config:         &Config{},
	NewTransform:   func() sdk.Transform { return &Operator{} },
	ValidateConfig: sdk.ValidateWith(&Config{}, func(cfg sdk.Config) error { _, err := compile(cfg); return err }),
}

// plan is a config compiled once per task.
type plan struct {
	cfg    Config
	reader *change.Reader
	// keyReader reads the key fields out of a tombstone's key.
	keyReader *extract.Extractor
	names     []string
	// quoted holds each field's name as a JSON string and a colon.
	quoted [][]byte
	keyIdx []int // positions of key.fields among fields; nil: the Kafka key
	outIdx []int // positions of output.key.fields; nil: the identity
	print  uint32
	ttl    int64 // ms; 0 none
}

func compile(cfg sdk.Config) (*plan, error) {
	var c Config
	if err := sdk.Decode(cfg, &c); err != nil {
		return nil, err
	}
	p := &plan{cfg: c, ttl: c.TTL.Milliseconds()}
	specs := make([]extract.Spec, 0, len(c.Fields))
	at := map[string]int{}
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
	opts := change.Options{MaxDepth: c.MaxDepth}
	var err error
	if opts.TimeIn, err = timefmt.Parse(c.TimeFormat); err != nil {
		return nil, sdk.ErrorAtKey("time.format", err)
	}
	if opts.Zone, err = time.LoadLocation(c.TimeZone); err != nil {
		return nil, sdk.ErrorAtKey("time.zone", err)
	}
	if opts.Times, err = change.ParseTimeFields(c.TimeFields, specs); err != nil {
		return nil, sdk.ErrorAtKey("time.fields", err)
	}
	if p.reader, err = change.NewReader(specs, opts); err != nil {
		return nil, sdk.ErrorAtKey("fields", err)
	}
	p.names = p.reader.Names()
	for i, name := range p.names {
		at[name] = i
		p.quoted = append(p.quoted, append(sdk.AppendJSONString(nil, name), ':'))
	}
	positions := func(key string, names []string) ([]int, error) {
		var idx []int
		seen := map[string]bool{}
		for _, name := range names {
			name = strings.TrimSpace(name)
			i, ok := at[name]
			if !ok {
				return nil, sdk.ErrorAtKey(key, fmt.Errorf("%s is not one of fields", name))
			}
			if seen[name] {
				return nil, sdk.ErrorAtKey(key, fmt.Errorf("%s is named twice", name))
			}
			seen[name] = true
			idx = append(idx, i)
		}
		return idx, nil
	}
	if p.keyIdx, err = positions("key.fields", c.KeyFields); err != nil {
		return nil, err
	}
	if p.outIdx, err = positions("output.key.fields", c.OutputKey); err != nil {
		return nil, err
	}
	if p.outIdx == nil {
		p.outIdx = p.keyIdx
	}
	if p.keyIdx != nil {
		keySpecs := make([]extract.Spec, len(p.keyIdx))
		for i, j := range p.keyIdx {
			if j >= len(specs) {
				return nil, sdk.ErrorAtKey("key.fields", fmt.Errorf("%s is a time field: a key is read from the row", p.names[j]))
			}
			keySpecs[i] = specs[j]
		}
		if p.keyReader, err = extract.Compile(keySpecs, extract.Options{MaxDepth: c.MaxDepth}); err != nil {
			return nil, sdk.ErrorAtKey("key.fields", err)
		}
	}
	h := fnv.New32a()
	for i, name := range p.names {
		typ := byte(0xff) // a time field
		if i < len(specs) {
			typ = byte(specs[i].Type)
		}
		h.Write(binary.AppendUvarint([]byte{typ}, uint64(len(name))))
		h.Write([]byte(name))
	}
	// The identity is made of the key fields, or is the Kafka key: state of
	// one is no state of the other.
	h.Write([]byte{0xfe, byte(len(p.keyIdx))})
	for _, i := range p.keyIdx {
		h.Write(binary.AppendUvarint(nil, uint64(i)))
	}
	p.print = h.Sum32()
	return p, nil
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
