// Package intervaljoin is the event-time interval join connector
// (tributary.transforms.intervaljoin): Flink's
//
//	SELECT ... FROM a JOIN b ON a.k = b.k
//	  AND a.t BETWEEN b.t + lower AND b.t + upper
//
// over two streams, or over one stream with itself, exactly once. It runs
// the warehouse's recorded-course study time job (job 4), where the seed
// writes
//
//	SELECT a.userId, a.classroomId, a.userType, b.extraDataTime - a.extraDataTime, ...
//	FROM qos_log_kafka a JOIN qos_log_kafka_view b
//	  ON a.userId = b.userId AND a.classroomId = b.classroomId
//	WHERE a.extraDataTime < b.extraDataTime;
//
// and means "per PPT_SUCCESS, its data_time minus the earliest data_time of
// the user in that classroom before it". The seed's join is unbounded (its
// state grows for ever) and emits a row per earlier event; here it is
// left = every qos_log record, right = the PPT_SUCCESS records, key
// (user_id, classroom_id), left time - right time in [-6 h, -1 ms], match
// earliest, time.difference.field spend_time: one row per success, keyed by
// (user_id, classroom_id, event_time), with state dropped six hours (plus
// lateness) after the watermark passes.
//
// Why it is built this way:
//
//   - Sides, not topics. A left and a right side each name their topics
//     (empty: all input topics), a where condition, fields, key fields and
//     a time field. A record may feed both sides, which is what a
//     self-join is; it is joined as a left record first and then as a
//     right one, so a record that joins itself (0 in the interval) makes
//     one pair, not two.
//   - Matching. match=all emits every pair once, when the second of its
//     records arrives (Flink's semantics). match=earliest or latest emits,
//     per right record, only the left match of the smallest or largest
//     time (of equal times, the one that arrived first): at the first
//     match, and again, under the same output key, when a better left
//     record arrives out of order, so an upsert sink keeps the corrected
//     row. That is why output.key.fields must be computed from right fields
//     alone with those modes (checked at validation). A right entry
//     remembers the time of the match it last emitted, in its state, so a
//     replay after a restore does not emit it again, and a left record no
//     better than it emits nothing.
//   - Event time and lateness as window's (transforms/window): per
//     partition watermarks of the largest event time minus
//     out.of.orderness.ms, the minimum over a task's partitions, an idle
//     timeout, worked out after every record. A record whose time is
//     before the watermark minus allowed.lateness.ms is not joined: it
//     goes to late.topic, as it came, with the header tributary.late.ms,
//     and is counted; nothing is dropped silently. Whether a record is
//     late depends only on the records before it (per task), so a replay
//     decides the same, unless idle.timeout.ms is set: a partition's quiet
//     time goes by the wall clock and starts afresh when a task restarts,
//     so a replay may judge a record late, or evict, otherwise than the
//     run it replaces (what commits is still one run's outputs and state).
//     A record feeding both sides is judged per side (they may read
//     different time fields): a side it is late for sends it to
//     late.topic, the other still joins it. Records that no side
//     takes (their where conditions) and refused records do not move the
//     watermark.
//   - Bounded state, exact results. A left entry at tl can join right
//     records up to tl - lower, a right entry at tr left records from
//     tr + upper on; no record from the watermark minus the lateness on
//     can join them once that is past, so they are dropped then (counted
//     as evicted; a right entry of earliest/latest that never matched also
//     as unmatched). The join therefore equals the join of all records
//     that were not late, which the property test checks against a brute
//     force. state.ttl.ms adds a wall-clock bound (Flink's state TTL) for
//     when event time stalls; what it drops might still have joined.
//   - Only what the output reads is stored. The fields output.fields names
//     (left.x, right.x) are kept with an entry, each as stream.AppendKey
//     writes it so kinds round-trip; the join key is the map key, the time
//     and arrival order are numbers. Job 4 keeps nothing of its left
//     records but their time: about 100 heap bytes per record held, the
//     keys' share included (TestStateBytesPerEntry), so six hours of a
//     million events an hour take some 600 MB; a left.where naming the
//     events that can start a session (PPT_PLAY), if the job allows, shrinks
//     that.
//   - Outputs. output.fields are the set step's assignments over the fields
//     left.<name> and right.<name> (expr.ParseAssignments: coalesce, cast,
//     date_format, CASE ...). expr has no arithmetic (a - is part of a
//     name there), and the one difference an interval join needs, right
//     time - left time, is time.difference.field. A record whose output
//     cannot be computed (cast('abc' as long)) is refused whole: it
//     leaves no trace in the state or the outputs, and goes to the
//     dead-letter topic. So do records that are not JSON objects, lack a
//     join key field or the time, or have a time outside 1970 to 9999.
//     Each output record's timestamp is the later of its two event times.
//   - State per input partition index, written to the changelog topic in
//     the transaction of the batch that changed it (sdk.Stateful): an
//     entry per stored record (side, time, arrival number and join key in
//     the changelog key, so a tombstone needs no value), the largest event
//     time per input partition, the watermark last acted on, and a schema
//     record (match mode, key types, kept fields and types) checked at
//     restore, so a changed config is refused rather than misread. The
//     interval bounds and the lateness are not part of it: they may be
//     changed on a running job, and a restore drops what the new ones
//     leave no record to join.
//
// Co-partitioning. Both sides' records of one join key must reach the same
// partition number, of topics with the same partition count, as Kafka
// Streams requires: the runtime places partition p of every input topic on
// task p mod tasks.max and keeps state per partition. So the input topics
// must be keyed by the join key, or by a part of it (all records of a
// (user, classroom) share the user). For a self-join on one topic that
// holds when the topic is keyed so; otherwise records of a key are spread
// over partitions and most pairs are never seen. For job 4, key
// ods.qos_log by user_id, which keys every record of a user, in every
// classroom, alike: best at the source, the applog connector's
// key.field=user_id (a number and its string give the same key, the JSON
// text of the value), or else by a stateless step that re-keys into a dwd
// topic (smt hash of user_id to.key; one more topic hop). Give up the event
// id as the key for it: the duplicates applog's retries make are harmless
// here, since a duplicate left record is no better than its original and a
// duplicate success writes the same row under the same key again.
package intervaljoin
