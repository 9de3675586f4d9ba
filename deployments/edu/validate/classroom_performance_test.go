package validate

import (
	"context"
	"testing"
	"time"
)

// signal is a dwd.student_signal record as the signal ETL (job 1) writes
// it; timeStamp is the event time.
func signal(user, room, role any, event string, timeStamp any) obj {
	return obj{
		"messageCreateTime": "2024-05-01 10:00:00", "timeStamp": timeStamp, "messageTimeStamp": "2024-05-01 10:00:00.000",
		"userId": user, "roomId": room, "role": role, "msgId": 305, "msgType": 116, "targetId": "t1",
		"targetType": "shape", "action": "move", "subAction": nil, "pageIndex": 3, "event": event,
	}
}

// classroomBackup is job 3's input: out-of-order events, a duplicate, a
// late record, an event duplicated and late once, ids as strings, a null
// id, a time that does not read and one a year ahead.
func classroomBackup(t *testing.T) (root string, want []Row) {
	m := wall(t, "2024-05-01 10:00:00").UnixMilli()
	b := newBackup(t)
	add := func(p int32, v obj) {
		// The ETL makes the event time the Kafka timestamp.
		ts, _ := v["timeStamp"].(int64)
		b.value("dwd.student_signal", p, "md5-of-user", v, time.UnixMilli(max(ts, m)))
	}
	late := signal(1, 10, 2, "STUDENT_MOVE_PICTURE", m+5000)
	twice := signal(2, 10, 2, "STUDENT_LINE_DRAW", m+30000)
	dup := signal(1, 10, 2, "STUDENT_MOVE_PICTURE", m+50000)
	add(0, signal(1, 10, 2, "STUDENT_MOVE_PICTURE", m+1000))
	add(0, dup)
	add(0, signal(1, 10, 2, "STUDENT_MOVE_PICTURE", m+61000))
	add(0, signal(1, 10, 2, "STUDENT_MOVE_PICTURE", m+20000)) // out of order
	add(0, dup)                                               // counted twice, as the real-time path counts it
	add(0, late)
	add(0, twice)
	add(0, twice) // one copy on time, one late
	add(0, signal("3", "10", "2", "STUDENT_MOVE_PICTURE", m+2000))
	add(0, signal(5, nil, 2, "STUDENT_MOVE_PICTURE", m+3000))           // no room: not counted
	add(0, signal(6, 10, 2, "STUDENT_MOVE_PICTURE", "1714528801000.5")) // not a long: dead-lettered
	add(0, signal(7, 10, 2, "STUDENT_MOVE_PICTURE", validationNow.Add(48*time.Hour).UnixMilli()))
	add(1, signal(4, 11, 2, "STUDENT_HOVER_PICTURE", m+59999))
	add(1, signal(4, 11, 2, "STUDENT_HOVER_PICTURE", m+60000))
	b.value("late.classroom-performance", 0, "md5-of-user", late, time.UnixMilli(m+5000))
	b.value("late.classroom-performance", 0, "md5-of-user", twice, time.UnixMilli(m+30000))

	w0, w1, w2 := wall(t, "2024-05-01 10:00:00"), wall(t, "2024-05-01 10:01:00"), wall(t, "2024-05-01 10:02:00")
	want = []Row{
		{w0, int64(10), int64(1), int64(2), "STUDENT_MOVE_PICTURE", w1, int64(4)},
		{w0, int64(10), int64(2), int64(2), "STUDENT_LINE_DRAW", w1, int64(1)},
		{w0, int64(10), int64(3), int64(2), "STUDENT_MOVE_PICTURE", w1, int64(1)},
		{w0, int64(11), int64(4), int64(2), "STUDENT_HOVER_PICTURE", w1, int64(1)},
		{w1, int64(10), int64(1), int64(2), "STUDENT_MOVE_PICTURE", w2, int64(1)},
		{w1, int64(11), int64(4), int64(2), "STUDENT_HOVER_PICTURE", w2, int64(1)},
	}
	return b.write(), want
}

func TestClassroomPerformanceRecomputed(t *testing.T) {
	job := Jobs[0]
	root, want := classroomBackup(t)
	batch, err := Recompute(context.Background(), job, root, validationNow)
	if err != nil {
		t.Fatal(err)
	}
	checkRecomputed(t, job, batch.Rows, want)
	if batch.LateExcluded != 2 || batch.LateRecords != 2 || batch.InputRecords != 14 {
		t.Errorf("late excluded %d of %d late records, %d input records; want 2 of 2, 14", batch.LateExcluded, batch.LateRecords, batch.InputRecords)
	}
}

func TestClassroomPerformanceAgainstTable(t *testing.T) {
	root, want := classroomBackup(t)
	checkAgainstTables(t, Jobs[0], root, want)
}
