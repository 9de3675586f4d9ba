package window

import (
	"bufio"
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/test/edu"
	"github.com/tributarydata/tributary/transforms/fanout"
)

// pipelineConfig reads a connector's config from a warehouse pipeline file.
func pipelineConfig(t testing.TB, file, name string, plugin sdk.Plugin) map[string]string {
	t.Helper()
	cfg, err := edu.PipelineConfig(file, name, plugin)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

type goldenWant struct {
	Results  map[string]map[string]any `json:"results"`
	Emitted  int                       `json:"emitted"`
	Late     map[string]int64          `json:"late"`
	Faults   []int                     `json:"faults"`
	Filtered int64                     `json:"filtered"`
	// LateRecords counts records to the late topic where Late, keyed by
	// input line, cannot (one input line made two of them).
	LateRecords int `json:"late_records"`
}

func readGolden(t *testing.T, name, topic string) ([]sdk.Record, goldenWant) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name+".input.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []sdk.Record
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var line struct{ Value string }
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, sdk.Record{Topic: topic, Offset: int64(len(recs)), Value: []byte(line.Value)})
	}
	var want goldenWant
	b, err := os.ReadFile(filepath.Join("testdata", name+".want.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	return recs, want
}

// TestClassroomPerformanceGolden runs job 3's pipeline config over a file of
// signals with out-of-order, late, too-late, duplicated and malformed ones,
// and compares with hand-checked results: in one batch, one record per
// batch, and with the task dying after every third batch.
func TestClassroomPerformanceGolden(t *testing.T) {
	recs, want := readGolden(t, "classroom-performance", "dwd.student_signal")
	cfg := pipelineConfig(t, "classroom-performance.json", "classroom-performance", Plugin)
	for _, mode := range []string{"one batch", "record by record", "crash every third batch"} {
		h := newHarness(t, cfg, 1)
		h.parts = []sdk.TopicPartition{{Topic: "dwd.student_signal"}}
		h.start()
		switch mode {
		case "one batch":
			h.batch(recs, true)
		default:
			for i := 0; i < len(recs); i++ {
				if mode == "crash every third batch" && i%3 == 2 {
					h.batch(recs[i:i+1], false)
					h.start()
				}
				h.batch(recs[i:i+1], true)
			}
		}
		checkGolden(t, mode, h, want, h.faults)
		if c := h.op.Counts(); mode == "one batch" && c["filtered"] != want.Filtered {
			t.Errorf("%s: filtered %d, want %d", mode, c["filtered"], want.Filtered)
		}
	}
}

// checkGolden compares what a harness committed with a golden file's
// results (create_time, the wall clock, aside), late records and faults.
func checkGolden(t *testing.T, mode string, h *harness, want goldenWant, faulted []sdk.Record) {
	t.Helper()
	got := map[string]map[string]any{}
	for k, v := range h.results {
		var m map[string]any
		if err := json.Unmarshal([]byte(v), &m); err != nil {
			t.Fatal(err)
		}
		if _, ok := m["create_time"]; !ok {
			t.Errorf("%s: %s has no create_time", mode, k)
		}
		delete(m, "create_time") // the wall clock
		got[k] = m
	}
	wantResults := map[string]string{}
	gotResults := map[string]string{}
	for k, v := range want.Results {
		b, _ := json.Marshal(v)
		wantResults[k] = string(b)
	}
	for k, v := range got {
		b, _ := json.Marshal(v)
		gotResults[k] = string(b)
	}
	if !maps.Equal(gotResults, wantResults) {
		t.Errorf("%s: results\n%v\nwant\n%v", mode, gotResults, wantResults)
	}
	if len(h.emitted) != want.Emitted {
		t.Errorf("%s: %d results emitted, want %d", mode, len(h.emitted), want.Emitted)
	}
	late := map[string]int64{}
	for _, r := range h.late {
		by, _ := r.Header(LateHeader)
		n, _ := strconv.ParseInt(string(by), 10, 64)
		late[strconv.FormatInt(r.Offset, 10)] = n
	}
	if !maps.Equal(late, want.Late) {
		t.Errorf("%s: late records %v, want %v", mode, late, want.Late)
	}
	var faults []int
	for _, r := range faulted {
		faults = append(faults, int(r.Offset))
	}
	if !slices.Equal(faults, want.Faults) {
		t.Errorf("%s: faulted lines %v, want %v", mode, faults, want.Faults)
	}
	if want.LateRecords > 0 && len(h.late) != want.LateRecords {
		t.Errorf("%s: %d records to the late topic, want %d", mode, len(h.late), want.LateRecords)
	}
}

// TestAVQualityGolden runs job 5's pipeline file: each input record through
// the audio and video cleaning chains (the fanout connector), their outputs into the
// 30-second window, compared with hand-checked results: the seed's NULL ids
// as -1, its _AUDIO_STATE/_VIDEO_STATE events, only students and values of
// at least 0, sum/avg/count per window, a late correction and a too-late
// record.
func TestAVQualityGolden(t *testing.T) {
	recs, want := readGolden(t, "av-quality", "ods.agora_record")
	state := fanout.Plugin.NewTransform()
	if err := state.Open(context.Background(), sdk.Config(pipelineConfig(t, "av-quality.json", "av-quality-state", fanout.Plugin))); err != nil {
		t.Fatal(err)
	}
	var cleaned []sdk.Record
	var faulted []sdk.Record
	for i := range recs {
		out, err := state.Process(context.Background(), recs[i:i+1])
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range out {
			if r.Fault != nil {
				faulted = append(faulted, r)
				continue
			}
			r.Topic, r.Value = "dwd.av_state", slices.Clone(r.Value)
			cleaned = append(cleaned, r)
		}
	}
	cfg := pipelineConfig(t, "av-quality.json", "av-quality", Plugin)
	for _, mode := range []string{"one batch", "record by record with crashes"} {
		h := newHarness(t, cfg, 1)
		h.parts = []sdk.TopicPartition{{Topic: "dwd.av_state"}}
		h.start()
		if mode == "one batch" {
			h.batch(cleaned, true)
		} else {
			for i := range cleaned {
				if i%4 == 3 {
					h.batch(cleaned[i:i+1], false)
					h.start()
				}
				h.batch(cleaned[i:i+1], true)
			}
		}
		checkGolden(t, mode, h, want, faulted)
	}
}
