// Package backup is the offline backup sink (tributary.sinks.backup): it
// keeps topics as hourly partitioned Parquet files, MaxCompute style, on a
// local disk or an S3-compatible store, for the batch validation (tributary
// validate recomputes job results from them) and dimension bootstraps.
//
// # Layout
//
//	<backup.root>/<table>/ds=YYYYMMDD/hh=HH/part-<topic>-<kafka partition>-<first offset>-<last offset>.parquet
//	<backup.root>/<table>/ds=YYYYMMDD/hh=HH/_SUCCESS
//
// <table> is table.name.format (default ${topic}) with every character other
// than [A-Za-z0-9_-] turned into _: topic ods.qos_log is table ods_qos_log.
// ds and hh are the local date and hour of the record's event time in
// partition.timezone (Asia/Shanghai for the warehouse). The event time is
// the Kafka record timestamp, or partition.time.field of the row: a field
// declared timestamp or date is wall-clock time (what Debezium writes for a
// MySQL DATETIME), timestamptz is an instant; an undeclared field holds epoch
// numbers in timestamp.epoch.unit (instants) or text (with a zone an instant,
// without one wall-clock time in partition.timezone).
//
// A file holds the rows of one topic partition only, and its name states the
// Kafka offsets of its first and last row. The topic is part of the name, not
// the task: partitions move between tasks, and several topics may share a
// table. A topic name too long for a file name is written as "~" and 16 hex
// digits of its FNV-1a hash.
//
// Read a table with DuckDB (hive_types_autocast=false keeps ds and hh text,
// as in MaxCompute; without it DuckDB guesses their types from the values):
//
//	SELECT * FROM read_parquet('<root>/<table>/*/*/*.parquet', hive_partitioning=true, hive_types_autocast=false)
//
// Files whose table.schema.columns differ (the declaration changed) are read
// together with union_by_name=true. Temporary files (".part-….tmp") and
// _SUCCESS never match *.parquet; Spark skips them too.
//
// # Columns
//
// With table.schema.columns, each declared column is a typed Parquet column filled
// from the row field of that name (exact, else case-insensitive), in declared
// order, nullable unless NOT NULL: bigint/int/smallint/tinyint are INT(64|32|
// 16|8) (UINT when unsigned), double/real DOUBLE, boolean BOOLEAN, varchar
// and text STRING, json JSON, bytea/blob BYTE_ARRAY (base64 in the JSON, as
// Debezium writes it), date DATE, timestamp TIMESTAMP(MICROS) wall-clock
// (DuckDB TIMESTAMP), timestamptz TIMESTAMP(MICROS, UTC) (DuckDB TIMESTAMP
// WITH TIME ZONE), both to the microsecond, decimal(p,s) DECIMAL(p,s) up to
// p=38, read exactly; decimal
// or numeric without a precision is kept as exact text. Fields not declared
// are not kept. The row is the Debezium envelope's after image, its before
// image for deletes, or the plain JSON object. A tombstone (null value) has
// no row and is skipped: the delete event before it carried the row.
//
// Without table.schema.columns every record is kept whole: key (STRING, the record
// key as UTF-8 text) and value (JSON, the value exactly as received; null for
// a tombstone). Values must be JSON objects (a row or a change event) in
// either layout.
//
// Every file also has _topic (STRING), _partition (INT32), _offset (INT64),
// _timestamp (the Kafka timestamp, TIMESTAMP(MILLIS, UTC)) and _op (c, u, d,
// r from the envelope; "" for a plain row; d for a tombstone), so
// (_topic, _partition, _offset) identifies a record.
//
// A record that cannot be written — not JSON, a field of the wrong type, a
// string longer than its varchar, a number beyond its column, more decimal
// places than the scale, a missing NOT NULL field or event time — is an
// *sdk.RecordError naming it, and goes to the dead-letter topic when
// errors.tolerance=all. Nothing is rounded, cut or dropped silently.
//
// # Exactly once
//
// Rows are buffered per topic partition and hour. A buffer is written as one
// file when it reaches flush.size rows, after rotate.interval.ms, and at every
// Flush, which the runtime calls before committing offsets. The number of
// files therefore follows the worker's offset.flush.interval: with its 5 s
// default an hour gets up to 720 files per Kafka partition; a longer interval
// (minutes) suits a backup. A local file is
// written to a hidden temporary name, synced, renamed into place and its
// directory synced; an S3 object is one PUT, which is atomic.
//
// A replay therefore never needs the files of the earlier run to be cut the
// same way. Before writing a buffer the sink lists its hour directory and
// drops the rows whose offsets lie within the range of a file of the same
// topic partition already there: every valid record of that partition whose
// offset is in such a range and whose event time falls in that hour is in
// that directory already (the runtime reads a partition in offset order, and
// a record's hour depends only on the record and the config). Write also
// skips such records early, from what it learned of the directory before.
// A partition read again from an earlier offset within one sink (a lost
// assignment that came back, a retried batch) replaces the buffered rows
// from that offset on. So after a crash at any point, and whichever task
// reads a partition next, every record is in the backup exactly once.
// Records dead-lettered in the first run may be dead-lettered again. The
// one case this does not cover is two live writers of one partition at once
// (a task that lost its partitions and has not noticed yet, writing while the
// new owner does): they may write overlapping files, as with any sink without
// fencing.
//
// The sink does not implement sdk.OffsetKeeper: the files do not tell which
// offsets below a range were written to other hours, so the safe resume point
// could only come from a manifest kept beside them, and skipping is enough.
//
// Temporary files a crashed writer left behind are removed when the sink
// next writes a file of the same topic partition in that directory (the
// replay after a crash does); a temporary _SUCCESS older than ten minutes
// when its hour is marked again.
//
// Keep partition.time.field, partition.timezone, timestamp.epoch.unit and
// table.name.format unchanged while records may be read again: a record
// placed in another hour than before is not recognised as written.
//
// # _SUCCESS
//
// The task's watermark is the smallest event time reached by the Kafka
// partitions it received records of within success.idle.timeout.ms (the
// largest when all are idle), minus success.marker.delay.ms; it never goes
// back, and event times more than an hour ahead of the clock do not advance
// it. At each Flush, once every buffer is written, the sink writes _SUCCESS
// in each hour it has rows for whose end the watermark has passed. The marker
// is JSON: {"watermark": …, "files": [the data files in the hour]}. Rows that
// arrive for an hour after its marker (later than the delay) are still
// written, the marker is rewritten at the next flush and a warning logged. A
// restarted task looks for hours of the day of its first record and the day
// before that have files but no marker, and marks them in turn.
//
// The marker speaks for the task that wrote it: with several tasks, each
// writes _SUCCESS when its own partitions are done, so the first marker of an
// hour does not prove the other tasks are done. A consumer that waits for
// markers should run the connector with tasks.max=1 (one task reads every
// partition; the backup is bound by disk or network, not CPU). The watermark
// advances only with records and markers are written at flushes, which the
// runtime makes only after new records: the last hour before a quiet period
// is marked when traffic resumes.
//
// # S3
//
// With s3.endpoint set, backup.root is s3://bucket/prefix and object keys
// mirror the local layout under prefix. Each file is encoded in memory and
// sent in one PUT (no multipart upload; files are bounded by flush.size), and
// covered offset ranges are learned by listing. The bucket must exist. S3
// errors are retriable. The store must list what it has just written (AWS S3,
// MinIO and the big clouds' stores do).
package backup
