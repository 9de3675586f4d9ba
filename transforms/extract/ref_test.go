package extract

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/tributarydata/tributary/transforms/value"
)

// This file is what Extract and Object must give, written the obvious way
// on encoding/json: decode each level as a map of raw messages (the last of
// duplicate keys wins there too), walk the path, and json-decode a string
// when the path has to go through it. It is slow and independent of the
// scanner, so the fuzz targets hold the two equal.

const jsonSpace = " \t\r\n"

// refExtract gives the fields Extract must append for specs, or an error
// when it must fail.
func refExtract(data []byte, specs []Spec, maxDepth int) ([]value.Field, error) {
	root, err := refTop(data, maxDepth)
	if err != nil {
		return nil, err
	}
	var fields []value.Field
	for _, sp := range specs {
		v, err := refWalk(root, sp.Path.segs, 0, maxDepth)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", sp.Name, err)
		}
		c, err := value.Convert(v, sp.Type)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", sp.Name, err)
		}
		fields = append(fields, value.Field{Name: sp.Name, Value: c})
	}
	return fields, nil
}

// refTop checks data as a whole: JSON, not too deep, an object.
func refTop(data []byte, maxDepth int) (json.RawMessage, error) {
	if !json.Valid(data) {
		return nil, errors.New("ref: not JSON")
	}
	if refNesting(data) > maxDepth {
		return nil, errors.New("ref: too deep")
	}
	root := bytes.Trim(data, jsonSpace)
	if root[0] != '{' {
		return nil, errors.New("ref: not an object")
	}
	return root, nil
}

// refWalk follows segs from raw, a value inside depth containers.
func refWalk(raw json.RawMessage, segs []segment, depth, maxDepth int) (value.Value, error) {
	if len(segs) == 0 {
		return refLeaf(raw), nil
	}
	if len(raw) == 0 {
		return value.Value{}, nil
	}
	seg := segs[0]
	switch raw[0] {
	case '{':
		if seg.isIndex() {
			return value.Value{}, nil
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			panic(err)
		}
		child, ok := m[seg.key]
		if !ok {
			return value.Value{}, nil
		}
		return refWalk(child, segs[1:], depth+1, maxDepth)
	case '[':
		if !seg.isIndex() {
			return value.Value{}, nil
		}
		var a []json.RawMessage
		if err := json.Unmarshal(raw, &a); err != nil {
			panic(err)
		}
		if seg.index >= len(a) {
			return value.Value{}, nil
		}
		return refWalk(a[seg.index], segs[1:], depth+1, maxDepth)
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			panic(err)
		}
		s = strings.Trim(s, jsonSpace)
		if s == "" {
			return value.Value{}, nil
		}
		if !json.Valid([]byte(s)) {
			return value.Value{}, errors.New("ref: string is not JSON")
		}
		if depth+refNesting([]byte(s)) > maxDepth {
			return value.Value{}, errors.New("ref: string too deep")
		}
		return refWalk(json.RawMessage(s), segs, depth, maxDepth)
	}
	return value.Value{}, nil
}

// refLeaf types a value as Extract does.
func refLeaf(raw json.RawMessage) value.Value {
	if len(raw) == 0 {
		return value.Value{}
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			panic(err)
		}
		return value.OfString(s)
	case 't':
		return value.OfBool(true)
	case 'f':
		return value.OfBool(false)
	case 'n':
		return value.Value{}
	case '{', '[':
		return value.OfJSON(string(raw))
	}
	if i, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
		return value.OfInt(i)
	}
	return value.OfNumber(string(raw))
}

// refNesting gives how deeply the valid JSON text data nests.
func refNesting(data []byte) int {
	depth, most := 0, 0
	inString, escaped := false, false
	for _, c := range data {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			most = max(most, depth)
		case c == '}' || c == ']':
			depth--
		}
	}
	return most
}

// refObject gives the fields Object must append.
func refObject(data []byte, maxDepth int) ([]value.Field, error) {
	if _, err := refTop(data, maxDepth); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil { // {
		panic(err)
	}
	var fields []value.Field
	at := make(map[string]int)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			panic(err)
		}
		key := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			panic(err)
		}
		v := refLeaf(raw)
		if i, ok := at[key]; ok {
			fields[i].Value = v
			continue
		}
		at[key] = len(fields)
		fields = append(fields, value.Field{Name: key, Value: v})
	}
	return fields, nil
}
