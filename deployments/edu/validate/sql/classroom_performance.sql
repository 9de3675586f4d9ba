-- Job 3, classroom performance (classroom-performance.json): per 1-minute
-- event-time tumbling window (epoch-aligned, as stream.Windows), the count of
-- cleaned signals per (room, user, role, event); the seed's
-- GROUP BY TUMBLE(time_stamp, INTERVAL '1' MINUTE), userId, webserverId, role, event.
--
-- Input: dwd.student_signal, the topic the window connector reads. Job 1
-- (cleaning ods.classroom_signal into it) is a job of its own, and the late
-- topic holds dwd.student_signal records, so input and late records are
-- read alike here.
--
-- What the window does, and this does too: fields user_id=userId:long,
-- webserver_id=roomId:long, role:long, event:string, timeStamp:long; a
-- record whose field does not convert, or whose timeStamp is null, outside
-- 1970..9999 or more than a day ahead, is dead-lettered; where: the four
-- group fields are not null; time.zone Asia/Shanghai only formats the
-- output (done in Go from the epoch milliseconds returned here).

-- step: contributions
CREATE TEMP TABLE contributions AS
WITH fields AS (
  SELECT part, off, from_late,
         json_extract(value, ['$.userId', '$.roomId', '$.role', '$.event', '$.timeStamp']) AS f
  FROM signals
  WHERE json_valid(value) AND json_type(value) = 'OBJECT'
), typed AS (
  SELECT part, off, from_late,
         tb_long(f[1]) AS user_id, tb_long(f[2]) AS webserver_id, tb_long(f[3]) AS role,
         tb_string(f[4]) AS event, tb_long(f[5]) AS event_time,
         tb_long_ok(f[1]) AND tb_long_ok(f[2]) AND tb_long_ok(f[3]) AND tb_long_ok(f[5]) AS readable
  FROM fields
)
SELECT part, off, from_late, user_id, webserver_id, role, event, event_time,
       to_json({'user_id': user_id, 'webserver_id': webserver_id, 'role': role, 'event': event,
                'time': event_time})::VARCHAR AS tuple
FROM typed
WHERE readable AND tb_time_ok(event_time, NULL) -- the Kafka timestamp is the event time here
  AND user_id IS NOT NULL AND webserver_id IS NOT NULL AND role IS NOT NULL AND event IS NOT NULL;

-- step: result
SELECT start_ms AS start_time, webserver_id, user_id, role, event,
       start_ms + 60000 AS end_time, count(*) AS event_count
FROM (SELECT *, event_time // 60000 * 60000 AS start_ms FROM counted WHERE NOT late)
GROUP BY start_ms, webserver_id, user_id, role, event;
