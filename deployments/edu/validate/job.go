package validate

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Kind is how a result column is read, compared and printed.
type Kind uint8

// The column kinds.
const (
	KindInt   Kind = iota // an int64, compared exactly
	KindFloat             // a float64, compared within floatTolerance
	KindText              // a string, compared exactly
	KindTime              // a wall-clock time in Asia/Shanghai to the millisecond (a DATETIME(3) of the result table)
)

// Column is one compared column of a result table.
type Column struct {
	Name string
	Kind Kind
	Key  bool // part of the table's primary key
}

// Store says which database holds a job's real-time results.
type Store string

// The stores of the real-time results.
const (
	StoreRDS     Store = "rds"     // MySQL/MariaDB, RDS_URL
	StoreServing Store = "serving" // PostgreSQL/Hologres, SERVING_URL
)

// Input is one backed-up topic a job's SQL reads, loaded into a DuckDB
// table of the input's name (see loadInput for its columns).
type Input struct {
	Name  string // DuckDB table name
	Topic string
	// LateTopic is the job's topic of records too late to count; its
	// records are loaded into the same table, from_late = true, so that the
	// job's SQL parses them as it parses the input.
	LateTopic string
	// Changes: the topic is a changelog (Debezium envelopes, plain rows,
	// tombstones); a view <name>_changes reads each record's row.
	Changes bool
}

// rangeKind is what a job's time key holds, for --from and --to.
type rangeKind uint8

const (
	rangeInstant rangeKind = iota // a KindTime column
	rangeHour                     // a KindInt yyyyMMddHH, wall clock
	rangeDay                      // a KindText yyyy-MM-dd, wall clock
)

// Job is one warehouse job the validation recomputes: where its inputs and
// results are, and the SQL that recomputes it.
type Job struct {
	Number int
	Name   string // the job file, deployments/pipelines/edu/<Name>.json
	Table  string // the result table
	Store  Store
	// Columns are the compared columns, key columns first, in the order
	// of the recomputed rows. Processing-time columns (create_time,
	// update_time) are not among them: no recomputation can give them.
	Columns []Column
	// TimeKey is the column --from and --to select on.
	TimeKey   string
	timeRange rangeKind
	Inputs    []Input
	// MaxAheadMs is the job's event.time.max.ahead.ms: an event time
	// further ahead of the clock is dead-lettered, not counted.
	MaxAheadMs int64
	// sqlFile is the job's SQL in sql/, see recompute.go.
	sqlFile string
}

// LateTopic returns the job's late topic, "" when it has none.
func (j *Job) LateTopic() string {
	for _, in := range j.Inputs {
		if in.LateTopic != "" {
			return in.LateTopic
		}
	}
	return ""
}

// KeyColumns returns the columns of the primary key.
func (j *Job) KeyColumns() []Column {
	var out []Column
	for _, c := range j.Columns {
		if c.Key {
			out = append(out, c)
		}
	}
	return out
}

func (j *Job) column(name string) int {
	return slices.IndexFunc(j.Columns, func(c Column) bool { return c.Name == name })
}

// String names the job as the report does: "job 3 classroom-performance".
func (j *Job) String() string { return fmt.Sprintf("job %d %s", j.Number, j.Name) }

// day is the max-ahead bound every job file sets (event.time.max.ahead.ms).
const day = int64(24 * time.Hour / time.Millisecond)

