package agg_test

import (
	"errors"
	"fmt"

	"github.com/tributarydata/tributary/transforms/agg"
	"github.com/tributarydata/tributary/transforms/value"
)

func Example() {
	specs, err := agg.ParseSpecs([]string{"orders=count()", "total=sum(amount)", "avg=avg(amount)", "top=max(amount)", "buyers=count_distinct(buyer)"})
	if err != nil {
		panic(err)
	}
	set, err := agg.NewSet(specs)
	if err != nil {
		panic(err)
	}
	order := func(buyer string, amount value.Value) *value.Row {
		var r value.Row
		r.Append("buyer", value.OfString(buyer))
		r.Append("amount", amount)
		return &r
	}
	a := order("5", value.OfString("19.90")) // the apps send numbers as strings
	b := order("7", value.OfFloat(0.1))
	c := order("5", value.OfInt(100))

	g := set.New() // the group of orders in status 3
	for _, r := range []*value.Row{a, b, c} {
		if err := g.Add(set, r, 1); err != nil {
			panic(err)
		}
	}
	// Order c leaves status 3: its contribution is retracted.
	if err := g.Add(set, c, -1); err != nil {
		panic(err)
	}
	var out value.Row
	g.AppendResults(set, &out)
	fmt.Printf("%s\n", out.AppendJSON(nil))

	// The state survives a crash.
	var back agg.Group
	if err := back.LoadState(set, g.AppendState(set, nil)); err != nil {
		panic(err)
	}
	out.Reset()
	back.AppendResults(set, &out)
	fmt.Printf("%s\n", out.AppendJSON(nil))

	// A bad value fails the whole row, for the dead-letter queue.
	err = g.Add(set, order("9", value.OfString("n/a")), 1)
	fmt.Println(err, errors.Is(err, agg.ErrNotNumber), g.Rows())
	err = g.Add(set, c, -1)
	fmt.Println(err)
	// Output:
	// {"orders":2,"total":20,"avg":10,"top":19.9,"buyers":2}
	// {"orders":2,"total":20,"avg":10,"top":19.9,"buyers":2}
	// sum(amount): "n/a" is not a number true 2
	// max(amount): retraction of a row the group does not hold (it holds no long 100)
}
