// Package stream holds the building blocks of the stateful operators
// (windowed aggregation, latest value per key, group aggregation with
// retraction, joins): event time and watermarks, window assignment, the
// encoding of grouping keys, and the buffer of state changes a stateful
// transform hands the runtime for its changelog topic (sdk.Stateful).
//
// Watermarks follow Flink's bounded out-of-orderness: each input partition's
// watermark is the largest event time it has shown minus the allowed
// out-of-orderness, and an operator's watermark is the smallest over the
// partitions it reads, skipping partitions that have been quiet for the idle
// timeout so that one silent partition does not hold every window open.
// When every partition is quiet the watermark is the largest of theirs: it
// never runs ahead of the data, and never back.
//
// Everything here is deterministic given the records and the wall-clock
// times passed in, so operators can be tested without sleeping and restored
// from their changelog to exactly where they were.
package stream
