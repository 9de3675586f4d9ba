package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCCDailyFromBinlogExact runs job 7 as its pipeline file says — CDC of
// crm.data_pack_order_info, latest by order id, the count of confirmed
// orders per day and consultant, the rds sink — while orders are created,
// confirmed, refunded, handed to other consultants, re-dated and deleted
// in MariaDB, SIGKILLs `tributary dev` in the middle, restarts it, and
// requires staff_index to equal the same count computed by MariaDB over
// the orders table itself: every change reached the count exactly once,
// and counts that went down (or to nothing) went down in the table too.
func TestCCDailyFromBinlogExact(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end crash test")
	}
	ctx := context.Background()
	dir := t.TempDir()
	my := startMariaDB(ctx, t, dir)
	loadSchoolSchema(ctx, t, my)
	data := filepath.Join(dir, "data")
	restPort, brokerPort := freePort(t), freePort(t)
	dev := startDev(t, data, restPort, brokerPort)
	// Three partitions each, so that orders and groups spread over both
	// tasks of each stage and a group's changes must find their task.
	createTopic(t, dev.broker, "edu.crm.data_pack_order_info", 3)
	createTopic(t, dev.broker, "dwd.data_pack_order_latest", 3)

	env := map[string]string{
		"MYSQL_HOST": "127.0.0.1", "MYSQL_PORT": fmt.Sprint(my.Port), "MYSQL_USER": my.User, "MYSQL_PASSWORD": my.Password,
		"RDS_URL": fmt.Sprintf("%s:%s@tcp(%s)/results", my.User, my.Password, my.Addr()),
	}
	applyPipeline(ctx, t, dev, "cc-daily.json", env)

	rng := rand.New(rand.NewPCG(7, 11))
	changeOrders := func(rounds int) {
		t.Helper()
		for range rounds {
			if err := my.ExecRoot(ctx, orderChanges(rng, 25)); err != nil {
				t.Fatal(err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	recomputed := func() []string {
		out, err := my.QueryRoot(ctx, `SELECT cc_id, count(*), 1, DATE_FORMAT(confirm_date_time, '%Y-%m-%d') FROM crm.data_pack_order_info
			WHERE status = 3 AND confirm_date_time IS NOT NULL AND cc_id IS NOT NULL GROUP BY 4, 1 ORDER BY 4, 1`)
		if err != nil {
			t.Fatal(err)
		}
		return lines(out)
	}
	table := func() []string {
		out, _ := my.QueryRoot(ctx, "SELECT cc_id, cc_index, type, attribution_time FROM results.staff_index ORDER BY attribution_time, cc_id")
		return lines(out)
	}

	changeOrders(40)
	eventually(t, 90*time.Second, "counts reach staff_index before the kill", func() (bool, string) {
		n := len(table())
		return n >= 10, fmt.Sprintf("%d rows", n)
	})
	changeOrders(10) // under way when the worker dies
	dev.kill(syscall.SIGKILL)
	t.Logf("SIGKILL with %d rows in staff_index", len(table()))
	changeOrders(20) // while no worker runs: the binlog keeps them

	startDev(t, data, restPort, brokerPort) // stopped by its cleanup
	changeOrders(30)
	want := recomputed()
	if len(want) < 20 {
		t.Fatalf("only %d groups in the recomputation: the workload proves little", len(want))
	}
	eventually(t, 120*time.Second, "staff_index equals MariaDB's own count over the orders", func() (bool, string) {
		got := table()
		if slices.Equal(got, want) {
			return true, ""
		}
		return false, fmt.Sprintf("%d rows, want %d; first difference: %s", len(got), len(want), firstDifference(got, want))
	})
}

// orderChanges writes n random changes to the orders: new orders (some
// confirmed, some without a consultant), status moves 1 → 3 → 4 and back,
// hand-overs to another consultant, confirmations moved across days, and
// deletes.
func orderChanges(rng *rand.Rand, n int) string {
	var b strings.Builder
	day := func() string {
		return fmt.Sprintf("'2024-01-%02d %02d:%02d:00.%03d'", 14+rng.IntN(3), rng.IntN(24), rng.IntN(60), rng.IntN(1000))
	}
	pick := "(SELECT id FROM (SELECT id FROM crm.data_pack_order_info ORDER BY RAND() LIMIT 1) AS one)"
	for range n {
		switch k := rng.IntN(10); {
		case k < 4:
			cc := fmt.Sprint(1 + rng.IntN(12))
			if rng.IntN(15) == 0 {
				cc = "NULL"
			}
			confirm, status := "NULL", 1
			if rng.IntN(2) == 0 {
				confirm, status = day(), 3
			}
			fmt.Fprintf(&b, "INSERT INTO crm.data_pack_order_info (cc_id, student_id, confirm_date_time, status) VALUES (%s, %d, %s, %d);",
				cc, rng.IntN(5000), confirm, status)
		case k < 7:
			fmt.Fprintf(&b, "UPDATE crm.data_pack_order_info SET status = %d, confirm_date_time = COALESCE(confirm_date_time, %s) WHERE id = %s;",
				[]int{1, 3, 3, 4}[rng.IntN(4)], day(), pick)
		case k < 8:
			fmt.Fprintf(&b, "UPDATE crm.data_pack_order_info SET cc_id = %d WHERE id = %s;", 1+rng.IntN(12), pick)
		case k < 9:
			fmt.Fprintf(&b, "UPDATE crm.data_pack_order_info SET confirm_date_time = %s WHERE id = %s;", day(), pick)
		default:
			fmt.Fprintf(&b, "DELETE FROM crm.data_pack_order_info WHERE id = %s;", pick)
		}
	}
	return b.String()
}

// firstDifference names the first line where got and want differ.
func firstDifference(got, want []string) string {
	for i := range max(len(got), len(want)) {
		g, w := "<none>", "<none>"
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			return fmt.Sprintf("got %q, want %q", g, w)
		}
	}
	return "none"
}
