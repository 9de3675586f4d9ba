// Package gen is the load generator of the education warehouse (`tributary
// gen`): it plays a simulated school day into the pipelines of
// deployments/pipelines/edu, the way the apps and the business database
// would, and reports what the pipelines must make of it.
//
// What it plays:
//
//   - Live classes (Config.Classrooms at once, a teacher and
//     StudentsPerClass students each, 25 to 45 minutes, one after another):
//     classroom signals in every shape the apps send (test/edu: strings,
//     numbers, double-encoded), of the seven events the signal ETL
//     classifies and of noise no rule matches; and every few seconds each
//     participant's audio/video quality report (type agora), packet loss
//     mostly 0 with a long tail, frame rate mostly 15 to 30 with drops and
//     now and then -1 ("unknown", left out by job 5), teachers' included
//     (left out too).
//   - Recorded courses (type qos): a student plays PPT pages and, four
//     times in five, the session ends in PPT_SUCCESS; extra.data_time is
//     the event time.
//   - The channel dictionary (type dictionary) at the start: channels of
//     the levels A to D and of other levels.
//   - Registrations in uc_account (student and user, some test accounts,
//     some users not NORMAL, channels of every level, unknown and NULL, some
//     moved to another channel later) and course-pack orders in crm (status
//     1, then 3 with confirm_date_time, sometimes 4 later, or 2). These
//     reach Kafka through the CDC connectors, not through the generator.
//
// Every time in an event or a row is simulated time, so the stream depends
// on the Config (seed and start included) alone: the Generator is
// deterministic and does no I/O; Run paces it by the simulated clock and
// hands each step to an EventSink (the Collector, posting NDJSON to the app
// collector) and a RowSink (the Database), both small interfaces a test can
// capture. The next run starts student ids past the database's largest and
// names its recorded classrooms after its start, so runs against kept data
// do not collide.
//
// Fates. A share of the events is held back (out of order, by less than
// its job's out.of.orderness.ms less two steps, so never late), a share is
// late (its event time set its job's window + out-of-orderness + allowed
// lateness behind the clock, plus Config.LateMargin, so that its job sends
// it to the late topic even if the pipeline lags by LateMargin/Speedup of
// wall time), a share is sent twice (an app's retry, within the
// out-of-orderness), and a share is followed by a malformed line. Late
// events are only of kinds their job would otherwise count: classified
// student signals (job 3 via job 1), students' agora reports (job 5, one
// record per chain whose filter it passes), whole recorded sessions (job
// 4: each record; a session partly late would make its row from the rest).
//
// The Report counts what the sinks confirmed: records per ods topic, per
// late topic and per dead-letter topic, fates, rows. It is exact unless
// Uncertain counts events sent again after an attempt of unknown outcome,
// or under way when the run stopped.
//
// What it cannot promise: an on-time event is never late by the
// generator's clock, but a pipeline whose partitions drift apart by more
// than a job's bound in simulated time (at Speedup 200, job 3's 125 s are
// 0.6 s of wall time) sends some to the late topic all the same; and the
// jobs refuse event times more than event.time.max.ahead.ms (a day) past
// the wall clock, which a fast open-ended run reaches. A run whose start is
// before event times a previous run left in Kafka is late throughout.
package gen
