package elasticsearch

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/tributarydata/tributary/sinks/row"
)

// maxIDBytes is Elasticsearch's limit on an _id.
const maxIDBytes = 512

// errNoKey says a record key gives no _id: absent, or JSON null.
var errNoKey = errors.New("no record key")

// idFromFields joins the values of fields with "_".
func idFromFields(values map[string]any, fields []string) (string, error) {
	parts := make([]string, len(fields))
	for i, f := range fields {
		v, ok := values[f]
		if !ok {
			return "", fmt.Errorf("no key field %q", f)
		}
		s, err := row.KeyText(v)
		if err != nil {
			return "", fmt.Errorf("key field %q %v", f, err)
		}
		parts[i] = s
	}
	return checkID(strings.Join(parts, "_"))
}

func checkID(id string) (string, error) {
	switch {
	case id == "":
		return "", errors.New("the document _id is empty")
	case len(id) > maxIDBytes:
		return "", fmt.Errorf("the document _id is %d bytes, more than Elasticsearch's %d", len(id), maxIDBytes)
	}
	return id, nil
}

// idFromKey reads a record key as an _id. A JSON object key (Debezium's
// {"id":1}, also inside a schema/payload wrapper) gives its values joined
// with "_" in the key's own order, which is the primary key's; a JSON string
// or number gives its text; other bytes are taken as text.
func idFromKey(key []byte) (string, error) {
	if key == nil {
		return "", errNoKey
	}
	trimmed := bytes.TrimSpace(key)
	if !json.Valid(trimmed) {
		if !utf8.Valid(key) {
			return "", errors.New("the record key is neither JSON nor UTF-8 text; set key.fields")
		}
		return checkID(string(key))
	}
	switch trimmed[0] {
	case '{':
		fields, err := orderedObject(trimmed)
		if err != nil {
			return "", err
		}
		parts := make([]string, len(fields))
		for i, f := range fields {
			s, err := row.KeyText(f.value)
			if err != nil {
				return "", fmt.Errorf("record key field %q %v; set key.fields", f.name, err)
			}
			parts[i] = s
		}
		if len(parts) == 0 {
			return "", errors.New("the record key is an empty JSON object; set key.fields")
		}
		return checkID(strings.Join(parts, "_"))
	case '[':
		return "", errors.New("the record key is a JSON array; set key.fields")
	case 'n':
		return "", errNoKey
	}
	v, err := decodeValue(trimmed)
	if err != nil {
		return "", err
	}
	s, err := row.KeyText(v)
	if err != nil {
		return "", fmt.Errorf("the record key %v", err)
	}
	return checkID(s)
}

// keyObject reads a record key as a JSON object (unwrapping schema/payload),
// for tombstones whose _id comes from key.fields.
func keyObject(key []byte) (map[string]any, bool) {
	fields, err := orderedObject(bytes.TrimSpace(key))
	if err != nil {
		return nil, false
	}
	obj := make(map[string]any, len(fields))
	for _, f := range fields {
		obj[f.name] = f.value
	}
	return obj, true
}

type field struct {
	name  string
	value any
}

// orderedObject decodes a JSON object keeping the order of its fields,
// unwrapping the JsonConverter's {"schema":…,"payload":{…}}.
func orderedObject(data []byte) ([]field, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("the record key is not a JSON object")
	}
	var fields []field
	var payload json.RawMessage
	hasSchema := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("record key: %w", err)
		}
		name, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("record key: %w", err)
		}
		switch name {
		case "schema":
			hasSchema = true
		case "payload":
			payload = raw
		}
		v, err := decodeValue(raw)
		if err != nil {
			return nil, err
		}
		fields = append(fields, field{name: name, value: v})
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("record key: %w", err)
	}
	if hasSchema && len(payload) > 0 && payload[0] == '{' {
		return orderedObject(payload)
	}
	return fields, nil
}

func decodeValue(raw []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("record key: %w", err)
	}
	return v, nil
}
