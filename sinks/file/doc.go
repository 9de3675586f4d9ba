// Package file is the file sink: Kafka Connect's FileStreamSink (keys file and
// topics) made exactly-once.
//
// Every record's value is appended to the file followed by "\n". Values are
// written raw: a value that contains a newline spans several lines of the
// file, and a null value (a tombstone) writes an empty line. Use a transform
// to escape or drop such values when the file must hold one record per line.
//
// Exactly once. The sink keeps its own input offsets in a sidecar,
// <file>.offsets, and implements sdk.OffsetKeeper, so the runtime starts each
// partition where the file ends rather than at the consumer group's committed
// offset. Flush writes the buffered data, fsyncs the data file, and then
// replaces the sidecar atomically (temp file, fsync, rename, fsync of the
// directory) with {"length": <data file length>, "offsets": {"topic/partition":
// <next offset>, …}}. Open truncates the data file back to the recorded length,
// dropping whatever was written after the last completed flush, and
// StoredOffsets returns the recorded offsets. A crash at any point, including
// between a flush and the runtime's offset commit, therefore neither loses nor
// repeats a line. Write also skips records below the next offset it has for
// their partition, so a replay from older offsets is harmless too.
//
// Files the sink did not write. Without a sidecar, an existing non-empty file
// is kept and appended to; its content is not the sink's, so no offsets are
// returned and the runtime starts at the consumer group's offsets. Open writes
// the sidecar at once, recording the file's length with no offsets, so that a
// crash before the first flush also rolls back to that length. If the
// sidecar exists but the data file is missing or empty, it was moved away or
// emptied on purpose: a new file is started after the recorded offsets. A data
// file shorter than the recorded length but not empty was changed by someone
// else, and Open fails rather than guess; delete the sidecar to start over.
// The file must not be moved while the connector runs.
//
// One task. The connector always runs a single task, whatever tasks.max says:
// several writers could not share one file and one sidecar consistently. An IO
// error fails the task (it is not retriable); the restart rolls the file back
// to the last flush.
package file
