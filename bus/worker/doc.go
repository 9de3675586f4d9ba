// Package worker is Tributary's connector runtime: it keeps connector configs,
// target states, statuses and source offsets in compacted Kafka topics (shared
// by every worker of a group), runs the tasks of each connector, and answers
// the REST API's calls (it implements api.Controller).
//
// Task kinds and their delivery rules:
//   - source: Read → produce → commit. With exactly-once support (the
//     default), records and the source positions they carry are written in one
//     Kafka transaction, so a crash can neither lose records nor write them
//     twice; the source is acked after the commit.
//   - sink: a consumer group per connector (connect-<name>) → Write → Flush →
//     commit consumer offsets; offsets are never committed before Flush
//     returned, and sinks that store their own offsets (sdk.OffsetKeeper) are
//     resumed from those.
//   - transform: consume (read_committed) → Process → produce outputs and
//     commit the input offsets in one transaction.
//
// Bad records follow Kafka Connect's errors.* settings: with tolerance none
// the task fails and shows the error and stack in its status; with all, the
// record goes to the dead-letter topic with headers naming the error, stage,
// connector, task and original topic/partition/offset.
package worker
