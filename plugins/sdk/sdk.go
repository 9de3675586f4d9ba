package sdk

import (
	"context"

	"github.com/tributarydata/tributary/bus/record"
)

// Record, Header, Position, Change and Op are the bus's record model; they are
// aliased here so a plugin needs no other import.
type (
	Record   = record.Record
	Header   = record.Header
	Position = record.Position
	Change   = record.Change
	Op       = record.Op
)

// OffsetInt reads a non-negative integer from a stored position, whichever
// type JSON decoding gave it.
func OffsetInt(v any) (int64, error) { return record.OffsetInt(v) }

// Config is a connector's configuration as Kafka Connect carries it: string
// keys to string values. Decode turns it into the plugin's tagged struct.
type Config map[string]string

// Source reads from the outside world.
type Source interface {
	// Open prepares the source. last holds the latest stored position of every
	// source partition the connector wrote before (empty on a first start).
	Open(ctx context.Context, cfg Config, last []Position) error
	// Read blocks until it has a batch of records or ctx ends. Records should
	// carry positions; the runtime stores the latest one per partition.
	Read(ctx context.Context) ([]Record, error)
	// Ack tells the source that every record up to these positions is in Kafka
	// and the positions are stored, so it may release what it held for them.
	Ack(ctx context.Context, positions []Position) error
	Close() error
	mustEmbedUnimplementedSource()
}

// Sink writes records to the outside world.
type Sink interface {
	Open(ctx context.Context, cfg Config) error
	// Write hands a batch to the sink. It returns how many leading records it
	// accepted; on error, a *RecordError names a record that can never be
	// written (it goes to the dead-letter topic when errors.tolerance=all) and
	// a Retriable error asks the runtime to retry the rest with backoff.
	Write(ctx context.Context, records []Record) (written int, err error)
	// Flush makes every written record durable. Consumer offsets are committed
	// only after it returned nil.
	Flush(ctx context.Context) error
	Close() error
	mustEmbedUnimplementedSink()
}

// Transform turns records into records. It may drop, split or reroute them (by
// setting Record.Topic); records it returns with an empty Topic go to the
// connector's output topic. To reject one input (it does not parse, a value
// has the wrong type) it returns that input record with Fault set to the
// reason: the runtime dead-letters it (stage TRANSFORMATION) when
// errors.tolerance=all and fails the task otherwise, and the rest of the
// batch goes on. An error returned from Process fails the whole batch.
// The runtime is done with the records Process returned (they are produced,
// copied into the Kafka client) when it calls Process again, so a transform
// may reuse their memory from then on.
type Transform interface {
	Open(ctx context.Context, cfg Config) error
	Process(ctx context.Context, records []Record) ([]Record, error)
	Close() error
	mustEmbedUnimplementedTransform()
}

// Counted is implemented by transforms that count what happened to records
// beyond in and out: the records a rule table matched to no event, the ones a
// filter dropped. Counts returns totals since Open, by event name; the
// runtime reads them after every batch and exports them as the metric
// tributary_task_events_total{connector,task,event}. (Sources and sinks may
// implement it too, and plugins carry their counts, but the runtime reads it
// only from transforms so far.)
type Counted interface {
	Counts() map[string]int64
}

// OffsetKeeper is implemented by sinks that store their own input positions
// atomically with the data (a file, a table), which makes them exactly-once
// even when the runtime dies between a flush and its offset commit. The
// runtime starts each assigned partition at the offset returned here when the
// sink knows it, rather than at the consumer group's committed offset.
type OffsetKeeper interface {
	// StoredOffsets returns, per topic and partition, the offset of the next
	// record the sink expects.
	StoredOffsets(ctx context.Context) (map[TopicPartition]int64, error)
}

// TopicPartition names one Kafka partition.
type TopicPartition struct {
	Topic     string
	Partition int32
}

// UnimplementedSource is embedded by every Source.
type UnimplementedSource struct{}

// Ack does nothing: sources without positions to release need no acks.
func (UnimplementedSource) Ack(context.Context, []Position) error { return nil }

// Close does nothing.
func (UnimplementedSource) Close() error { return nil }

//lint:ignore U1000 called by no one: it only makes UnimplementedSource the way to satisfy Source.
func (UnimplementedSource) mustEmbedUnimplementedSource() {}

// UnimplementedSink is embedded by every Sink.
type UnimplementedSink struct{}

// Flush does nothing, for sinks whose Write is already durable.
func (UnimplementedSink) Flush(context.Context) error { return nil }

// Close does nothing.
func (UnimplementedSink) Close() error { return nil }

//lint:ignore U1000 called by no one: it only makes UnimplementedSink the way to satisfy Sink.
func (UnimplementedSink) mustEmbedUnimplementedSink() {}

// UnimplementedTransform is embedded by every Transform.
type UnimplementedTransform struct{}

// Open does nothing.
func (UnimplementedTransform) Open(context.Context, Config) error { return nil }

// Close does nothing.
func (UnimplementedTransform) Close() error { return nil }

//lint:ignore U1000 called by no one: it only makes UnimplementedTransform the way to satisfy Transform.
func (UnimplementedTransform) mustEmbedUnimplementedTransform() {}
