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
// the Kafka record timestamp, or partition.time.field of the row, read as
// "Time" below says.
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
// WITH TIME ZONE), decimal(p,s) DECIMAL(p,s) up to p=38, read exactly;
// decimal or numeric without a precision is kept as exact text. Fields not
// declared are not kept. The row is the Debezium envelope's after image, its before
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
// errors.tolerance=all. Nothing is rounded, cut or dropped silently, with
// one exception: timestamps are stored to the microsecond (Parquet
// TIMESTAMP(MICROS), DuckDB's and Spark's own precision), so the digits of
// a nanosecond value beyond the sixth are cut, toward the past
// (…23:59:59.999999999 is kept as …23:59:59.999999, in the same hour).
// TIMESTAMP(NANOS) would hold only the years 1677 to 2262, not the
// '1000-01-01' to '9999-12-31' a MySQL DATETIME may hold.
//
// # Time
//
// partition.timezone is the one zone of the backup: a clock reading (a
// timestamp column, text without an offset) is a reading of its clocks,
// and an instant given for a clock reading is shown as its clocks show it.
// Debezium writes a MySQL DATETIME (a reading) as epoch milliseconds or
// microseconds of that reading taken as UTC, and a MySQL TIMESTAMP (an
// instant) as RFC 3339 text in UTC, ending in Z; declare both as timestamp
// to keep both as a MySQL client in partition.timezone shows them. With
// partition.timezone=Asia/Shanghai and timestamp.epoch.unit=ms, a field of
// the row is read as follows ("undeclared": a partition.time.field not in
// table.schema.columns, which gives only the event time):
//
//	declared     value in the row                    column holds          event time (hh)
//	timestamp    1714607999000 (DATETIME)            2024-05-01 23:59:59   23:59:59 +08 (23)
//	timestamp    "2024-05-01 23:59:59"               2024-05-01 23:59:59   23:59:59 +08 (23)
//	timestamp    "2024-05-01T15:59:59Z" (TIMESTAMP)  2024-05-01 23:59:59   23:59:59 +08 (23)
//	timestamptz  1714579199000                       2024-05-01 15:59:59Z  23:59:59 +08 (23)
//	timestamptz  "2024-05-01T15:59:59Z"              2024-05-01 15:59:59Z  23:59:59 +08 (23)
//	timestamptz  "2024-05-01 23:59:59"               2024-05-01 15:59:59Z  23:59:59 +08 (23)
//	date         "2024-05-01T16:30:00Z"              2024-05-02            00:00 +08 (00)
//	date         19845 or "2024-05-02"               2024-05-02            00:00 +08 (00)
//	undeclared   1714579199000                       -                     23:59:59 +08 (23)
//	undeclared   "2024-05-01T15:59:59Z"              -                     23:59:59 +08 (23)
//	undeclared   "2024-05-01 23:59:59"               -                     23:59:59 +08 (23)
//
// So epoch numbers are readings in a timestamp column and instants
// elsewhere; text says which it is by its offset. A declared column used as
// partition.time.field places the row in the hour its own value shows (the
// event times above are all on May 1 or 2, 2024). The sinks converting with
// sinks/row keep an instant given for a timestamp column as its UTC
// reading instead; the backup uses partition.timezone, the zone its ds and
// hh are in, so a column and its row's hour never disagree.
//
// # Exactly once
//
// Rows are buffered per topic partition and hour. A buffer is written as one
// file when it reaches flush.size rows, after rotate.interval.ms, once its
// partition's event time has passed the end of its hour plus
// success.marker.delay.ms (the hour is done for that partition), and at
// every Flush, which the runtime calls before committing offsets. The number
// of files therefore follows the flush interval: with the worker's
// offset.flush.interval default of 5 s an hour gets up to 720 files per
// Kafka partition. Set the connector's own offset.flush.interval.ms to
// minutes, e.g. 300000, for fewer, larger files (a crash then replays up to
// that much from Kafka, which the skipping below absorbs).
//
// Between flushes, catching up a backlog, each partition thus holds about
// one hour in memory. All buffers together hold at most buffer.max.rows rows
// and buffer.max.bytes bytes (an estimate): beyond either, the largest
// buffers are written as files until half of each is left.
//
// A local file is written to a hidden temporary name, synced, renamed into
// place and its directory synced; an S3 object is one PUT, which is atomic.
//
// A replay never needs the files of the earlier run to be cut the same way.
// Before writing a buffer the sink drops the rows whose offsets lie within
// the range of a file of the same topic partition already in the hour
// directory: every valid record of that partition whose offset is in such a
// range and whose event time falls in that hour is in that directory
// already (the runtime reads a partition in offset order, and a record's
// hour depends only on the record and the config). It lists the directory
// for this once per flush cycle (the time between two Flushes, which ends
// when the runtime takes partitions away) and adds the files it writes
// itself to what it learned; it lists again only for a partition that
// arrived, or was read again from an earlier offset, after that listing, as
// another task may have written files of it before it came here. Write also
// skips such records early, from what it learned of the directory before.
// A partition read again from an earlier offset within one sink (a lost
// assignment that came back, a retried batch) replaces the buffered rows
// from that offset on. So after a crash at any point, and whichever task
// reads a partition next, every record is in the backup exactly once. The
// one case this does not cover is two live writers of one partition at once
// (a task that lost its partitions and has not noticed yet, writing while the
// new owner does): they may write overlapping files, as with any sink without
// fencing.
//
// Dead-lettered records are the exception to "every record": the backup
// never holds them, and a replay cannot bring them back. A file's range
// spans the offsets of the records dead-lettered between its first and last
// row (part-t-0-0-2 holds offsets 0 and 2 when 1 was dead-lettered), so a
// replay that now could read offset 1, say after the config was fixed,
// skips it as written; whether a replay writes a dead-lettered record
// depends on where the files were cut, so never count on it. The dead-letter
// topic holds such a record: to back it up, fix what was wrong and produce
// it to the topic again, where it gets a new offset. Records dead-lettered
// in the first run may be dead-lettered again by a replay.
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
// largest when all are idle), minus success.marker.delay.ms. A partition's
// event time counts no later than the wall clock when its record came, so
// the watermark never passes the clock minus the delay: a producer whose
// clock runs ahead does not close the running hour. A partition that comes
// in behind the others (newly assigned to the task and reading older data,
// or idle and back) holds the watermark back at its own event time, so the
// hours it fills are not marked meanwhile; and no marker is written within
// success.idle.timeout.ms of the start, as a partition may not have
// delivered its first record yet. At each Flush, once every buffer is
// written, the sink writes _SUCCESS in each hour it has rows for whose end
// the watermark has passed. The marker is JSON: {"watermark": …, "files":
// [the data files in the hour]}. Rows that arrive for an hour after its
// marker (later than the delay) are still written, a warning is logged and
// the marker is rewritten at the first flush the watermark has passed the
// hour again. A restarted task looks for hours of the day of its first
// record and the day before that have files but no marker, and marks them in
// turn.
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
