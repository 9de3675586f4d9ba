// Package smt is the stateless transform connector: a chain of single
// message transforms configured as data, the way Kafka Connect chains SMTs.
//
//	"connector.class": "tributary.transforms.smt",
//	"transforms": "flat,classify",
//	"transforms.flat.type": "extract",
//	"transforms.flat.fields": "userId=data.userid:long,action=data.msg.msg_data.action",
//	"transforms.classify.type": "classify",
//	"transforms.classify.rules": "MOVE,HOVER",
//	"transforms.classify.rule.MOVE": "action = 'move'",
//
// Each step sees the record its predecessor left: extract pulls typed fields
// out of nested JSON, flatten lifts nested objects to top-level fields,
// classify names an event by the first rule that matches, filter keeps or
// drops by a condition, set computes fields (coalesce, concat, CASE WHEN,
// md5, date_format, cast), project and rename shape the fields, mask hides
// them, hash puts a digest in the key or a field, route picks the topic,
// timestamp sets event time, unwrap opens a Debezium envelope. docs/
// transforms.md lists every step's keys (generated from the same structs).
//
// Why a chain of small steps rather than a SQL engine: the cleaning jobs of
// the warehouse are per-record maps and filters, and a million records a
// second on one core leaves about a microsecond each. A record's value is
// parsed once into a value.Row that the steps share and is written once at
// the end, and only when a step changed it; conditions and paths are
// compiled when the task opens.
//
// Bad input never stops the chain: a value that is not JSON, has the wrong
// shape or a value of the wrong type comes back to the runtime with
// Record.Fault saying which step refused it and why, and goes to the
// dead-letter topic when errors.tolerance=all. Records a rule or filter
// drops on purpose are counted (sdk.Counted), never silently lost.
//
// A tombstone (a null value) passes the steps that read the value unchanged;
// unwrap turns a Debezium delete into one.
package smt
