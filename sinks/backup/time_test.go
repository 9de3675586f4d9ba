package backup

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// TestTimeSemantics: the rule of the package docs' "Time" table, in
// Asia/Shanghai. Every case is one row partitioned by the field it sets;
// its column must read back in DuckDB as want, and the row must land in the
// hour of the instant the value stands for. Digits beyond the microsecond
// are cut, toward the past.
func TestTimeSemantics(t *testing.T) {
	const cols = "ts timestamp, tstz timestamptz, day date"
	// The last second of May 1 in Shanghai, 15:59:59Z.
	const lastSecond = "1714579199000000"
	db := openDuck(t)
	for _, tc := range []struct {
		name, field, value, want, dir string
	}{
		// timestamp: a clock reading in partition.timezone.
		{"DATETIME as Debezium writes it: epoch ms of the reading as UTC", "ts", fmt.Sprint(wallMillis("2024-05-01 23:59:59")),
			"2024-05-01 23:59:59", "ds=20240501/hh=23"},
		{"timestamp text without offset is the reading", "ts", `"2024-05-01 23:59:59"`, "2024-05-01 23:59:59", "ds=20240501/hh=23"},
		{"MySQL TIMESTAMP as Debezium writes it: the instant shown in Shanghai", "ts", `"2024-05-01T15:59:59Z"`,
			"2024-05-01 23:59:59", "ds=20240501/hh=23"},
		{"timestamp text with another offset: the same instant", "ts", `"2024-05-02T00:59:59.5+09:00"`,
			"2024-05-01 23:59:59.5", "ds=20240501/hh=23"},
		{"timestamp text: nanoseconds cut to microseconds", "ts", `"2024-05-01 23:59:59.999999999"`,
			"2024-05-01 23:59:59.999999", "ds=20240501/hh=23"},
		{"timestamp before 1970: cut toward the past", "ts", `"1969-12-31 23:59:59.9999999"`,
			"1969-12-31 23:59:59.999999", "ds=19691231/hh=23"},
		// timestamptz: an instant.
		{"timestamptz epoch ms", "tstz", "1714579199000", lastSecond, "ds=20240501/hh=23"},
		{"timestamptz text with offset", "tstz", `"2024-05-01T15:59:59Z"`, lastSecond, "ds=20240501/hh=23"},
		{"timestamptz text without offset is a Shanghai reading", "tstz", `"2024-05-01 23:59:59"`, lastSecond, "ds=20240501/hh=23"},
		{"timestamptz: nanoseconds cut to microseconds", "tstz", `"2024-05-01T15:59:59.999999999Z"`, "1714579199999999", "ds=20240501/hh=23"},
		// date: a calendar day.
		{"date text", "day", `"2024-05-02"`, "2024-05-02", "ds=20240502/hh=00"},
		{"date of an instant is its day in Shanghai", "day", `"2024-05-01T16:30:00Z"`, "2024-05-02", "ds=20240502/hh=00"},
		{"date as Debezium writes it: days since 1970", "day", "19845", "2024-05-02", "ds=20240502/hh=00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			s := openSink(t, config(root, "table.schema.columns", cols, "partition.time.field", tc.field,
				"partition.timezone", "Asia/Shanghai", "success.marker.enabled", "false"), nil)
			defer s.Close()
			value := fmt.Sprintf(`{%q:%s}`, tc.field, tc.value)
			if bad := deliver(t, s, []sdk.Record{{Topic: "t", Value: []byte(value), Timestamp: time.Now()}}); bad != nil {
				t.Fatalf("%s reported bad", value)
			}
			flush(t, s)
			fs := files(t, root)
			if len(fs) != 1 || !strings.HasPrefix(fs[0], "t/"+tc.dir+"/") {
				t.Fatalf("files %v, want one in t/%s", fs, tc.dir)
			}
			sel := "CAST(" + tc.field + " AS VARCHAR)"
			if tc.field == "tstz" {
				sel = "CAST(epoch_us(tstz) AS VARCHAR)"
			}
			if got := query(t, db, "SELECT "+sel+" FROM "+scan(root, "t")); len(got) != 1 || got[0][0] != tc.want {
				t.Fatalf("%s reads back as %v, want %s", value, got, tc.want)
			}
		})
	}
}
