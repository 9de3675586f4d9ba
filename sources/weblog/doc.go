// Package weblog is the web access log source (tributary.sources.weblog): it
// tails the files a glob matches (path.glob, e.g. /var/log/nginx/access.log*),
// through rotation by rename and by copytruncate and across restarts, and
// turns each line into one JSON record with named fields. It owns the log
// format parsers, the tracking of files by fingerprint, and the stored
// position of the whole set of files.
//
// # Formats
//
// format=combined reads nginx's predefined combined format; format=custom
// compiles log.format, a log_format string in nginx's syntax ($var or
// ${var}, everything else literal), once into a matcher; format=json reads
// one JSON object per line, as `log_format name escape=json '{...}'` writes.
// The text formats undo nginx's escaping (log.escape: \xHH by default, or
// JSON escapes); a value whose unescaped bytes are not valid UTF-8 (a client
// sent Latin-1 in a header) is kept as nginx wrote it, escapes included. A
// variable's value runs up to the first occurrence of the literal text that
// follows it, so two variables need text between them, and a value that may
// contain that text must be quoted, as combined quotes $request and the
// headers. Matching is strict: a line must match the whole format.
//
// The record value is one JSON object whose fields follow the format's
// variables: remote_addr, remote_user, time (RFC 3339 with the line's UTC
// offset, from $time_local, $time_iso8601 or $msec), method, path (as logged,
// still percent-encoded), query (raw, when not empty), protocol (from $request,
// or $request_method, $request_uri, $uri, $args, $server_protocol), status
// and bytes ($body_bytes_sent) as integers, request_time as a number,
// referer, user_agent; any other variable is a string field named after it
// ($host gives host). An empty value, written "-" by nginx (or "" with
// escape=json), leaves its field out. A request line that does not split into
// method, URI and protocol (a TLS handshake sent to the plain-HTTP port) is
// data, not a broken line: it is kept whole as request. When two variables
// would give one field ($time_local and $msec), the first present wins and
// the other is kept as a string named after its variable. The json format
// reads keys named after nginx variables or output fields the same way (so
// "status":"200" and "status":200 both give the number) and keeps other keys
// as they are, with their JSON type. The record timestamp is the line's time
// (the read time for a format without one); the key is the value of
// key.field (params.<name> for a beacon parameter), or nil.
//
// Beacons: for a request whose path is one of beacon.paths and that has a
// query string, the query becomes the object "params": keys and values
// URL-decoded ("+" is a space), pairs split on "&" only, a pair without "="
// has the value "", a pair with an empty key is skipped, values are always
// strings (no type guessing). A key or value whose percent-encoding is
// malformed or decodes to invalid UTF-8 is kept as sent. A repeated key keeps
// all its values, in order, as an array (beacon.repeated=array, the default:
// nothing is lost), or only its first or last value; a key sent once is a
// string in every mode.
//
// Bad input: a line that is not valid UTF-8, does not match the format
// (binary garbage, a line cut short, another format) or is longer than
// max.line.bytes becomes a record whose Fault says why and where (file and
// byte offset, also in the headers tributary.weblog.file and
// tributary.weblog.offset) and whose value is the line, cut to
// max.line.bytes. The runtime dead-letters it when errors.tolerance=all and
// fails the task otherwise; either way reading goes on after it. A line is
// never held whole beyond max.line.bytes: a 10 MB line costs max.line.bytes
// of memory. Blank lines are skipped.
//
// # Files and rotation
//
// Files are read oldest first (by modification time when found), each to its
// end before the next, so a rotated file is finished before its successor;
// a renamed file that nginx still writes to until it reopens its logs keeps
// being read, and its late lines come after lines already read from the new
// file. A line is read once its newline is there: a writer may be in the
// middle of it. Files named like path.exclude (compressed rotations) are
// never read. The glob is matched again every scan.interval.ms, and whenever
// every file is read to its end.
//
// A file is known by its open descriptor while it is read, and by a
// fingerprint, the CRC-64 of its first fingerprint.bytes bytes (Vector's
// "checksum" strategy), across copies and restarts; while a file is shorter
// than that, by its inode and the checksum of what it has.
//
//   - Rename (create mode): the descriptor follows the file to its new name
//     and offset; the new file is a new file, read from its start.
//   - A file whose first bytes agree with a tracked file's as far as both go
//     is taken for a copy of it (a copytruncate copy, complete or in progress,
//     or a plain cp) and not read on its own.
//   - Copytruncate: a file found shorter than what was read, or whose first
//     bytes changed, was truncated. Its copy among the files the glob matches
//     (same first bytes, at least as long as what was delivered) is read on
//     from the delivered offset, so the lines written after the last read and
//     before the truncation are not lost; the truncated file is then read
//     again from its start as a new file. Without such a copy (the glob does
//     not match it, or it was compressed first), the file is read again from
//     its start and those lines are lost, with a warning. Lines nginx writes
//     between logrotate's copy and its truncation are in neither file: that
//     loss belongs to copytruncate itself.
//   - A file the glob no longer matches (renamed away, deleted) is read to
//     its end, kept open until it has not grown for rotate.wait.ms, then
//     closed and forgotten (an unterminated last line becomes a faulty
//     record), unless a copy of it is found, which takes over.
//
// # Position
//
// All files share one source partition, {"glob": <absolute pattern>}, whose
// offset lists every tracked file with something delivered:
// {"files": [{"path", "ino", "fp", "fpl", "offset"}]}, fp the fingerprint of
// the first fpl bytes and offset the byte after the last line delivered. It
// is bounded by the files on disk: forgotten files leave it, files.max bounds
// it (the task fails rather than leave files unread). The runtime stores,
// per partition, the position of the last record of each delivered batch, so
// only the last record of a Read carries it, complete; the others have none,
// which keeps batches cheap and stays correct for a runtime that stores the
// position of a prefix of a batch (it stores nothing until the batch ends).
//
// At Open, each stored file is looked for among the files the glob matches:
// by its fingerprint alone when fpl is at least fingerprint.bytes, so a file
// renamed, or copied and truncated, while the connector was stopped is found
// (the same inode, then the same path, preferred); by inode and the checksum
// of its first fpl bytes otherwise. It resumes at its stored offset: no line
// delivered is read again, none is skipped. Stored files found nowhere are
// forgotten. Other files are new and read from their start, or, at the very
// first start and with read.from=end, from their last line end.
//
// Guarantees and limits: at least once. A line is delivered again only when the
// worker died between Kafka's acknowledgement and the position being stored, or
// when a file still shorter than fingerprint.bytes is copied and truncated
// while the connector is stopped (its copy is not recognised and is read from
// its start: at most fingerprint.bytes of lines twice). Lines are lost only
// when a file leaves the glob or is deleted before it was read to its end while
// the connector is stopped (keep rotated names in the glob, and use logrotate's
// delaycompress), when a truncated file has no copy the glob matches, and in
// copytruncate's own window. The glob pattern names the partition: changing
// path.glob starts afresh. Two files with the same first fingerprint.bytes
// bytes are taken for copies of each other; access logs start with an address
// and a time, so real logs do not collide, but files with a constant header
// would need a larger fingerprint.bytes.
package weblog
