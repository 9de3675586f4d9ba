package sdk

import (
	"context"
	"time"
)

// Stateful is implemented by transforms that keep state between records:
// windows, the latest row per key, join buffers. The runtime makes that state
// exactly-once the way Kafka Streams does:
//
//   - Input partitions are placed statically: task i of n reads partition p of
//     every input topic when p mod n = i. Records of the same key in
//     co-partitioned topics (same partition count, same key) meet in one
//     task, and the state of partition p always belongs to whichever task
//     reads p.
//   - Every state write is logged to a compacted changelog topic, partition p
//     for the state of input partition p, in the same Kafka transaction as the
//     outputs and the input offsets. A batch is reflected in outputs, state
//     and offsets together or not at all.
//   - When a task starts (first start, restart, a move to another worker, a
//     new task count), the runtime replays the changelog of each partition it
//     reads into Restore before it hands Process any record.
//
// A stateful transform runs in-process only. Its state has seen the records
// of every call, so Process is never called twice with the same records,
// with one exception: an error marked Retriable promises that the call left
// the state exactly as it was and recorded no Changes (a lookup that could
// not reach its store, say). The runtime then aborts the batch's transaction
// and, within errors.retry.timeout, calls Process again with the same
// records; any other error fails the task, whose restart restores the state
// of the last commit.
type Stateful interface {
	// Assign names the input partitions the task reads, before any Restore.
	Assign(partitions []TopicPartition) error
	// Restore receives the changelog of input partition index partition,
	// oldest entry first; a nil value deletes key. Keys repeat when the
	// topic is not yet compacted: the last one wins.
	Restore(partition int32, key, value []byte) error
	// Changes returns the state writes made since the last call. The runtime
	// writes them to the changelog in the transaction of the batch that made
	// them, and is done with them when it calls Process, Tick or Changes
	// again.
	Changes() []StateChange
	// Tick lets wall-clock time pass when records do not: the runtime calls
	// it when a poll brought nothing and at least every tick interval, so an
	// idle partition stops holding back the watermark and state past its
	// time to live expires. It returns outputs as Process does.
	Tick(ctx context.Context, now time.Time) ([]Record, error)
}

// StateChange is one write to a stateful transform's state: Value nil
// deletes Key. Partition is the input partition index the state belongs to.
type StateChange struct {
	Partition int32
	Key       []byte
	Value     []byte
}
