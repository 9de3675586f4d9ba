package expr_test

import (
	"fmt"

	"github.com/tributarydata/tributary/transforms/expr"
	"github.com/tributarydata/tributary/transforms/value"
)

func Example() {
	rule, err := expr.Parse(`msgId = '305' AND role IN (2, 3) AND subAction LIKE 'drop:%' AND pageIndex IS NOT NULL`)
	if err != nil {
		panic(err)
	}
	var r value.Row
	r.Append("msgId", value.OfInt(305))   // a number matches '305'
	r.Append("role", value.OfString("2")) // and a string matches 2
	r.Append("subAction", value.OfString("drop:wrong"))
	r.Append("pageIndex", value.OfInt(3))
	fmt.Println(rule.Eval(&r))
	fmt.Println(rule)
	fmt.Println(rule.Fields())

	_, err = expr.Parse(`msgId = '305' AND msgType ==`)
	fmt.Println(err)
	// Output:
	// true
	// msgId == '305' and role in (2, 3) and subAction like 'drop:%' and pageIndex is not null
	// [msgId role subAction pageIndex]
	// at 29: expected a value after "==", found end of input
}
