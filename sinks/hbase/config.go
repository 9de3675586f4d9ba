package hbase

import "time"

// Config is the HBase sink's configuration.
type Config struct {
	Quorum []string `json:"hbase.zookeeper.quorum" validate:"required" importance:"high" doc:"ZooKeeper ensemble of the HBase cluster, comma separated host:port (port 2181 when left out)."`
	ZkRoot string   `json:"hbase.zookeeper.root" default:"/hbase" validate:"regexp=^/" importance:"low" doc:"ZooKeeper znode under which HBase keeps its state (zookeeper.znode.parent)."`

	TableFormat string   `json:"table.name.format" default:"${topic}" importance:"high" doc:"Table each record goes to; ${topic} is replaced by the record's topic. A namespace may be given as ns:table. Tables must exist with column.family."`
	Family      string   `json:"column.family" default:"cf" importance:"high" doc:"Column family every field is written to, one cell per field, the qualifier being the field's name."`
	RowKey      string   `json:"rowkey.expression" validate:"required" importance:"high" doc:"Row key computed from the row's fields: a field (id), a 'string', or md5(x) (lower-case hex), concat(x, y, ...), lower(x), upper(x) and reverse(x), nested as needed, e.g. md5(id) or concat(user_id,'_',room_id). Field names other than letters, digits and _ go between back quotes; inside quotes, a doubled quote stands for one."`
	Fields      []string `json:"fields.include" importance:"medium" doc:"Fields written as cells, comma separated; empty writes every field of the row. The row key is computed from all fields either way."`

	DeleteEnabled bool          `json:"delete.enabled" default:"true" importance:"medium" doc:"Delete the row's cells in column.family for delete events (op d, found by the before row) and tombstones (found by the record key); false ignores both."`
	BatchSize     int           `json:"batch.size" default:"500" validate:"gt=0" importance:"low" doc:"Most records whose mutations are sent together and awaited before the next ones."`
	WriteTimeout  time.Duration `json:"write.timeout.ms" default:"30000" validate:"gt=0" importance:"low" doc:"How long one batch may take, region lookups and the client's own retries included, before it fails as retriable."`

	// Topics is subscribed by the runtime; it is declared so validation and
	// the generated spec know the key.
	Topics []string `json:"topics" importance:"high" doc:"Topics to read, comma separated (subscribed by the runtime)."`
}
