// Package aggregate is the group aggregation connector
// (tributary.transforms.aggregate): count, sum, avg, min, max and
// count_distinct per group over a changelog stream, with retraction. It is
// the second half of the warehouse's "latest row, then count" jobs; the
// latest connector upstream is the first. Job 7 in the seed reads
//
//	SELECT cast(cc_id AS bigint) AS cc_id, count(*) AS cc_index, cast(1 AS int) AS type,
//	       date_format(confirm_date_time, 'yyyy-MM-dd') AS attribution_time, current_timestamp AS update_time
//	FROM cc_data_pack_order_info_view
//	WHERE confirm_date_time IS NOT NULL AND status IS NOT NULL AND status = 3
//	GROUP BY date_format(confirm_date_time, 'yyyy-MM-dd'), cc_id;
//
// and is configured as fields, where, group.by (attribution_time from
// time.fields, here or upstream in latest), aggregates cc_index=count(),
// constants type=1 and emit.time.field update_time.
//
// Why it is built this way:
//
//   - Retraction. The view is a changelog: when an order leaves status 3,
//     its change record carries the row it had (before) and the row it has
//     (after). before is taken out of its group (agg.Group.Add with sign
//     -1), after put into its own, so the count goes down, as Flink's
//     non-windowed GROUP BY over a retracting view does. Op c and r add
//     after, u retracts before and adds after, d retracts before; plain
//     JSON rows are inserts, for append-only streams. A tombstone names no
//     row (a CDC delete carries the row, its tombstone only the key), so it
//     is passed over and counted.
//   - WHERE per row. The condition is applied to before and to after
//     separately, exactly as SQL's WHERE over the view: a before that did
//     not meet it was never added and is not retracted.
//   - All or nothing. A record's retraction and addition both happen or
//     neither does: when the addition fails (a sum of 'abc'), the
//     retraction is put back. A retraction the group cannot take
//     (agg.ErrRetract: the row was never added, because state was lost or
//     the upstream is out of step) leaves the state alone and returns the
//     record with Record.Fault naming the group, for the dead-letter topic:
//     a count never goes negative and never silently drifts.
//   - One result per group per batch. Results are emitted after the whole
//     batch, once for each group whose result changed, keyed by the JSON
//     array of the group values (an upsert of the sink's primary key), not
//     once per input record: an order moving 1 → 3 → 4 in one batch costs
//     the sink nothing. A group left with no rows is dropped from the
//     state and deleted downstream as Debezium deletes a row: a change
//     event {"op":"d","before":…,"after":null} whose before holds the group
//     values and constants (the result table's primary key, so a sink
//     keyed by the record's value finds the row), then a tombstone of the
//     key (so the topic compacts, and sinks keyed by the record's key
//     delete too).
//   - Co-partitioning. State is per input partition index. The input must
//     be partitioned by group, which latest does by keying its output by
//     output.key.fields (and splitting an update that changes them into a
//     delete and a create), so that one group's rows all meet in one task.
//   - State. Group values → agg.Group state, written to the changelog topic
//     in the transaction of the batch that changed it (sdk.Stateful), so a
//     task that dies resumes with the counts of its last commit and its
//     replay emits what an uninterrupted run would. agg refuses state of
//     another set of aggregates, and Restore a group key of another
//     group.by, rather than misread them.
//   - Constants. constants are fixed output fields, name=literal: a literal
//     that reads as a JSON number is a number (type=1 gives 1), one in
//     quotes is the text inside them, anything else a string as written.
package aggregate
