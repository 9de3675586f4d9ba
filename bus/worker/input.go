package worker

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	ckafka "github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/tributarydata/tributary/bus/kafka"
	"github.com/tributarydata/tributary/plugins/sdk"
)

type topicPartition struct {
	topic     string
	partition int32
}

// input is the consuming side of sink and transform tasks: one consumer in
// the connector's group (connect-<name>), reading committed records only,
// never committing on its own.
type input struct {
	t        *task
	c        *ckafka.Consumer
	assigned map[topicPartition]bool
	done     map[topicPartition]int64 // next offset after records fully handled
	saved    map[topicPartition]int64 // what was last committed
	batch    []sdk.Record
	paused   bool
	warned   map[string]bool

	onRevoke func(context.Context) error
	stored   func(context.Context) (map[sdk.TopicPartition]int64, error)
	err      error // a failure inside the rebalance callback
}

// staticPlacement is the partitions a stateful task reads; it may be none
// (more tasks than partitions).
type staticPlacement struct{ parts []sdk.TopicPartition }

// committedTimeout bounds the wait for a group's committed offsets.
const committedTimeout = 30 * time.Second

// GroupID is the consumer group of a sink or transform connector, as Kafka Connect names it.
func GroupID(connector string) string { return "connect-" + connector }

// openInput makes the consumer of a sink or transform task. With a static
// placement it joins no group and reads exactly the placed partitions from
// the group's committed offsets: stateful transforms, whose state must
// follow fixed partitions (sdk.Stateful).
func openInput(ctx context.Context, t *task, extra kafka.Props, onRevoke func(context.Context) error,
	stored func(context.Context) (map[sdk.TopicPartition]int64, error), placement *staticPlacement) (*input, error) {
	overrides, err := kafka.Overrides(t.config, kafka.ConsumerOverridePrefix)
	if err != nil {
		return nil, err
	}
	own := kafka.Props{
		"group.id":                 GroupID(t.id.Connector),
		"client.id":                fmt.Sprintf("connector-consumer-%s-%d", t.id.Connector, t.id.Task),
		"enable.auto.commit":       "false",
		"enable.auto.offset.store": "false",
		"isolation.level":          "read_committed",
	}
	if _, set := overrides["auto.offset.reset"]; !set {
		own["auto.offset.reset"] = "earliest"
	}
	if _, set := overrides["topic.metadata.refresh.interval.ms"]; !set && t.common.TopicsRegex != "" {
		// librdkafka matches a regex subscription against topics it learns of
		// at metadata refreshes, every 5 minutes by default: a topic created
		// after the connector would wait that long for its first read.
		own["topic.metadata.refresh.interval.ms"] = "10000"
	}
	for k, v := range extra {
		own[k] = v
	}
	c, err := ckafka.NewConsumer(t.w.cfg.Kafka.ConsumerMap(overrides, own))
	if err != nil {
		return nil, fmt.Errorf("create consumer: %w", err)
	}
	in := &input{
		t: t, c: c, onRevoke: onRevoke, stored: stored,
		assigned: map[topicPartition]bool{}, done: map[topicPartition]int64{}, saved: map[topicPartition]int64{},
		warned: map[string]bool{},
	}
	if placement != nil {
		// A stateful task never joins the group, not even with no
		// partitions of its own: a member would be given them all.
		if err := in.assignStatic(ctx, placement.parts); err != nil {
			c.Close()
			return nil, err
		}
		return in, nil
	}
	var topics []string
	switch {
	case t.common.TopicsRegex != "":
		topics = []string{"^" + strings.TrimPrefix(t.common.TopicsRegex, "^")}
	case len(t.common.Topics) > 0:
		topics = t.common.Topics
	default:
		c.Close()
		return nil, fmt.Errorf("connector names no input: set topics or topics.regex")
	}
	if err := c.SubscribeTopics(topics, in.rebalance); err != nil {
		c.Close()
		return nil, fmt.Errorf("subscribe to %v: %w", topics, err)
	}
	return in, nil
}

