// Package validate is the Lambda check of the education warehouse
// (`tributary validate`): it recomputes the results of jobs 3 to 7
// (deployments/pipelines/edu) from the offline backup — the Parquet files
// the backup sink writes under BACKUP_DIR — with DuckDB, compares them key
// by key with the real-time result tables, and reports the accuracy of the
// real-time path.
//
// # Recomputing
//
// Each job is a SQL file in sql/, written from the first seed's SQL with
// the flaws DESIGN.md §10 lists fixed, as the job files run it: the same
// fields and types (a value :long refuses dead-letters the record, as
// there), where conditions, epoch-aligned windows, the interval join's
// bounds and earliest match, latest-by-key with deletes, the md5 level
// lookup and test-account filters, null ids as -1, and the output formats.
// sql/macros.sql reads JSON fields as transforms/extract and value.Convert
// do. Each job reads the topic its job file reads (the SQL files say why);
// records are identified by (topic, partition, offset), so a record that
// two files hold counts once.
//
// Recompute returns the rows a job's result table should hold as a Batch,
// typed Go values, so that they can be loaded elsewhere as well as
// compared.
//
// # Late records
//
// The real-time path does not count records later than its allowed
// lateness; it sends them, unchanged, to the job's late topic, which the
// backup keeps too. To compare like with like, the batch leaves out one
// input record per late record that reads the same (EXCEPT ALL: a duplicated
// event late once and on time once still counts once), and reports how many
// it left out ("late excluded").
//
// # Comparing
//
// Rows are matched by the result table's primary key within the --from /
// --to range of the job's time key (a window start, an event time, an hour,
// a day; wall-clock times in Asia/Shanghai): matched, missing (recomputed,
// not in the real-time table), extra (real-time only) and different (the
// same key, a value differs: exactly for counts, sums, ids and text, within
// 1e-9 relative for averages). Processing-time columns (create_time,
// update_time) are not compared. Accuracy is matched / (matched + missing +
// extra + different) in percent, 100 when both sides are empty.
//
// The real-time tables are read with go-mysql's client (RDS_URL,
// go-sql-driver DSN) and pgx (SERVING_URL, job 6's vk_app_es_sign_csh).
//
// # The report
//
// Report.WriteText prints a table per job and the first differing keys with
// both sides' values; Report.WriteJSON prints the same as JSON, whose field
// names (jobs[].matched, missing, extra, different, accuracy, late_excluded,
// differences[].kind/key/batch/realtime, pass) are a contract with the
// end-to-end tests. Report.ExitStatus is 1 when a job is below the
// threshold; the command exits 2 when it cannot validate at all.
//
// # Loading the offline layer
//
// With Options.Load (--load), the recomputed rows of the range, which then
// ends before today (Asia/Shanghai), replace those of an earlier load in
// the serving store's <table>_offline, the range is recorded in
// RangesTable, and the view <table>_all merges the offline rows with the
// real-time rows of the times no load covers (see Load).
//
// What the batch cannot know: the wall clock of the real-time run, which
// refuses event times more than a day ahead of it. The batch takes the time
// the collector received a record (the Kafka timestamp of the ods topics
// jobs 4 and 5 read), else the time of the validation: an event more than a
// day ahead in dwd.student_signal, whose timestamps are event times, counts
// here when the validation runs a day or more after it was refused there.
// Nor which records the real-time operators dead-lettered for reasons
// outside the data (none, when the pipeline is healthy).
package validate
