package rds

import (
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// Config is the rds sink's configuration. Keys shared with Confluent's JDBC
// sink keep its names; the write modes and the declared schema keep the
// hologres sink's.
type Config struct {
	URL      string       `json:"connection.url" validate:"required" importance:"high" group:"Connection" doc:"MySQL or MariaDB server and database: a go-sql-driver DSN user:pass@tcp(host:port)/db (tls=true or tls=skip-verify may follow as ?tls=...), mysql://user:pass@host:port/db, or jdbc:mysql://host:port/db?user=u&password=p."`
	User     string       `json:"connection.user" importance:"high" group:"Connection" doc:"User name; overrides the one in connection.url."`
	Password sdk.Password `json:"connection.password" importance:"high" group:"Connection" doc:"Password; overrides the one in connection.url."`

	TableFormat string   `json:"table.name.format" default:"${topic}" importance:"high" group:"Table" doc:"Table each record goes to; ${topic} is replaced by the record's topic. db.table names a table of another database than the connection's; a name between back quotes keeps its dots as part of the table name."`
	AutoCreate  bool     `json:"auto.create" default:"false" importance:"medium" group:"Table" doc:"Create a missing table from table.schema.columns (CREATE TABLE IF NOT EXISTS, InnoDB, utf8mb4). An existing table is never altered."`
	Columns     string   `json:"table.schema.columns" importance:"medium" group:"Table" doc:"Columns for auto.create as in a CREATE TABLE, e.g. start_time datetime not null, user_id bigint not null, event varchar(64), cnt bigint."`
	PrimaryKey  []string `json:"table.primary.key" importance:"medium" group:"Table" doc:"Primary key of a created table, comma separated; pk.fields when empty."`

	PKMode   string   `json:"pk.mode" default:"record_value" validate:"oneof=none record_key record_value" importance:"high" group:"Writes" doc:"Where a row's key comes from: record_value (the row's fields, the before image for deletes), record_key (the Kafka key: a JSON object, or one value for a one-column key; a tombstone deletes), or none (no key: only with insert.mode=insert, for tables without one)."`
	PKFields []string `json:"pk.fields" importance:"medium" group:"Writes" doc:"Key columns, comma separated; default the table's primary key (or its first unique key of NOT NULL columns). They must be the columns of the primary key or of a unique key, since the server finds existing rows by it."`
	// InsertMode is Confluent's insert.mode; MutateType picks among upserts.
	InsertMode    string        `json:"insert.mode" default:"upsert" validate:"oneof=insert upsert update" importance:"high" group:"Writes" doc:"upsert: INSERT … ON DUPLICATE KEY UPDATE by the key, as mutate.type says; update: UPDATE … WHERE key, rows that do not exist are not created; insert: append every record with plain INSERTs, no deduplication and no deletes (set delete.enabled=false), a key that exists being its record's error; appends are not idempotent under replay."`
	MutateType    string        `json:"mutate.type" default:"insertorupdate" validate:"oneof=insertorupdate insertorreplace insertorignore" importance:"high" group:"Writes" doc:"What a write does to a row that exists: insertorupdate sets the columns the record carries and keeps the others; insertorreplace sets every column, those the record lacks to their default; insertorignore keeps the existing row. Within a batch, records of one key are merged the same way (the last wins, the first for insertorignore)."`
	DeleteEnabled bool          `json:"delete.enabled" default:"true" importance:"medium" group:"Writes" doc:"Delete the row of a change event with op d (keyed by its before image) and, with pk.mode=record_key, of a tombstone; false skips both (counted)."`
	BatchSize     int           `json:"batch.size" default:"2000" validate:"gt=0" importance:"medium" group:"Writes" doc:"Most records written in one transaction. Records of the same key in it are merged first (the last wins). The default is the most the runtime hands over at once, so each batch is one transaction."`
	UnknownFields string        `json:"fields.unknown" default:"ignore" validate:"oneof=ignore error" importance:"low" group:"Writes" doc:"A field that matches no column: ignore it, or make its record an error (dead-lettered with errors.tolerance=all)."`
	EpochUnit     string        `json:"timestamp.epoch.unit" default:"ms" validate:"oneof=s ms us ns" importance:"low" group:"Writes" doc:"Unit of numbers written to datetime and timestamp columns (Debezium writes DATETIME(0-3) as ms, DATETIME(4-6) as us)."`
	WriteTimeout  time.Duration `json:"write.timeout.ms" default:"60000" validate:"gt=0" importance:"low" group:"Writes" doc:"How long one transaction (or connecting) may take before the connection is abandoned and the write retried."`

	// Topics is subscribed by the runtime; it is declared so validation and
	// the generated spec know the key.
	Topics []string `json:"topics" importance:"high" doc:"Topics to read, comma separated (subscribed by the runtime)."`
}

// epochUnit reads timestamp.epoch.unit.
func (c *Config) epochUnit() time.Duration {
	switch c.EpochUnit {
	case "s":
		return time.Second
	case "us":
		return time.Microsecond
	case "ns":
		return time.Nanosecond
	}
	return time.Millisecond
}
