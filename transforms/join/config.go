package join

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/transforms/expr"
	"github.com/tributarydata/tributary/transforms/extract"
	"github.com/tributarydata/tributary/transforms/latest/change"
	"github.com/tributarydata/tributary/transforms/lookup"
)

// Config is the join connector's config.
type Config struct {
	Topics      []string `json:"topics" validate:"required,min=1" doc:"Topics to read, comma separated (subscribed by the runtime): exactly those of left.topics, right.topics and lookup.topics." importance:"high" group:"Join"`
	Topic       string   `json:"topic" validate:"required" doc:"Output topic of the change records: {\"op\":\"c\"|\"u\"|\"d\",\"before\":row|null,\"after\":row|null}, as the latest connector writes them, keyed by the JSON array of the output.key.fields values of the row carried." importance:"high" group:"Join"`
	LeftTopics  []string `json:"left.topics" validate:"required,min=1" doc:"Topics of the left side (the seed's FROM table, e.g. edu.uc_account.student): CDC envelopes or plain JSON rows, each the new version of its key." importance:"high" group:"Join"`
	RightTopics []string `json:"right.topics" validate:"required,min=1" doc:"Topics of the right side (the joined table, e.g. edu.uc_account.user), read as the left side's. They must be partitioned like the left topics, by the join key, with as many partitions: state is kept per input partition." importance:"high" group:"Join"`
	LeftFields  []string `json:"left.fields" validate:"required,min=1" doc:"What to keep of each left row, as the extract step's name=path:type list (id:long,channel_id,update_time); expressions name them left.<name>. Paths are read from a plain row, or from a Debezium envelope's after (before for deletes)." importance:"high" group:"Join"`
	RightFields []string `json:"right.fields" validate:"required,min=1" doc:"What to keep of each right row, as left.fields (id:long,name,register_date_time,status); expressions name them right.<name>." importance:"high" group:"Join"`
	LeftKey     []string `json:"left.key.fields" doc:"Fields of left.fields that hold the join key (id), in the order of right.key.fields and of the same types (give them one: id:long on both sides, so 5 and '5' are one key). Empty on both sides: the record's Kafka key, as CDC topics are keyed, which must then be the same bytes on both sides." importance:"high" group:"Join"`
	RightKey    []string `json:"right.key.fields" doc:"Fields of right.fields that hold the join key, as left.key.fields." importance:"high" group:"Join"`
	Type        string   `json:"join.type" default:"inner" validate:"oneof=inner left" doc:"inner: a key has an output row while both sides have a row; left: while the left side has one, its right.* null until a right row arrives (the null-padded row is then retracted and the joined one emitted)." importance:"high" group:"Join"`
	Output      string   `json:"output.fields" validate:"required" doc:"The output row, as assignments field = value separated by commas (the set step's language: CASE WHEN, coalesce, concat, md5, date_format, cast…) over left.<field>, right.<field> and lookup.<column>, each seeing the output fields assigned before it: id = left.id, reg_date = cast(date_format(right.register_date_time, 'yyyyMMddHH', 'Asia/Shanghai') as bigint), level = CASE WHEN lookup.level IN ('A','B','C','D') THEN lookup.level ELSE 'other' END. A value a function cannot take withdraws the key's output row and dead-letters the record that made it." importance:"high" group:"Output"`
	Where       string   `json:"where" doc:"Only rows meeting this condition (the filter step's language) are output, over the same names as output.fields and the output fields: right.name NOT LIKE '%test%' AND right.status = 'NORMAL'. A row that stops meeting it is retracted, as SQL's WHERE over a retracting join." group:"Output"`
	OutputKey   []string `json:"output.key.fields" doc:"Output fields whose values, as a JSON array, key each output record: the group key of the aggregation downstream, so its input is partitioned by group. An update that changes them is emitted as a delete under the old key and a create under the new. Empty: the join key (the JSON array of the key fields' values, or the Kafka key)." group:"Output"`

	TTL      time.Duration `json:"state.ttl.ms" default:"0" validate:"gte=0" doc:"A key with no new record on either side for this long (ms, wall clock) is forgotten: its rows and the output row it emitted leave the state, and no retraction is emitted, so a later version of it is a create. 0: keep every key." group:"State"`
	MaxDepth int           `json:"value.max.depth" default:"64" validate:"gt=0,lte=10000" doc:"JSON nested deeper than this is refused (dead-lettered)." group:"Join"`

	LookupURL         string        `json:"lookup.connection.url" doc:"PostgreSQL URL (or key=value DSN) of the serving store holding the dimension table (PostgreSQL or Hologres). Empty: no lookup." group:"Lookup"`
	LookupUser        string        `json:"lookup.connection.user" doc:"User to connect as; overrides the URL's." group:"Lookup"`
	LookupPassword    sdk.Password  `json:"lookup.connection.password" doc:"Password of lookup.connection.user; overrides the URL's." group:"Lookup"`
	LookupTable       string        `json:"lookup.table" doc:"Dimension table, table or schema.table, exactly as the catalog spells it (channel_name_dictionary)." group:"Lookup"`
	LookupKeyColumn   string        `json:"lookup.key.column" doc:"Text or varchar column, unique, that lookup.key is matched against (rowkey)." group:"Lookup"`
	LookupColumns     []string      `json:"lookup.columns" doc:"Columns of the dimension row, named lookup.<column> in output.fields and where (level). All null when no row has the key." group:"Lookup"`
	LookupKey         string        `json:"lookup.key" doc:"Value expression over left.* and right.* whose text is looked up (md5(left.channel_id)); a null key finds no row." group:"Lookup"`
	LookupCacheSize   int           `json:"lookup.cache.size" default:"100000" validate:"gt=0" doc:"Most dimension rows and absences cached; the least recently used leave first." group:"Lookup"`
	LookupTTL         time.Duration `json:"lookup.cache.ttl.ms" default:"600000" validate:"gt=0" doc:"How long a row read from the table, or put or deleted by a record of lookup.topics, is trusted before the table is asked again: how stale a dimension may be." group:"Lookup"`
	LookupNegativeTTL time.Duration `json:"lookup.cache.negative.ttl.ms" default:"60000" validate:"gte=0" doc:"How long 'no such row' read from the table is trusted; 0 asks the table again every time." group:"Lookup"`
	LookupBatchSize   int           `json:"lookup.batch.size" default:"1000" validate:"gt=0" doc:"Most keys one query asks for; a batch's cache misses are read in queries of this many." group:"Lookup"`
	LookupTimeout     time.Duration `json:"lookup.timeout.ms" default:"5000" validate:"gt=0" doc:"Bound of each lookup query; a query that takes longer fails the batch (retriably)." group:"Lookup"`
	LookupMaxConns    int           `json:"lookup.max.conns" default:"4" validate:"gt=0" doc:"Most connections to the serving store per task." group:"Lookup"`
	LookupTopics      []string      `json:"lookup.topics" doc:"Topics of the dimension's changes (dwd.channel_name_dictionary), for the combined join: each row is put into the cache, each delete or tombstone removes it, fresher than the table the sink writes from the same topic. Rows are read by the lookup.columns names, from a plain row or an envelope's after." group:"Lookup"`
	LookupTopicKey    string        `json:"lookup.topic.key.field" doc:"Field of a lookup.topics row holding its key (rowkey). Empty: the record's Kafka key, as text. A tombstone deletes the key its Kafka key names." group:"Lookup"`
}

