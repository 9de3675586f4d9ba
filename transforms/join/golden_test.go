package join

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"strings"
	"testing"

	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/test/edu"
	"github.com/tributarydata/tributary/transforms/aggregate"
)

// job6Join and job6Aggregate are the connectors of warehouse job 6
// (deployments/pipelines/edu/hourly-registrations.json), as the golden
// test runs them: the seed's
//
//	SELECT case when level in ('A','B','C','D') then level else 'other' end AS uk,
//	       cast(date_format(register_date_time,'yyyyMMddHH') as bigint) AS reg_date, … AS level,
//	       COUNT(distinct t.id) AS leads
//	FROM student_view t LEFT JOIN user_view u ON u.id = t.id
//	LEFT JOIN channel_da FOR SYSTEM_TIME AS OF PROCTIME() ch ON ch.rowkey = MD5(t.channel_id)
//	WHERE u.name NOT LIKE '%测试%' AND u.name NOT LIKE 'DM\_%' AND u.name NOT LIKE '%test%' AND u.status='NORMAL'
//	GROUP BY hour, level
//
// with uk = hour + level (the seed's uk is the level alone, which every
// hour overwrites). The join keeps the latest student and user by id
// itself (the two views), and keys its output by (reg_date, level) so
// that the aggregate downstream holds each group in one partition.
var job6Join, job6Aggregate = pipelineConfig("hourly-registrations-join", Plugin),
	pipelineConfig("hourly-registrations", aggregate.Plugin)

// pipelineConfig reads a connector of the job file; ${SERVING_URL} is
// filled with "x" and replaced by each test's own database.
func pipelineConfig(name string, plugin sdk.Plugin) map[string]string {
	cfg, err := edu.PipelineConfig("hourly-registrations.json", name, plugin)
	if err != nil {
		panic(err)
	}
	return cfg
}

// TestHourlyRegistrationsGolden runs job 6 over
// testdata/hourly-registrations.input.jsonl (batches separated by blank
// lines), with channel_name_dictionary loaded from
// testdata/channel_name_dictionary.jsonl into PostgreSQL (101 A, 102 B,
// 103 C, 104 D, 105 E, 106 a null level, 107 none), and compares the
// aggregate's results after each batch with the hand-checked
// testdata/hourly-registrations.expected.txt. Register times are
// 2024-01-15 09:10, 09:59:59.999, 10:00 and 10:30, as the mysql source
// writes a DATETIME: epoch milliseconds of the wall clock read as UTC.
//
//  1. Students 1 (channel 101, A) and 2 (102, B) with their users at 09:10:
//     A and B of 09 count 1 each. Student 3's user 王五测试 is a test
//     account; user 4 (DM_001) has no student yet; student 5 is malformed
//     (dead-lettered).
//  2. Student 4 comes for DM_001: filtered. Students 5 (105: level E), 6
//     (106: a null level) at 10:30 and 7 (107: no row) at 09:10 are
//     "other". User 1 repeated: nothing.
//  3. The dictionary's topic says 102 is A now; user 2 leaves NORMAL, so B
//     of 09 empties; student 8 (102, so A) registers at 10:00:00.000, hour
//     10; eve_test is filtered; user 15's register time is no number
//     (dead-lettered).
//  4. User 2 is NORMAL again, worked out with 102 as A: A of 09 is 2; then
//     student 1 moves to channel 103: A of 09 back to 1, C of 09 is 1;
//     user 7's register time moves to 10:30, other of 09 empties and
//     other of 10 is 3; student 6 is deleted (its tombstone deletes
//     nothing more), other of 10 is 2; student 8 repeated: nothing.
//  5. User 10 comes before its student (104: D of 09); 测试账号 is
//     filtered; user 5 is DELETED, other of 10 is 1; students 12 (101 as a
//     number, 09:59:59.999) and 13 (102) make A of 09 3; DMX王 is no DM_
//     account: C of 10.
//
// It runs twice: straight, and restarted after every batch (restored from
// the changelog, the lookup cache cold). Between batches the dictionary's
// changes reach the table, as the registration-level sink writes them, so
// both runs see the same levels.
func TestHourlyRegistrationsGolden(t *testing.T) {
	want := readExpected(t)
	batches := readInput(t)
	if problems := Plugin.ValidateConfig(job6Join); len(problems) > 0 {
		t.Fatalf("the join config: %v", problems)
	}
	for _, restart := range []bool{false, true} {
		t.Run(fmt.Sprintf("restart=%v", restart), func(t *testing.T) {
			db := newDB(t)
			loadDictionary(t, db)
			cfg := maps.Clone(job6Join)
			h := newLookupHarness(t, db, cfg, 2)
			a := newAggregator(t, job6Aggregate)
			var got []string
			for i, batch := range batches {
				h.pipe(a, batch...)
				got = append(got, fmt.Sprintf("# after batch %d", i+1))
				got = append(got, a.results()...)
				for _, r := range batch {
					if r.Topic == "dwd.channel_name_dictionary" {
						sinkDictionary(t, db, r)
					}
				}
				if restart {
					h.start()
				}
			}
			if g, w := strings.Join(got, "\n"), strings.Join(want, "\n"); g != w {
				t.Fatalf("results\n%s\nwant\n%s", g, w)
			}
			faults := h.faultTexts()
			if len(faults) != 2 || !strings.Contains(faults[0], "unexpected end") || !strings.Contains(faults[1], `"yesterday" is not a long`) {
				t.Fatalf("faults %q, want the malformed student and the user whose register time is no number", faults)
			}
		})
	}
}

