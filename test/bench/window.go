package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"runtime"
	"time"

	"github.com/tributarydata/tributary/api/ctl"
	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/test/edu"
	"github.com/tributarydata/tributary/transforms/window"
)

// runWindow measures job 3 (classroom performance) in process on one core
// with about 100,000 distinct groups per window, beside a baseline in the
// same run: the straightforward Go version of the job (encoding/json into a
// struct, a map of counts per window and group) without watermarks, state
// changelog or output.
func runWindow(records int) error {
	if records <= 0 {
		return nil
	}
	const perWindow, keys = 400_000, 100_000
	batches := edu.StudentSignals(records, perWindow, keys, 2000)
	conns, err := ctl.LoadConnectors(filepath.Join("deployments", "pipelines", "edu", "classroom-performance.json"),
		func(string) (string, bool) { return "x", true })
	if err != nil {
		return err
	}
	cfg := sdk.Config(conns[0].Config)
	prev := runtime.GOMAXPROCS(1)
	defer runtime.GOMAXPROCS(prev)

	baseline := naiveWindowRate(batches)
	op := window.Plugin.NewTransform()
	if err := op.Open(context.Background(), cfg); err != nil {
		return err
	}
	st := op.(sdk.Stateful)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	outs := 0
	for _, b := range batches {
		out, err := op.Process(context.Background(), b)
		if err != nil {
			return err
		}
		outs += len(out)
		st.Changes()
	}
	rate := float64(records) / time.Since(start).Seconds()
	runtime.GC()
	runtime.ReadMemStats(&after)
	groups := op.(*window.Operator).Groups()
	runtime.KeepAlive(op)
	runtime.KeepAlive(batches) // the input is not state: keep it out of the difference
	fmt.Printf("classroom performance (job 3), 1 core, %d records, ~%d groups per window:\n", records, keys)
	fmt.Printf("  baseline (encoding/json + map of counts)  %10.0f records/s\n", baseline)
	fmt.Printf("  window connector in process               %10.0f records/s  (%.2fx baseline; target 500,000/s)  %d results\n", rate, rate/baseline, outs)
	if groups > 0 {
		fmt.Printf("  state held at the end: %d groups in open windows, %.0f bytes of heap per group\n",
			groups, float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/float64(groups))
	}
	return nil
}

// naiveWindowRate is the baseline: decode each record with encoding/json
// and count it per minute and group in a map.
func naiveWindowRate(batches [][]sdk.Record) float64 {
	type signal struct {
		TimeStamp int64  `json:"timeStamp"`
		UserID    int64  `json:"userId"`
		RoomID    int64  `json:"roomId"`
		Role      int64  `json:"role"`
		Event     string `json:"event"`
	}
	type group struct {
		start            int64
		room, user, role int64
		event            string
	}
	counts := map[group]int64{}
	runtime.GC()
	start := time.Now()
	n := 0
	for _, b := range batches {
		for _, r := range b {
			var s signal
			if json.Unmarshal(r.Value, &s) != nil {
				continue
			}
			counts[group{s.TimeStamp - s.TimeStamp%60_000, s.RoomID, s.UserID, s.Role, s.Event}]++
			n++
		}
	}
	return float64(n) / time.Since(start).Seconds()
}