// Plugin registers the join as a transform connector.
var Plugin = sdk.Plugin{
	Class:          "tributary.transforms.join",
	Aliases:        []string{"join"},
	Type:           sdk.TypeTransform,
	Version:        "1.0.0",
	Summary:        "A regular join of two changelog streams by key (Flink's non-windowed JOIN over two LAST_VALUE … GROUP BY id views), inner or left, with an optional lookup of a dimension row in the serving store, cached and kept fresh from the dimension's topic; emitted as a changelog whose updates retract exactly the row emitted before, exactly once through a changelog topic.",
	Config:         &Config{},
	NewTransform:   func() sdk.Transform { return &Operator{} },
	ValidateConfig: sdk.ValidateWith(&Config{}, func(cfg sdk.Config) error { _, err := compile(cfg); return err }),
}

// The sides of the join, and of a record.
const (
	left = iota
	right
	dimension // a record of lookup.topics
)

var sideNames = [2]string{"left", "right"}

// plan is a config compiled once per task.
type plan struct {
	cfg   Config
	sides [2]*sidePlan
	topic map[string]int // input topic → left, right or dimension
	inner bool

	// The working row an output is computed in: the left fields, the right
	// fields and the lookup columns under their prefixed names, then the
	// output fields.
	work      []string // the names of the inputs, in order
	rightAt   int      // where the right fields start in it
	lookupAt  int      // where the lookup columns start in it
	outAt     int      // where the output fields start: len(work)
	assigns   []expr.Assignment
	assignOut []int // the output field each assignment sets
	outNames  []string
	quoted    [][]byte // each output name as a JSON string and a colon
	where     *expr.Expr
	outKeyIdx []int // positions of output.key.fields among the outputs; nil: the join key

	lookup    *lookupPlan // nil: no lookup
	keyFields bool        // the join key is read from fields, not the Kafka key
	print     uint32
	ttl       int64 // ms; 0 none
}

