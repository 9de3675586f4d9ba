package expr_test

import (
	"fmt"

	"github.com/tributarydata/tributary/transforms/expr"
	"github.com/tributarydata/tributary/transforms/value"
)

func ExampleParseAssignments() {
	list, err := expr.ParseAssignments(`user_id = coalesce(user_id, -1), event = concat(event, '_AUDIO_STATE'),
		level = CASE WHEN level IN ('A','B','C','D') THEN level ELSE 'other' END,
		attribution_time = date_format(confirm_date_time, 'yyyy-MM-dd'), rowkey = md5(channel_id)`)
	if err != nil {
		panic(err)
	}
	var r value.Row
	r.Append("user_id", value.Value{}) // null
	r.Append("event", value.OfString("JOIN"))
	r.Append("level", value.OfString("E"))
	r.Append("confirm_date_time", value.OfString("2021-03-01 23:30:00"))
	r.Append("channel_id", value.OfInt(7))
	var s expr.Scratch // one per goroutine, reused from record to record
	for _, a := range list {
		v, err := a.Value.Eval(&r, &s)
		if err != nil {
			panic(err)
		}
		r.Set(a.Field, v) // later assignments see this one
		fmt.Println(a)
	}
	fmt.Println(string(r.AppendJSON(nil)))

	_, err = expr.ParseValue(`cast(date_format(t, 'yyyyMMddHH') as bigint`)
	fmt.Println(err)
	// Output:
	// user_id = coalesce(user_id, -1)
	// event = concat(event, '_AUDIO_STATE')
	// level = case when level in ('A', 'B', 'C', 'D') then level else 'other' end
	// attribution_time = date_format(confirm_date_time, 'yyyy-MM-dd')
	// rowkey = md5(channel_id)
	// {"user_id":-1,"event":"JOIN_AUDIO_STATE","level":"other","confirm_date_time":"2021-03-01 23:30:00","channel_id":7,"attribution_time":"2021-03-01","rowkey":"8f14e45fceea167a5a36dedd4bea2543"}
	// at 44: expected ")" after the type of cast, found end of input
}
