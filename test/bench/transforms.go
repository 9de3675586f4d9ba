package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"github.com/tributarydata/tributary/api/ctl"
	"github.com/tributarydata/tributary/plugins/host"
	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/test/edu"
	"github.com/tributarydata/tributary/transforms/smt"
)

// signalBatch is the batch size the runtime hands a transform.
const signalBatch = 2000

// signalInputs makes n generated classroom signals, in batches.
func signalInputs(n int) [][]sdk.Record {
	rng := rand.New(rand.NewPCG(7, 11))
	var batches [][]sdk.Record
	for done := 0; done < n; done += signalBatch {
		b := make([]sdk.Record, min(signalBatch, n-done))
		for i := range b {
			b[i] = sdk.Record{Topic: "ods.classroom_signal", Offset: int64(done + i), Value: edu.NewSignal(rng, 1614564000000, done+i).Value}
		}
		batches = append(batches, b)
	}
	return batches
}

// signalETLConfig reads the job's connector config from its pipeline file.
func signalETLConfig(repo string) (sdk.Config, error) {
	conns, err := ctl.LoadConnectors(filepath.Join(repo, "deployments", "pipelines", "edu", "signal-etl.json"), nil)
	if err != nil {
		return nil, err
	}
	return sdk.Config(conns[0].Config), nil
}

// transformRate runs every batch through tr on this goroutine and returns
// records in per second and the outputs it made.
func transformRate(tr sdk.Transform, batches [][]sdk.Record) (float64, int, error) {
	ctx := context.Background()
	runtime.GC()
	start := time.Now()
	n, outs := 0, 0
	for _, b := range batches {
		out, err := tr.Process(ctx, b)
		if err != nil {
			return 0, 0, err
		}
		n += len(b)
		outs += len(out)
	}
	return float64(n) / time.Since(start).Seconds(), outs, nil
}

// cpuTime is the processor time, user and system, used by this process
// (syscall.RUSAGE_SELF) or by its children that have ended and been waited
// for (syscall.RUSAGE_CHILDREN).
func cpuTime(who int) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// etlRun is one measurement of the job: its rate, its outputs, and the
// processor time it took per input event, in this process and in the
// plugin's.
type etlRun struct {
	rate             float64
	outs             int
	hostCPU, plugCPU time.Duration
}

// signalETLInProcess is the job as the worker runs it in process.
func signalETLInProcess(cfg sdk.Config, batches [][]sdk.Record) (etlRun, error) {
	tr := smt.Plugin.NewTransform()
	if err := tr.Open(context.Background(), cfg); err != nil {
		return etlRun{}, err
	}
	defer tr.Close()
	cpu := cpuTime(syscall.RUSAGE_SELF)
	rate, outs, err := transformRate(tr, batches)
	return etlRun{rate: rate, outs: outs, hostCPU: perEvent(cpuTime(syscall.RUSAGE_SELF)-cpu, batches)}, err
}

func perEvent(d time.Duration, batches [][]sdk.Record) time.Duration {
	n := 0
	for _, b := range batches {
		n += len(b)
	}
	return d / time.Duration(max(n, 1))
}

// pluginEnv marks the bench's own binary started as a plugin process.
const pluginEnv = "TRIBUTARY_BENCH_PLUGIN"

// servePluginIfAsked makes this binary the smt plugin when the host started
// it as one, so the out-of-process measurement runs the very same code.
func servePluginIfAsked() {
	if os.Getenv(pluginEnv) == "1" {
		sdk.Serve(smt.Plugin)
		os.Exit(0)
	}
}

// signalETLPlugin is the job run out of process: this binary, started by the
// plugin host as the worker starts any plugin, records crossing in batches.
// The plugin's processor time is its whole life's, start and Open included,
// read once Close has ended and reaped it.
func signalETLPlugin(cfg sdk.Config, batches [][]sdk.Record) (etlRun, error) {
	ctx := context.Background()
	self, err := os.Executable()
	if err != nil {
		return etlRun{}, err
	}
	plugins, err := host.Load(ctx, self, host.Options{Env: []string{pluginEnv + "=1", "GOMAXPROCS=1"}})
	if err != nil {
		return etlRun{}, err
	}
	if len(plugins) != 1 || plugins[0].NewTransform == nil {
		return etlRun{}, fmt.Errorf("the bench binary served %d plugins, want the smt transform", len(plugins))
	}
	children := cpuTime(syscall.RUSAGE_CHILDREN)
	tr := plugins[0].NewTransform()
	if err := tr.Open(ctx, cfg); err != nil {
		return etlRun{}, err
	}
	cpu := cpuTime(syscall.RUSAGE_SELF)
	rate, outs, err := transformRate(tr, batches)
	hostCPU := cpuTime(syscall.RUSAGE_SELF) - cpu
	if cerr := tr.Close(); err == nil {
		err = cerr
	}
	plugCPU := cpuTime(syscall.RUSAGE_CHILDREN) - children
	return etlRun{rate: rate, outs: outs, hostCPU: perEvent(hostCPU, batches), plugCPU: perEvent(plugCPU, batches)}, err
}

// mapETL is the baseline: the same job written the obvious way, decoding
// each value into maps with encoding/json and encoding a map back.
type mapETL struct{ sdk.UnimplementedTransform }

func (mapETL) Process(_ context.Context, recs []sdk.Record) ([]sdk.Record, error) {
	out := make([]sdk.Record, 0, len(recs))
	for _, r := range recs {
		var m map[string]any
		if err := json.Unmarshal(r.Value, &m); err != nil {
			continue
		}
		data := object(m["data"])
		msg := object(data["msg"])
		md := object(msg["msg_data"])
		row := map[string]any{
			"messageCreateTime": m["createTime"], "timeStamp": data["timestamp"], "userId": data["userid"],
			"roomId": data["roomid"], "role": data["role"], "msgId": data["msgid"], "msgType": msg["msgtype"],
			"targetId": md["target_id"], "targetType": md["target_type"], "action": md["action"],
			"subAction": md["sub_action"], "pageIndex": md["page_index"],
		}
		if fmt.Sprint(row["msgId"]) != "305" || fmt.Sprint(row["role"]) != "2" {
			continue
		}
		row["event"] = "STUDENT_" + fmt.Sprint(row["action"])
		v, err := json.Marshal(row)
		if err != nil {
			return nil, err
		}
		r.Value = v
		out = append(out, r)
	}
	return out, nil
}

// object reads a nested object given as an object or as a JSON string.
func object(v any) map[string]any {
	switch x := v.(type) {
	case map[string]any:
		return x
	case string:
		var m map[string]any
		if json.Unmarshal([]byte(x), &m) == nil {
			return m
		}
	}
	return nil
}
