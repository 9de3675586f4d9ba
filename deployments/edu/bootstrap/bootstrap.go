package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/tributarydata/tributary/api/ctl"
	"github.com/tributarydata/tributary/bus/record"
	"github.com/tributarydata/tributary/bus/worker"
	"github.com/tributarydata/tributary/plugins/builtin"
	"github.com/tributarydata/tributary/plugins/sdk"
)

// batchSize is how many records go through a transform or into the sink
// at a time: the sink's own batching decides its statements, this only
// bounds each call.
const batchSize = 1000

// Options say what to load where.
type Options struct {
	// Pipeline is the pipeline file holding the sink and the transforms
	// that feed it (deployments/pipelines/edu/registration-level.json).
	Pipeline string
	// Into names the sink connector in Pipeline.
	Into string
	// From is the Parquet snapshot: a directory (every *.parquet under it)
	// or a glob.
	From string
	// Env fills the file's ${VAR} placeholders.
	Env func(string) (string, bool)
	// Overwrite loads with the sink's own mutate.type, deletes included,
	// instead of only inserting keys the table lacks.
	Overwrite bool
	// Warn, when set, hears about each record that could not be loaded.
	Warn func(format string, args ...any)
}

// Result counts what happened to the snapshot's rows.
type Result struct {
	// Chain is the connectors the rows went through, the sink last.
	Chain []string `json:"chain"`
	// Topic is the topic the rows were read as: the first connector's input.
	Topic string `json:"topic"`
	Read  int    `json:"read"`
	// Faulted rows were refused by a transform or the sink (bad input).
	Faulted int `json:"faulted"`
	// Dropped rows were filtered out or routed elsewhere by a transform.
	Dropped int `json:"dropped"`
	// Superseded rows had a later row with the same key in the snapshot.
	Superseded int `json:"superseded"`
	// Deletes are keys whose latest row is a delete: applied with
	// Overwrite, left alone otherwise.
	Deletes int `json:"deletes"`
	// Written rows reached the sink (with insertorignore, a key the table
	// already held is written and left as it was).
	Written int `json:"written"`
}

// stage is one connector of the chain, ready to run.
type stage struct {
	name   string
	plugin sdk.Plugin
	cfg    sdk.Config
}

// Run loads the snapshot.
func Run(ctx context.Context, opts Options) (Result, error) {
	var res Result
	chain, topic, err := plan(opts)
	if err != nil {
		return res, err
	}
	for _, s := range chain {
		res.Chain = append(res.Chain, s.name)
	}
	res.Topic = topic
	recs, err := readSnapshot(ctx, opts.From, topic)
	if err != nil {
		return res, err
	}
	res.Read = len(recs)
	warn := opts.Warn
	if warn == nil {
		warn = func(string, ...any) {}
	}
	for _, s := range chain[:len(chain)-1] {
		if recs, err = transform(ctx, s, recs, &res, warn); err != nil {
			return res, err
		}
	}
	recs = latestByKey(recs, &res)
	if !opts.Overwrite {
		recs = slices.DeleteFunc(recs, func(r sdk.Record) bool {
			if isDelete(&r) {
				res.Deletes++
				return true
			}
			return false
		})
	} else {
		for i := range recs {
			if isDelete(&recs[i]) {
				res.Deletes++
			}
		}
	}
	err = load(ctx, chain[len(chain)-1], recs, opts.Overwrite, &res, warn)
	return res, err
}

// plan finds the sink and, walking back by topic, the transforms of the
// file whose output it reads, and checks every config against its plugin.
func plan(opts Options) ([]stage, string, error) {
	env := opts.Env
	if env == nil {
		env = func(string) (string, bool) { return "", false }
	}
	conns, err := ctl.LoadConnectors(opts.Pipeline, env)
	if err != nil {
		return nil, "", err
	}
	registry, err := worker.NewRegistry(builtin.Plugins()...)
	if err != nil {
		return nil, "", err
	}
	find := func(c ctl.Connector) (stage, error) {
		p, ok := registry.Lookup(c.Config["connector.class"])
		if !ok {
			return stage{}, fmt.Errorf("%s: connector.class %q is not a built-in plugin", c.Name, c.Config["connector.class"])
		}
		if problems := p.Problems(sdk.Config(c.Config)); len(problems) > 0 {
			return stage{}, fmt.Errorf("%s: invalid config: %v", c.Name, problems)
		}
		// The worker hands a connector its name with its config.
		cfg := sdk.Config(maps.Clone(c.Config))
		cfg["name"] = c.Name
		return stage{name: c.Name, plugin: p, cfg: cfg}, nil
	}
	var sink stage
	for _, c := range conns {
		if c.Name == opts.Into {
			if sink, err = find(c); err != nil {
				return nil, "", err
			}
		}
	}
	switch {
	case sink.name == "":
		return nil, "", fmt.Errorf("no connector %q in %s", opts.Into, opts.Pipeline)
	case sink.plugin.Type != sdk.TypeSink:
		return nil, "", fmt.Errorf("%s is a %s, not a sink", sink.name, sink.plugin.Type)
	}
	if !opts.Overwrite && !hasKey(sink.plugin, "mutate.type") {
		return nil, "", fmt.Errorf("%s (%s) has no mutate.type to insert only missing keys with; load with overwrite", sink.name, sink.plugin.Class)
	}
	topic, err := singleInput(sink)
	if err != nil {
		return nil, "", err
	}
	chain := []stage{sink}
	for {
		var feeder *ctl.Connector
		for i, c := range conns {
			if c.Config["topic"] == topic && !slices.ContainsFunc(chain, func(s stage) bool { return s.name == c.Name }) {
				feeder = &conns[i]
				break
			}
		}
		if feeder == nil {
			return chain, topic, nil
		}
		s, err := find(*feeder)
		if err != nil {
			return nil, "", err
		}
		if s.plugin.Type != sdk.TypeTransform {
			// A source writes the topic: the snapshot stands in for it.
			return chain, topic, nil
		}
		if topic, err = singleInput(s); err != nil {
			return nil, "", err
		}
		chain = append([]stage{s}, chain...)
	}
}

