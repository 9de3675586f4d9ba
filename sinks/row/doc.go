// Package row turns sink records into typed row changes for table-shaped
// stores (the hologres and rds sinks) and batches them the way those stores
// want them written.
//
// A record is a Debezium change event or a plain JSON object (see
// record.ParseChange). Mapper reads it against the target table's columns:
// each field is converted to its column's kind (Column.Convert), the primary
// key comes from the value or the record key (pk.mode), and op=d or a
// tombstone becomes a delete. Anything that cannot be written — a field of
// the wrong type, a string longer than its column, a missing key column, an
// unknown field when unknown fields are errors — is an error naming the
// field, which the sinks report as a sdk.RecordError so the record goes to
// the dead-letter topic rather than vanishing.
//
// Batch deduplicates changes by primary key with the semantics of the
// Hologres connector's write modes (last record wins; in insertorupdate a
// later partial row updates only the columns it carries) and hands the sink
// groups of rows that one statement each can write: deletes first, then
// upserts grouped by the set of columns present.
package row
