// Package window is the windowed aggregation connector
// (tributary.transforms.window): event-time tumbling or hopping windows over
// a stream, grouped by fields, with count, sum, avg, min, max and
// count_distinct per window and group. It runs the warehouse's classroom
// performance job (a 1-minute count per user, room, role and event) and its
// audio/video quality job (30-second sums, averages and counts).
//
// Why it is built this way:
//
//   - Results are upserts keyed by (window start, group values), so a late
//     record within allowed.lateness corrects a fired window by emitting the
//     same key again, and the sink tables keep one row per window and group.
//     Records later than that go to late.topic with the header
//     tributary.late.ms, and are counted; none is dropped silently.
//   - The watermark is worked out after every record (Flink's punctuated
//     watermarks), not per batch. A task reading one partition therefore
//     decides which window a record lands in, and whether it is late, from
//     the records before it alone, and a replay after a crash gives exactly
//     what an uninterrupted run gives. A task reading several partitions
//     takes the smallest of their watermarks, as Flink does: results stay
//     exactly-once consistent, but a record near the lateness limit may be
//     counted or sent late depending on how the partitions' records
//     interleave and on the idle timeout.
//   - Every record of a group must reach the same partition: the upstream
//     keys its output by a field of group.by (the signal ETL keys by
//     md5(userId)), as Kafka Streams requires co-partitioning. Otherwise
//     two partitions emit partial results under one key.
//   - State (each window's groups, each partition's largest event time and
//     how far its windows have fired) goes to the changelog topic in the
//     transaction of the batch that changed it (sdk.Stateful), so a task that
//     dies mid-window resumes with exactly the counts of its last commit.
//   - A group of a count-only set is one int64 in memory; the changelog
//     carries only the groups a batch changed.
package window
