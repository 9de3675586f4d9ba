package smt

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// Config is the connector's own config; each step's keys are
// transforms.<alias>.<key>, listed in docs/transforms.md.
type Config struct {
	Topic      string   `json:"topic" doc:"Output topic of the records no route step sent elsewhere." importance:"high" group:"Transforms"`
	Transforms []string `json:"transforms" validate:"required,min=1,regexp=^[A-Za-z0-9_-]+$" doc:"Aliases of the steps, in the order they run. Step <alias> is configured by transforms.<alias>.type (one of the step types of docs/transforms.md) and transforms.<alias>.<key>." importance:"high" group:"Transforms"`
	MaxBytes   int      `json:"value.max.bytes" default:"1048576" validate:"gt=0" doc:"A value larger than this is refused (dead-lettered) before any step reads it." group:"Transforms"`
	MaxDepth   int      `json:"value.max.depth" default:"64" validate:"gt=0,lte=10000" doc:"JSON nested deeper than this is refused (dead-lettered): it is a bomb, not a record." group:"Transforms"`
}

// Plugin registers the chain as a transform connector.
var Plugin = sdk.Plugin{
	Class:          "tributary.transforms.smt",
	Aliases:        []string{"smt"},
	Type:           sdk.TypeTransform,
	Version:        "1.0.0",
	Summary:        "Chains stateless single message transforms (extract, flatten, classify, filter, set, project, rename, mask, hash, route, timestamp, unwrap) configured as data.",
	Config:         &Config{},
	NewTransform:   func() sdk.Transform { return &Chain{} },
	ValidateConfig: validate,
}

// step is one transform of a chain. apply changes the cursor's record, sets
// c.drop to drop it on purpose, or returns why the record is bad.
type step interface {
	apply(c *cursor) error
}

// counter is implemented by steps that count what they did.
type counter interface {
	count(add func(event string, n int64))
}

// Chain runs the steps over each record of a batch. It is one task's
// transform: not safe for concurrent use.
type Chain struct {
	sdk.UnimplementedTransform
	cfg     Config
	steps   []step
	aliases []string
	types   []string
	cur     cursor
	// out holds the batch's records, reused from batch to batch as the
	// cursor's batch memory is (sdk.Transform allows it).
	out      []sdk.Record
	tooLarge int64
}

// Open builds the chain from the connector config.
func (t *Chain) Open(_ context.Context, cfg sdk.Config) error {
	return t.build(cfg)
}

func (t *Chain) build(cfg sdk.Config) error {
	if err := sdk.Decode(cfg, &t.cfg); err != nil {
		return err
	}
	t.steps, t.aliases, t.types = nil, nil, nil
	for _, alias := range t.cfg.Transforms {
		if slices.Contains(t.aliases, alias) {
			return &sdk.KeyError{Key: "transforms", Err: fmt.Errorf("alias %q is listed twice", alias)}
		}
		typ, sub := stepConfig(cfg, alias)
		kind, ok := stepTypes[typ]
		if !ok {
			return &sdk.KeyError{Key: "transforms." + alias + ".type", Err: fmt.Errorf("unknown step type %q (one of %s)", typ, strings.Join(stepTypeNames(), ", "))}
		}
		if err := checkKeys(typ, kind, sub); err != nil {
			return sdk.UnderPrefix("transforms."+alias+".", err)
		}
		s, err := kind.build(sub, t.cfg)
		if err != nil {
			return sdk.UnderPrefix("transforms."+alias+".", err)
		}
		t.steps = append(t.steps, s)
		t.aliases = append(t.aliases, alias)
		t.types = append(t.types, typ)
	}
	if strings.TrimSpace(t.cfg.Topic) == "" && !slices.Contains(t.types, "route") {
		return &sdk.KeyError{Key: "topic", Err: errors.New("required unless a route step names every record's topic")}
	}
	t.cur.maxDepth = t.cfg.MaxDepth
	return nil
}

