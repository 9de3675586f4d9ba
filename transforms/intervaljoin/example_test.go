package intervaljoin_test

import (
	"context"
	"fmt"

	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/transforms/intervaljoin"
)

// A self-join of job 4's shape: per success, its time minus the earliest
// play of the same user in the 6 hours before it; a play arriving out of
// order corrects the row under the same key.
func Example() {
	op := intervaljoin.Plugin.NewTransform()
	err := op.Open(context.Background(), sdk.Config{
		"topics": "ods.qos_log", "topic": "ads.study_time", "late.topic": "late.study_time",
		"left.fields":       "user_id:long,classroom_id:string,sub_event,data_time=extra.data_time:long",
		"right.fields":      "user_id:long,classroom_id:string,sub_event,data_time=extra.data_time:long",
		"left.key":          "user_id,classroom_id",
		"right.key":         "user_id,classroom_id",
		"left.time.field":   "data_time",
		"right.time.field":  "data_time",
		"right.where":       "sub_event = 'PPT_SUCCESS'",
		"interval.lower.ms": "-21600000", "interval.upper.ms": "-1",
		"match":                 "earliest",
		"output.fields":         "user_id = right.user_id, classroom_id = right.classroom_id, success = right.data_time",
		"output.key.fields":     "user_id,classroom_id,success",
		"time.difference.field": "spend_time",
		"allowed.lateness.ms":   "3600000",
	})
	if err != nil {
		panic(err)
	}
	qos := func(sub string, dataTime int64) sdk.Record {
		return sdk.Record{Topic: "ods.qos_log", Value: fmt.Appendf(nil,
			`{"user_id":"7","classroom_id":"c1","sub_event":%q,"extra":"{\"data_time\":\"%d\"}"}`, sub, dataTime)}
	}
	out, _ := op.Process(context.Background(), []sdk.Record{
		qos("PPT_PLAY", 1700000060000),
		qos("PPT_SUCCESS", 1700000600000),
		qos("PPT_PLAY", 1700000000000), // the first play, late but within the allowed lateness
		qos("PPT_PLAY", 1700000300000),
	})
	for _, r := range out {
		fmt.Printf("%s %s\n", r.Key, r.Value)
	}
	fmt.Println(op.(sdk.Counted).Counts()["corrected"])
	// Output:
	// [7,"c1",1700000600000] {"user_id":7,"classroom_id":"c1","success":1700000600000,"spend_time":540000}
	// [7,"c1",1700000600000] {"user_id":7,"classroom_id":"c1","success":1700000600000,"spend_time":600000}
	// 1
}
