package hologres

import (
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// Config is the Hologres sink's configuration. Keys shared with Confluent's
// JDBC sink (connection.*, table.name.format, pk.*, insert.mode,
// auto.create, delete.enabled, batch.size) have its names and meanings;
// mutate.type is the Hologres connector's write mode.
type Config struct {
	URL      string       `json:"connection.url" validate:"required" importance:"high" doc:"PostgreSQL connection URL of the Hologres instance or PostgreSQL server, postgres://host:port/database?sslmode=... (libpq's key=value form works too)."`
	User     string       `json:"connection.user" importance:"high" doc:"User to connect as; overrides the URL's."`
	Password sdk.Password `json:"connection.password" importance:"high" doc:"Password of connection.user; overrides the URL's."`

	TableFormat string `json:"table.name.format" default:"${topic}" importance:"high" doc:"Table each record goes to; ${topic} is replaced by the record's topic. A dot separates schema and table (a topic dwd.student_signal names table student_signal in schema dwd); bare names are folded to lower case as SQL folds them, double-quoted ones are kept exactly."`

	PKMode   string   `json:"pk.mode" default:"record_value" validate:"oneof=none record_key record_value" importance:"high" doc:"Where the primary key comes from: record_value (the row's fields, the before image for deletes), record_key (the Kafka key: a JSON object, or one value for a one-column key; a tombstone deletes), none (no key: only with insert.mode=insert)."`
	PKFields []string `json:"pk.fields" importance:"high" doc:"Primary-key columns, comma separated. Default: the table's primary key as the catalog has it. Upserts need a unique index on exactly these columns; auto.create makes them the new table's primary key."`

	InsertMode string `json:"insert.mode" default:"upsert" validate:"oneof=insert upsert update" importance:"high" doc:"upsert: INSERT ... ON CONFLICT by the key, as mutate.type says; update: update rows that exist and never insert; insert: append every record with COPY (no key, no deduplication, no deletes: set delete.enabled=false)."`
	MutateType string `json:"mutate.type" default:"insertorupdate" validate:"oneof=insertorupdate insertorreplace insertorignore" importance:"high" doc:"What a write does to a row that exists: insertorupdate updates the columns the record carries and keeps the others; insertorreplace replaces the whole row, columns the record lacks getting their default; insertorignore keeps the existing row. Within a batch, records of one key are merged the same way (last wins, first wins for insertorignore)."`

	DeleteEnabled bool   `json:"delete.enabled" default:"true" importance:"medium" doc:"Delete the row for change events with op d (key from the before image) and, with pk.mode=record_key, for tombstones; false ignores both."`
	UnknownFields string `json:"fields.unknown" default:"ignore" validate:"oneof=ignore error" importance:"medium" doc:"A record field that matches no column is ignored, or makes the record an error (dead-lettered with errors.tolerance=all)."`
	EpochUnit     string `json:"timestamp.epoch.unit" default:"ms" validate:"oneof=s ms us ns" importance:"low" doc:"Unit of numbers written to timestamp columns (Debezium writes milliseconds); dates given as numbers are days since 1970-01-01."`

	AutoCreate bool   `json:"auto.create" default:"false" importance:"medium" doc:"Create a missing table from table.schema.columns, with pk.fields as its primary key (and, on Hologres only, the table.* properties)."`
	Columns    string `json:"table.schema.columns" importance:"medium" doc:"Columns of a table auto.create makes, as in CREATE TABLE: name type [not null], comma separated, e.g. user_id bigint not null, event text, start_time timestamp. Names are created as written (quoted). An existing table's columns are always read from the catalog."`

	Orientation     string   `json:"table.orientation" validate:"regexp=^(column|row|row,column)$" importance:"low" doc:"Hologres storage of a table auto.create makes: column, row or row,column (set_table_property orientation). Ignored on PostgreSQL and for existing tables."`
	DistributionKey []string `json:"table.distribution.key" importance:"low" doc:"Hologres distribution key of a table auto.create makes, comma separated columns; put the columns joins and lookups use. Ignored on PostgreSQL and for existing tables."`
	ClusteringKey   []string `json:"table.clustering.key" importance:"low" doc:"Hologres clustering key of a table auto.create makes: columns, each optionally :asc or :desc, comma separated. Ignored on PostgreSQL and for existing tables."`
	EventTimeColumn string   `json:"table.event.time.column" importance:"low" doc:"Hologres event time column (segment key) of a table auto.create makes. Ignored on PostgreSQL and for existing tables."`
	TimeToLive      int64    `json:"table.time.to.live.seconds" default:"0" validate:"gte=0" importance:"low" doc:"Hologres time_to_live_in_seconds of a table auto.create makes; 0 leaves Hologres's default (rows kept). Ignored on PostgreSQL and for existing tables."`

	OffsetsTable string `json:"offsets.table" importance:"medium" doc:"Table (created when missing) in which the sink records, in the same transaction as the rows, the next Kafka offset of every partition it wrote; the runtime then resumes there and replays change nothing, which makes insert.mode=insert exactly-once. Empty: upserts are idempotent anyway, but appended rows may be written twice after a crash (at-least-once)."`

	BatchSize    int           `json:"batch.size" default:"2000" validate:"gt=0" importance:"medium" doc:"Most records written in one transaction; a batch the runtime hands over is written in transactions of this many records, deduplicated by key. The default is the most the runtime hands over at once, so each batch is one transaction."`
	WriteTimeout time.Duration `json:"write.timeout.ms" default:"60000" validate:"gt=0" importance:"low" doc:"How long one transaction (or connecting) may take before it is abandoned and retried."`

	// Topics is subscribed by the runtime; it is declared so validation and
	// the generated spec know the key.
	Topics []string `json:"topics" importance:"high" doc:"Topics to read, comma separated (subscribed by the runtime)."`
}
