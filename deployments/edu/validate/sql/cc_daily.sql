-- Job 7, daily course-consultant tracking (cc-daily.json): the latest
-- version of each order by id (a delete removes it), and per (day of
-- confirm_date_time, consultant) the count of orders in status 3 with a
-- confirm time. The real-time path retracts an order from its count when
-- it leaves status 3, moves to another day or consultant, or is deleted,
-- and deletes a row whose count reaches 0: the count over the latest
-- versions is what its table holds once it has caught up.
--
-- Input: edu.crm.data_pack_order_info, the CDC topic the latest connector
-- reads (Debezium envelopes, tombstones after deletes; plain rows are read
-- too). State is per Kafka partition, so the latest version is the highest
-- offset of the id within its partition (CDC keys by primary key).
--
-- Fields id:long, cc_id:long, confirm_date_time:long, status:long, read
-- from after (before for a delete, the key for a tombstone); an envelope
-- whose before or after does not convert is dead-lettered and changes
-- nothing. attribution_time formats confirm_date_time (a DATETIME, epoch
-- milliseconds of the wall clock) in UTC, which gives the wall-clock day.

-- step: result
WITH latest AS (
  SELECT deleted, tb_long(row->'$.cc_id') AS cc_id, tb_long(row->'$.confirm_date_time') AS confirm_ms,
         tb_long(row->'$.status') AS status
  FROM orders_changes
  WHERE kind IN ('row', 'c', 'u', 'r', 'd', 'tombstone') AND json_type(row) = 'OBJECT'
    AND tb_long_ok(row->'$.id') AND tb_long_ok(row->'$.cc_id')
    AND tb_long_ok(row->'$.confirm_date_time') AND tb_long_ok(row->'$.status')
    AND (before_row IS NULL OR (tb_long_ok(before_row->'$.id') AND tb_long_ok(before_row->'$.cc_id')
         AND tb_long_ok(before_row->'$.confirm_date_time') AND tb_long_ok(before_row->'$.status')))
    AND tb_long(row->'$.id') IS NOT NULL
  QUALIFY row_number() OVER (PARTITION BY part, tb_long(row->'$.id') ORDER BY off DESC) = 1
)
SELECT cc_id, 1::BIGINT AS type, strftime(epoch_ms(confirm_ms), '%Y-%m-%d') AS attribution_time,
       count(*) AS cc_index
FROM latest
WHERE NOT deleted AND status = 3 AND confirm_ms IS NOT NULL AND cc_id IS NOT NULL
GROUP BY cc_id, attribution_time;
