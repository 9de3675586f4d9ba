-- Job 6, hourly registrations per level (hourly-registrations.json): the
-- latest student and user rows by id, joined (the join is a left join, but
-- its where needs the user's name and status, so only joined rows pass),
-- test accounts and users not NORMAL left out, the channel level looked up
-- by md5(channel_id), and the count of distinct students per (hour of
-- register_date_time, level A-D or 'other'), keyed uk = hour || level.
--
-- Inputs: the CDC topics edu.uc_account.student and edu.uc_account.user,
-- which the join reads (Debezium envelopes; plain rows are read too), and
-- dwd.channel_name_dictionary, the dimension's changelog the join puts
-- into its lookup cache and the serving table channel_name_dictionary is
-- written from (rowkey = the record key = md5(id)).
--
-- The level is a processing-time lookup (the seed's FOR SYSTEM_TIME AS OF
-- PROCTIME()): a row keeps the level in effect when it was last worked
-- out, which is when the last record of its id arrived on either side. The
-- batch takes the dictionary row as of that record's Kafka timestamp (the
-- CDC source stamps records when it reads them, the app collector when it
-- receives them): a level changed later does not change rows worked out
-- before, as in the real-time path.
--
-- reg_date formats register_date_time (a DATETIME, which CDC writes as
-- epoch milliseconds of the wall clock) in UTC, which gives the wall clock.

-- step: students
CREATE TEMP TABLE student_rows AS
SELECT part, off, ts_ms, deleted, tb_long(row->'$.id') AS id, tb_string(row->'$.channel_id') AS channel_id
FROM students_changes
WHERE kind IN ('row', 'c', 'u', 'r', 'd', 'tombstone') AND json_type(row) = 'OBJECT'
  AND tb_long_ok(row->'$.id') AND tb_long_ok(row->'$.update_time')
  AND (before_row IS NULL OR (tb_long_ok(before_row->'$.id') AND tb_long_ok(before_row->'$.update_time')))
  AND tb_long(row->'$.id') IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY part, tb_long(row->'$.id') ORDER BY off DESC) = 1;

-- step: users
CREATE TEMP TABLE user_rows AS
SELECT part, off, ts_ms, deleted, tb_long(row->'$.id') AS id, tb_string(row->'$.name') AS name,
       tb_long(row->'$.register_date_time') AS register_date_time, tb_string(row->'$.status') AS status
FROM users_changes
WHERE kind IN ('row', 'c', 'u', 'r', 'd', 'tombstone') AND json_type(row) = 'OBJECT'
  AND tb_long_ok(row->'$.id') AND tb_long_ok(row->'$.register_date_time')
  AND (before_row IS NULL OR (tb_long_ok(before_row->'$.id') AND tb_long_ok(before_row->'$.register_date_time')))
  AND tb_long(row->'$.id') IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY part, tb_long(row->'$.id') ORDER BY off DESC) = 1;

-- step: channels
-- Every version of every dictionary row, deletes as a null level, for the
-- lookup as of a time.
CREATE TEMP TABLE channel_levels AS
SELECT key AS rowkey, ts_ms, CASE WHEN NOT deleted THEN tb_string(row->'$.level') END AS level
FROM channels_changes
WHERE key IS NOT NULL AND key <> '' AND kind IN ('row', 'c', 'u', 'r', 'd', 'tombstone')
  AND (deleted OR json_type(row) = 'OBJECT');

-- step: result
WITH joined AS (
  SELECT s.id, s.channel_id, u.register_date_time, greatest(s.ts_ms, u.ts_ms) AS worked_out_ms
  FROM student_rows s
  JOIN user_rows u ON u.id = s.id
  WHERE NOT s.deleted AND NOT u.deleted
    AND u.name NOT LIKE '%测试%' AND u.name NOT LIKE 'DM\_%' ESCAPE '\' AND u.name NOT LIKE '%test%'
    AND u.status = 'NORMAL'
), leveled AS (
  SELECT j.id, strftime(epoch_ms(j.register_date_time), '%Y%m%d%H')::BIGINT AS reg_date,
         CASE WHEN c.level IN ('A', 'B', 'C', 'D') THEN c.level ELSE 'other' END AS level
  FROM joined j
  ASOF LEFT JOIN channel_levels c ON c.rowkey = md5(j.channel_id) AND c.ts_ms <= j.worked_out_ms
)
SELECT reg_date::VARCHAR || level AS uk, reg_date, level, count(DISTINCT id) AS leads
FROM leveled
GROUP BY reg_date, level;
