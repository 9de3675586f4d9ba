package record

import (
	"encoding/json"
	"maps"
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
