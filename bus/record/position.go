package record

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"strconv"
)

// Position says where a source read a record, in Kafka Connect's terms: Partition
// names the stream the source reads (a file, a binlog server, a table) and
// Offset the place within it (a byte offset, a binlog file/pos or GTID set).
// Both are JSON objects, so the REST API can show and alter them as Kafka
// Connect's `/connectors/{name}/offsets` does.
type Position struct {
	Partition map[string]any `json:"partition"`
	Offset    map[string]any `json:"offset"`
}

// IsZero reports whether the position is unset (records of sources that keep no position).
func (p Position) IsZero() bool { return p.Partition == nil && p.Offset == nil }

// PartitionKey is the canonical JSON of Partition, usable as a map key.
// encoding/json sorts map keys, so equal partitions give equal keys.
func (p Position) PartitionKey() string {
	b, err := json.Marshal(p.Partition)
	if err != nil {
		// Partitions are built by sources from JSON-compatible values; a value
		// that cannot be marshalled is a programming error of the source.
		panic("record: position partition is not JSON: " + err.Error())
	}
	return string(b)
}

// Clone returns a copy whose maps can be changed independently (one level deep,
// which is what positions hold).
func (p Position) Clone() Position {
	return Position{Partition: maps.Clone(p.Partition), Offset: maps.Clone(p.Offset)}
}

// OffsetInt reads a non-negative integer from a position's partition or
// offset. Positions come back from the offsets topic and the REST API through
// JSON, so a number may arrive as float64 or json.Number as well as an
// integer type. Text is refused, as Kafka Connect refuses it.
func OffsetInt(v any) (int64, error) {
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
		if x != math.Trunc(x) || x >= math.MaxInt64 || x <= math.MinInt64 {
			return 0, fmt.Errorf("%v is not an integer", x)
		}
		n = int64(x)
	case json.Number:
		var err error
		if n, err = strconv.ParseInt(string(x), 10, 64); err != nil {
			return 0, fmt.Errorf("%q is not an integer", x)
		}
	case nil:
		return 0, errors.New("missing")
	default:
		return 0, fmt.Errorf("unexpected %T", v)
	}
	if n < 0 {
		return 0, fmt.Errorf("%d is negative", n)
	}
	return n, nil
}