func hasKey(p sdk.Plugin, name string) bool {
	keys, err := p.Keys()
	return err == nil && slices.ContainsFunc(keys, func(k sdk.ConfigKey) bool { return k.Name == name })
}

// singleInput is the one topic a connector reads, read from its config as
// the worker reads it: a snapshot is one table, read as one topic.
func singleInput(s stage) (string, error) {
	var common worker.ConnectorConfig
	if err := sdk.Decode(s.cfg, &common); err != nil {
		return "", fmt.Errorf("%s: %w", s.name, err)
	}
	if len(common.Topics) != 1 || common.TopicsRegex != "" {
		return "", fmt.Errorf("%s reads topics %q, topics.regex %q: bootstrap needs a connector with one input topic", s.name, common.Topics, common.TopicsRegex)
	}
	return common.Topics[0], nil
}

// transform runs records through one transform connector and returns the
// ones bound for the next connector's input.
func transform(ctx context.Context, s stage, in []sdk.Record, res *Result, warn func(string, ...any)) ([]sdk.Record, error) {
	t := s.plugin.NewTransform()
	if err := t.Open(ctx, s.cfg); err != nil {
		return nil, fmt.Errorf("%s: open: %w", s.name, err)
	}
	defer t.Close()
	output := s.cfg["topic"]
	var out []sdk.Record
	for len(in) > 0 {
		n := min(batchSize, len(in))
		got, err := t.Process(ctx, in[:n])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.name, err)
		}
		kept, faulted := 0, 0
		for _, r := range got {
			switch {
			case r.Fault != nil:
				faulted++
				warn("%s refused row %d of the snapshot: %v", s.name, r.Offset, r.Fault)
				continue
			case r.Topic == "":
				r.Topic = output
			case r.Topic != output:
				continue // routed elsewhere (a late or error topic): not this table's
			}
			// The runtime is done with a batch's records at the next
			// Process call; these are kept, so they are copied.
			r.Key, r.Value = slices.Clone(r.Key), slices.Clone(r.Value)
			r.Headers = slices.Clone(r.Headers)
			out = append(out, r)
			kept++
		}
		// Inputs that came out neither here nor as a fault were filtered
		// out or routed elsewhere.
		res.Faulted += faulted
		res.Dropped += max(0, n-kept-faulted)
		in = in[n:]
	}
	return out, nil
}

// latestByKey keeps the last record of every key, in the order of those
// last records, and every record without a key: with insertorignore the
// first write of a key would otherwise win, and that is its oldest row.
func latestByKey(recs []sdk.Record, res *Result) []sdk.Record {
	last := make(map[string]int, len(recs))
	for i := range recs {
		if recs[i].Key != nil {
			last[string(recs[i].Key)] = i
		}
	}
	out := recs[:0]
	for i := range recs {
		if recs[i].Key != nil && last[string(recs[i].Key)] != i {
			res.Superseded++
			continue
		}
		out = append(out, recs[i])
	}
	return out
}

// isDelete reports a tombstone or a change event deleting its row (a
// value that is no change event at all is the sink's to judge).
func isDelete(r *sdk.Record) bool {
	c, err := record.ParseChange(r.Value)
	return err == nil && c.IsDelete()
}

// load writes records into the sink and flushes it. A record the sink can
// never write is counted and skipped, as errors.tolerance=all would; a
// retriable failure (the server went away) is retried a few times.
func load(ctx context.Context, s stage, recs []sdk.Record, overwrite bool, res *Result, warn func(string, ...any)) error {
	cfg := maps.Clone(s.cfg)
	if !overwrite {
		cfg["mutate.type"] = "insertorignore"
	}
	sink := s.plugin.NewSink()
	if err := sink.Open(ctx, cfg); err != nil {
		return fmt.Errorf("%s: open: %w", s.name, err)
	}
	defer sink.Close()
	retries := 0
	for len(recs) > 0 {
		batch := recs[:min(batchSize, len(recs))]
		n, err := sink.Write(ctx, batch)
		res.Written += n
		var bad *sdk.RecordError
		switch {
		case err == nil:
			recs = recs[n:]
		case errors.As(err, &bad) && bad.Index >= n && bad.Index < len(batch):
			res.Faulted++
			warn("%s refused row %d of the snapshot: %v", s.name, batch[bad.Index].Offset, bad.Err)
			// Records before the bad one that the sink did not take are
			// handed over again.
			recs = append(recs[n:bad.Index:bad.Index], recs[bad.Index+1:]...)
		case sdk.IsRetriable(err) && retries < maxRetries:
			retries++
			recs = recs[n:]
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Duration(retries) * time.Second):
			}
		default:
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	if err := sink.Flush(ctx); err != nil {
		return fmt.Errorf("%s: flush: %w", s.name, err)
	}
	return nil
}

// maxRetries bounds the retries of a retriable sink failure: a load is
// run by hand, and its operator is better told than kept waiting.
const maxRetries = 5