// assignStatic reads parts from the offsets committed for the connector's
// group (from the start when there are none).
func (in *input) assignStatic(ctx context.Context, parts []sdk.TopicPartition) error {
	if len(parts) == 0 {
		return nil
	}
	tps := make([]ckafka.TopicPartition, len(parts))
	for i, p := range parts {
		topic := p.Topic
		tps[i] = ckafka.TopicPartition{Topic: &topic, Partition: p.Partition}
	}
	wait := committedTimeout
	if d, ok := ctx.Deadline(); ok {
		wait = min(wait, time.Until(d))
	}
	committed, err := in.c.Committed(tps, int(wait.Milliseconds()))
	var kerr ckafka.Error
	switch {
	case errors.As(err, &kerr) && kerr.Code() == ckafka.ErrGroupIDNotFound:
		// A group that never committed (the embedded broker says so
		// where Kafka answers with no offsets): read from the start.
		committed = tps
		for i := range committed {
			committed[i].Offset = ckafka.OffsetInvalid
		}
	case err != nil:
		return fmt.Errorf("committed offsets: %w", err)
	}
	for i := range committed {
		tp := topicPartition{*committed[i].Topic, committed[i].Partition}
		in.assigned[tp] = true
		in.t.metrics.Read(tp.topic)
		if committed[i].Offset >= 0 {
			in.done[tp] = int64(committed[i].Offset)
			in.saved[tp] = int64(committed[i].Offset)
		} else {
			committed[i].Offset = ckafka.OffsetBeginning
		}
	}
	if err := in.c.Assign(committed); err != nil {
		return fmt.Errorf("assign %d partitions: %w", len(committed), err)
	}
	in.t.log.Info("partitions assigned", "partitions", len(committed), "static", true)
	return nil
}

// rebalance runs inside Poll when the group moves partitions.
func (in *input) rebalance(c *ckafka.Consumer, ev ckafka.Event) error {
	cooperative := c.GetRebalanceProtocol() == "COOPERATIVE"
	switch e := ev.(type) {
	case ckafka.AssignedPartitions:
		parts := e.Partitions
		stored, err := in.stored(context.Background())
		if err != nil {
			in.err = fmt.Errorf("stored offsets of the sink: %w", err)
			stored = nil
		}
		for i := range parts {
			tp := topicPartition{*parts[i].Topic, parts[i].Partition}
			in.assigned[tp] = true
			in.t.metrics.Read(tp.topic)
			if off, ok := stored[sdk.TopicPartition{Topic: tp.topic, Partition: tp.partition}]; ok {
				parts[i].Offset = ckafka.Offset(off)
			}
		}
		in.t.log.Info("partitions assigned", "partitions", len(parts))
		if cooperative {
			err = c.IncrementalAssign(parts)
		} else {
			err = c.Assign(parts)
		}
		if err == nil && in.paused {
			// A paused connector stays paused on partitions it gains.
			err = c.Pause(parts)
		}
		return err
	case ckafka.RevokedPartitions:
		// Hand over cleanly: what was handled is flushed and committed; what
		// was polled but not handled is dropped for the next owner to read.
		// When the assignment is already lost (the session expired), a commit
		// would be refused: the new owner replays from the last commit.
		if c.AssignmentLost() {
			in.t.log.Warn("partitions lost without a clean handover", "partitions", len(e.Partitions))
		} else if in.onRevoke != nil {
			if err := in.onRevoke(context.Background()); err != nil {
				in.err = err
			}
		}
		revoked := map[topicPartition]bool{}
		for _, p := range e.Partitions {
			tp := topicPartition{*p.Topic, p.Partition}
			revoked[tp] = true
			delete(in.assigned, tp)
			delete(in.done, tp)
			delete(in.saved, tp)
		}
		kept := in.batch[:0]
		for _, r := range in.batch {
			if !revoked[topicPartition{r.Topic, r.Partition}] {
				kept = append(kept, r)
			}
		}
		in.batch = kept
		in.t.log.Info("partitions revoked", "partitions", len(e.Partitions))
		if cooperative {
			return c.IncrementalUnassign(e.Partitions)
		}
		return c.Unassign()
	}
	return nil
}

