// Package timefmt reads and writes the times the warehouse's records carry:
// epoch numbers in seconds, milliseconds, microseconds or nanoseconds (as
// numbers or strings of digits), RFC 3339 text, or text by a Java-style
// pattern such as yyyy-MM-dd HH:mm:ss.SSS in a given zone, which is how the
// seed's Flink SQL and MySQL write them.
//
// It is shared by the transforms that take event time from a field (the
// timestamp step, the stream operators) and those that write times into
// their output (window starts and ends), so every connector spells formats
// the same way. Writer formats a stream of close-together times without an
// allocation per record.
package timefmt
