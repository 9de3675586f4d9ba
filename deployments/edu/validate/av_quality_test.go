package validate

import (
	"context"
	"testing"
	"time"
)

// agora is an ods.agora_record record in the seed's shape.
func agora(user, channel, classroom any, userType, event any, audio, video any, createTime int64) obj {
	o := obj{"classroom_id": classroom, "user_type": userType, "user_id": user, "agora_channel_id": channel,
		"event": event, "messageCreateTime": createTime}
	if audio != nil {
		o["agora_audioState"] = audio
	}
	if video != nil {
		o["agora_videoState"] = video
	}
	return o
}

// avState is a dwd.av_state record as the av-quality-audio/-video chains
// write it (and the window sends it, unchanged, to late.av-quality).
func avState(user, channel int64, classroom string, uid int64, event string, value, createTime int64) obj {
	return obj{"user_id": user, "web_server_id": channel, "classroom_id": classroom, "user_type": "student",
		"extra_uid": uid, "event": event, "value": value, "messageCreateTime": createTime}
}

// avQualityBackup is job 5's input: audio and video in two windows, null
// ids, a teacher, a state JSON-encoded with numbers as strings, a late
// record (both of its states late), a record whose audio uid does not read
// (its video still counts), a negative frame count, no event.
func avQualityBackup(t *testing.T) (root string, want []Row) {
	t0 := wall(t, "2024-05-01 10:00:00").UnixMilli()
	b := newBackup(t)
	add := func(v obj) {
		b.value("ods.agora_record", 0, "", v, time.UnixMilli(v["messageCreateTime"].(int64)))
	}
	audio := func(lost, uid any) obj { return obj{"lost": lost, "uid": uid} }
	video := func(fr, uid any) obj { return obj{"fr": fr, "uid": uid} }
	add(agora(1, 100, "r1", "student", "join", audio(2, 9), video(5, 8), t0+1000))
	add(agora(1, 100, "r1", "student", "join", audio(4, 9), video(0, 8), t0+29999))
	add(agora(1, 100, "r1", "student", "join", audio(1, 9), video(3, 8), t0+30000))
	add(agora(nil, nil, nil, "student", "join", obj{"lost": 7}, video(-1, 8), t0+5000))
	add(agora(1, 100, "r1", "teacher", "join", audio(3, 9), video(3, 8), t0+6000))
	add(agora(1, 100, "r1", "student", "join", `{"lost":"6","uid":"9"}`, nil, t0+2000))
	add(agora(1, 100, "r1", "student", "join", audio(50, 9), video(50, 8), t0+3000)) // late
	add(agora(1, 100, "r1", "student", "join", audio(1, "abc"), video(2, 8), t0+4000))
	add(agora(1, 100, "r1", "student", nil, audio(1, 9), video(1, 8), t0+7000))
	// Received at 10:00, dated 25 hours later: refused as ahead of the clock.
	b.value("ods.agora_record", 0, "", agora(1, 100, "r1", "student", "join", audio(1, 9), video(1, 8), t0+25*hourMs), time.UnixMilli(t0))
	b.value("late.av-quality", 0, "", avState(1, 100, "r1", 9, "join_AUDIO_STATE", 50, t0+3000), time.UnixMilli(t0+3000))
	b.value("late.av-quality", 0, "", avState(1, 100, "r1", 8, "join_VIDEO_STATE", 50, t0+3000), time.UnixMilli(t0+3000))

	w0, w1, w2 := wall(t, "2024-05-01 10:00:00"), wall(t, "2024-05-01 10:00:30"), wall(t, "2024-05-01 10:01:00")
	want = []Row{
		{w0, int64(-1), int64(-1), "-1", "student", int64(-1), "join_AUDIO_STATE", w1, int64(7), 7.0, int64(1)},
		{w0, int64(1), int64(100), "r1", "student", int64(8), "join_VIDEO_STATE", w1, int64(7), 7.0 / 3, int64(3)},
		{w0, int64(1), int64(100), "r1", "student", int64(9), "join_AUDIO_STATE", w1, int64(12), 4.0, int64(3)},
		{w1, int64(1), int64(100), "r1", "student", int64(8), "join_VIDEO_STATE", w2, int64(3), 3.0, int64(1)},
		{w1, int64(1), int64(100), "r1", "student", int64(9), "join_AUDIO_STATE", w2, int64(1), 1.0, int64(1)},
	}
	return b.write(), want
}

func TestAVQualityRecomputed(t *testing.T) {
	job := Jobs[2]
	root, want := avQualityBackup(t)
	batch, err := Recompute(context.Background(), job, root, validationNow)
	if err != nil {
		t.Fatal(err)
	}
	checkRecomputed(t, job, batch.Rows, want)
	if batch.LateExcluded != 2 || batch.LateRecords != 2 || batch.InputRecords != 10 {
		t.Errorf("late excluded %d of %d late records, %d input records; want 2 of 2, 10", batch.LateExcluded, batch.LateRecords, batch.InputRecords)
	}
}

func TestAVQualityAgainstTable(t *testing.T) {
	root, want := avQualityBackup(t)
	checkAgainstTables(t, Jobs[2], root, want)
}
