package edu

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// Events are the seven classroom events the signal ETL classifies.
var Events = []string{"STUDENT_MOVE_PICTURE", "STUDENT_HOVER_PICTURE", "STUDENT_LINE_DRAW", "STUDENT_AUDIO_PLAY",
	"STUDENT_AUDIO_PAUSE", "STUDENT_MATCH_WRONG", "STUDENT_MATCH_CORRECT"}

// StudentSignals makes n dwd.student_signal records as the signal ETL
// writes them, for the classroom-performance window: perWindow of them per
// minute of event time, up to 2 s out of order, over about keys distinct
// (user, room, role, event) groups, in batches of batch records.
func StudentSignals(n, perWindow, keys, batch int) [][]sdk.Record {
	rng := rand.New(rand.NewPCG(3, 5))
	base := time.Date(2021, 3, 1, 10, 0, 0, 0, time.UTC).UnixMilli()
	users := max(1, keys/len(Events))
	var out [][]sdk.Record
	for done := 0; done < n; done += batch {
		b := make([]sdk.Record, min(batch, n-done))
		for i := range b {
			k := done + i
			user := 100000 + rng.IntN(users)
			ts := base + int64(k)*60000/int64(perWindow) - int64(rng.IntN(2000))
			v := fmt.Appendf(nil, `{"messageCreateTime":"2021-03-01 10:00:00","timeStamp":%d,"messageTimeStamp":"2021-03-01 10:00:00.123","userId":%d,"roomId":%d,"role":2,"msgId":305,"msgType":116,"targetId":"match","targetType":"template","action":"match","subAction":"drop:wrong","pageIndex":3,"event":%q}`,
				ts, user, 2000+user%50, Events[rng.IntN(len(Events))])
			b[i] = sdk.Record{Topic: "dwd.student_signal", Offset: int64(k), Value: v}
		}
		out = append(out, b)
	}
	return out
}
