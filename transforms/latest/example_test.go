package latest_test

import (
	"context"
	"fmt"

	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/transforms/latest"
)

// The view of job 7: the latest consultant, confirm time and status of each
// order, keyed by the day and consultant the count downstream groups by.
func Example() {
	op := latest.Plugin.NewTransform()
	err := op.Open(context.Background(), sdk.Config{
		"topic":             "dwd.cc_order_latest",
		"fields":            "id:long,cc_id:long,confirm_date_time,status:long",
		"time.fields":       "attribution_time=confirm_date_time:yyyy-MM-dd",
		"time.format":       "yyyy-MM-dd HH:mm:ss",
		"key.fields":        "id",
		"output.key.fields": "attribution_time,cc_id",
	})
	if err != nil {
		panic(err)
	}
	out, _ := op.Process(context.Background(), []sdk.Record{
		{Value: []byte(`{"id":1,"cc_id":7,"student_id":3,"confirm_date_time":"2024-01-15 10:00:00","status":1}`)},
		{Value: []byte(`{"before":null,"after":{"id":1,"cc_id":7,"confirm_date_time":"2024-01-15 10:00:00","status":3},"op":"u"}`)},
		{Value: []byte(`{"id":1,"cc_id":8,"confirm_date_time":"2024-01-15 10:00:00","status":3}`)},
	})
	for _, r := range out {
		fmt.Printf("%s %s\n", r.Key, r.Value)
	}
	fmt.Println(op.(sdk.Counted).Counts()["split"])
	// Output:
	// ["2024-01-15",7] {"op":"c","before":null,"after":{"id":1,"cc_id":7,"confirm_date_time":"2024-01-15 10:00:00","status":1,"attribution_time":"2024-01-15"}}
	// ["2024-01-15",7] {"op":"u","before":{"id":1,"cc_id":7,"confirm_date_time":"2024-01-15 10:00:00","status":1,"attribution_time":"2024-01-15"},"after":{"id":1,"cc_id":7,"confirm_date_time":"2024-01-15 10:00:00","status":3,"attribution_time":"2024-01-15"}}
	// ["2024-01-15",7] {"op":"d","before":{"id":1,"cc_id":7,"confirm_date_time":"2024-01-15 10:00:00","status":3,"attribution_time":"2024-01-15"},"after":null}
	// ["2024-01-15",8] {"op":"c","before":null,"after":{"id":1,"cc_id":8,"confirm_date_time":"2024-01-15 10:00:00","status":3,"attribution_time":"2024-01-15"}}
	// 1
}
