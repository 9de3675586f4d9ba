package validate

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestParseJobs(t *testing.T) {
	names := func(jobs []*Job) string {
		var out []string
		for _, j := range jobs {
			out = append(out, strconv.Itoa(j.Number))
		}
		return strings.Join(out, ",")
	}
	for in, want := range map[string]string{
		"3": "3", "classroom-performance": "3", "cc-daily.json": "7", "all": "3,4,5,6,7",
		"7,4": "4,7", " 5 , av-quality ": "5", "all,3": "3,4,5,6,7",
	} {
		got, err := ParseJobs(in)
		if err != nil || names(got) != want {
			t.Errorf("ParseJobs(%q) = %s, %v; want %s", in, names(got), err, want)
		}
	}
	for _, in := range []string{"", "2", "8", "signal-etl", "3,x"} {
		if got, err := ParseJobs(in); err == nil {
			t.Errorf("ParseJobs(%q) = %s, want an error", in, names(got))
		}
	}
}

// TestJobsMatchPipelineFiles holds the job definitions to the job files of
// deployments/pipelines/edu: the result table, its key and columns, the
// input and late topics, the max-ahead bound, and the window sizes and
// interval bounds written into the SQL.
func TestJobsMatchPipelineFiles(t *testing.T) {
	processingTime := []string{"create_time", "update_time"}
	for _, job := range Jobs {
		t.Run(job.Name, func(t *testing.T) {
			sink := sinkConfig(t, job)
			var keys []string
			for _, c := range job.KeyColumns() {
				keys = append(keys, c.Name)
			}
			pk := strings.Split(sink["pk.fields"], ",")
			slices.Sort(pk)
			slices.Sort(keys)
			if !slices.Equal(pk, keys) {
				t.Errorf("key columns %v, the sink's pk.fields %v", keys, pk)
			}
			var declared []string
			for _, c := range schemaColumns(t, job) {
				declared = append(declared, c.name)
				if job.column(c.name) < 0 && !slices.Contains(processingTime, c.name) {
					t.Errorf("column %s of %s is not compared", c.name, job.Table)
				}
			}
			for _, c := range job.Columns {
				if !slices.Contains(declared, c.Name) {
					t.Errorf("column %s is not in %s (%v)", c.Name, job.Table, declared)
				}
			}
			if job.column(job.TimeKey) < 0 {
				t.Errorf("time key %s is not a column", job.TimeKey)
			}

			file := readJobFile(t, job.Name)
			reads := map[string]bool{}
			lateTopics := map[string]map[string]string{}
			for _, c := range file.Connectors {
				for _, topic := range strings.Split(c.Config["topics"], ",") {
					reads[strings.TrimSpace(topic)] = true
				}
				if lt := c.Config["late.topic"]; lt != "" {
					lateTopics[lt] = c.Config
				}
			}
			for _, in := range job.Inputs {
				if !reads[in.Topic] {
					t.Errorf("input %s is not read by %s.json", in.Topic, job.Name)
				}
			}
			if len(lateTopics) > 1 || (len(lateTopics) == 1) != (job.LateTopic() != "") {
				t.Fatalf("late topics %v, the job's %q", lateTopics, job.LateTopic())
			}
			if cfg, ok := lateTopics[job.LateTopic()]; ok {
				if ahead, _ := strconv.ParseInt(cfg["event.time.max.ahead.ms"], 10, 64); ahead != job.MaxAheadMs {
					t.Errorf("max ahead %d ms, the job file's %d", job.MaxAheadMs, ahead)
				}
				if cfg["time.zone"] != "Asia/Shanghai" {
					t.Errorf("time.zone %q: the SQL and the report take Asia/Shanghai", cfg["time.zone"])
				}
				steps, err := readSteps(job.sqlFile)
				if err != nil {
					t.Fatal(err)
				}
				var sql strings.Builder
				for _, s := range steps {
					sql.WriteString(s.sql)
				}
				var want []string
				if size := cfg["window.size.ms"]; size != "" {
					if cfg["window.slide.ms"] != "" && cfg["window.slide.ms"] != "0" {
						t.Errorf("hopping windows: the SQL computes tumbling ones")
					}
					want = append(want, fmt.Sprintf("// %s * %s AS start_ms", size, size), "start_ms + "+size+" AS end_time")
				}
				if lower := cfg["interval.lower.ms"]; lower != "" {
					want = append(want, fmt.Sprintf("BETWEEN s.data_time - %s AND s.data_time %s",
						strings.TrimPrefix(lower, "-"), strings.Replace(cfg["interval.upper.ms"], "-", "- ", 1)))
					if cfg["match"] != "earliest" {
						t.Errorf("match %q: the SQL takes the earliest", cfg["match"])
					}
				}
				for _, w := range want {
					if !strings.Contains(sql.String(), w) {
						t.Errorf("sql/%s lacks %q", job.sqlFile, w)
					}
				}
			}
		})
	}
}
