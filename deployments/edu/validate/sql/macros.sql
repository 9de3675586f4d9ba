-- Macros that read JSON fields the way the real-time operators do
-- (transforms/extract and value.Convert), so that a record the real-time path
-- counts is counted here and one it dead-letters is left out here too.
-- Every job's SQL is run after these. A field is handed around as DuckDB
-- JSON: NULL when absent, json_type 'NULL' when a JSON null.

-- step: trim
-- Go's strings.TrimSpace: value.Convert trims numbers in strings.
CREATE MACRO tb_trim(s) AS regexp_replace(s, '^\s+|\s+$', '', 'g');

-- step: absent
CREATE MACRO tb_absent(j) AS j IS NULL OR json_type(j) = 'NULL';

-- step: parse_long
-- value.parseInt: digits with a sign, a whole number with a zero fraction
-- ('7.0'), or an exponent form whose value is whole and within 2^53
-- ('1e3'). TRY_CAST alone would round '1.5' to 2 and read '1_000'.
CREATE MACRO tb_parse_long(s) AS CASE
  WHEN regexp_full_match(s, '[+-]?[0-9]+') THEN TRY_CAST(s AS BIGINT)
  WHEN regexp_full_match(s, '[+-]?[0-9]+\.0+') THEN TRY_CAST(split_part(s, '.', 1) AS BIGINT)
  WHEN regexp_full_match(s, '[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)[eE][+-]?[0-9]+')
       AND TRY_CAST(s AS DOUBLE) = trunc(TRY_CAST(s AS DOUBLE))
       AND abs(TRY_CAST(s AS DOUBLE)) <= 9007199254740992 THEN TRY_CAST(s AS DOUBLE)::BIGINT
END;

-- step: long
-- A field read as :long. NULL for absent, null, a blank string, and for
-- what :long refuses (tb_long_ok tells those apart).
CREATE MACRO tb_long(j) AS CASE
  WHEN json_type(j) IN ('BIGINT', 'UBIGINT', 'DOUBLE', 'VARCHAR') THEN tb_parse_long(tb_trim(j->>'$'))
END;

-- step: long_ok
-- False when :long refuses the field ("abc", 1.5, true, an object): the
-- operator dead-letters the whole record.
CREATE MACRO tb_long_ok(j) AS
  tb_absent(j) OR (json_type(j) = 'VARCHAR' AND tb_trim(j->>'$') = '') OR tb_long(j) IS NOT NULL;

-- step: string
-- A field read as :string: a string's text, a number's digits, an object's
-- JSON. Never refused.
CREATE MACRO tb_string(j) AS CASE WHEN NOT tb_absent(j) THEN j->>'$' END;

-- step: member
-- Member k of j when a path goes through j: extract reads an object, or a
-- string holding one (apps send nested objects JSON-encoded), and takes a
-- blank string as absent.
CREATE MACRO tb_member(j, k) AS CASE
  WHEN json_type(j) = 'OBJECT' THEN json_extract(j, '$."' || k || '"')
  WHEN json_type(j) = 'VARCHAR' AND tb_trim(j->>'$') <> '' AND json_valid(j->>'$')
    THEN json_extract(j->>'$', '$."' || k || '"')
END;

-- step: member_bad
-- True when a path must go through a string that is not JSON: extract
-- refuses the record.
CREATE MACRO tb_member_bad(j) AS coalesce(
  json_type(j) = 'VARCHAR' AND tb_trim(j->>'$') <> '' AND NOT json_valid(j->>'$'), false);

-- step: time_ok
-- An event time the operators accept (stream.CheckAhead and checkTime):
-- after 1970, before 10000, and not more than event.time.max.ahead.ms
-- ahead of the clock of the real-time run, which the backup does not hold.
-- It read a record after the record was received: received_ms is the
-- record's Kafka timestamp where that is when the app collector received
-- it (the ods topics; NULL elsewhere), and now_ms, the time of this
-- validation, bounds it anyway. An event refused here is refused there
-- unless the pipeline read it more than a day late.
CREATE MACRO tb_time_ok(t, received_ms) AS t IS NOT NULL AND t > 0 AND t <= 253402300799999
  AND (getvariable('max_ahead_ms') = 0
       OR t <= least(getvariable('now_ms'), coalesce(received_ms, getvariable('now_ms'))) + getvariable('max_ahead_ms'));
