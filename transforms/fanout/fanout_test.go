package fanout

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/transforms/smt"
)

// twoBranches doubles and tags each record's n in two branches: "a" keeps
// n >= 0 and refuses an n that is not a long, "b" keeps n <= 10 and refuses
// an n that is not a long too, and writes to a topic of its own.
var twoBranches = sdk.Config{
	"name": "fan", "topic": "out", "branches": "a,b",
	"branches.a.transforms":        "f,keep,tag",
	"branches.a.transforms.f.type": "extract", "branches.a.transforms.f.fields": "n:long",
	"branches.a.transforms.keep.type": "filter", "branches.a.transforms.keep.condition": "n >= 0",
	"branches.a.transforms.tag.type": "set", "branches.a.transforms.tag.fields": "branch = 'a'",
	"branches.b.transforms": "f,keep,tag", "branches.b.topic": "out.b",
	"branches.b.transforms.f.type": "extract", "branches.b.transforms.f.fields": "n:long",
	"branches.b.transforms.keep.type": "filter", "branches.b.transforms.keep.condition": "n <= 10",
	"branches.b.transforms.tag.type": "set", "branches.b.transforms.tag.fields": "branch = 'b'",
}

func open(t *testing.T, cfg sdk.Config) *Fanout {
	t.Helper()
	f := &Fanout{}
	if err := f.Open(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	return f
}

func inputs(values ...string) []sdk.Record {
	recs := make([]sdk.Record, len(values))
	for i, v := range values {
		recs[i] = sdk.Record{Topic: "in", Partition: int32(i % 2), Offset: int64(100 + i), Value: []byte(v)}
	}
	return recs
}

// describe prints an output as topic:offset:value, or offset:FAULT(reason).
func describe(r sdk.Record) string {
	if r.Fault != nil {
		return fmt.Sprintf("%d:FAULT(%v)", r.Offset, r.Fault)
	}
	return fmt.Sprintf("%s:%d:%s", r.Topic, r.Offset, r.Value)
}

func TestOutputsFollowTheirInputs(t *testing.T) {
	f := open(t, twoBranches)
	recs := inputs(`{"n":5}`, `{"n":-1}`, `{"n":20}`, `{"n":"x"}`, `not json`, `{"n":7}`)
	kept := slices.Clone(recs)
	out, err := f.Process(context.Background(), recs)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range out {
		got = append(got, describe(r))
	}
	want := []string{
		`:100:{"n":5,"branch":"a"}`, `out.b:100:{"n":5,"branch":"b"}`,
		`out.b:101:{"n":-1,"branch":"b"}`,
		`:102:{"n":20,"branch":"a"}`,
	}
	if len(got) != 8 || !slices.Equal(got[:4], want) {
		t.Fatalf("outputs\n%s\nwant first\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Refused by both branches: the input once, with both reasons.
	for i, off := range []int64{103, 104} {
		r := out[4+i]
		if r.Fault == nil || r.Offset != off || string(r.Value) != string(kept[off-100].Value) ||
			!strings.Contains(r.Fault.Error(), "branch a: ") || !strings.Contains(r.Fault.Error(), "branch b: ") {
			t.Errorf("output %d: %s, want input %d refused by both branches", 4+i, describe(r), off)
		}
	}
	if got[6] != `:105:{"n":7,"branch":"a"}` || got[7] != `out.b:105:{"n":7,"branch":"b"}` {
		t.Errorf("last outputs %q", got[6:])
	}
	if !slices.EqualFunc(recs, kept, func(a, b sdk.Record) bool { return a.Offset == b.Offset && string(a.Value) == string(b.Value) }) {
		t.Error("Process changed its input records")
	}
	counts := f.Counts()
	if counts["a.keep.dropped"] != 1 || counts["b.keep.dropped"] != 1 {
		t.Errorf("counts %v, want each branch's filter to have dropped one", counts)
	}
}

// TestOneBranchRefusingLeavesTheOthers: a record one branch refuses and
// another takes goes out from the one that took it and to the dead-letter
// topic once.
func TestOneBranchRefusingLeavesTheOthers(t *testing.T) {
	cfg := sdk.Config{
		"topic": "out", "branches": "strict,lax",
		"branches.strict.transforms": "f", "branches.strict.transforms.f.type": "extract", "branches.strict.transforms.f.fields": "n:long",
		"branches.lax.transforms": "f", "branches.lax.transforms.f.type": "extract", "branches.lax.transforms.f.fields": "n:string",
	}
	f := open(t, cfg)
	out, err := f.Process(context.Background(), inputs(`{"n":"abc"}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 || out[0].Fault != nil || string(out[0].Value) != `{"n":"abc"}` || out[1].Fault == nil ||
		!strings.HasPrefix(out[1].Fault.Error(), "branch strict: ") || strings.Contains(out[1].Fault.Error(), "branch lax") {
		var got []string
		for _, r := range out {
			got = append(got, describe(r))
		}
		t.Errorf("outputs %q, want lax's row then the input refused by strict alone", got)
	}
}

// TestBatchesDoNotShareMemory: the outputs of a batch stay as they were
// while the next batch is worked out until it is returned (the runtime
// produces them before it asks for the next).
func TestBatchesReuseMemory(t *testing.T) {
	f := open(t, twoBranches)
	for round := range 3 {
		var values []string
		for i := range 50 {
			values = append(values, fmt.Sprintf(`{"n":%d}`, i%13-1))
		}
		out, err := f.Process(context.Background(), inputs(values...))
		if err != nil {
			t.Fatal(err)
		}
		// n = -1 (4 of them) only b, 11 (3) only a, 0..10 both.
		if len(out) != 2*50-4-3 {
			t.Fatalf("round %d: %d outputs", round, len(out))
		}
		for _, r := range out {
			var v struct {
				N      int
				Branch string
			}
			if err := json.Unmarshal(r.Value, &v); err != nil || values[r.Offset-100] != fmt.Sprintf(`{"n":%d}`, v.N) {
				t.Fatalf("round %d: output %s does not come from input %d (%v)", round, r.Value, r.Offset, err)
			}
		}
	}
}

func TestOpenAndValidateRefuseBadBranches(t *testing.T) {
	bad := func(change map[string]string, drop ...string) sdk.Config {
		cfg := sdk.Config{}
		for k, v := range twoBranches {
			cfg[k] = v
		}
		for k, v := range change {
			cfg[k] = v
		}
		for _, k := range drop {
			delete(cfg, k)
		}
		return cfg
	}
	for name, c := range map[string]struct {
		cfg sdk.Config
		key string
	}{
		"unknown step":     {bad(map[string]string{"branches.b.transforms.tag.type": "nope"}), "branches.b.transforms.tag.type"},
		"misspelt key":     {bad(map[string]string{"branches.a.transforms.keep.conditon": "n > 1"}), "branches.a.transforms.keep.conditon"},
		"no transforms":    {bad(nil, "branches.b.transforms"), "branches.b.transforms"},
		"listed twice":     {bad(map[string]string{"branches": "a,a"}), "branches"},
		"undeclared alias": {bad(map[string]string{"branches.a.transforms": "f,keep,tag,extra"}), "branches.a.transforms.extra.type"},
	} {
		err := (&Fanout{}).Open(context.Background(), c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.key) {
			t.Errorf("%s: Open: %v, want an error at %s", name, err, c.key)
		}
		if name == "listed twice" {
			continue // the runtime's spec check, not the branches', says it
		}
		if problems := validate(c.cfg); len(problems[c.key]) == 0 {
			t.Errorf("%s: validate %v, want a problem at %s", name, problems, c.key)
		}
	}
	if problems := validate(twoBranches); problems != nil {
		t.Errorf("validate of a good config: %v", problems)
	}
}

// TestJob5FanoutIsBothChains: the av-quality-state connector of
// deployments/pipelines/edu/av-quality.json emits, for each agora report,
// what the audio chain and the video chain of the same branch configs
// emit run one by one, in that order.
func TestJob5FanoutIsBothChains(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	raw, err := os.ReadFile(filepath.Join(filepath.Dir(file), "../../deployments/pipelines/edu/av-quality.json"))
	if err != nil {
		t.Fatal(err)
	}
	var job struct {
		Connectors []struct {
			Name   string
			Config sdk.Config
		}
	}
	if err := json.Unmarshal(raw, &job); err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(job.Connectors, func(c struct {
		Name   string
		Config sdk.Config
	}) bool {
		return c.Name == "av-quality-state"
	})
	if i < 0 {
		t.Fatal("av-quality.json has no av-quality-state connector")
	}
	cfg := job.Connectors[i].Config
	f := open(t, cfg)
	report := func(user any, typ string, lost, fr any) string {
		return fmt.Sprintf(`{"user_id":%v,"agora_channel_id":7,"classroom_id":"c1","user_type":%q,"event":"AGORA","messageCreateTime":1714528800000,`+
			`"agora_audioState":{"uid":3,"lost":%v},"agora_videoState":{"uid":4,"fr":%v}}`, user, typ, lost, fr)
	}
	recs := inputs(report(1, "student", 2, 15), report(2, "teacher", 2, 15), report(3, "student", -1, 0),
		report(4, "student", `"x"`, 12), report(nil, "student", 0, 30), `{"broken"`)
	got, err := f.Process(context.Background(), slices.Clone(recs))
	if err != nil {
		t.Fatal(err)
	}
	var chains []*smt.Chain
	for _, b := range []string{"audio", "video"} {
		ch := &smt.Chain{}
		if err := ch.Open(context.Background(), branchConfig(cfg, b)); err != nil {
			t.Fatal(err)
		}
		chains = append(chains, ch)
	}
	var want []string
	for _, r := range recs {
		var faults int
		for _, ch := range chains {
			out, err := ch.Process(context.Background(), []sdk.Record{r})
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range out {
				if o.Fault != nil {
					faults++
					continue
				}
				want = append(want, fmt.Sprintf("%s %s %s", o.Key, o.Value, o.Timestamp))
			}
		}
		if faults > 0 {
			want = append(want, fmt.Sprintf("FAULT %d", r.Offset))
		}
	}
	var have []string
	for _, o := range got {
		if o.Fault != nil {
			have = append(have, fmt.Sprintf("FAULT %d", o.Offset))
			continue
		}
		have = append(have, fmt.Sprintf("%s %s %s", o.Key, o.Value, o.Timestamp))
	}
	if !slices.Equal(have, want) {
		t.Errorf("fanout\n%s\nthe chains one by one\n%s", strings.Join(have, "\n"), strings.Join(want, "\n"))
	}
	if len(want) < 6 {
		t.Errorf("only %d outputs: the fixture proves little", len(want))
	}
}
