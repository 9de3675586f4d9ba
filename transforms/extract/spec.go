package extract

import (
	"fmt"
	"strings"

	"github.com/tributarydata/tributary/transforms/value"
)

// ParseSpec reads a field spec as connectors write it, name=path:type, where
// name= and :type are optional: userId=data.userid:long, data.event (named
// event, typed as it comes). The name defaults to the path's last key.
func ParseSpec(item string) (Spec, error) {
	item = strings.TrimSpace(item)
	name, pathText, named := strings.Cut(item, "=")
	if !named || strings.ContainsAny(name, ".[") {
		name, pathText, named = "", item, false
	}
	typ := value.TypeAuto
	if i := strings.LastIndexByte(pathText, ':'); i >= 0 && !strings.ContainsAny(pathText[i:], "]'\"") {
		t, err := value.ParseType(pathText[i+1:])
		if err != nil {
			return Spec{}, fmt.Errorf("%q: %w (a key holding a colon goes in ['...'])", item, err)
		}
		typ, pathText = t, pathText[:i]
	}
	path, err := ParsePath(strings.TrimSpace(pathText))
	if err != nil {
		return Spec{}, fmt.Errorf("%q: %w", item, err)
	}
	name = strings.TrimSpace(name)
	if !named {
		name = path.LastKey()
	}
	if name == "" {
		return Spec{}, fmt.Errorf("%q: give the field a name (name=path)", item)
	}
	return Spec{Name: name, Path: path, Type: typ}, nil
}