// sidePlan reads one side's records.
type sidePlan struct {
	name      string
	reader    *change.Reader
	keyReader *extract.Extractor // reads the key fields out of a tombstone's key
	names     []string
	specs     []extract.Spec
	keyIdx    []int
}

// lookupPlan is the dimension lookup, and how records of lookup.topics are
// read.
type lookupPlan struct {
	url     string
	cfg     lookup.Config
	key     *expr.ValueExpr
	columns []string
	// reader reads a dimension record's columns, then its key field when
	// lookup.topic.key.field is set.
	reader *change.Reader
	keyed  bool
}

func compile(cfg sdk.Config) (*plan, error) {
	var c Config
	if err := sdk.Decode(cfg, &c); err != nil {
		return nil, err
	}
	p := &plan{cfg: c, inner: c.Type != "left", ttl: c.TTL.Milliseconds(), topic: map[string]int{}}
	if err := p.compileTopics(); err != nil {
		return nil, err
	}
	keys := [2][]string{c.LeftKey, c.RightKey}
	for s, fields := range [2][]string{c.LeftFields, c.RightFields} {
		sp, err := compileSide(sideNames[s], fields, keys[s], c.MaxDepth)
		if err != nil {
			return nil, err
		}
		p.sides[s] = sp
	}
	if err := p.checkKeys(); err != nil {
		return nil, err
	}
	for s, sp := range p.sides {
		if s == right {
			p.rightAt = len(p.work)
		}
		for _, n := range sp.names {
			p.work = append(p.work, sp.name+"."+n)
		}
	}
	p.lookupAt = len(p.work)
	if err := p.compileLookup(); err != nil {
		return nil, err
	}
	p.outAt = len(p.work)
	if err := p.compileOutput(); err != nil {
		return nil, err
	}
	p.fingerprint()
	return p, nil
}

