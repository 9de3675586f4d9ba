// Package file is the file source: Kafka Connect's FileStreamSource with the
// same config keys (file, topic, batch.size) and the same stored positions
// (partition {"filename": <absolute path>}, offset {"position": <byte offset>}),
// so configs and offsets of a FileStreamSource carry over, plus what tailing a
// log in production needs.
//
// Each line becomes one record: the value is the line without its "\n" (a
// "\r\n" terminator is removed whole; a lone "\r" is data), the key is nil,
// the timestamp is the time the line was read. A record's position is the byte
// offset just after its line, so a restart resumes at the first line whose
// record Kafka had not confirmed; a line is read again only if the worker died
// between Kafka's confirmation and the position being stored.
//
// Tailing. At the end of the file Read waits (poll.interval.ms) for more data.
// A last line without its newline is not emitted until the newline arrives,
// since the writer may be in the middle of it. A file that does not exist yet
// is waited for.
//
// Truncation and rotation. When the file becomes shorter than what was read
// (copytruncate), or another file takes its path (rename-and-create rotation,
// detected at the end of the old file, so the old file is read to its end
// first), reading restarts at offset 0 and a warning is logged. An unfinished
// last line of the old file is dropped, also with a warning. The offset also
// stores the file's inode ("inode", optional when restoring), so a file
// replaced while the connector was stopped is read from its start instead of
// from an offset that belonged to its predecessor. A truncation followed by
// growth past the read offset before the source looks again cannot be seen;
// use rename rotation where that matters.
//
// Long lines. Kafka's FileStreamSource grows its buffer without bound, so a
// file without newlines can exhaust the worker's memory. Here a line longer
// than max.line.bytes is emitted cut to that length, with the header
// tributary.line.truncated holding its full length, and a warning is logged:
// a source cannot dead-letter one record, failing the task would stop the
// pipeline on that line forever, and skipping it would lose it silently, so a
// marked, truncated record is the choice that keeps data flowing and leaves
// the damage visible downstream. Memory stays bounded by max.line.bytes.
package file
