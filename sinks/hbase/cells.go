package hbase

import (
	"encoding/json"
	"strconv"

	"github.com/tributarydata/tributary/bus/record"
)

// cells turns a row into the cells of one put: qualifier = field name, value
// = the field's text. Nulls are left out, so a put never clears a cell (HBase
// has no NULL; a column that becomes NULL keeps its previous value). include,
// when not nil, limits the fields written.
func cells(row map[string]any, include map[string]bool) (map[string][]byte, error) {
	out := make(map[string][]byte, len(row))
	for name, v := range row {
		if include != nil && !include[name] {
			continue
		}
		b, ok, err := cellValue(v)
		if err != nil {
			return nil, err
		}
		if ok {
			out[name] = b
		}
	}
	return out, nil
}

// cellValue is the bytes HBase stores for a field value: strings as UTF-8,
// numbers as their exact decimal text (json.Number keeps BIGINT UNSIGNED and
// DECIMAL digits), booleans as true/false, objects and arrays as compact JSON.
// ok is false for null.
func cellValue(v any) (b []byte, ok bool, err error) {
	switch x := v.(type) {
	case nil:
		return nil, false, nil
	case string:
		return []byte(x), true, nil
	case json.Number:
		return []byte(x), true, nil
	case bool:
		return []byte(strconv.FormatBool(x)), true, nil
	}
	b, err = record.Encode(v)
	if err != nil {
		return nil, false, err
	}
	return b, true, nil
}
