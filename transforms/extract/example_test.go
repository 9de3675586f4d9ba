package extract_test

import (
	"fmt"

	"github.com/tributarydata/tributary/transforms/extract"
	"github.com/tributarydata/tributary/transforms/value"
)

// A few fields of the classroom-signal message, which arrives with its
// nested objects either as objects or as JSON-encoded strings.
func Example() {
	fields := []struct {
		name, path string
		typ        value.Type
	}{
		{"userId", "data.userid", value.TypeLong},
		{"action", "$.data.msg.msg_data.action", value.TypeString},
		{"pageIndex", "data.msg.msg_data.page_index", value.TypeLong},
	}
	var specs []extract.Spec
	for _, f := range fields {
		p, err := extract.ParsePath(f.path)
		if err != nil {
			panic(err)
		}
		specs = append(specs, extract.Spec{Name: f.name, Path: p, Type: f.typ})
	}
	e, err := extract.Compile(specs, extract.Options{})
	if err != nil {
		panic(err)
	}

	var row value.Row
	for _, msg := range []string{
		`{"data":{"userid":"1001","msg":{"msg_data":{"action":"match","page_index":3}}}}`,
		`{"data":"{\"userid\":1001,\"msg\":\"{\\\"msg_data\\\":{\\\"action\\\":\\\"match\\\",\\\"page_index\\\":\\\"3\\\"}}\"}"}`,
		`{"data":{"userid":"1001"}}`,
		`{"data":{"userid":"abc"}}`,
	} {
		row.Reset()
		if err := e.Extract([]byte(msg), &row); err != nil {
			fmt.Println("error:", err)
			continue
		}
		fmt.Println(string(row.AppendJSON(nil)))
	}
	// Output:
	// {"userId":1001,"action":"match","pageIndex":3}
	// {"userId":1001,"action":"match","pageIndex":3}
	// {"userId":1001,"action":null,"pageIndex":null}
	// error: userId (data.userid): "abc" is not a long
}
