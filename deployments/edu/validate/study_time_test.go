package validate

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

// qos is an ods.qos_log record in the seed's shape; extra is an object, or
// a JSON-encoded string of one when encoded.
func qos(user any, classroom, subEvent string, eventTime int64, dataTime any, encoded bool) obj {
	var extra any = obj{"data_time": dataTime, "msg": obj{"pptIndex": 1}}
	if encoded {
		extra = string(jsonBytesOf(extra))
	}
	return obj{"classroom_id": classroom, "user_type": "student", "user_id": user, "event_time": eventTime,
		"sub_event": subEvent, "extra": extra}
}

// studyTimeBackup is job 4's input: plays out of order, a late play that
// would otherwise be the earliest, a duplicated success, a success with
// nothing in the 6 hours before it, a play not read (a fractional time), a
// duplicated play late once, extra JSON-encoded and a user id as a string.
func studyTimeBackup(t *testing.T) (root string, want []Row) {
	t0 := wall(t, "2024-05-01 10:00:00").UnixMilli()
	b := newBackup(t)
	at := int64(0)
	add := func(p int32, v obj) {
		at++
		b.value("ods.qos_log", p, "", v, time.UnixMilli(t0+at*1000))
	}
	late := qos(1, "c1", "PPT_PLAY", t0+1000, t0+1000, false)
	success := qos(1, "c1", "PPT_SUCCESS", t0+60000, t0+60000, false)
	twice := qos(4, "c4", "PPT_PLAY", t0+100, t0+100, false)
	add(0, qos(1, "c1", "PPT_PLAY", t0+10000, t0+10000, false))
	add(0, qos(1, "c1", "PPT_PLAY", t0+5000, t0+5000, false)) // out of order: the earliest
	add(0, success)                                           // 60000 - 5000
	add(0, late)                                              // too late to count
	add(0, success)                                           // the same row again
	add(0, qos(1, "c1", "PPT_PLAY", t0+2*hourMs, t0+2*hourMs, false))
	add(0, qos(1, "c1", "PPT_SUCCESS", t0+7*hourMs, t0+7*hourMs, false)) // 6 h back reaches the play at 2 h only
	add(0, qos(1, "c9", "PPT_SUCCESS", t0+500, t0+500, false))           // nothing before it
	add(0, qos(3, "c3", "PPT_PLAY", t0+400, fmt.Sprintf("%d.5", t0+400), false))
	add(0, qos(3, "c3", "PPT_SUCCESS", t0+500, t0+500, false)) // its only play is not a long
	add(0, twice)
	add(0, twice) // one copy on time, one late
	add(0, qos(4, "c4", "PPT_SUCCESS", t0+200, t0+200, false))
	add(1, qos("2", "c2", "PPT_PLAY", t0+100, t0+100, true))
	add(1, qos("2", "c2", "PPT_SUCCESS", t0+900, fmt.Sprint(t0+900), true))
	// Received at 10:00:14, a play dated 25 hours later is refused as ahead
	// of the clock; the success after it, received a day later, is not.
	add(0, qos(5, "c5", "PPT_PLAY", t0+25*hourMs, t0+25*hourMs, false))
	b.value("ods.qos_log", 0, "", qos(5, "c5", "PPT_SUCCESS", t0+25*hourMs+500, t0+25*hourMs+500, false), time.UnixMilli(t0+24*hourMs))
	b.value("late.study-time", 0, "", late, time.UnixMilli(t0+hourMs))
	b.value("late.study-time", 0, "", twice, time.UnixMilli(t0+hourMs))

	want = []Row{
		{int64(1), "c1", time.UnixMilli(t0 + 60000).In(shanghai), "student", int64(55000)},
		{int64(1), "c1", time.UnixMilli(t0 + 7*hourMs).In(shanghai), "student", int64(5 * hourMs)},
		{int64(2), "c2", time.UnixMilli(t0 + 900).In(shanghai), "student", int64(800)},
		{int64(4), "c4", time.UnixMilli(t0 + 200).In(shanghai), "student", int64(100)},
	}
	return b.write(), want
}

const hourMs = int64(time.Hour / time.Millisecond)

func jsonBytesOf(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func TestStudyTimeRecomputed(t *testing.T) {
	job := Jobs[1]
	root, want := studyTimeBackup(t)
	batch, err := Recompute(context.Background(), job, root, validationNow)
	if err != nil {
		t.Fatal(err)
	}
	checkRecomputed(t, job, batch.Rows, want)
	if batch.LateExcluded != 2 || batch.LateRecords != 2 || batch.InputRecords != 17 {
		t.Errorf("late excluded %d of %d late records, %d input records; want 2 of 2, 17", batch.LateExcluded, batch.LateRecords, batch.InputRecords)
	}
}

func TestStudyTimeAgainstTable(t *testing.T) {
	root, want := studyTimeBackup(t)
	checkAgainstTables(t, Jobs[1], root, want)
}
