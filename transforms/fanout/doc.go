// Package fanout is the transform connector that runs several smt chains
// (package smt) over each record and emits what each makes of it
// (tributary.transforms.fanout): one input, several outputs, as a SQL job
// that inserts from one table into one sink twice.
//
//	"connector.class": "tributary.transforms.fanout",
//	"topics": "ods.agora_record",
//	"topic": "dwd.av_state",
//	"branches": "audio,video",
//	"branches.audio.transforms": "fields,students",
//	"branches.audio.transforms.fields.type": "extract",
//	…
//	"branches.video.transforms": "fields,students",
//	…
//
// Each branch is an smt chain configured under branches.<name>. (its
// transforms, its steps and, optionally, its own topic; the connector's
// topic, value.max.bytes and value.max.depth otherwise).
//
// Why one connector rather than one smt connector per branch: warehouse job
// 5 counts audio and video states of the same reports in event-time
// windows. Two connectors reading the same topic each go at their own pace,
// and when one runs further ahead than the window's slack, the other's
// on-time records reach the window late and are not counted. Here the
// outputs leave in the order of their inputs — for each input record, each
// branch's output in branch order — in the same transaction, so the
// branches cannot drift apart.
//
// Bad input: a branch that refuses a record (Record.Fault) does not stop
// the others' outputs of it; the input goes to the dead-letter topic once,
// with every refusing branch's reason, so a replay of the dead letters
// does not process it twice. A record every branch drops is dropped.
package fanout
