// Package extract reads named, typed fields out of records' JSON values into
// a value.Row: the first step of a stateless transform chain.
//
// Why it exists: the warehouse jobs pick a dozen fields out of each record
// (the classroom-signal job reads 14, some three objects deep) at a million
// records a second on one core. Decoding a record with encoding/json builds
// every map and boxes every value only for the job to pick a few out again;
// an Extractor reads the bytes once instead, walking a trie of the wanted
// paths, without allocating, in about a tenth of the time
// (BenchmarkExtractSignal).
//
// The rules, which the Flink SQL the jobs come from follows too
// (CAST(JSON_VALUE(CAST(JSON_VALUE(message,'$.data') AS VARCHAR),'$.userid') AS BIGINT)):
//
//   - A path is keys and array indexes from the root object (ParsePath).
//     Where it is absent, or runs into null, a scalar, or the wrong kind of
//     container before its end, the field is null.
//   - Where a path has to go deeper and meets a string, the string is decoded
//     and its content read as JSON: producers send nested objects JSON-encoded
//     ("data":"{\"userid\":1001}") as often as not, and the jobs accept both.
//     An empty or blank string is taken as absent (apps send "" for "not set");
//     one that is not JSON is an error naming the path, since the data is
//     wrong. Nesting counts across: the content of a string sits as deep as
//     the string.
//   - The input is checked whole, as encoding/json checks it: what is not
//     exactly one JSON object is an error, however little of it the paths
//     look at, as is nesting deeper than the limit (64 by default), which no
//     input can turn into deep recursion. Invalid UTF-8 inside strings is not
//     an error; it decodes to U+FFFD, as do unpaired surrogate escapes.
//   - Of duplicate keys the last counts, replacing the first's value whole
//     (and any error in it), as when encoding/json decodes into a map.
//   - A value is typed as it came: a string, an integer that fits an int64,
//     else a number kept as its text (value.Number), a boolean, null, or an
//     object or array kept as its JSON text (value.JSON); then
//     value.Convert gives it the spec's type. A value that does not convert
//     is an error naming the field and its path:
//     userId (data.userid): "abc" is not a long.
//
// Values point into the input where they can (strings without escapes,
// numbers, JSON text, and such values inside JSON-encoded strings, which are
// read in place when written as encoders write them: escaped.go), so a row
// is valid only while the input is unchanged.
// Text that had to be decoded is copied to memory that is never rewritten,
// so it stays valid whatever the Extractor reads next. On error the row is
// left as it was.
// An Extractor reuses its buffers from record to record and is not safe for
// concurrent use.
//
// Object reads every top-level field of a record instead, for chains whose
// steps work on whole fields.
package extract