// Jobs are jobs 3 to 7 of DESIGN.md §10, as deployments/pipelines/edu runs
// them (TestJobsMatchPipelineFiles holds the two together). Each reads the
// input the job file itself reads, so that what the batch counts is what
// the real-time path was given; see each SQL file for why that layer.
var Jobs = []*Job{
	{
		Number: 3, Name: "classroom-performance", Table: "timeline_signal_analysis", Store: StoreRDS,
		Columns: []Column{
			{Name: "start_time", Kind: KindTime, Key: true},
			{Name: "webserver_id", Kind: KindInt, Key: true},
			{Name: "user_id", Kind: KindInt, Key: true},
			{Name: "role", Kind: KindInt, Key: true},
			{Name: "event", Kind: KindText, Key: true},
			{Name: "end_time", Kind: KindTime},
			{Name: "event_count", Kind: KindInt},
		},
		TimeKey: "start_time", timeRange: rangeInstant,
		Inputs:     []Input{{Name: "signals", Topic: "dwd.student_signal", LateTopic: "late.classroom-performance"}},
		MaxAheadMs: day,
		sqlFile:    "classroom_performance.sql",
	},
	{
		Number: 4, Name: "study-time", Table: "user_enter_classroom_take_time", Store: StoreRDS,
		Columns: []Column{
			{Name: "user_id", Kind: KindInt, Key: true},
			{Name: "classroom_id", Kind: KindText, Key: true},
			{Name: "event_time", Kind: KindTime, Key: true},
			{Name: "user_type", Kind: KindText},
			{Name: "spend_time", Kind: KindInt},
		},
		TimeKey: "event_time", timeRange: rangeInstant,
		Inputs:     []Input{{Name: "qos", Topic: "ods.qos_log", LateTopic: "late.study-time"}},
		MaxAheadMs: day,
		sqlFile:    "study_time.sql",
	},
	{
		Number: 5, Name: "av-quality", Table: "user_av_record", Store: StoreRDS,
		Columns: []Column{
			{Name: "start_time", Kind: KindTime, Key: true},
			{Name: "user_id", Kind: KindInt, Key: true},
			{Name: "web_server_id", Kind: KindInt, Key: true},
			{Name: "classroom_id", Kind: KindText, Key: true},
			{Name: "user_type", Kind: KindText, Key: true},
			{Name: "extra_uid", Kind: KindInt, Key: true},
			{Name: "event", Kind: KindText, Key: true},
			{Name: "end_time", Kind: KindTime},
			{Name: "event_sum", Kind: KindInt},
			{Name: "event_avg", Kind: KindFloat},
			{Name: "event_count", Kind: KindInt},
		},
		TimeKey: "start_time", timeRange: rangeInstant,
		Inputs:     []Input{{Name: "agora", Topic: "ods.agora_record", LateTopic: "late.av-quality"}},
		MaxAheadMs: day,
		sqlFile:    "av_quality.sql",
	},
	{
		Number: 6, Name: "hourly-registrations", Table: "vk_app_es_sign_csh", Store: StoreServing,
		Columns: []Column{
			{Name: "uk", Kind: KindText, Key: true},
			{Name: "reg_date", Kind: KindInt},
			{Name: "level", Kind: KindText},
			{Name: "leads", Kind: KindInt},
		},
		TimeKey: "reg_date", timeRange: rangeHour,
		Inputs: []Input{
			{Name: "students", Topic: "edu.uc_account.student", Changes: true},
			{Name: "users", Topic: "edu.uc_account.user", Changes: true},
			{Name: "channels", Topic: "dwd.channel_name_dictionary", Changes: true},
		},
		sqlFile: "hourly_registrations.sql",
	},
	{
		Number: 7, Name: "cc-daily", Table: "staff_index", Store: StoreRDS,
		Columns: []Column{
			{Name: "cc_id", Kind: KindInt, Key: true},
			{Name: "type", Kind: KindInt, Key: true},
			{Name: "attribution_time", Kind: KindText, Key: true},
			{Name: "cc_index", Kind: KindInt},
		},
		TimeKey: "attribution_time", timeRange: rangeDay,
		Inputs:  []Input{{Name: "orders", Topic: "edu.crm.data_pack_order_info", Changes: true}},
		sqlFile: "cc_daily.sql",
	},
}

// ParseJobs reads --job: a number 3 to 7, a job file name
// (classroom-performance, with or without .json), "all", or a comma
// separated list of those. Each job comes once, in the order of Jobs.
func ParseJobs(s string) ([]*Job, error) {
	want := map[*Job]bool{}
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSuffix(strings.TrimSpace(item), ".json")
		if item == "all" {
			for _, j := range Jobs {
				want[j] = true
			}
			continue
		}
		n, numErr := strconv.Atoi(item)
		i := slices.IndexFunc(Jobs, func(j *Job) bool { return (numErr == nil && j.Number == n) || j.Name == item })
		if i < 0 {
			return nil, fmt.Errorf("unknown job %q: want 3 to 7, all, or one of %s", item, jobNames())
		}
		want[Jobs[i]] = true
	}
	var out []*Job
	for _, j := range Jobs {
		if want[j] {
			out = append(out, j)
		}
	}
	return out, nil
}

func jobNames() string {
	names := make([]string, len(Jobs))
	for i, j := range Jobs {
		names[i] = j.Name
	}
	return strings.Join(names, ", ")
}
