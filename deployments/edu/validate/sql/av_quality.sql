-- Job 5, live-class audio/video quality (av-quality.json): per 30-second
-- event-time tumbling window, the sum, average and count of lost audio
-- packets (agora_audioState.lost, event <event>_AUDIO_STATE) and of video
-- frame-rate faults (agora_videoState.fr, <event>_VIDEO_STATE) per (user,
-- channel, classroom, user type, event, uid) of students; null ids as -1.
--
-- Input: ods.agora_record, the topic the job file reads: its two stateless
-- chains (av-quality-audio, av-quality-video) turn each record into an
-- audio and a video dwd.av_state record, which the window counts. Reading
-- ods checks the null ids, the _AUDIO_STATE/_VIDEO_STATE events and the
-- student filter as well as the window. The late topic holds dwd.av_state
-- records, so those are read as the window reads them and matched with the
-- av_state records derived here by the fields the window reads (tuple).
--
-- Per chain, as the smt steps do: extract user_id:long,
-- web_server_id=agora_channel_id:long, classroom_id:string,
-- user_type:string, extra_uid=<state>.uid:long, event:string,
-- value=<state>.<lost|fr>:long, messageCreateTime:long (a field that does
-- not convert, or a state that is a string but not JSON, dead-letters the
-- record for that chain only); filter value >= 0 AND user_type = 'student'
-- AND event IS NOT NULL; set the null ids to -1 ('-1' for classroom_id) and
-- append the suffix to event; messageCreateTime is the event time, refused
-- when null, outside 1970..9999 or more than a day ahead (of the time the
-- collector received the agora record, the Kafka timestamp here; the late
-- dwd.av_state records are stamped with their event time instead). avg is the exact
-- sum divided by the count, as a double (agg.Group).

-- step: contributions
CREATE TEMP TABLE contributions AS
WITH fields AS (
  SELECT part, off, ts_ms,
         json_extract(value, ['$.user_id', '$.agora_channel_id', '$.classroom_id', '$.user_type', '$.event',
                              '$.agora_audioState', '$.agora_videoState', '$.messageCreateTime']) AS f
  FROM agora
  WHERE NOT from_late AND json_valid(value) AND json_type(value) = 'OBJECT'
), chains AS (
  SELECT part, off, ts_ms, f, f[6] AS state, 'lost' AS measure, '_AUDIO_STATE' AS suffix FROM fields
  UNION ALL
  SELECT part, off, ts_ms, f, f[7] AS state, 'fr' AS measure, '_VIDEO_STATE' AS suffix FROM fields
), extracted AS (
  SELECT part, off, ts_ms, suffix, f[1] AS user_id, f[2] AS web_server_id, f[3] AS classroom_id,
         f[4] AS user_type, f[5] AS event, tb_member(state, 'uid') AS extra_uid,
         tb_member(state, measure) AS amount, f[8] AS event_time, NOT tb_member_bad(state) AS state_readable
  FROM chains
), states AS (
  SELECT part, off, false AS from_late, ts_ms AS received_ms,
         coalesce(tb_long(user_id), -1) AS user_id, coalesce(tb_long(web_server_id), -1) AS web_server_id,
         coalesce(tb_string(classroom_id), '-1') AS classroom_id, tb_string(user_type) AS user_type,
         coalesce(tb_long(extra_uid), -1) AS extra_uid, tb_string(event) || suffix AS event,
         tb_long(amount) AS amount, tb_long(event_time) AS event_time
  FROM extracted
  WHERE state_readable AND tb_long_ok(user_id) AND tb_long_ok(web_server_id) AND tb_long_ok(extra_uid)
    AND tb_long_ok(amount) AND tb_long_ok(event_time)
    AND tb_long(amount) >= 0 AND tb_string(user_type) = 'student' AND tb_string(event) IS NOT NULL
), late_states AS (
  -- The window's own fields, read from the dwd.av_state records it sent late.
  SELECT part, off, true AS from_late, NULL::BIGINT AS received_ms,
         tb_long(f[1]) AS user_id, tb_long(f[2]) AS web_server_id, tb_string(f[3]) AS classroom_id,
         tb_string(f[4]) AS user_type, tb_long(f[5]) AS extra_uid, tb_string(f[6]) AS event,
         tb_long(f[7]) AS amount, tb_long(f[8]) AS event_time
  FROM (SELECT part, off,
               json_extract(value, ['$.user_id', '$.web_server_id', '$.classroom_id', '$.user_type',
                                    '$.extra_uid', '$.event', '$.value', '$.messageCreateTime']) AS f
        FROM agora
        WHERE from_late AND json_valid(value) AND json_type(value) = 'OBJECT')
)
SELECT * EXCLUDE (received_ms), to_json({'user_id': user_id, 'web_server_id': web_server_id, 'classroom_id': classroom_id,
                   'user_type': user_type, 'extra_uid': extra_uid, 'event': event, 'value': amount,
                   'time': event_time})::VARCHAR AS tuple
FROM (SELECT * FROM states UNION ALL SELECT * FROM late_states)
WHERE tb_time_ok(event_time, received_ms);

-- step: result
SELECT start_ms AS start_time, user_id, web_server_id, classroom_id, user_type, extra_uid, event,
       start_ms + 30000 AS end_time, sum(amount)::BIGINT AS event_sum,
       sum(amount)::DOUBLE / count(amount) AS event_avg, count(*) AS event_count
FROM (SELECT *, event_time // 30000 * 30000 AS start_ms FROM counted WHERE NOT late)
GROUP BY start_ms, user_id, web_server_id, classroom_id, user_type, extra_uid, event;
