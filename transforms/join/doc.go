// Package join is the regular join connector (tributary.transforms.join):
// two changelog streams joined by key, inner or left, optionally enriched
// with a dimension row looked up in the serving store, emitted as a
// changelog whose updates retract the row they replace. It is the first
// half of warehouse job 6, whose seed reads
//
//	SELECT … cast(date_format(register_date_time,'yyyyMMddHH') as bigint) AS reg_date, … AS level,
//	       COUNT(distinct t.id) AS leads
//	FROM student_view t LEFT JOIN user_view u ON u.id = t.id
//	LEFT JOIN channel_da FOR SYSTEM_TIME AS OF PROCTIME() ch ON ch.rowkey = MD5(t.channel_id)
//	WHERE u.name NOT LIKE '%测试%' AND … AND u.status = 'NORMAL'
//	GROUP BY …
//
// over two LAST_VALUE … GROUP BY id views; the aggregate connector
// downstream is the second half (COUNT DISTINCT per hour and level).
//
// Why it is built this way:
//
//   - The views inside. Each side keeps the latest row per key itself, read
//     as the latest connector reads it (package latest/change: Debezium
//     envelopes or plain rows, a delete or tombstone removing the key), so
//     the job needs no latest stage per side and no topic between. Both
//     sides are keyed by the same id, so a key has at most one row per side
//     and one output row: state grows with the keys, never with the
//     history.
//   - Retraction. An output row changes whenever either side's row does:
//     {"op":"u","before":old,"after":new}, as latest emits, so the
//     aggregation takes old out of its group and puts new in; a key that
//     loses its row (a delete, an inner join's side gone, a row that stops
//     meeting where) is {"op":"d"}. A left join's row without a right row
//     has right.* null until one arrives, and is then updated to the joined
//     row.
//   - Exact retractions. The before of a change is the row emitted before,
//     kept in the state byte for byte with the key it was emitted under,
//     never computed again: a lookup may answer otherwise by now, and
//     output.fields may have been edited since, and a recomputed before
//     would retract a row the aggregation never counted (it refuses that)
//     or leave the counted one in. For the same reason a changed
//     output.fields needs no fresh state: the next change of each key
//     retracts the old row and emits the new. A row computed equal to the
//     one emitted emits nothing (counted as same_output).
//   - Co-partitioning. The inputs must be partitioned by the join key alike
//     (the mysql source keys CDC topics by primary key; same partition
//     counts): state is kept per input partition index, and the rows of a
//     key meet only in the task holding that partition. Each output is
//     keyed by the JSON array of output.key.fields, the group key of the
//     aggregation downstream, and an update that changes it is split into a
//     delete under the old key and a create under the new, as latest does.
//   - Lookup. The dimension row is looked up (package lookup: an LRU cache
//     with TTLs in front of a table of the serving store) by the text of
//     lookup.key, a value expression over the joined row such as
//     md5(left.channel_id), each time an output row is worked out: a
//     processing-time lookup, as the seed's FOR SYSTEM_TIME AS OF
//     PROCTIME(). Rows already emitted keep the level they were emitted
//     with; the next record of their key, even a repeat of the row held,
//     works them out again with the level in effect then. No row for the
//     key, or a null key, leaves lookup.* null, as does a key no text
//     column can hold (a NUL byte), which is not asked for: its query
//     would fail whole, and fail the batch at every replay.
//   - One query per batch, nothing changed before it. Process reads the
//     batch, plans what each record does to its key's rows against the
//     state without changing it, collects the lookup keys of the rows it
//     will work out, and makes one Get for all of them (the cache answers
//     what it holds; the misses go in one query per lookup.batch.size
//     keys). Only when the Get succeeded is the plan applied and the
//     changes emitted. A lookup that fails returns the error, marked
//     sdk.Retriable when the store is down or slow, with the state as it
//     was: processing the same batch again gives what an uninterrupted run
//     gives. The runtime aborts the batch's transaction and calls Process
//     again with the same records, with backoff, within
//     errors.retry.timeout (sdk.Stateful); past that, or for an error not
//     retriable, it fails the task, whose restart restores the state of
//     the last commit and reads the batch again, which comes to the same.
//   - The combined join. Records of lookup.topics (the dimension's own
//     changelog, which the sink of the table writes from) are put into the
//     cache, or deleted from it, before the batch's lookups: the stream is
//     fresher than the table, so the level changed there applies to the
//     rows worked out from then on, the whole batch included. They are
//     hints and are not kept in the changelog state. That is still
//     correct, because they say nothing the table will not say once its
//     sink has caught up, and because exact retractions never depend on
//     what a lookup answers. What it costs: a restarted task's cache is
//     cold, and until the sink has written a change, a row worked out then
//     gets the table's older value; and the runtime places partition p of
//     every input topic, the dimension's too, on task p mod tasks.max, so
//     with several tasks each one hears the changes of its dimension
//     partitions only, the others learning them from the table when their
//     entry's lookup.cache.ttl.ms has passed.
//   - Bad input. A record that does not read (not JSON, a field of the
//     wrong type, no key) is returned with Record.Fault for the dead-letter
//     topic, as latest does, and the batch goes on. A row whose output a
//     function cannot take (cast('abc' as long)) is held all the same, since
//     the row versions are facts, but its key's output row is withdrawn (a
//     delete) and the record dead-lettered, until a later version computes.
//   - State. For each key, the two sides' rows (stream.AppendKey per value,
//     so kinds round-trip), the output row emitted and its key, and the
//     wall-clock time of the key's last record, per input partition index,
//     written to the changelog topic in the transaction of the batch that
//     changed it (sdk.Stateful): a task that dies resumes with the state of
//     its last commit, and its replay emits what an uninterrupted run would
//     (with the same lookup answers). The state is fingerprinted by the
//     sides' field names, types and keys, so a changed field list is
//     refused at restore instead of misread.
//   - Time to live. state.ttl.ms forgets a key with no record on either
//     side for that long by the wall clock, as latest does: no retraction
//     is emitted, since the rows are forgotten, not deleted, and a later
//     record of the key comes out as a create. A key past its time is gone
//     for Process whether or not a sweep has removed it yet.
package join