// pause stops or restarts fetching while the connector is paused; the
// consumer keeps polling so it stays in its group.
func (in *input) pause(paused bool) {
	if paused == in.paused {
		return
	}
	parts := in.assignment()
	var err error
	if paused {
		err = in.c.Pause(parts)
	} else {
		err = in.c.Resume(parts)
	}
	if err != nil {
		in.t.log.Warn("pause/resume consumer", "paused", paused, "err", err)
		return
	}
	in.paused = paused
}

func (in *input) assignment() []ckafka.TopicPartition {
	parts, err := in.c.Assignment()
	if err != nil {
		return nil
	}
	return parts
}

// poll returns the next batch: up to maxBatchRecords, waiting at most
// maxBatchWait after the first record, or nothing after a quiet 100 ms.
func (in *input) poll(ctx context.Context) ([]sdk.Record, error) {
	in.batch = in.batch[:0]
	wait := 100
	var deadline time.Time
	for len(in.batch) < maxBatchRecords && ctx.Err() == nil {
		if !deadline.IsZero() {
			left := time.Until(deadline)
			if left <= 0 {
				break
			}
			wait = max(1, int(left.Milliseconds()))
		}
		ev := in.c.Poll(wait)
		if in.err != nil {
			return nil, in.err
		}
		switch e := ev.(type) {
		case nil:
			if deadline.IsZero() {
				return in.batch, nil
			}
		case *ckafka.Message:
			if e.TopicPartition.Error != nil {
				return nil, fmt.Errorf("consume: %w", e.TopicPartition.Error)
			}
			in.batch = append(in.batch, kafka.ToRecord(e))
			if deadline.IsZero() {
				deadline = time.Now().Add(maxBatchWait)
			}
		case ckafka.Error:
			if e.IsFatal() {
				return nil, fmt.Errorf("consumer: %w", e)
			}
			if !in.warned[e.String()] {
				// e.g. a subscribed topic that does not exist yet: keep
				// running, it may be created.
				in.warned[e.String()] = true
				in.t.log.Warn("consumer", "err", e)
			}
		}
	}
	return in.batch, nil
}

// markDone records that every record of batch was handled.
func (in *input) markDone(batch []sdk.Record) {
	for _, r := range batch {
		tp := topicPartition{r.Topic, r.Partition}
		if in.assigned[tp] && r.Offset+1 > in.done[tp] {
			in.done[tp] = r.Offset + 1
		}
	}
}

func (in *input) dirty() bool {
	for tp, next := range in.done {
		if next != in.saved[tp] {
			return true
		}
	}
	return false
}

// offsets returns the positions to commit.
func (in *input) offsets() []ckafka.TopicPartition {
	var out []ckafka.TopicPartition
	for tp, next := range in.done {
		if next != in.saved[tp] {
			topic := tp.topic
			out = append(out, ckafka.TopicPartition{Topic: &topic, Partition: tp.partition, Offset: ckafka.Offset(next)})
		}
	}
	return out
}

// commit commits the consumer offsets of handled records.
func (in *input) commit() error {
	offs := in.offsets()
	if len(offs) == 0 {
		return nil
	}
	if _, err := in.c.CommitOffsets(offs); err != nil {
		return fmt.Errorf("commit offsets: %w", err)
	}
	in.committed(offs)
	return nil
}

// committed notes offsets as saved (by commit or by a transaction).
func (in *input) committed(offs []ckafka.TopicPartition) {
	for _, o := range offs {
		in.saved[topicPartition{*o.Topic, o.Partition}] = int64(o.Offset)
	}
}

// updateLag sets the gauge to the records between handled offsets and the
// partitions' ends (librdkafka's cached high watermarks; no request).
func (in *input) updateLag(g prometheus.Gauge) {
	var lag int64
	for tp := range in.assigned {
		_, high, err := in.c.GetWatermarkOffsets(tp.topic, tp.partition)
		if err != nil || high < 0 {
			continue
		}
		if pos, ok := in.done[tp]; ok && high > pos {
			lag += high - pos
		}
	}
	g.Set(float64(lag))
}

func (in *input) close() {
	if err := in.c.Close(); err != nil {
		in.t.log.Warn("close consumer", "err", err)
	}
}
