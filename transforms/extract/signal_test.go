package extract

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"
	"testing"

	"github.com/tributarydata/tributary/transforms/value"
)

// The classroom-signal message of the first warehouse job, with nested
// objects and numbers as strings, as most producers send it.
const signalObject = `{"createTime":"2021-03-01 10:00:00","data":{"userid":"1001","roomid":"2002","timestamp":"1614564000123","role":"2","msgid":"305",` +
	`"msg":{"msgtype":"116","msg_data":{"target_id":"match","target_type":"template","action":"match","sub_action":"drop:wrong","page_index":"3"}}}}`

// The same with numbers as numbers.
const signalNumbers = `{"createTime":"2021-03-01 10:00:00","data":{"userid":1001,"roomid":2002,"timestamp":1614564000123,"role":2,"msgid":305,` +
	`"msg":{"msgtype":116,"msg_data":{"target_id":"match","target_type":"template","action":"match","sub_action":"drop:wrong","page_index":3}}}}`

// The fields the job reads.
var signalPaths = []string{
	"createTime", "data.userid", "data.roomid", "data.timestamp", "data.role", "data.msgid", "data.msg.msgtype",
	"data.msg.msg_data.target_id", "data.msg.msg_data.target_type", "data.msg.msg_data.action",
	"data.msg.msg_data.sub_action", "data.msg.msg_data.page_index",
}

var signalNames = []string{
	"createTime", "userId", "roomId", "timestamp", "role", "msgId", "msgType",
	"targetId", "targetType", "action", "subAction", "pageIndex",
}

var signalTypes = []value.Type{
	value.TypeString, value.TypeLong, value.TypeLong, value.TypeLong, value.TypeLong, value.TypeLong, value.TypeLong,
	value.TypeString, value.TypeString, value.TypeString, value.TypeString, value.TypeLong,
}

// signalWant is what the job reads from every form of the message.
var signalWant = []value.Field{
	{Name: "createTime", Value: value.OfString("2021-03-01 10:00:00")},
	{Name: "userId", Value: value.OfInt(1001)},
	{Name: "roomId", Value: value.OfInt(2002)},
	{Name: "timestamp", Value: value.OfInt(1614564000123)},
	{Name: "role", Value: value.OfInt(2)},
	{Name: "msgId", Value: value.OfInt(305)},
	{Name: "msgType", Value: value.OfInt(116)},
	{Name: "targetId", Value: value.OfString("match")},
	{Name: "targetType", Value: value.OfString("template")},
	{Name: "action", Value: value.OfString("match")},
	{Name: "subAction", Value: value.OfString("drop:wrong")},
	{Name: "pageIndex", Value: value.OfInt(3)},
}

func signalSpecs(t testing.TB) []Spec {
	specs := make([]Spec, len(signalPaths))
	for i, p := range signalPaths {
		specs[i] = Spec{Name: signalNames[i], Path: mustPath(t, p), Type: signalTypes[i]}
	}
	return specs
}

func mustPath(t testing.TB, s string) Path {
	t.Helper()
	p, err := ParsePath(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// encodeLevels replaces the objects at the dotted paths of the JSON object
// doc by strings holding their JSON, the deepest first, as producers that
// double-encode send them. It uses encoding/json, not this package.
func encodeLevels(doc string, paths ...string) string {
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	var root map[string]any
	if err := dec.Decode(&root); err != nil {
		panic(err)
	}
	paths = append([]string(nil), paths...)
	sort.Slice(paths, func(i, j int) bool { return strings.Count(paths[i], ".") > strings.Count(paths[j], ".") })
	for _, p := range paths {
		keys := strings.Split(p, ".")
		parent := root
		for _, k := range keys[:len(keys)-1] {
			parent = parent[k].(map[string]any)
		}
		last := keys[len(keys)-1]
		text, err := marshalNoEscape(parent[last])
		if err != nil {
			panic(err)
		}
		parent[last] = text
	}
	out, err := marshalNoEscape(root)
	if err != nil {
		panic(err)
	}
	return out
}

func marshalNoEscape(v any) (string, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", err
	}
	return strings.TrimSuffix(b.String(), "\n"), nil
}