// checkKeys refuses keys the step does not have: a misspelt key
// (transforms.f.acton) would otherwise leave its default in force silently.
func checkKeys(typ string, kind stepType, cfg sdk.Config) error {
	keys, err := sdk.Spec(kind.config)
	if err != nil {
		return err
	}
	known := map[string]bool{}
	for _, k := range keys {
		known[k.Name] = true
	}
	for _, k := range slices.Sorted(maps.Keys(cfg)) {
		if !known[k] && !(typ == "classify" && strings.HasPrefix(k, "rule.")) {
			return &sdk.KeyError{Key: k, Err: fmt.Errorf("a %s step has no such key (its keys: %s)", typ, strings.Join(slices.Sorted(maps.Keys(known)), ", "))}
		}
	}
	return nil
}

// stepConfig returns a step's type and its keys with the
// transforms.<alias>. prefix taken off.
func stepConfig(cfg sdk.Config, alias string) (string, sdk.Config) {
	prefix := "transforms." + alias + "."
	sub := sdk.Config{}
	for k, v := range cfg {
		if rest, ok := strings.CutPrefix(k, prefix); ok && rest != "type" {
			sub[rest] = v
		}
	}
	return strings.TrimSpace(cfg[prefix+"type"]), sub
}

// Process runs every record through the chain. A record a step refuses comes
// back as it came in, with Fault set; one a step drops is left out.
func (t *Chain) Process(_ context.Context, recs []sdk.Record) ([]sdk.Record, error) {
	clear(t.out) // let the last batch's keys, headers and faults go
	out := t.out[:0]
	c := &t.cur
	c.batch = c.batch[:0]
	for i := range recs {
		in := &recs[i]
		if len(in.Value) > t.cfg.MaxBytes {
			t.tooLarge++
			out = append(out, faulted(in, fmt.Errorf("value of %d bytes exceeds value.max.bytes=%d", len(in.Value), t.cfg.MaxBytes)))
			continue
		}
		c.reset(in)
		var err error
		for j, s := range t.steps {
			if err = s.apply(c); err != nil {
				if errors.Is(err, errTombstone) {
					err = nil
					continue
				}
				err = &stepError{alias: t.aliases[j], typ: t.types[j], err: err}
				break
			}
			if c.drop {
				break
			}
		}
		switch {
		case err != nil:
			out = append(out, faulted(in, err))
		case !c.drop:
			out = append(out, c.finish())
		}
	}
	t.out = out
	return out, nil
}

// faulted is the input record, unchanged, with the reason it is refused.
func faulted(in *sdk.Record, err error) sdk.Record {
	r := *in
	r.Fault = err
	return r
}

// Counts returns what the steps counted, as <alias>.<event>.
func (t *Chain) Counts() map[string]int64 {
	counts := map[string]int64{}
	if t.tooLarge > 0 {
		counts["value_too_large"] = t.tooLarge
	}
	for i, s := range t.steps {
		if c, ok := s.(counter); ok {
			alias := t.aliases[i]
			c.count(func(event string, n int64) { counts[alias+"."+event] += n })
		}
	}
	return counts
}

// validate reports a chain's step problems under their full keys, for
// PUT /connector-plugins/{class}/config/validate.
func validate(cfg sdk.Config) map[string][]string {
	var c Chain
	err := c.build(cfg)
	if err == nil {
		return nil
	}
	var verr *sdk.ValidationError
	if errors.As(err, &verr) {
		if len(verr.Fields) > 0 && !hasPrefixedKey(verr.Fields) {
			return nil // the connector's own keys: the runtime reports those already
		}
		return verr.Fields
	}
	var kerr *sdk.KeyError
	if errors.As(err, &kerr) {
		return map[string][]string{kerr.Key: {kerr.Err.Error()}}
	}
	return map[string][]string{"transforms": {err.Error()}}
}

func hasPrefixedKey(fields map[string][]string) bool {
	for k := range fields {
		if strings.HasPrefix(k, "transforms.") {
			return true
		}
	}
	return false
}
