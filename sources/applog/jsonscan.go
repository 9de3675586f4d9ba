package applog

import (
	"bytes"
	"encoding/json"
)

// Scanning of JSON already known to be valid (json.Valid said so): it finds
// the elements of an array and the members of an object without decoding
// or copying them, which is most of the cost of taking events. On invalid
// input it returns nonsense but never reads out of bounds or loops.

// skipSpace returns the index of the first non-whitespace byte from i.
func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index just after the string opening at data[i].
func skipString(data []byte, i int) int {
	for i++; i < len(data); i++ {
		switch data[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return len(data)
}

// skipValue returns the index just after the value starting at data[i].
func skipValue(data []byte, i int) int {
	if i >= len(data) {
		return len(data)
	}
	switch data[i] {
	case '"':
		return skipString(data, i)
	case '{', '[':
		depth := 0
		for i < len(data) {
			switch data[i] {
			case '"':
				i = skipString(data, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return len(data)
	default: // a number, true, false or null
		for i < len(data) {
			switch data[i] {
			case ',', ']', '}', ' ', '\t', '\r', '\n':
				return i
			}
			i++
		}
		return i
	}
}

// elements calls fn with each element of the array opening at data[0],
// until fn returns false; it reports whether it went through all of them.
func elements(data []byte, fn func(elem []byte) bool) bool {
	i := skipSpace(data, 1)
	for i < len(data) && data[i] != ']' {
		end := skipValue(data, i)
		if !fn(data[i:end]) {
			return false
		}
		i = skipSpace(data, end)
		if i >= len(data) || data[i] != ',' {
			break
		}
		i = skipSpace(data, i+1)
	}
	return true
}

// member returns the value of the object's last member named name (as
// encoding/json keeps the last of duplicate keys), nil when it has none.
func member(obj []byte, name string) []byte {
	var found []byte
	i := skipSpace(obj, 1)
	for i < len(obj) && obj[i] == '"' {
		keyEnd := skipString(obj, i)
		key := obj[i:keyEnd]
		i = skipSpace(obj, keyEnd)
		if i >= len(obj) || obj[i] != ':' {
			return found
		}
		i = skipSpace(obj, i+1)
		end := skipValue(obj, i)
		if keyIs(key, name) {
			found = obj[i:end]
		}
		i = skipSpace(obj, end)
		if i >= len(obj) || obj[i] != ',' {
			break
		}
		i = skipSpace(obj, i+1)
	}
	return found
}

// keyIs reports whether the quoted key reads name.
func keyIs(quoted []byte, name string) bool {
	if len(quoted) < 2 {
		return false
	}
	raw := quoted[1 : len(quoted)-1]
	if bytes.IndexByte(raw, '\\') < 0 {
		return string(raw) == name
	}
	var key string
	return json.Unmarshal(quoted, &key) == nil && key == name
}

// jsonString returns the text of the JSON string raw (quotes included),
// sharing raw's bytes when it holds no escapes.
func jsonString(raw []byte) ([]byte, error) {
	if len(raw) >= 2 && raw[0] == '"' && raw[len(raw)-1] == '"' && bytes.IndexByte(raw, '\\') < 0 {
		return raw[1 : len(raw)-1], nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, syntaxOnly(err)
	}
	return []byte(s), nil
}
