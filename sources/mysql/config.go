package mysql

import (
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// Config is the MySQL/MariaDB CDC source's configuration. Keys shared with
// Debezium's MySQL connector have Debezium's names and meanings, so a
// Debezium config mostly carries over; the defaults differ where JSON
// consumers are better served (decimal.handling.mode).
type Config struct {
	Host     string       `json:"database.hostname" validate:"required" importance:"high" doc:"Host name or address of the MySQL or MariaDB server."`
	Port     int          `json:"database.port" default:"3306" validate:"gt=0" importance:"high" doc:"TCP port of the server."`
	User     string       `json:"database.user" validate:"required" importance:"high" doc:"User to connect as. It needs SELECT on the captured tables, RELOAD (MySQL snapshots take a brief global read lock), REPLICATION SLAVE and REPLICATION CLIENT."`
	Password sdk.Password `json:"database.password" importance:"high" doc:"Password of database.user."`
	ServerID int64        `json:"database.server.id" default:"184054" validate:"gt=0" importance:"high" doc:"Replica server id this connector uses in the replication protocol; unique among the server's replicas."`
	Prefix   string       `json:"topic.prefix" validate:"required,regexp=^[A-Za-z0-9._-]+$" importance:"high" doc:"Names this server in topics (<prefix>.<db>.<table>), in the source block of events and in stored positions."`

	IncludeDatabases []string `json:"database.include.list" importance:"high" doc:"Regular expressions matched against whole database names; only matching databases are captured. Empty captures every database but the system ones."`
	ExcludeDatabases []string `json:"database.exclude.list" importance:"medium" doc:"Regular expressions of databases not captured (used when database.include.list is empty)."`
	IncludeTables    []string `json:"table.include.list" importance:"high" doc:"Regular expressions matched against whole <db>.<table> names; only matching tables are captured."`
	ExcludeTables    []string `json:"table.exclude.list" importance:"medium" doc:"Regular expressions of <db>.<table> names not captured (used when table.include.list is empty)."`

	SnapshotMode      string `json:"snapshot.mode" default:"initial" validate:"oneof=initial never when_needed" importance:"high" doc:"initial: read every captured table once (op r) before streaming, when no position is stored; never: stream from the oldest binlog the server has; when_needed: like initial, and snapshot again when the stored position was purged from the server."`
	SnapshotFetchSize int    `json:"snapshot.fetch.size" default:"10000" validate:"gt=0" importance:"low" doc:"Rows per primary-key chunk read during the snapshot; bounds memory and the length of each query."`

	BinlogMode string `json:"binlog.position.mode" default:"auto" validate:"oneof=auto gtid file" importance:"medium" doc:"How streaming resumes: gtid (GTID set, survives failover to another server), file (binlog file and position), auto (gtid when the server has GTIDs on, as MariaDB always does)."`

	TombstonesOnDelete bool          `json:"tombstones.on.delete" default:"true" importance:"medium" doc:"After each delete event, write a record with the same key and a null value, so compacted topics drop the key."`
	HeartbeatInterval  time.Duration `json:"heartbeat.interval.ms" default:"0" validate:"gte=0" importance:"medium" doc:"Write a heartbeat record at this interval while no captured table changes, so the stored position keeps up with the binlog; 0 turns heartbeats off."`
	HeartbeatPrefix    string        `json:"topic.heartbeat.prefix" default:"__debezium-heartbeat" importance:"low" doc:"Heartbeats go to <prefix>.<topic.prefix>."`
	HistoryTopic       string        `json:"schema.history.internal.kafka.topic" importance:"medium" doc:"Topic of the schema history: every DDL statement and every table schema seen, with its binlog position. Default <topic.prefix>.schema-history."`

	DecimalMode string `json:"decimal.handling.mode" default:"string" validate:"oneof=string double precise" importance:"medium" doc:"DECIMAL values as a string (exact), a double, or precise (Debezium's base64 of the unscaled two's-complement value)."`
	BinaryMode  string `json:"binary.handling.mode" default:"bytes" validate:"oneof=bytes base64 hex" importance:"low" doc:"BINARY/VARBINARY/BLOB values as base64 text (bytes and base64, as Debezium's JSON converter writes bytes) or hex."`

	BatchSize        int           `json:"max.batch.size" default:"2048" validate:"gt=0" importance:"low" doc:"Most change events returned by one read."`
	QueueSize        int           `json:"max.queue.size" default:"8192" validate:"gt=0" importance:"low" doc:"Change events read ahead of Kafka; the binlog reader waits when the queue is full."`
	ReconnectTimeout time.Duration `json:"reconnect.timeout.ms" default:"600000" validate:"gt=0" importance:"low" doc:"How long to keep reconnecting to a server that went away (a restart, a network cut) before the task fails."`
	ConnectTimeout   time.Duration `json:"connect.timeout.ms" default:"30000" validate:"gt=0" importance:"low" doc:"Timeout of connecting to the server."`
}
