// Package bootstrap initialises a dimension table of the serving store in
// full from the offline side, as the second seed does: Kafka keeps only a
// few days, so a dimension whose rows changed long ago has no record left
// in its topic, and a lookup join would find nothing for it.
//
// It reads a Parquet snapshot (the backup sink's files of the dimension's
// topic, or any export with one column per field) and plays it through the
// same connectors the stream uses, in process: the transforms of the
// pipeline file that lead to the named sink, then the sink itself. So a row
// loaded from the snapshot is exactly the row the stream would have
// written, with the same key, conversions and table.
//
// The snapshot is older than anything the stream wrote, so by default the
// sink only inserts keys the table does not hold yet (mutate.type =
// insertorignore) and keys deleted in the snapshot are left alone: run it
// before the pipeline or while it runs, the stream's newer rows win either
// way. Overwrite loads with the sink's own mode instead, deletes included.
//
// A MySQL table needs no tool of its own: the mysql source reads every
// captured table in full (snapshot.mode=initial, op r) before it streams.
package bootstrap
