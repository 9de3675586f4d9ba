package e2e

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"maps"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// registrationChannels is the channel dimension of the test: channel id →
// level, nil for a row whose level is NULL. Levels A to D count as
// themselves; lower case, other letters, the empty string and NULL are
// 'other', and so are the channels of registrationMissingChannels, which
// the dictionary does not hold, and students without a channel.
var registrationChannels = map[string]*string{
	"1": regLevel("A"), "2": regLevel("B"), "3": regLevel("C"), "4": regLevel("D"),
	"5": regLevel("A"), "6": regLevel("B"), "7": regLevel("C"), "8": regLevel("D"),
	"web-1": regLevel("A"), "app-2": regLevel("D"),
	"9": regLevel("E"), "10": regLevel("F"), "11": regLevel("a"), "12": regLevel(""), "13": nil, "14": regLevel("other"),
}

var registrationMissingChannels = []string{"15", "16", "17", "web-9"}

func regLevel(s string) *string { return &s }

// TestHourlyRegistrationsFromBinlogExact runs job 6 as its pipeline file
// says with ES_URL unset — CDC of uc_account.student and uc_account.user,
// the join (latest row of each by id, left join, the seed's filter, level
// looked up in channel_name_dictionary by md5(channel_id)), count of
// distinct students per hour and level, the hologres sink into
// PostgreSQL's vk_app_es_sign_csh — while students and users are created,
// moved to other channels, renamed into and out of test accounts, frozen
// and unfrozen, re-dated into other hours and deleted in MariaDB. It
// SIGKILLs `tributary dev` in the middle, restarts it, and requires
// vk_app_es_sign_csh to equal the count MariaDB computes over the final
// tables itself: groups that went down went down in the table too, and
// groups that emptied are gone from it.
func TestHourlyRegistrationsFromBinlogExact(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end crash test")
	}
	ctx := context.Background()
	dir := t.TempDir()
	pg := startPostgres(ctx, t, dir)
	my := startMariaDB(ctx, t, dir)
	loadSchoolSchema(ctx, t, my)

	// The dictionary as the registration-level job's hologres sink leaves
	// it (rowkey = md5(id)), in place before the join looks anything up;
	// and the same channels by plain id in MariaDB, outside the captured
	// database, for the recomputation.
	var dict, mirror strings.Builder
	dict.WriteString(`CREATE TABLE channel_name_dictionary (rowkey text NOT NULL PRIMARY KEY, id text, chinese_name text,
		english_name text, level text, pid text, create_time text, update_time text, dept_id text);`)
	mirror.WriteString("SET NAMES utf8mb4; CREATE DATABASE e2e; CREATE TABLE e2e.channel_level (channel_id VARCHAR(64) PRIMARY KEY, level VARCHAR(16)) DEFAULT CHARSET = utf8mb4;")
	for id, level := range registrationChannels {
		sum := md5.Sum([]byte(id))
		lv := "NULL"
		if level != nil {
			lv = "'" + *level + "'"
		}
		fmt.Fprintf(&dict, "INSERT INTO channel_name_dictionary (rowkey, id, chinese_name, english_name, level, pid, create_time, update_time, dept_id) VALUES ('%s', '%s', '渠道%s', 'channel %s', %s, '0', '2024-01-01 00:00:00', '2024-01-01 00:00:00', '1');",
			hex.EncodeToString(sum[:]), id, id, id, lv)
		fmt.Fprintf(&mirror, "INSERT INTO e2e.channel_level VALUES ('%s', %s);", id, lv)
	}
	if err := pg.Exec(ctx, dict.String()); err != nil {
		t.Fatal(err)
	}
	if err := my.ExecRoot(ctx, mirror.String()); err != nil {
		t.Fatal(err)
	}

	data := filepath.Join(dir, "data")
	restPort, brokerPort := freePort(t), freePort(t)
	dev := startDev(t, data, restPort, brokerPort)
	// Three partitions each: the two CDC topics are keyed by id alike, so a
	// student and its user meet in one partition number.
	for _, topic := range []string{"edu.uc_account.student", "edu.uc_account.user", "dwd.channel_name_dictionary", "dwd.registration_leads"} {
		createTopic(t, dev.broker, topic, 3)
	}

	env := map[string]string{
		"MYSQL_HOST": "127.0.0.1", "MYSQL_PORT": fmt.Sprint(my.Port), "MYSQL_USER": my.User, "MYSQL_PASSWORD": my.Password,
		"SERVING_URL": pg.URL(),
	}
	conns := applyPipeline(ctx, t, dev, "hourly-registrations.json", env)
	for _, conn := range conns {
		if conn.Config["connector.class"] == "tributary.sinks.elasticsearch" {
			t.Fatalf("connector %s writes to Elasticsearch with ES_URL unset", conn.Name)
		}
	}

	rng := rand.New(rand.NewPCG(6, 13))
	change := func(rounds int) {
		t.Helper()
		for range rounds {
			if err := my.ExecRoot(ctx, "SET NAMES utf8mb4;"+registrationChanges(rng, 25)); err != nil {
				t.Fatal(err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	// The seed's query over the final tables, the level from the channels
	// by plain id (not by md5, as the job looks it up); binary comparisons,
	// as the job's LIKE, IN and = are case-sensitive ('normal' is not
	// NORMAL, level 'a' is other).
	recomputed := func() []string {
		out, err := my.QueryRoot(ctx, `SET NAMES utf8mb4;
			SELECT CONCAT(reg_date, lv), reg_date, lv, COUNT(DISTINCT id) FROM (
				SELECT s.id, CAST(DATE_FORMAT(u.register_date_time, '%Y%m%d%H') AS UNSIGNED) AS reg_date,
					CASE WHEN BINARY ch.level IN (BINARY 'A', BINARY 'B', BINARY 'C', BINARY 'D') THEN ch.level ELSE 'other' END AS lv
				FROM uc_account.student s
				LEFT JOIN uc_account.user u ON u.id = s.id
				LEFT JOIN e2e.channel_level ch ON BINARY ch.channel_id = BINARY s.channel_id
				WHERE BINARY u.name NOT LIKE BINARY '%测试%' AND BINARY u.name NOT LIKE BINARY 'DM\\_%'
					AND BINARY u.name NOT LIKE BINARY '%test%' AND BINARY u.status = BINARY 'NORMAL') AS leads
			GROUP BY reg_date, lv`)
		if err != nil {
			t.Fatal(err)
		}
		rows := lines(out)
		slices.Sort(rows)
		return rows
	}
	seen := map[string]bool{} // every uk the table was seen to hold
	table := func() []string {
		out, err := pg.Query(ctx, "SELECT uk, reg_date, level, leads FROM vk_app_es_sign_csh")
		if err != nil {
			return nil
		}
		rows := lines(out)
		slices.Sort(rows)
		for _, row := range rows {
			seen[strings.Split(row, "\t")[0]] = true
		}
		return rows
	}

	change(40)
	eventually(t, 90*time.Second, "counts reach vk_app_es_sign_csh before the kill", func() (bool, string) {
		n := len(table())
		return n >= 10, fmt.Sprintf("%d rows", n)
	})
	change(10) // under way when the worker dies
	dev.kill(syscall.SIGKILL)
	t.Logf("SIGKILL with %d rows in vk_app_es_sign_csh", len(table()))
	change(20) // while no worker runs: the binlog keeps them

	dev = startDev(t, data, restPort, brokerPort)
	change(30)
	want := recomputed()
	if len(want) < 20 {
		t.Fatalf("only %d groups in the recomputation: the workload proves little", len(want))
	}
	levels := map[string]bool{}
	for _, row := range want {
		levels[strings.Split(row, "\t")[2]] = true
	}
	if len(levels) != 5 {
		t.Fatalf("the recomputation has levels %v, want A to D and other", levels)
	}
	eventually(t, 120*time.Second, "vk_app_es_sign_csh equals MariaDB's own count over the final tables", func() (bool, string) {
		got := table()
		if slices.Equal(got, want) {
			return true, ""
		}
		return false, fmt.Sprintf("%d rows, want %d; first difference: %s", len(got), len(want), firstDifference(got, want))
	})
	for _, row := range want {
		delete(seen, strings.Split(row, "\t")[0])
	}
	t.Logf("%d groups; %d more were seen in the table and are gone from it", len(want), len(seen))
	if dead := countTopic(t, dev.broker, "dlq.hourly-registrations"); dead != 0 {
		t.Errorf("%d records in dlq.hourly-registrations: every change was well-formed and every retraction had its row", dead)
	}
	// Seconds later, nothing has changed it.
	if got := table(); !slices.Equal(got, want) {
		t.Errorf("the table changed after it matched: %d rows, want %d; first difference: %s", len(got), len(want), firstDifference(got, want))
	}
}

// registrationChanges writes n random changes to students and users of ids
// 1 to 500: students created or re-created with a channel (of every level,
// missing from the dictionary, or none) or moved to another; users created
// with a name that may mark a test account (测试, DM_, test; DMa and Test
// are not), a status that may not be NORMAL and a registration time in one
// of 10 hours; users renamed, frozen and unfrozen, re-dated; students and
// users deleted.
func registrationChanges(rng *rand.Rand, n int) string {
	channels := append(slices.Sorted(maps.Keys(registrationChannels)), registrationMissingChannels...)
	channel := func() string {
		if rng.IntN(15) == 0 {
			return "NULL"
		}
		return "'" + channels[rng.IntN(len(channels))] + "'"
	}
	name := func(id int) string {
		switch rng.IntN(14) {
		case 0:
			return fmt.Sprintf("'测试%d'", id)
		case 1:
			return fmt.Sprintf("'DM_%d'", id)
		case 2:
			return fmt.Sprintf("'ztest%d'", id)
		case 3:
			return fmt.Sprintf("'DMa%d'", id) // _ is literal in 'DM\_%': counted
		case 4:
			return fmt.Sprintf("'Test %d'", id) // LIKE is case-sensitive: counted
		case 5:
			return "NULL"
		default:
			return fmt.Sprintf("'学生%d'", id)
		}
	}
	status := func() string {
		if rng.IntN(5) < 3 {
			return "'NORMAL'"
		}
		return []string{"'FROZEN'", "'DELETED'", "'normal'", "NULL"}[rng.IntN(4)]
	}
	hour := func() string {
		return fmt.Sprintf("'2024-01-15 %02d:%02d:%02d.%03d'", 8+rng.IntN(10), rng.IntN(60), rng.IntN(60), rng.IntN(1000))
	}
	var b strings.Builder
	for range n {
		id := 1 + rng.IntN(500)
		switch k := rng.IntN(20); {
		case k < 5:
			fmt.Fprintf(&b, "INSERT INTO uc_account.student (id, channel_id) VALUES (%d, %s) ON DUPLICATE KEY UPDATE channel_id = VALUES(channel_id);", id, channel())
		case k < 10:
			fmt.Fprintf(&b, "INSERT INTO uc_account.`user` (id, name, register_date_time, status) VALUES (%d, %s, %s, %s) ON DUPLICATE KEY UPDATE id = id;",
				id, name(id), hour(), status())
		case k < 12:
			fmt.Fprintf(&b, "UPDATE uc_account.student SET channel_id = %s WHERE id = %d;", channel(), id)
		case k < 14:
			fmt.Fprintf(&b, "UPDATE uc_account.`user` SET status = %s WHERE id = %d;", status(), id)
		case k < 15:
			fmt.Fprintf(&b, "UPDATE uc_account.`user` SET name = %s WHERE id = %d;", name(id), id)
		case k < 17:
			fmt.Fprintf(&b, "UPDATE uc_account.`user` SET register_date_time = %s WHERE id = %d;", hour(), id)
		case k < 18:
			fmt.Fprintf(&b, "REPLACE INTO uc_account.student (id, channel_id) VALUES (%d, %s);", id, channel())
		case k < 19:
			fmt.Fprintf(&b, "DELETE FROM uc_account.student WHERE id = %d;", id)
		default:
			fmt.Fprintf(&b, "DELETE FROM uc_account.`user` WHERE id = %d;", id)
		}
	}
	return b.String()
}
