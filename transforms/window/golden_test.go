package window

import (
	"bufio"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/tributarydata/tributary/api/ctl"
	"github.com/tributarydata/tributary/plugins/sdk"
)

// pipelineConfig reads a connector's config from a warehouse pipeline file.
func pipelineConfig(t testing.TB, file, name string) map[string]string {
	t.Helper()
	env := func(string) (string, bool) { return "x", true }
	conns, err := ctl.LoadConnectors(filepath.Join("..", "..", "deployments", "pipelines", "edu", file), env)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range conns {
		if c.Name == name {
			if problems := Plugin.Problems(sdk.Config(c.Config)); len(problems) > 0 {
				t.Fatalf("%s is invalid: %v", name, problems)
			}
			return c.Config
		}
	}
	t.Fatalf("no connector %s in %s", name, file)
	return nil
}

type goldenWant struct {
	Results  map[string]map[string]any `json:"results"`
	Emitted  int                       `json:"emitted"`
	Late     map[string]int64          `json:"late"`
	Faults   []int                     `json:"faults"`
	Filtered int64                     `json:"filtered"`
}

func readGolden(t *testing.T, name string) ([]sdk.Record, goldenWant) {
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
		recs = append(recs, sdk.Record{Topic: "dwd.student_signal", Offset: int64(len(recs)), Value: []byte(line.Value)})
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
	recs, want := readGolden(t, "classroom-performance")
	cfg := pipelineConfig(t, "classroom-performance.json", "classroom-performance")
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
		for _, r := range h.faults {
			faults = append(faults, int(r.Offset))
		}
		if !slices.Equal(faults, want.Faults) {
			t.Errorf("%s: faulted lines %v, want %v", mode, faults, want.Faults)
		}
		if c := h.op.Counts(); mode == "one batch" && c["filtered"] != want.Filtered {
			t.Errorf("%s: filtered %d, want %d", mode, c["filtered"], want.Filtered)
		}
	}
}
