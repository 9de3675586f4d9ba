package lookup_test

import (
	"context"
	"fmt"
	"time"

	"github.com/tributarydata/tributary/transforms/lookup"
	"github.com/tributarydata/tributary/transforms/value"
)

// The registrations job looks each record's channel level up by
// md5(channel_id), and keeps the cache fresh from the dictionary's topic.
func Example() {
	ctx := context.Background()
	levels, err := lookup.Open(ctx, "postgres://tributary:tributary@127.0.0.1:5432/tributary", lookup.Config{
		Table:       "channel_name_dictionary",
		KeyColumn:   "rowkey",
		Columns:     []string{"level"},
		TTL:         10 * time.Minute,
		NegativeTTL: time.Minute,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer levels.Close()

	// A change read from dwd.channel_name_dictionary wins over the table.
	_ = levels.Put("c4ca4238a0b923820dcc509a6f75849b", []value.Value{value.OfString("L2")})

	// One Get per batch of records, with the batch's keys in record order.
	keys := []string{"c4ca4238a0b923820dcc509a6f75849b", "c81e728d9d4c2f636f067f89cc14862c"}
	results, err := levels.Get(ctx, keys)
	if err != nil {
		fmt.Println(err) // sdk.IsRetriable(err) tells the runtime to retry the batch
		return
	}
	for i, r := range results {
		if r.Found {
			fmt.Println(keys[i], r.Values[0].Text())
		} else {
			fmt.Println(keys[i], "unknown channel")
		}
	}
}
