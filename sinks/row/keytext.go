package row

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// KeyText is the text of a field value that names a row or a document (an
// HBase row key part, an Elasticsearch _id): strings as they are, numbers as
// their exact decimal text, booleans as true/false. A null or a nested value
// cannot name one.
func KeyText(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case json.Number:
		return x.String(), nil
	case bool:
		return strconv.FormatBool(x), nil
	case nil:
		return "", fmt.Errorf("is null")
	case map[string]any:
		return "", fmt.Errorf("is an object, not a scalar")
	case []any:
		return "", fmt.Errorf("is an array, not a scalar")
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	}
	return "", fmt.Errorf("has unsupported type %T", v)
}
