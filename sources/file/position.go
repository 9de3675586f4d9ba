package file

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// Keys of the source position. filename and position are Kafka Connect's, so
// offsets moved over from a FileStreamSource keep working; inode is ours and
// optional.
const (
	partitionKeyFile = "filename"
	offsetKeyPos     = "position"
	offsetKeyInode   = "inode"
)

// offsetNumber reads a non-negative integer from a stored position. Positions
// come back from the offsets topic through JSON, so the number may arrive as
// float64 or json.Number as well as an integer type.
func offsetNumber(v any) (int64, error) {
	var n int64
	switch x := v.(type) {
	case int64:
		n = x
	case int:
		n = int64(x)
	case int32:
		n = int64(x)
	case uint32:
		n = int64(x)
	case uint64:
		if x > math.MaxInt64 {
			return 0, fmt.Errorf("%d is out of range", x)
		}
		n = int64(x)
	case float64:
		if x != math.Trunc(x) || x < 0 || x >= math.MaxInt64 {
			return 0, fmt.Errorf("%v is not a byte offset", x)
		}
		n = int64(x)
	case json.Number:
		var err error
		if n, err = strconv.ParseInt(string(x), 10, 64); err != nil {
			return 0, fmt.Errorf("%q is not a byte offset", x)
		}
	default:
		return 0, fmt.Errorf("unexpected %T", v)
	}
	if n < 0 {
		return 0, fmt.Errorf("%d is negative", n)
	}
	return n, nil
}

// storedIdentity reads the optional inode of a stored position as its text.
func storedIdentity(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	default:
		if n, err := offsetNumber(x); err == nil {
			return strconv.FormatInt(n, 10)
		}
		return ""
	}
}