// compileTopics checks that each input topic is of exactly one role.
func (p *plan) compileTopics() error {
	c := &p.cfg
	lists := []struct {
		key    string
		topics []string
		role   int
	}{{"left.topics", c.LeftTopics, left}, {"right.topics", c.RightTopics, right}, {"lookup.topics", c.LookupTopics, dimension}}
	for _, l := range lists {
		for _, t := range l.topics {
			t = strings.TrimSpace(t)
			if _, dup := p.topic[t]; dup {
				return sdk.ErrorAtKey(l.key, fmt.Errorf("topic %s is named twice among left.topics, right.topics and lookup.topics", t))
			}
			if !slices.Contains(c.Topics, t) {
				return sdk.ErrorAtKey(l.key, fmt.Errorf("topic %s is not one of topics, which the runtime reads", t))
			}
			p.topic[t] = l.role
		}
	}
	for _, t := range c.Topics {
		if _, ok := p.topic[t]; !ok {
			return sdk.ErrorAtKey("topics", fmt.Errorf("topic %s is in none of left.topics, right.topics and lookup.topics", t))
		}
	}
	return nil
}

func compileSide(name string, fields, keyFields []string, maxDepth int) (*sidePlan, error) {
	sp := &sidePlan{name: name}
	at := map[string]int{}
	for _, item := range fields {
		spec, err := extract.ParseSpec(item)
		if err != nil {
			return nil, sdk.ErrorAtKey(name+".fields", err)
		}
		if _, dup := at[spec.Name]; dup {
			return nil, sdk.ErrorAtKey(name+".fields", fmt.Errorf("field %s is named twice", spec.Name))
		}
		at[spec.Name] = len(sp.specs)
		sp.specs = append(sp.specs, spec)
	}
	var err error
	if sp.reader, err = change.NewReader(sp.specs, change.Options{MaxDepth: maxDepth}); err != nil {
		return nil, sdk.ErrorAtKey(name+".fields", err)
	}
	sp.names = sp.reader.Names()
	var keySpecs []extract.Spec
	for _, k := range keyFields {
		k = strings.TrimSpace(k)
		i, ok := at[k]
		switch {
		case !ok:
			return nil, sdk.ErrorAtKey(name+".key.fields", fmt.Errorf("%s is not one of %s.fields", k, name))
		case slices.Contains(sp.keyIdx, i):
			return nil, sdk.ErrorAtKey(name+".key.fields", fmt.Errorf("%s is named twice", k))
		}
		sp.keyIdx = append(sp.keyIdx, i)
		keySpecs = append(keySpecs, sp.specs[i])
	}
	if keySpecs != nil {
		if sp.keyReader, err = extract.Compile(keySpecs, extract.Options{MaxDepth: maxDepth}); err != nil {
			return nil, sdk.ErrorAtKey(name+".key.fields", err)
		}
	}
	return sp, nil
}

// checkKeys makes sure both sides name their keys alike: the same number
// of fields of the same types, or both the Kafka key.
func (p *plan) checkKeys() error {
	l, r := p.sides[left], p.sides[right]
	if len(l.keyIdx) != len(r.keyIdx) {
		if len(l.keyIdx) == 0 || len(r.keyIdx) == 0 {
			return sdk.ErrorAtKey("right.key.fields", errors.New("set left.key.fields and right.key.fields both, or neither (both sides keyed by the Kafka key)"))
		}
		return sdk.ErrorAtKey("right.key.fields", fmt.Errorf("%d fields for the %d of left.key.fields", len(r.keyIdx), len(l.keyIdx)))
	}
	for i := range l.keyIdx {
		lt, rt := l.specs[l.keyIdx[i]].Type, r.specs[r.keyIdx[i]].Type
		if lt != rt {
			return sdk.ErrorAtKey("right.key.fields", fmt.Errorf("%s is a %s and left's %s a %s: keys of two types never match (5 is not '5'); give both one type",
				r.names[r.keyIdx[i]], rt, l.names[l.keyIdx[i]], lt))
		}
	}
	p.keyFields = len(l.keyIdx) > 0
	return nil
}

