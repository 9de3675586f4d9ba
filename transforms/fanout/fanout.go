package fanout

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/transforms/smt"
)

// Config is the connector's own config; each branch's keys are
// branches.<name>.<smt key>.
type Config struct {
	Topic    string   `json:"topic" validate:"required" doc:"Output topic of the records of branches that name none (branches.<name>.topic) and route nowhere else." importance:"high" group:"Fanout"`
	Branches []string `json:"branches" validate:"required,min=1,regexp=^[A-Za-z0-9_-]+$" doc:"Names of the branches, in the order their outputs of one input leave. Branch <name> is an smt chain configured by branches.<name>.transforms and branches.<name>.transforms.<alias>.* (see tributary.transforms.smt), optionally branches.<name>.topic." importance:"high" group:"Fanout"`
	MaxBytes int      `json:"value.max.bytes" default:"1048576" validate:"gt=0" doc:"A value larger than this is refused (dead-lettered) before any step reads it; a branch may set its own." group:"Fanout"`
	MaxDepth int      `json:"value.max.depth" default:"64" validate:"gt=0,lte=10000" doc:"JSON nested deeper than this is refused (dead-lettered); a branch may set its own." group:"Fanout"`
}

// Plugin registers the fanout as a transform connector.
var Plugin = sdk.Plugin{
	Class:          "tributary.transforms.fanout",
	Aliases:        []string{"fanout"},
	Type:           sdk.TypeTransform,
	Version:        "1.0.0",
	Summary:        "Runs several smt chains (branches) over each record and emits every branch's output of it, in input order, in one transaction.",
	Config:         &Config{},
	NewTransform:   func() sdk.Transform { return &Fanout{} },
	ValidateConfig: validate,
}

// Fanout runs the branches over each batch. It is one task's transform: not
// safe for concurrent use.
type Fanout struct {
	sdk.UnimplementedTransform
	names  []string
	chains []*smt.Chain
	// topics are the branches' own topics, "" for the connector's.
	topics []string
	// tagged is the batch given to the chains, each record's Offset
	// replaced by its index in the batch, so that the outputs say which
	// input they came from; reused from batch to batch.
	tagged []sdk.Record
	out    []sdk.Record
}

// Open builds a chain per branch.
func (f *Fanout) Open(ctx context.Context, cfg sdk.Config) error {
	var c Config
	if err := sdk.Decode(cfg, &c); err != nil {
		return err
	}
	f.names, f.chains, f.topics = nil, nil, nil
	for _, name := range c.Branches {
		name = strings.TrimSpace(name)
		if slices.Contains(f.names, name) {
			return &sdk.KeyError{Key: "branches", Err: fmt.Errorf("branch %q is listed twice", name)}
		}
		ch := &smt.Chain{}
		if err := ch.Open(ctx, branchConfig(cfg, name)); err != nil {
			return sdk.UnderPrefix("branches."+name+".", err)
		}
		f.names = append(f.names, name)
		f.chains = append(f.chains, ch)
		f.topics = append(f.topics, strings.TrimSpace(cfg["branches."+name+".topic"]))
	}
	return nil
}

// branchConfig is branch name's smt config: its keys with the
// branches.<name>. prefix taken off, and the connector's topic and limits
// where it sets none of its own.
func branchConfig(cfg sdk.Config, name string) sdk.Config {
	prefix := "branches." + name + "."
	sub := sdk.Config{}
	for k, v := range cfg {
		if rest, ok := strings.CutPrefix(k, prefix); ok {
			sub[rest] = v
		}
	}
	for _, k := range []string{"name", "topic", "value.max.bytes", "value.max.depth"} {
		if _, ok := sub[k]; !ok && cfg[k] != "" {
			sub[k] = cfg[k]
		}
	}
	return sub
}

// Process runs every branch over the batch and merges their outputs by
// input: for each input, each branch's output in branch order, and when
// branches refused it, the input once with their reasons.
func (f *Fanout) Process(ctx context.Context, recs []sdk.Record) ([]sdk.Record, error) {
	f.tagged = append(f.tagged[:0], recs...)
	for i := range f.tagged {
		f.tagged[i].Offset = int64(i)
	}
	outs := make([][]sdk.Record, len(f.chains))
	for b, ch := range f.chains {
		// Each chain writes its outputs into memory of its own, kept until
		// its next Process: the outputs of all branches live together.
		out, err := ch.Process(ctx, f.tagged)
		if err != nil {
			return nil, fmt.Errorf("branch %s: %w", f.names[b], err)
		}
		outs[b] = out
	}
	clear(f.out)
	merged := f.out[:0]
	next := make([]int, len(outs))
	for i := range recs {
		var faults []error
		for b, out := range outs {
			for ; next[b] < len(out) && out[next[b]].Offset == int64(i); next[b]++ {
				r := out[next[b]]
				r.Offset = recs[i].Offset
				if r.Fault != nil {
					faults = append(faults, fmt.Errorf("branch %s: %w", f.names[b], r.Fault))
					continue
				}
				if r.Topic == "" {
					// The chain leaves its topic to the runtime, which knows
					// only the connector's.
					r.Topic = f.topics[b]
				}
				merged = append(merged, r)
			}
		}
		if len(faults) > 0 {
			bad := recs[i]
			bad.Fault = errors.Join(faults...)
			merged = append(merged, bad)
		}
	}
	for b, out := range outs {
		if next[b] != len(out) {
			// A chain's outputs are in input order, one input at a time;
			// anything else is a bug, not bad input.
			return nil, fmt.Errorf("branch %s: output %d of %d does not follow its input order", f.names[b], next[b], len(out))
		}
	}
	f.out = merged
	return merged, nil
}

// Counts returns what each branch's steps counted, as
// <branch>.<alias>.<event>.
func (f *Fanout) Counts() map[string]int64 {
	counts := map[string]int64{}
	for b, ch := range f.chains {
		for k, n := range ch.Counts() {
			counts[f.names[b]+"."+k] = n
		}
	}
	return counts
}

// validate reports each branch's problems under their full keys, for PUT
// /connector-plugins/{class}/config/validate.
func validate(cfg sdk.Config) map[string][]string {
	branches := strings.Split(cfg["branches"], ",")
	problems := map[string][]string{}
	for _, name := range branches {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		for k, msgs := range smt.Plugin.ValidateConfig(branchConfig(cfg, name)) {
			problems["branches."+name+"."+k] = msgs
		}
		if strings.TrimSpace(cfg["branches."+name+".transforms"]) == "" {
			problems["branches."+name+".transforms"] = []string{"a branch needs its transforms"}
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return problems
}
