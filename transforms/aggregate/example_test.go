package aggregate_test

import (
	"context"
	"fmt"

	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/transforms/aggregate"
)

// Job 7: confirmed orders per day and consultant, over the change records
// latest emits. The count goes up, down, and away.
func Example() {
	op := aggregate.Plugin.NewTransform()
	err := op.Open(context.Background(), sdk.Config{
		"topic":      "staff_index",
		"fields":     "cc_id:long,attribution_time,status:long",
		"where":      "attribution_time is not null and status = 3",
		"group.by":   "attribution_time,cc_id",
		"aggregates": "cc_index=count()",
		"constants":  "type=1",
	})
	if err != nil {
		panic(err)
	}
	row := func(id, status int) string {
		return fmt.Sprintf(`{"id":%d,"cc_id":7,"attribution_time":"2024-01-15","status":%d}`, id, status)
	}
	for _, batch := range [][]string{
		{`{"op":"c","before":null,"after":` + row(1, 3) + `}`, `{"op":"c","before":null,"after":` + row(2, 3) + `}`},
		{`{"op":"u","before":` + row(1, 3) + `,"after":` + row(1, 4) + `}`},
		{`{"op":"d","before":` + row(2, 3) + `,"after":null}`},
	} {
		var recs []sdk.Record
		for _, v := range batch {
			recs = append(recs, sdk.Record{Value: []byte(v)})
		}
		out, _ := op.Process(context.Background(), recs)
		for _, r := range out {
			if r.Value == nil {
				fmt.Printf("%s <tombstone>\n", r.Key)
				continue
			}
			fmt.Printf("%s %s\n", r.Key, r.Value)
		}
	}
	// Output:
	// ["2024-01-15",7] {"attribution_time":"2024-01-15","cc_id":7,"type":1,"cc_index":2}
	// ["2024-01-15",7] {"attribution_time":"2024-01-15","cc_id":7,"type":1,"cc_index":1}
	// ["2024-01-15",7] {"op":"d","before":{"attribution_time":"2024-01-15","cc_id":7,"type":1},"after":null}
	// ["2024-01-15",7] <tombstone>
}
