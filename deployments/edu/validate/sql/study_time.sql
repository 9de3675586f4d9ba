-- Job 4, recorded-course study time (study-time.json): for each PPT_SUCCESS
-- of a user in a classroom, its extra.data_time minus the earliest
-- extra.data_time of that user in that classroom within the 6 hours before
-- it (interval.lower.ms -21600000 .. interval.upper.ms -1, match earliest):
-- what the seed's unbounded self-join asks for, one row per success, keyed
-- by (user_id, classroom_id, event_time).
--
-- Input: ods.qos_log, the topic the job file reads. Its first stage only
-- re-keys the records into dwd.qos_log by user_id (the value is written
-- unchanged, and a record without user_id is dead-lettered there, as the
-- join would refuse it), so reading ods checks both stages; and the late
-- topic holds those same values, read here alike.
--
-- What the join does, and this does too: every record is a left record,
-- a PPT_SUCCESS also a right one; both read user_id:long and
-- data_time=extra.data_time:long (extra may be a JSON-encoded string), the
-- right side also event_time:long, so a record any of those does not
-- convert for, or without user_id, classroom_id or data_time, or whose
-- data_time is outside 1970..9999, is dead-lettered whole; so is one whose data_time is more than a day ahead
-- of the time the collector received it (its Kafka timestamp, which the
-- re-keying keeps). A record never joins itself (upper bound -1 ms).
-- Of several successes with one output key (the same event_time) the
-- upsert sink keeps the last written: here the last in its partition.

-- step: contributions
CREATE TEMP TABLE contributions AS
WITH fields AS (
  SELECT part, off, from_late, ts_ms,
         json_extract(value, ['$.user_id', '$.classroom_id', '$.extra', '$.user_type',
                              '$.event_time', '$.sub_event']) AS f
  FROM qos
  WHERE json_valid(value) AND json_type(value) = 'OBJECT'
), typed AS (
  SELECT part, off, from_late, ts_ms,
         tb_long(f[1]) AS user_id, tb_string(f[2]) AS classroom_id,
         tb_member(f[3], 'data_time') AS data_time_field,
         tb_string(f[4]) AS user_type, tb_long(f[5]) AS event_time, tb_string(f[6]) AS sub_event,
         tb_long_ok(f[1]) AND tb_long_ok(f[5]) AND NOT tb_member_bad(f[3]) AS readable
  FROM fields
), joinable AS (
  SELECT part, off, from_late, user_id, classroom_id, tb_long(data_time_field) AS data_time,
         user_type, event_time, sub_event
  FROM typed
  WHERE readable AND tb_long_ok(data_time_field)
    AND user_id IS NOT NULL AND classroom_id IS NOT NULL AND tb_time_ok(tb_long(data_time_field), ts_ms)
)
SELECT *, to_json({'user_id': user_id, 'classroom_id': classroom_id, 'data_time': data_time,
                   'user_type': user_type, 'event_time': event_time, 'sub_event': sub_event})::VARCHAR AS tuple
FROM joinable;

-- step: result
WITH on_time AS (
  SELECT * FROM counted WHERE NOT late
), matched AS (
  SELECT s.part, s.off, s.user_id, s.classroom_id, s.user_type, s.event_time,
         s.data_time - min(l.data_time) AS spend_time
  FROM on_time s
  JOIN on_time l ON l.user_id = s.user_id AND l.classroom_id = s.classroom_id
   AND l.data_time BETWEEN s.data_time - 21600000 AND s.data_time - 1
  WHERE s.sub_event = 'PPT_SUCCESS'
  GROUP BY s.part, s.off, s.user_id, s.classroom_id, s.user_type, s.event_time, s.data_time
)
SELECT user_id, classroom_id, event_time, user_type, spend_time
FROM matched
QUALIFY row_number() OVER (PARTITION BY user_id, classroom_id, event_time ORDER BY part DESC, off DESC) = 1;
