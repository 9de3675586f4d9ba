// Package latest is the latest-value-per-key connector
// (tributary.transforms.latest): it turns a stream of row versions into a
// changelog stream whose updates retract the row they replace. It is the
// first half of the warehouse's two "latest row, then count" jobs, where the
// seed writes
//
//	CREATE VIEW cc_data_pack_order_info_view AS
//	SELECT last_value(cc_id) AS cc_id, last_value(confirm_date_time) AS confirm_date_time,
//	       last_value(status) AS status
//	FROM cc_data_pack_order_info_src GROUP BY id;
//
// (and student_da_src_view, user_da_in_view for the hourly registrations).
// The aggregate connector downstream is the second half.
//
// Why it is built this way:
//
//   - Retraction. A count of confirmed orders must go down when an order
//     leaves status 3, so an update cannot just be the new row: it is
//     {"op":"u","before":old,"after":new}, and the aggregation takes before
//     out of its group and puts after in, as Flink's retracting GROUP BY
//     does. A delete is {"op":"d","before":old,"after":null}. The envelope
//     is Debezium's, so the aggregation reads CDC topics and this stream
//     alike (package change).
//   - Co-partitioning. Each output record is keyed by the values of
//     output.key.fields, the group key downstream, so every change of a
//     group lands in the partition, and the task, that holds the group.
//     When an update moves a row to another group (its day or consultant
//     changed), one record cannot reach both partitions, so it is split
//     into a delete keyed by the old group and a create keyed by the new,
//     as Flink (-U/+U) and Kafka Streams split them.
//     When the group is a day of a time field (job 7 counts per
//     date_format(confirm_date_time, 'yyyy-MM-dd')), time.fields computes
//     that day and keeps it with the row, so output.key.fields can name it.
//   - Nothing redundant. A version equal to the stored one emits nothing
//     (counted as unchanged): CDC replays and snapshots repeat rows, and
//     each repeat would otherwise cost the aggregation a retraction and an
//     add. A delete of a key never seen emits nothing either
//     (unknown_delete): a Debezium delete is followed by a tombstone of the
//     same key, and only the first can retract anything.
//   - Input. Plain JSON rows are each the new version of their key; a
//     Debezium envelope's after is (op c, u, r), and op d deletes. A
//     tombstone deletes the key its record key names. The identity of a row
//     is key.fields read from it, or the record's Kafka key when those are
//     empty (CDC topics are keyed by primary key). Either way the input must
//     be partitioned by that identity, as keyed topics are, since state is
//     kept per input partition.
//   - State. Identity → the kept fields (stream.AppendKey per value, so
//     kinds round-trip) and the wall-clock time of the last version, per
//     input partition index, written to the changelog topic in the
//     transaction of the batch that changed it (sdk.Stateful): a task that
//     dies resumes with the rows of its last commit, and its replay emits
//     what an uninterrupted run would. The state is fingerprinted by the
//     field names and types, so a changed field list is refused at restore
//     instead of misread.
//   - Time to live. state.ttl.ms forgets a key with no new version for that
//     long by the wall clock (Flink's processing-time state TTL): its state
//     is deleted and no retraction is emitted, since the row is forgotten,
//     not deleted; a later version of it comes out as a create. An
//     unchanged version keeps a key alive. Expiry is checked at each batch
//     and tick, looking through the rows no more than 64 times per TTL.
package latest
