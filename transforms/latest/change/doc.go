// Package change reads the records of a changelog stream: Debezium's
// envelope as the mysql source writes it and the latest connector emits it,
//
//	{"op":"u","before":{"id":7,"status":1},"after":{"id":7,"status":3}}
//
// and plain JSON rows, which are new versions of their key (or inserts, for
// an append-only stream). It is shared by the two stateful connectors of a
// retracting pipeline: latest reads CDC topics with it, and aggregate reads
// what latest writes.
//
// A record is an envelope when its op is a string and its before or after
// is an object; anything else that is one JSON object is a plain row. The
// op must then be c, u, d or r. The envelope's rows are read by the same
// field specs as a plain row, each relative to its own object, so one
// config serves a CDC topic and a topic of plain rows alike.
//
// Rows can be completed with time fields (TimeField): a day or an hour
// formatted from a time field of the row, as SQL's date_format, so that a
// group key computed from a time can key and group the stream.
//
// Reading costs one pass over a record, plain row or envelope (whose
// rows are read in the same pass); only a record with an error is read
// again, part by part, to say where it is wrong. Nothing is allocated, and
// the values read point into the record's bytes. An envelope is read whole:
// a field of before that does not convert is an error even for a reader
// that only wants after.
package change
