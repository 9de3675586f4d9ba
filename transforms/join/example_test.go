package join_test

import (
	"context"
	"fmt"

	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/transforms/join"
)

// Students joined with their users by id: the user's arrival retracts the
// row without one, and a user leaving NORMAL retracts the row, so a count
// downstream goes up and down.
func Example() {
	op := join.Plugin.NewTransform()
	err := op.Open(context.Background(), sdk.Config{
		"topics": "student,user", "topic": "leads",
		"left.topics": "student", "left.fields": "id:long,channel_id", "left.key.fields": "id",
		"right.topics": "user", "right.fields": "id:long,name,status", "right.key.fields": "id",
		"join.type":     "left",
		"output.fields": "id = left.id, channel = left.channel_id, name = coalesce(right.name, '?')",
		"where":         "right.status is null or right.status = 'NORMAL'",
	})
	if err != nil {
		panic(err)
	}
	for _, batch := range [][]sdk.Record{
		{{Topic: "student", Value: []byte(`{"id":1,"channel_id":"101"}`)}},
		{{Topic: "user", Value: []byte(`{"op":"c","before":null,"after":{"id":1,"name":"Ann","status":"NORMAL"}}`)}},
		{{Topic: "user", Value: []byte(`{"id":1,"name":"Ann","status":"FROZEN"}`)}},
	} {
		out, _ := op.Process(context.Background(), batch)
		for _, r := range out {
			fmt.Printf("%s %s\n", r.Key, r.Value)
		}
	}
	// Output:
	// [1] {"op":"c","before":null,"after":{"id":1,"channel":"101","name":"?"}}
	// [1] {"op":"u","before":{"id":1,"channel":"101","name":"?"},"after":{"id":1,"channel":"101","name":"Ann"}}
	// [1] {"op":"d","before":{"id":1,"channel":"101","name":"Ann"},"after":null}
}