func (p *plan) compileLookup() error {
	c := &p.cfg
	set := c.LookupURL != "" || c.LookupTable != "" || c.LookupKeyColumn != "" || len(c.LookupColumns) > 0 || c.LookupKey != ""
	if !set {
		if len(c.LookupTopics) > 0 {
			return sdk.ErrorAtKey("lookup.topics", errors.New("lookup.topics feed the lookup's cache: set the lookup (lookup.connection.url, lookup.table…) too"))
		}
		return nil
	}
	for _, req := range []struct{ key, val string }{
		{"lookup.connection.url", c.LookupURL}, {"lookup.table", c.LookupTable},
		{"lookup.key.column", c.LookupKeyColumn}, {"lookup.key", c.LookupKey},
	} {
		if strings.TrimSpace(req.val) == "" {
			return sdk.ErrorAtKey(req.key, errors.New("required when a lookup is set"))
		}
	}
	if len(c.LookupColumns) == 0 {
		return sdk.ErrorAtKey("lookup.columns", errors.New("required when a lookup is set: the columns output.fields reads as lookup.<column>"))
	}
	lp := &lookupPlan{url: withCredentials(c.LookupURL, c.LookupUser, c.LookupPassword.Value())}
	for _, col := range c.LookupColumns {
		col = strings.TrimSpace(col)
		if slices.Contains(lp.columns, col) {
			return sdk.ErrorAtKey("lookup.columns", fmt.Errorf("%s is named twice", col))
		}
		lp.columns = append(lp.columns, col)
		p.work = append(p.work, "lookup."+col)
	}
	lp.cfg = lookup.Config{
		Table: c.LookupTable, KeyColumn: c.LookupKeyColumn, Columns: lp.columns,
		CacheSize: c.LookupCacheSize, TTL: c.LookupTTL, NegativeTTL: c.LookupNegativeTTL,
		BatchSize: c.LookupBatchSize, Timeout: c.LookupTimeout, MaxConns: c.LookupMaxConns,
	}
	var err error
	if lp.key, err = expr.ParseValue(c.LookupKey); err != nil {
		return sdk.ErrorAtKey("lookup.key", err)
	}
	for _, f := range lp.key.Fields() {
		if !slices.Contains(p.work[:p.lookupAt], f) {
			return sdk.ErrorAtKey("lookup.key", fmt.Errorf("%s is not a field of left.fields or right.fields (as left.<name> or right.<name>)", f))
		}
	}
	specs := make([]extract.Spec, 0, len(lp.columns)+1)
	for _, col := range lp.columns {
		specs = append(specs, extract.Spec{Name: col, Path: keyPath(col)})
	}
	if k := strings.TrimSpace(c.LookupTopicKey); k != "" {
		lp.keyed = true
		if !slices.Contains(lp.columns, k) {
			specs = append(specs, extract.Spec{Name: k, Path: keyPath(k)})
		} else {
			// The key is one of the columns: read it twice, under a name no
			// column has.
			specs = append(specs, extract.Spec{Name: "\x00key", Path: keyPath(k)})
		}
	}
	if lp.reader, err = change.NewReader(specs, change.Options{MaxDepth: c.MaxDepth}); err != nil {
		return sdk.ErrorAtKey("lookup.columns", err)
	}
	p.lookup = lp
	return nil
}

// keyPath is the path of the top-level key name, whatever its characters.
func keyPath(name string) extract.Path {
	quoted := `["` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(name) + `"]`
	path, err := extract.ParsePath(quoted)
	if err != nil {
		panic(fmt.Sprintf("join: the quoted key %s does not parse: %v", quoted, err))
	}
	return path
}