// readInput reads the batches of the golden input: each line a record,
// {"topic","partition","key","value"} (a key that is a JSON string is its
// text, as the dictionary's rowkey; any other key is its JSON; a null value
// is a tombstone) or with "raw" for a value that is not JSON.
func readInput(t *testing.T) [][]sdk.Record {
	t.Helper()
	data, err := os.ReadFile("testdata/hourly-registrations.input.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var batches [][]sdk.Record
	for n, block := range strings.Split(strings.TrimSpace(string(data)), "\n\n") {
		var batch []sdk.Record
		for i, line := range strings.Split(block, "\n") {
			var l struct {
				Topic     string
				Partition int32
				Key       json.RawMessage
				Value     json.RawMessage
				Raw       *string
			}
			if err := json.Unmarshal([]byte(line), &l); err != nil {
				t.Fatalf("batch %d line %d: %v", n+1, i+1, err)
			}
			r := sdk.Record{Topic: l.Topic, Partition: l.Partition, Offset: int64(len(batch))}
			var text string
			if json.Unmarshal(l.Key, &text) == nil {
				r.Key = []byte(text)
			} else {
				r.Key = bytes.Clone(l.Key)
			}
			switch {
			case l.Raw != nil:
				r.Value = []byte(*l.Raw)
			case string(l.Value) != "null":
				r.Value = bytes.Clone(l.Value)
			}
			batch = append(batch, r)
		}
		batches = append(batches, batch)
	}
	return batches
}

func readExpected(t *testing.T) []string {
	t.Helper()
	f, err := os.Open("testdata/hourly-registrations.expected.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lines []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		if line := s.Text(); line != "" && (!strings.HasPrefix(line, "#") || strings.HasPrefix(line, "# after batch")) {
			lines = append(lines, line)
		}
	}
	return lines
}

// loadDictionary creates channel_name_dictionary as registration-level's
// sink does and loads testdata/channel_name_dictionary.jsonl into it.
func loadDictionary(t *testing.T, db *testDB) {
	t.Helper()
	db.exec(t, `CREATE TABLE channel_name_dictionary (rowkey text NOT NULL PRIMARY KEY, id text, chinese_name text,
		english_name text, level text, pid text, create_time text, update_time text, dept_id text)`)
	data, err := os.ReadFile("testdata/channel_name_dictionary.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		var row map[string]*string
		if err := json.Unmarshal([]byte(line), &row); err != nil {
			t.Fatal(err)
		}
		if row["rowkey"] == nil || row["id"] == nil || rowkey(atoi(t, *row["id"])) != *row["rowkey"] {
			t.Fatalf("dictionary row %s: rowkey is not md5(id)", line)
		}
		db.exec(t, `INSERT INTO channel_name_dictionary (rowkey, id, chinese_name, level) VALUES ($1, $2, $3, $4)`,
			row["rowkey"], row["id"], row["chinese_name"], row["level"])
	}
}

// sinkDictionary writes a record of dwd.channel_name_dictionary to the
// table, as the registration-level sink does.
func sinkDictionary(t *testing.T, db *testDB, r sdk.Record) {
	t.Helper()
	if r.Value == nil {
		db.exec(t, `DELETE FROM channel_name_dictionary WHERE rowkey = $1`, string(r.Key))
		return
	}
	var row map[string]*string
	if err := json.Unmarshal(r.Value, &row); err != nil {
		t.Fatal(err)
	}
	db.exec(t, `INSERT INTO channel_name_dictionary (rowkey, id, chinese_name, level) VALUES ($1, $2, $3, $4)
		ON CONFLICT (rowkey) DO UPDATE SET id = excluded.id, chinese_name = excluded.chinese_name, level = excluded.level`,
		string(r.Key), row["id"], row["chinese_name"], row["level"])
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatal(err)
	}
	return n
}
