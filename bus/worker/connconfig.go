package worker

import (
	"time"
)

// ConnectorConfig holds the keys the runtime reads from every connector
// config, with Kafka Connect's names. A plugin's own keys sit beside them in
// the same flat map.
type ConnectorConfig struct {
	Name     string `json:"name" validate:"required" doc:"Unique name of the connector." importance:"high" group:"Common"`
	Class    string `json:"connector.class" validate:"required" doc:"Plugin class or alias (GET /connector-plugins)." importance:"high" group:"Common"`
	TasksMax int    `json:"tasks.max" default:"1" validate:"gte=1" doc:"Maximum number of tasks." importance:"high" group:"Common"`

	Topics      []string `json:"topics" doc:"Input topics of a sink or transform (or topics.regex)." group:"Common"`
	TopicsRegex string   `json:"topics.regex" doc:"Regular expression of input topics of a sink or transform." group:"Common"`

	ValueConverter string `json:"value.converter" default:"bytes" validate:"oneof=bytes json" doc:"bytes passes values as they are; json refuses a value that is not valid JSON (stage VALUE_CONVERTER)." group:"Common"`

	ErrorsTolerance   string        `json:"errors.tolerance" default:"none" validate:"oneof=none all" doc:"none fails the task on a bad record; all skips it, to the dead-letter topic when one is set." group:"Error Handling"`
	ErrorsRetry       time.Duration `json:"errors.retry.timeout" default:"0" validate:"gte=-1" doc:"How long (ms) to retry a retriable failure; -1 forever. At 0 a sink still retries its writes forever (they keep their place), a source or transform does not retry, and every task retries its open for 2 minutes (a table or server not there yet)." group:"Error Handling"`
	ErrorsRetryMax    time.Duration `json:"errors.retry.delay.max.ms" default:"60000" validate:"gte=0" doc:"Longest wait (ms) between retries." group:"Error Handling"`
	ErrorsLog         bool          `json:"errors.log.enable" default:"false" doc:"Log every tolerated error." group:"Error Handling"`
	ErrorsLogMessages bool          `json:"errors.log.include.messages" default:"false" doc:"Include the record's topic/partition/offset in error logs." group:"Error Handling"`
	DLQTopic          string        `json:"errors.deadletterqueue.topic.name" doc:"Dead-letter topic for records that failed with errors.tolerance=all." group:"Error Handling"`
	DLQReplication    int           `json:"errors.deadletterqueue.topic.replication.factor" default:"-1" doc:"Replication of the dead-letter topic when the runtime creates it (-1: broker default)." group:"Error Handling"`
	DLQHeaders        bool          `json:"errors.deadletterqueue.context.headers.enable" default:"true" doc:"Add __connect.errors.* headers saying why a record was dead-lettered." group:"Error Handling"`
	OffsetFlush       time.Duration `json:"offset.flush.interval.ms" default:"0" validate:"gte=0" doc:"How often (ms) a sink's tasks flush and commit their offsets; 0 uses the worker's offset.flush.interval. A sink that writes files (the backup) sets minutes here, so each flush makes fewer, larger files." group:"Common"`
	StateChangelog    string        `json:"state.changelog.topic" doc:"Changelog topic of a stateful transform's state (compacted, one partition per input partition); empty: <group>-<connector>-changelog." group:"State"`
	StateReplication  int           `json:"state.changelog.replication.factor" default:"-1" doc:"Replication of the changelog topic when the runtime creates it (-1: broker default)." group:"State"`
	StateTick         time.Duration `json:"state.tick.interval.ms" default:"250" validate:"gt=0" doc:"How often (ms) a stateful transform is told the wall-clock time when records do not move it (idle partitions, state TTL)." group:"State"`
	MaxRecordBytes    int           `json:"max.record.bytes" default:"1048576" validate:"gt=0" doc:"Records larger than this are refused as bad records before they reach Kafka (match the broker's message.max.bytes)." group:"Common"`
}

// Tolerant reports whether bad records are skipped rather than failing the task.
func (c *ConnectorConfig) Tolerant() bool { return c.ErrorsTolerance == "all" }
