package applog

import (
	"slices"
	"testing"
)

func TestMember(t *testing.T) {
	obj := []byte(` { "a" : 1 , "b":"x\"}" ,"nested":{"a":[1,{"b":"]"}],"c":null},"a":true,"t\u0079pe":"qos", "":-1.5e3 } `)
	obj = obj[skipSpace(obj, 0):]
	for name, want := range map[string]string{
		"a": "true", "b": `"x\"}"`, "nested": `{"a":[1,{"b":"]"}],"c":null}`, "type": `"qos"`, "": "-1.5e3", "missing": "",
	} {
		if got := string(member(obj, name)); got != want {
			t.Errorf("member %q = %q, want %q", name, got, want)
		}
	}
	path := newFieldPath("nested.c")
	if got := path.lookup(obj); got != nil {
		t.Errorf("null nested member = %q", got)
	}
	if got := string(newFieldPath("nested.a").lookup(obj)); got != `[1,{"b":"]"}]` {
		t.Errorf("nested.a = %q", got)
	}
	if got := newFieldPath("b.x").lookup(obj); got != nil {
		t.Errorf("path through a string = %q", got)
	}
}

func TestElements(t *testing.T) {
	var got []string
	elements([]byte(`[ {"a":"],"} ,[1,2], "s" ,-1,true,null ]`), func(e []byte) bool { got = append(got, string(e)); return true })
	if want := []string{`{"a":"],"}`, `[1,2]`, `"s"`, `-1`, `true`, `null`}; !slices.Equal(got, want) {
		t.Fatalf("elements %q, want %q", got, want)
	}
}