func (p *plan) compileOutput() error {
	c := &p.cfg
	var err error
	if p.assigns, err = expr.ParseAssignments(c.Output); err != nil {
		return sdk.ErrorAtKey("output.fields", err)
	}
	known := slices.Clone(p.work)
	for _, a := range p.assigns {
		for _, f := range a.Value.Fields() {
			if !slices.Contains(known, f) {
				return sdk.ErrorAtKey("output.fields", fmt.Errorf("%s = %s: %s is %s", a.Field, a.Value, f, p.unknown(f)))
			}
		}
		if strings.HasPrefix(a.Field, "left.") || strings.HasPrefix(a.Field, "right.") || strings.HasPrefix(a.Field, "lookup.") {
			return sdk.ErrorAtKey("output.fields", fmt.Errorf("output field %s: the prefixes left., right. and lookup. name the inputs", a.Field))
		}
		i := slices.Index(p.outNames, a.Field)
		if i < 0 {
			i = len(p.outNames)
			p.outNames = append(p.outNames, a.Field)
			p.quoted = append(p.quoted, append(sdk.AppendJSONString(nil, a.Field), ':'))
			known = append(known, a.Field)
		}
		p.assignOut = append(p.assignOut, i)
	}
	if strings.TrimSpace(c.Where) != "" {
		if p.where, err = expr.Parse(c.Where); err != nil {
			return sdk.ErrorAtKey("where", err)
		}
		for _, f := range p.where.Fields() {
			if !slices.Contains(known, f) {
				return sdk.ErrorAtKey("where", fmt.Errorf("%s is %s", f, p.unknown(f)))
			}
		}
	}
	for _, k := range c.OutputKey {
		k = strings.TrimSpace(k)
		i := slices.Index(p.outNames, k)
		switch {
		case i < 0:
			return sdk.ErrorAtKey("output.key.fields", fmt.Errorf("%s is not one of output.fields", k))
		case slices.Contains(p.outKeyIdx, i):
			return sdk.ErrorAtKey("output.key.fields", fmt.Errorf("%s is named twice", k))
		}
		p.outKeyIdx = append(p.outKeyIdx, i)
	}
	return nil
}

// unknown says why a name an expression reads is not known.
func (p *plan) unknown(name string) string {
	switch {
	case strings.HasPrefix(name, "left."):
		return "not one of left.fields"
	case strings.HasPrefix(name, "right."):
		return "not one of right.fields"
	case strings.HasPrefix(name, "lookup."):
		if p.lookup == nil {
			return "a lookup column, and no lookup is set"
		}
		return "not one of lookup.columns"
	}
	return "not an input (left.<field>, right.<field>, lookup.<column>) nor an output field assigned before"
}

// fingerprint sums up what the stored rows are made of: each side's field
// names and types and where its key is. State of another config is refused
// at restore rather than misread. The output is not in it: the output rows
// are stored as they were emitted, with their keys, so a changed
// output.fields retracts exactly the old rows and emits new ones.
func (p *plan) fingerprint() {
	h := fnv.New32a()
	for _, sp := range p.sides {
		for i, name := range sp.names {
			h.Write(binary.AppendUvarint([]byte{byte(sp.specs[i].Type)}, uint64(len(name))))
			h.Write([]byte(name))
		}
		h.Write([]byte{0xfe, byte(len(sp.keyIdx))})
		for _, i := range sp.keyIdx {
			h.Write(binary.AppendUvarint(nil, uint64(i)))
		}
	}
	p.print = h.Sum32()
}

var (
	_ sdk.Stateful = (*Operator)(nil)
	_ sdk.Counted  = (*Operator)(nil)
)

// Open compiles the config and, when a lookup is set, connects to the
// serving store and checks the dimension table.
func (o *Operator) Open(ctx context.Context, cfg sdk.Config) error {
	p, err := compile(cfg)
	if err != nil {
		return err
	}
	var tbl *lookup.Table
	if p.lookup != nil {
		if tbl, err = lookup.Open(ctx, p.lookup.url, p.lookup.cfg); err != nil {
			return fmt.Errorf("join: %w", err)
		}
	}
	o.init(p, time.Now, tbl)
	return nil
}

// Close closes the lookup's connections.
func (o *Operator) Close() error {
	if o.table != nil {
		o.table.Close()
	}
	return nil
}
