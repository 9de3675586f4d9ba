package intervaljoin

import (
	"bufio"
	"encoding/json"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/test/edu"
)

// studyTimeConfig is job 4's connector config, read from
// deployments/pipelines/edu/study-time.json: per PPT_SUCCESS of a user in
// a classroom, its data_time minus the earliest data_time of the user in
// that classroom within 6 hours before it, corrected when an earlier
// event arrives late. dwd.qos_log is ods.qos_log keyed by user_id (see doc.go).
var studyTimeConfig = func() map[string]string {
	cfg, err := edu.PipelineConfig("study-time.json", "study-time", Plugin)
	if err != nil {
		panic(err)
	}
	return cfg
}()

type goldenWant struct {
	results   map[string]string // output key → value without create_time
	emitted   int
	corrected int64
	late      map[int64]int64
	faults    []int64
	errors    map[int64]string
}

func readStudyTime(t *testing.T) ([]sdk.Record, goldenWant) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "study-time.input.jsonl"))
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
		recs = append(recs, sdk.Record{Topic: "dwd.qos_log", Offset: int64(len(recs)), Value: []byte(line.Value)})
	}
	w := goldenWant{results: map[string]string{}, late: map[int64]int64{}, errors: map[int64]string{}}
	b, err := os.ReadFile(filepath.Join("testdata", "study-time.expected.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		var e struct {
			Key       json.RawMessage
			Value     map[string]any
			Emitted   *int
			Corrected int64
			Late      *int64
			By        int64
			Fault     *int64
			Error     string
		}
		if err := json.Unmarshal([]byte(line), &e); err != nil {
			t.Fatal(err)
		}
		switch {
		case e.Key != nil:
			w.results[compact(t, e.Key)] = canonical(t, e.Value)
		case e.Emitted != nil:
			w.emitted, w.corrected = *e.Emitted, e.Corrected
		case e.Late != nil:
			w.late[*e.Late] = e.By
		case e.Fault != nil:
			w.faults = append(w.faults, *e.Fault)
			w.errors[*e.Fault] = e.Error
		}
	}
	return recs, w
}

func compact(t *testing.T, raw []byte) string {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// canonical is a row as sorted JSON, to compare rows whatever their order.
func canonical(t *testing.T, m map[string]any) string {
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var createTime = regexp.MustCompile(`^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$`)

// TestStudyTimeGolden runs job 4's config over seed-shaped qos_log records
// with out-of-order, late, duplicate and malformed ones, and compares with
// hand-checked results: in one batch, one record per batch, with the task
// dying after every third batch, and in random batches with random deaths.
func TestStudyTimeGolden(t *testing.T) {
	withTopics := maps.Clone(studyTimeConfig)
	withTopics["topics"] = "dwd.qos_log"
	if problems := Plugin.Problems(sdk.Config(withTopics)); len(problems) > 0 {
		t.Fatalf("job 4's config is invalid: %v", problems)
	}
	recs, want := readStudyTime(t)
	rng := rand.New(rand.NewPCG(4, 4))
	for _, mode := range []string{"one batch", "record by record", "crash every third batch", "random batches and crashes"} {
		h := newHarness(t, nil, sdk.TopicPartition{Topic: "dwd.qos_log"})
		h.cfg = maps.Clone(studyTimeConfig)
		h.start()
		switch mode {
		case "one batch":
			h.batch(recs, true)
		case "random batches and crashes":
			for i := 0; i < len(recs); {
				end := min(len(recs), i+1+rng.IntN(5))
				if rng.IntN(3) == 0 {
					h.batch(recs[i:end], false)
					h.start()
				}
				h.batch(recs[i:end], true)
				i = end
			}
		default:
			for i := range recs {
				if mode == "crash every third batch" && i%3 == 2 {
					h.batch(recs[i:i+1], false)
					h.start()
				}
				h.batch(recs[i:i+1], true)
			}
		}
		got := map[string]string{}
		for k, v := range h.results {
			var m map[string]any
			if err := json.Unmarshal([]byte(v), &m); err != nil {
				t.Fatal(err)
			}
			if ct, _ := m["create_time"].(string); !createTime.MatchString(ct) {
				t.Errorf("%s: %s has create_time %v", mode, k, m["create_time"])
			}
			delete(m, "create_time") // the wall clock
			got[k] = canonical(t, m)
		}
		if !maps.Equal(got, want.results) {
			t.Errorf("%s: results\n%v\nwant\n%v", mode, got, want.results)
		}
		if len(h.emitted) != want.emitted {
			t.Errorf("%s: %d rows emitted, want %d", mode, len(h.emitted), want.emitted)
		}
		if c := h.op.Counts(); !strings.Contains(mode, "crash") && c["corrected"] != want.corrected {
			t.Errorf("%s: %d corrected, want %d", mode, c["corrected"], want.corrected)
		}
		late := map[int64]int64{}
		for _, r := range h.late {
			by, _ := r.Header(LateHeader)
			late[r.Offset], _ = strconv.ParseInt(string(by), 10, 64)
		}
		if !maps.Equal(late, want.late) {
			t.Errorf("%s: late records %v, want %v", mode, late, want.late)
		}
		var faults []int64
		for _, r := range h.faults {
			faults = append(faults, r.Offset)
			if msg := want.errors[r.Offset]; !strings.Contains(r.Fault.Error(), msg) {
				t.Errorf("%s: line %d refused with %q, want it to say %q", mode, r.Offset, r.Fault, msg)
			}
		}
		if !slices.Equal(faults, want.faults) {
			t.Errorf("%s: refused lines %v, want %v", mode, faults, want.faults)
		}
	}
}
