package aggregate

import (
	"bufio"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/test/edu"
	"github.com/tributarydata/tributary/transforms/latest"
)

// TestCCDailyGolden runs job 7 as deployments/pipelines/edu/cc-daily.json
// configures it — latest by order id, then the count of confirmed orders
// per day and consultant — over CDC change events and plain rows with
// status changes, a consultant change, a confirmation moving a day,
// deletes with their tombstones, a repeated snapshot row and malformed
// records, and compares the table the rds sink would be left with against
// hand-checked rows: in one batch, one record per batch, and in random
// batches with lost ones replayed after a restore in both stages.
func TestCCDailyGolden(t *testing.T) {
	latestCfg, err := edu.PipelineConfig("cc-daily.json", "cc-daily-latest", latest.Plugin)
	if err != nil {
		t.Fatal(err)
	}
	aggCfg, err := edu.PipelineConfig("cc-daily.json", "cc-daily", Plugin)
	if err != nil {
		t.Fatal(err)
	}
	in := readCCDaily(t)
	var want struct {
		Table  map[string]map[string]any `json:"table"`
		Faults []int64                   `json:"faults"`
	}
	b, err := os.ReadFile(filepath.Join("testdata", "cc-daily.want.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	const parts = 2
	openLatest := func() stateful {
		op := latest.Plugin.NewTransform()
		if err := op.Open(t.Context(), sdk.Config(latestCfg)); err != nil {
			t.Fatal(err)
		}
		return op.(stateful)
	}
	for _, mode := range []struct {
		name     string
		maxBatch int
		crashes  bool
	}{{"one batch", len(in), false}, {"record by record", 1, false}, {"random batches, crashes", 5, true}} {
		t.Run(mode.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, 7))
			lt := newHarness(t, openLatest, 1)
			run(lt, rng, in, mode.crashes, mode.maxBatch)
			now := time.Date(2024, 1, 16, 9, 30, 0, 0, time.UTC)
			ag := newHarness(t, aggregateOpener(t, aggCfg, &now), parts)
			run(ag, rng, route(lt.out, parts), mode.crashes, mode.maxBatch)

			var faults []int64
			for _, f := range lt.faults {
				faults = append(faults, f.Offset)
			}
			slices.Sort(faults)
			if !slices.Equal(faults, want.Faults) || len(ag.faults) > 0 {
				t.Errorf("faults at lines %v (aggregate: %d), want %v", faults, len(ag.faults), want.Faults)
			}
			got := sinkTable(t, ag.out)
			for k, row := range got {
				if row["update_time"] != "2024-01-16 17:30:00.000" {
					t.Errorf("%s: update_time %v, want the wall clock in Asia/Shanghai", k, row["update_time"])
				}
				delete(row, "update_time")
			}
			if !maps.EqualFunc(got, want.Table, func(a, b map[string]any) bool { return fmt.Sprint(a) == fmt.Sprint(b) }) {
				t.Errorf("staff_index\n got %v\nwant %v", got, want.Table)
			}
		})
	}
}

// sinkTable applies results as the rds sink does with pk.mode=record_value
// and pk.fields cc_id,type,attribution_time: a row upserts, a change event
// with op d deletes the row its before names, a tombstone changes nothing.
func sinkTable(t *testing.T, out []sdk.Record) map[string]map[string]any {
	t.Helper()
	table := map[string]map[string]any{}
	pk := func(row map[string]any) string {
		return fmt.Sprintf("%v|%v|%v", row["attribution_time"], row["cc_id"], row["type"])
	}
	for _, r := range out {
		if r.Value == nil {
			continue
		}
		row := fields(t, string(r.Value))
		if row["op"] == "d" {
			before, ok := row["before"].(map[string]any)
			if !ok {
				t.Fatalf("a delete without its before: %s", r.Value)
			}
			if _, ok := table[pk(before)]; !ok {
				t.Errorf("a delete of a row never written: %s", r.Value)
			}
			delete(table, pk(before))
			continue
		}
		table[pk(row)] = row
	}
	return table
}

// readCCDaily reads the input file: each line a record key and value (null
// for a tombstone), offsets counting lines from 0.
func readCCDaily(t *testing.T) []sdk.Record {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "cc-daily.input.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []sdk.Record
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var line struct {
			Key   string
			Value *string
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatal(err)
		}
		r := sdk.Record{Topic: "edu.crm.data_pack_order_info", Offset: int64(len(recs)), Key: []byte(line.Key)}
		if line.Value != nil {
			r.Value = []byte(*line.Value)
		}
		recs = append(recs, r)
	}
	return recs
}
