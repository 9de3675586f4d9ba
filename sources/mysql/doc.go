// Package mysql is the MySQL/MariaDB change-data-capture source: it reads a
// server's binlog with go-mysql's replication client, as a replica would,
// and writes each row change as a Debezium change event.
//
// # Events
//
// Each captured row change becomes one record on topic
// <topic.prefix>.<db>.<table>, keyed by the row's primary key as a JSON
// object ({"id":7}; nil for tables without one), whose value is Debezium's
// envelope: before, after, source (version, connector, name, ts_ms,
// snapshot, db, table, server_id, gtid, file, pos, row), op (r for snapshot
// reads, c, u, d) and ts_ms. A delete is followed by a tombstone (same key,
// null value) unless tombstones.on.delete=false; an update that changes the
// primary key becomes a delete of the old key and a create of the new one.
// Column values are encoded as converter describes (convert.go); the
// snapshot and the binlog give identical values for identical rows.
//
// # Snapshot and streaming
//
// With snapshot.mode=initial (or when_needed) and no stored position, the
// connector first reads every captured table inside one consistent-snapshot
// transaction and notes the binlog position that transaction sees; streaming
// starts exactly there, so nothing is lost or read twice between the two.
// Tables are read in primary-key chunks (snapshot.fetch.size rows per query).
// A snapshot interrupted by a restart starts again from the beginning (its
// events are op r reads, harmless to repeat for upserting consumers).
//
// Streaming resumes from a GTID set (binlog.position.mode gtid, or auto on
// MariaDB and on MySQL with gtid_mode=ON) or from a binlog file and position.
// Every event of a transaction stores the transaction's start plus how many
// of its row events and rows came before (Debezium's "event" and "row"), so
// a restart in the middle of a large transaction skips exactly what was
// delivered. When the stored position was purged from the server, the
// connector fails with a clear error, or takes a new snapshot with
// snapshot.mode=when_needed.
//
// # Schemas
//
// Row events are decoded with the schema carried in the binlog itself: the
// server must run with binlog_format=ROW, binlog_row_image=FULL and
// binlog_row_metadata=FULL (MySQL 8.0.1+, MariaDB 10.5+), which puts column
// names, signedness, charsets, ENUM/SET members and the primary key in every
// table-map event. A column added or dropped mid-stream therefore decodes
// correctly on both sides of the change, also when catching up over old
// binlogs. The connector refuses to start on other settings, naming them.
// Every DDL statement and every new table shape is written to the schema
// history topic (schema.history.internal.kafka.topic) with its position.
//
// # Heartbeats and bad values
//
// When heartbeat.interval.ms is set and the binlog moves on without a
// captured change (writes to other tables), a heartbeat record goes to
// <topic.heartbeat.prefix>.<topic.prefix> carrying the current position, so
// a restart does not re-read what was skipped. A row whose values cannot be
// decoded (invalid UTF-8 in a text column, an ENUM index out of range) does
// not stop the stream: it becomes a record with its raw values and the
// reason, dead-lettered under errors.tolerance=all.
package mysql
