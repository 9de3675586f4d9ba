// Package hbase is the HBase sink: it turns change events and plain JSON rows
// into HBase puts and deletes through gohbase, for the dimension tables the
// warehouse's lookup joins read (channel_name_dictionary keyed by md5(id)).
//
// Rows. Each record's value is read as a Debezium change event (op c, u, r
// or d, also inside the JsonConverter's schema/payload wrapper) or as a plain
// JSON object, which counts as an upsert. The table is table.name.format with
// ${topic} replaced; the row key is rowkey.expression evaluated over the row.
//
// Cells. A put writes one cell per field (or per field of fields.include)
// into column.family, the qualifier being the field's name and the value its
// text: strings as UTF-8, numbers as their exact decimal text as they came in
// the JSON (18446744073709551615 and 1234.5600 keep every digit), booleans as
// true or false, objects and arrays as compact JSON. A null field writes no
// cell, and a put never deletes a cell: updates are insert-or-update, so a
// column that becomes NULL keeps its previous value in HBase. A put whose
// fields are all null writes nothing.
//
// Deletes. An op d event deletes the row's cells in column.family (not the
// other families, which may belong to other writers), the row key computed
// from the event's before row. A tombstone (null value) deletes the row whose
// key the record key gives, read as a JSON object such as Debezium's
// {"id":1}; a tombstone without such a key is skipped, since CDC sources
// write one after every delete event, which has already removed the row.
// delete.enabled=false ignores both.
//
// Row key expressions: a field name (id), a string ('_'), and the functions
// md5 (lower-case hex of the UTF-8 text), concat, lower, upper and reverse,
// nested: md5(id), concat(user_id,'_',room_id), md5(concat(a,b)). Field
// values in a key read as in cells; a missing, null, object or array field,
// or an empty key, makes the record unwritable. Open reports an expression
// that does not parse with the column of the mistake.
//
// Guarantees. Write sends the mutations of up to batch.size records and
// waits until HBase acknowledged every one (HBase has made them durable in
// its write-ahead log by then), so Flush has nothing to do and offsets are
// committed only for rows that are stored. Within a batch the mutations of
// one row are folded in order (a delete then a put leaves exactly the put's
// cells); deletes are sent before puts, and puts wait until 2 ms after the
// last acknowledged delete, because HBase hides a put stamped in the same
// millisecond as a delete of its row. Replaying records after a crash writes
// the same cells again, which changes nothing. A record that is not JSON,
// not a valid change event, or gives no row key is a *sdk.RecordError (dead-
// lettered with errors.tolerance=all): never skipped silently.
//
// Errors. gohbase retries region moves and busy servers by itself until
// write.timeout.ms; a batch that still fails with a timeout, a lost
// connection or a stopping server is retriable (the batches before it count
// as written), anything else (a missing table or column family) fails the
// task.
//
// Testing. No HBase server runs on these machines. The unit tests run the
// sink against a fake gohbase.Client that keeps the table state in memory
// and records every call, so they assert the exact puts and deletes, the
// state after replays, and the error mapping. integration_test.go (build tag
// integration) writes to and reads back from a real cluster when HBASE_ZK
// names its ZooKeeper quorum.
package hbase
