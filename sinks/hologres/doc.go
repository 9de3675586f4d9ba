// Package hologres is the sink of the serving store: it writes records as
// rows of Hologres tables over the PostgreSQL protocol (pgx), and of plain
// PostgreSQL tables the same way.
//
// # Records
//
// A record is a Debezium change event (bare, or in the JsonConverter's
// schema+payload wrapper) or a plain JSON object, read against the table's
// columns by sinks/row: fields map to columns by name (exactly, else
// ignoring case) with their values converted to the column's type; a field
// without a column is ignored or, with fields.unknown=error, makes the
// record an error. An explicit JSON null writes NULL; an absent field
// leaves the column alone (insertorupdate) or gives it its default (new
// rows, insertorreplace). The key comes from the row (pk.mode=record_value;
// the before image for deletes) or from the Kafka key (record_key, where a
// tombstone deletes too). op=d deletes the row unless delete.enabled=false;
// the tombstone Debezium writes after a delete changes nothing under
// record_value.
//
// # Writes
//
// insert.mode=upsert (the default) writes INSERT ... ON CONFLICT (key), as
// mutate.type says: insertorupdate sets the columns a record carries,
// insertorreplace sets every column (EXCLUDED holds the defaults of those
// the record lacks), insertorignore does nothing to an existing row.
// insert.mode=update only updates rows that exist; insert.mode=insert
// appends every record with COPY and never deduplicates (pk.mode=none for a
// table without key; deletes must be turned off).
//
// Write writes its records before it returns, in transactions of at most
// batch.size records (by default the most the runtime hands over, so one);
// within one (within each of its two pieces, see below), records of a key
// are merged as the mode merges them (the last wins; the first for
// insertorignore; a delete followed by a re-create rewrites the row),
// deletes run first, then one statement per set of columns present. On
// PostgreSQL a statement carries one array per column (INSERT ... SELECT
// FROM unnest($1::int8[], ...)), one prepared statement for any number of
// rows; values are cast to the column's type without modifiers, so the
// assignment checks lengths and NOT NULL as a plain INSERT does, and types
// the sink has no conversion for (enums, uuid, intervals) are sent as text
// and cast by the server. PostgreSQL checks NOT NULL on the row it would
// insert before it looks for a conflict, so a partial update of a table
// with required columns updates existing rows first and inserts only new
// keys. On Hologres the statements use VALUES lists of at most 512 rows
// (powers of two, so that few statements are prepared) and plain ON
// CONFLICT, which Hologres documents for partial updates. The Hologres
// path is tested here against a PostgreSQL that pretends to be Hologres
// (hg_version and a recording set_table_property), never against Hologres
// itself.
//
// The sink encodes the arrays, and the rows of COPY, in PostgreSQL's
// binary format itself, from the few Go types package row gives each kind,
// as pgx would encode them; a value COPY cannot carry (a number out of a
// real's range, a decimal beyond what the binary numeric holds) sends its
// rows through INSERT, where the server's cast decides.
//
// Mapping records (JSON decoding, conversion) is the sink's own costly
// part: a goroutine maps ahead of the writer on every core, and the server
// writes the first records of a transaction while the client still reads
// the next. Upserts write the first 512 records of a transaction (merged
// by key among themselves) while the rest are mapped, then the rest; a
// key in both ends as one merge of all its records would leave it.
// Appends start their COPY with the first records mapped and stream the
// rows of one table and set of columns as the rest are mapped; the
// transaction's other records are written after the COPY. A record its
// table refuses ends the transaction before it; when the table's catalog
// is due to be read again, it is read before the record is tried again.
//
// # Errors
//
// A record that cannot be written comes back as a *sdk.RecordError with its
// index, the records before it written; the runtime dead-letters it (with
// errors.tolerance=all) and hands over the rest. The mapper refuses wrong
// types, missing keys, strings longer than their column and unknown fields.
// The database refuses the rest (CHECK and NOT NULL constraints, unique
// indexes other than the key, values out of range): on a data error
// (SQLSTATE classes 21, 22, 23) the transaction's records are written
// again one by one under savepoints to find the first that fails. The
// error names the table, the column or constraint and the SQLSTATE, never
// the row's values. Connection faults, serialization failures, deadlocks,
// lock and statement timeouts, shutdowns and resource shortages are
// retriable: Write returns what it committed before with sdk.Retriable,
// and the runtime retries the rest. Any other error (permissions, a key
// without unique index, a missing table without auto.create) fails the
// task.
//
// # Tables
//
// Table names come from table.name.format; a topic with a dot names a
// schema (dwd.student_signal). A table's columns and key are read from the
// catalog (generated columns left out) when the sink first needs it, again
// every minute, when a record is refused (the column it needs may have just
// been added) and when a statement names a column or table that is gone;
// pk.fields defaults to the primary key, and upserts need a unique index on
// exactly the key's columns. With auto.create a missing table is created
// from table.schema.columns with pk.fields as its primary key (and its schema if
// missing). Hologres is told from PostgreSQL by version() or hg_version();
// only there do table.orientation, table.distribution.key,
// table.clustering.key, table.event.time.column and
// table.time.to.live.seconds become CALL set_table_property statements, in
// the transaction that creates the table, as Hologres requires. PostgreSQL
// gets the CREATE TABLE alone, and an existing table is never altered.
//
// # Delivery
//
// Upserts and deletes are idempotent: a replay after a crash, from the last
// committed consumer offset, rewrites rows with the values they already
// have. Appends are not: replayed records would be appended again. With
// offsets.table the sink writes, in the same transaction as the rows, the
// next offset of every partition it wrote (per connector name, never going
// back), implements sdk.OffsetKeeper so the runtime resumes there, and skips
// records below those offsets; appends are then exactly-once too. To
// process a topic again from an earlier offset, delete the connector's rows
// from that table as well.
package hologres
