package validate

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// ccDailyBackup is job 7's input: orders confirmed, confirmed later,
// refunded (leaving status 3), handed to another consultant, re-dated,
// deleted (with the tombstone), confirmed without a time, read again by a
// snapshot, changed by an event that does not read, and one plain JSON row.
func ccDailyBackup(t *testing.T) (root string, want []Row) {
	t0 := wall(t, "2024-05-01 10:00:00")
	b := newBackup(t)
	d1, d2 := datetimeMs(t, "2024-05-01 10:00:00"), datetimeMs(t, "2024-05-02 09:00:00")
	s := 0
	order := func(id int, op string, before, after obj) {
		s++
		b.value("edu.crm.data_pack_order_info", int32(id%2), fmt.Sprintf(`{"id":%d}`, id), envelope(op, before, after), t0.Add(time.Duration(s)*time.Second))
	}
	row := func(id, cc int, status any, confirm any) obj {
		return obj{"id": id, "cc_id": cc, "student_id": 7, "order_id": 1000 + id, "confirm_date_time": confirm,
			"create_time": d1, "update_time": d1, "status": status}
	}
	order(1, "c", nil, row(1, 100, 3, d1))
	order(2, "c", nil, row(2, 100, 1, nil))
	order(2, "u", row(2, 100, 1, nil), row(2, 100, 3, d1)) // confirmed later
	order(3, "c", nil, row(3, 100, 3, d1))
	order(3, "u", row(3, 100, 3, d1), row(3, 100, 4, d1)) // refunded
	order(4, "c", nil, row(4, 200, 3, d1))
	order(4, "u", row(4, 200, 3, d1), row(4, 300, 3, d1)) // another consultant
	order(5, "c", nil, row(5, 200, 3, d2))
	order(5, "d", row(5, 200, 3, d2), nil)
	s++
	b.add("edu.crm.data_pack_order_info", 1, []byte(`{"id":5}`), nil, t0.Add(time.Duration(s)*time.Second))
	order(6, "c", nil, row(6, 200, 3, nil)) // no confirm time
	order(7, "c", nil, row(7, 200, 3, d2))
	order(7, "r", nil, row(7, 200, 3, d2)) // a snapshot reads it again
	order(8, "c", nil, row(8, 200, 3, d1))
	order(8, "u", row(8, 200, 3, d1), row(8, 200, 3, d2)) // re-dated
	order(9, "c", nil, row(9, 400, 3, d1))
	order(9, "u", row(9, 400, 3, d1), row(9, 400, "abc", d1)) // does not read: changes nothing
	order(11, "c", nil, row(11, 100, 3, d1))
	order(11, "d", row(11, 100, 3, d1), nil) // deleted, no tombstone (tombstones.on.delete=false)
	s++
	b.value("edu.crm.data_pack_order_info", 0, `{"id":10}`, row(10, 500, "3", d1), t0.Add(time.Duration(s)*time.Second))

	want = []Row{
		{int64(100), int64(1), "2024-05-01", int64(2)},
		{int64(200), int64(1), "2024-05-02", int64(2)},
		{int64(300), int64(1), "2024-05-01", int64(1)},
		{int64(400), int64(1), "2024-05-01", int64(1)},
		{int64(500), int64(1), "2024-05-01", int64(1)},
	}
	return b.write(), want
}

func TestCCDailyRecomputed(t *testing.T) {
	job := Jobs[4]
	root, want := ccDailyBackup(t)
	batch, err := Recompute(context.Background(), job, root, validationNow)
	if err != nil {
		t.Fatal(err)
	}
	checkRecomputed(t, job, batch.Rows, want)
	if batch.InputRecords != 20 {
		t.Errorf("%d input records, want 20", batch.InputRecords)
	}
}

func TestCCDailyAgainstTable(t *testing.T) {
	root, want := ccDailyBackup(t)
	checkAgainstTables(t, Jobs[4], root, want)
}
