package gen

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tributarydata/tributary/deployments/local"
)

// TestDatabaseRows writes six simulated hours of registrations and orders
// into a real MariaDB with the schema of deployments/local/school.sql, and
// checks that the rows landed as the report says, with simulated times:
// registrations at their times, moved students, test accounts, users not
// NORMAL, channels of every kind, orders through 1 → 3 → 4 and 1 → 2. A
// second run with the same seed and start against the same data must not
// collide with the first: its ids start after the first's.
func TestDatabaseRows(t *testing.T) {
	if testing.Short() {
		t.Skip("starts MariaDB")
	}
	ctx := context.Background()
	my, err := local.StartMariaDB(ctx, local.MariaDBOptions{Dir: filepath.Join(t.TempDir(), "mariadb")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(my.Stop)
	schema, err := os.ReadFile(filepath.Join("..", "..", "local", "school.sql"))
	if err != nil {
		t.Fatal(err)
	}
	if err := my.ExecRoot(ctx, string(schema)); err != nil {
		t.Fatal(err)
	}
	query := func(sql string) []string {
		t.Helper()
		out, err := my.QueryRoot(ctx, "SET NAMES utf8mb4; "+sql)
		if err != nil {
			t.Fatal(err)
		}
		return strings.Split(strings.TrimSpace(out), "\n")
	}
	number := func(sql string) int64 {
		t.Helper()
		rows := query(sql)
		n, err := strconv.ParseInt(rows[0], 10, 64)
		if err != nil {
			t.Fatalf("%s: %q", sql, rows)
		}
		return n
	}

	cfg := smallDay()
	cfg.Duration = 6 * time.Hour
	cfg.Classrooms, cfg.RecordedSessions = 1, 1
	run := func() (Report, *capture) {
		t.Helper()
		db, err := OpenDatabase(ctx, my.Addr(), my.User, my.Password)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		run := cfg
		if run.FirstStudentID, err = db.NextStudentID(ctx); err != nil {
			t.Fatal(err)
		}
		rows := &capture{}
		r, err := Run(ctx, run, &capture{}, tappedRows{db, rows}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !r.Complete {
			t.Fatalf("the run stopped at %s", r.Reached)
		}
		return r, rows
	}

	r1, rows := run()
	if r1.Rows["register"] < 3000 || r1.Students == nil {
		t.Fatalf("%d registrations in six hours, want about 3600", r1.Rows["register"])
	}
	if got := number("SELECT COUNT(*) FROM uc_account.student"); got != r1.Rows["register"] {
		t.Errorf("%d students, the report says %d", got, r1.Rows["register"])
	}
	if got := query("SELECT MIN(id), MAX(id) FROM uc_account.user")[0]; got != fmt.Sprintf("%d\t%d", r1.Students.First, r1.Students.Last) {
		t.Errorf("user ids %s, the report says %+v", got, r1.Students)
	}
	// Every registration at its simulated time, to the millisecond.
	want := map[string]string{}
	for _, row := range rows.rows {
		if row.Op == OpRegister {
			want[strconv.FormatInt(row.StudentID, 10)] = row.At.UTC().Format("2006-01-02 15:04:05.000")
		}
	}
	for _, line := range query("SELECT u.id, DATE_FORMAT(u.register_date_time, '%Y-%m-%d %H:%i:%s.%f'), DATE_FORMAT(s.update_time, '%Y-%m-%d %H:%i:%s.%f') " +
		"FROM uc_account.user u JOIN uc_account.student s USING (id)") {
		f := strings.Split(line, "\t")
		if w := want[f[0]]; f[1][:23] != w {
			t.Fatalf("user %s registered at %s, the generator said %s", f[0], f[1], w)
		}
	}
	end := cfg.Start.Add(cfg.Duration).UTC().Format("2006-01-02 15:04:05.000")
	start := cfg.Start.UTC().Format("2006-01-02 15:04:05.000")
	if n := number(fmt.Sprintf("SELECT COUNT(*) FROM uc_account.user WHERE register_date_time <= '%s' OR register_date_time > '%s'", start, end)); n != 0 {
		t.Errorf("%d users registered outside the simulated day", n)
	}
	moved := number("SELECT COUNT(*) FROM uc_account.student s JOIN uc_account.user u USING (id) WHERE s.update_time > u.register_date_time")
	if moved == 0 || moved != r1.Rows["change_channel"] {
		t.Errorf("%d students moved channel after registering, the report says %d", moved, r1.Rows["change_channel"])
	}
	for what, sql := range map[string]string{
		"test accounts":      "SELECT COUNT(*) FROM uc_account.user WHERE BINARY name LIKE '%测试%' OR BINARY name LIKE 'DM\\_%' OR BINARY name LIKE '%test%'",
		"users not NORMAL":   "SELECT COUNT(*) FROM uc_account.user WHERE BINARY status <> 'NORMAL'",
		"NULL channels":      "SELECT COUNT(*) FROM uc_account.student WHERE channel_id IS NULL",
		"unknown channels":   "SELECT COUNT(*) FROM uc_account.student WHERE channel_id IN ('404', 'partner-x')",
		"other levels":       "SELECT COUNT(*) FROM uc_account.student WHERE channel_id IN ('9', '10', '11')",
		"levels A to D":      "SELECT COUNT(DISTINCT channel_id) FROM uc_account.student WHERE channel_id IN ('1', '2', '3', '4', 'web-1', 'web-2', 'app-3', 'app-4')",
		"normal students":    "SELECT COUNT(*) FROM uc_account.user WHERE BINARY status = 'NORMAL' AND name NOT LIKE '%test%'",
		"unpaid orders":      "SELECT COUNT(*) FROM crm.data_pack_order_info WHERE status = 1",
		"consultants":        "SELECT COUNT(DISTINCT cc_id) FROM crm.data_pack_order_info WHERE status = 3",
		"orders of students": fmt.Sprintf("SELECT COUNT(*) FROM crm.data_pack_order_info WHERE student_id BETWEEN %d AND %d", r1.Students.First, r1.Students.Last),
	} {
		if n := number(sql); n == 0 {
			t.Errorf("no %s", what)
		}
	}

	// Orders: every transition the report counts, in the table.
	for what, c := range map[string]struct {
		sql  string
		want int64
	}{
		"orders":                  {"SELECT COUNT(*) FROM crm.data_pack_order_info", r1.Rows["create_order"]},
		"confirmed (3, or 4 now)": {"SELECT COUNT(*) FROM crm.data_pack_order_info WHERE status IN (3, 4) AND confirm_date_time > create_time", r1.Rows["confirm_order"]},
		"refunded":                {"SELECT COUNT(*) FROM crm.data_pack_order_info WHERE status = 4 AND apply_refund_date > confirm_date_time", r1.Rows["refund_order"]},
		"cancelled":               {"SELECT COUNT(*) FROM crm.data_pack_order_info WHERE status = 2 AND canceled_date_time > create_time AND confirm_date_time IS NULL", r1.Rows["cancel_order"]},
	} {
		if got := number(c.sql); got != c.want || got == 0 {
			t.Errorf("%s: %d in the table, the report says %d", what, got, c.want)
		}
	}
	if n := number(fmt.Sprintf("SELECT COUNT(*) FROM crm.data_pack_order_info WHERE create_time <= '%s' OR update_time > '%s' OR confirm_date_time > '%s'", start, end, end)); n != 0 {
		t.Errorf("%d orders with times outside the simulated day", n)
	}

	// The same day again, on the data of the first.
	r2, _ := run()
	if r2.Students.First != r1.Students.Last+1 || r2.Rows["register"] != r1.Rows["register"] {
		t.Errorf("the second run registered %+v (%d), the first %+v (%d)", r2.Students, r2.Rows["register"], r1.Students, r1.Rows["register"])
	}
	if got := number("SELECT COUNT(*) FROM uc_account.student"); got != 2*r1.Rows["register"] {
		t.Errorf("%d students after two runs, want %d", got, 2*r1.Rows["register"])
	}
	if got := number("SELECT COUNT(*) FROM crm.data_pack_order_info WHERE status IN (3, 4)"); got != r1.Rows["confirm_order"]+r2.Rows["confirm_order"] {
		t.Errorf("%d confirmed orders after two runs, want %d", got, r1.Rows["confirm_order"]+r2.Rows["confirm_order"])
	}
}

// tappedRows writes to a RowSink and keeps what it committed.
type tappedRows struct {
	RowSink
	kept *capture
}

func (t tappedRows) Write(ctx context.Context, rows []Row) error {
	if err := t.RowSink.Write(ctx, rows); err != nil {
		return err
	}
	return t.kept.Write(ctx, rows)
}
