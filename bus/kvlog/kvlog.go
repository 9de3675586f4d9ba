package kvlog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"time"

	ckafka "github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/tributarydata/tributary/bus/kafka"
)

// Update is one change of the map, delivered to the OnUpdate callback in log order.
type Update struct {
	Key   string
	Value []byte // nil when the key was deleted
}

// Config says which topic holds the map.
type Config struct {
	Topic      string
	Partitions int // 1 keeps a total order, which the configs topic needs
	Client     kafka.ClientConfig
	// OnUpdate, when set, is called from the reader goroutine for every update,
	// after the map holds it. It must not call Put or Sync.
	OnUpdate func(Update)
	Logger   *slog.Logger
}

// ErrClosed is returned by calls on a closed Log.
var ErrClosed = errors.New("kvlog: closed")

// Log is a map kept in a compacted topic.
type Log struct {
	cfg      Config
	admin    *ckafka.AdminClient
	producer *ckafka.Producer
	consumer *ckafka.Consumer
	parts    []ckafka.TopicPartition

	mu       sync.Mutex
	data     map[string][]byte
	position map[int32]int64 // next offset the reader will return, per partition
	changed  chan struct{}   // closed and replaced on every advance of position
	err      error

	stop chan struct{}
	done chan struct{}
}

// Open creates the topic when needed, replays it to its end and starts following it.
func Open(ctx context.Context, cfg Config) (*Log, error) {
	if cfg.Partitions == 0 {
		cfg.Partitions = 1
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	l := &Log{
		cfg: cfg, data: map[string][]byte{}, position: map[int32]int64{},
		changed: make(chan struct{}), stop: make(chan struct{}), done: make(chan struct{}),
	}
	var err error
	if l.admin, err = ckafka.NewAdminClient(cfg.Client.AdminMap()); err != nil {
		return nil, fmt.Errorf("kvlog %s: admin client: %w", cfg.Topic, err)
	}
	err = kafka.EnsureTopic(ctx, l.admin, kafka.TopicSpec{
		Name: cfg.Topic, Partitions: cfg.Partitions,
		Configs: map[string]string{"cleanup.policy": "compact"},
	})
	var parts int
	if err == nil {
		parts, err = kafka.Partitions(l.admin, cfg.Topic, 10*time.Second)
	}
	if err != nil {
		l.admin.Close()
		return nil, fmt.Errorf("kvlog: %w", err)
	}
	l.producer, err = ckafka.NewProducer(cfg.Client.ProducerMap(nil, kafka.Props{
		"enable.idempotence": "true",
		"acks":               "all",
		"linger.ms":          "0",
	}))
	if err != nil {
		l.admin.Close()
		return nil, fmt.Errorf("kvlog %s: producer: %w", cfg.Topic, err)
	}
	go kafka.DrainEvents(l.producer)
	l.consumer, err = ckafka.NewConsumer(cfg.Client.ConsumerMap(nil, kafka.Props{
		// librdkafka wants a group id even for manual assignment; nothing is
		// ever committed under it.
		"group.id":           "tributary-kvlog",
		"enable.auto.commit": "false",
		"isolation.level":    "read_committed",
		"auto.offset.reset":  "earliest",
		"fetch.wait.max.ms":  "20",
	}))
	if err != nil {
		l.producer.Close()
		l.admin.Close()
		return nil, fmt.Errorf("kvlog %s: consumer: %w", cfg.Topic, err)
	}
	for p := range parts {
		l.parts = append(l.parts, ckafka.TopicPartition{Topic: &l.cfg.Topic, Partition: int32(p), Offset: ckafka.OffsetBeginning})
		l.position[int32(p)] = 0
	}
	if err := l.consumer.Assign(l.parts); err != nil {
		l.closeClients()
		return nil, fmt.Errorf("kvlog %s: assign: %w", cfg.Topic, err)
	}
	go l.follow()
	if err := l.Sync(ctx); err != nil {
		l.Close()
		return nil, err
	}
	return l, nil
}

func (l *Log) follow() {
	defer close(l.done)
	for {
		select {
		case <-l.stop:
			return
		default:
		}
		switch e := l.consumer.Poll(50).(type) {
		case *ckafka.Message:
			u := Update{Key: string(e.Key), Value: e.Value}
			l.mu.Lock()
			if u.Value == nil {
				delete(l.data, u.Key)
			} else {
				l.data[u.Key] = u.Value
			}
			l.mu.Unlock()
			if l.cfg.OnUpdate != nil {
				l.cfg.OnUpdate(u)
			}
		case ckafka.Error:
			if e.IsFatal() {
				l.cfg.Logger.Error("kvlog reader failed", "topic", l.cfg.Topic, "err", e)
				l.mu.Lock()
				l.err = e
				l.mu.Unlock()
				l.notify()
				return
			}
			l.cfg.Logger.Debug("kvlog reader", "topic", l.cfg.Topic, "err", e)
		}
		l.updatePositions()
	}
}

// updatePositions reads the consumer's positions, which librdkafka advances
// past transaction markers too, so Sync can compare them with end offsets.
func (l *Log) updatePositions() {
	pos, err := l.consumer.Position(l.parts)
	if err != nil {
		return
	}
	advanced := false
	l.mu.Lock()
	for _, tp := range pos {
		if o := int64(tp.Offset); o >= 0 && o > l.position[tp.Partition] {
			l.position[tp.Partition] = o
			advanced = true
		}
	}
	l.mu.Unlock()
	if advanced {
		l.notify()
	}
}

func (l *Log) notify() {
	l.mu.Lock()
	close(l.changed)
	l.changed = make(chan struct{})
	l.mu.Unlock()
}

// waitFor blocks until the reader has passed offset in partition.
func (l *Log) waitFor(ctx context.Context, partition int32, offset int64) error {
	for {
		l.mu.Lock()
		pos, err, ch := l.position[partition], l.err, l.changed
		l.mu.Unlock()
		if err != nil {
			return err
		}
		if pos >= offset {
			return nil
		}
		select {
		case <-ch:
		case <-l.done:
			return ErrClosed
		case <-ctx.Done():
			return fmt.Errorf("kvlog %s: waiting for offset %d of partition %d (at %d): %w", l.cfg.Topic, offset, partition, pos, ctx.Err())
		}
	}
}

// Sync blocks until the map reflects everything committed to the topic when Sync was called.
func (l *Log) Sync(ctx context.Context) error {
	specs := map[ckafka.TopicPartition]ckafka.OffsetSpec{}
	for _, tp := range l.parts {
		specs[ckafka.TopicPartition{Topic: &l.cfg.Topic, Partition: tp.Partition}] = ckafka.LatestOffsetSpec
	}
	res, err := l.admin.ListOffsets(ctx, specs, ckafka.SetAdminIsolationLevel(ckafka.IsolationLevelReadCommitted))
	if err != nil {
		return fmt.Errorf("kvlog %s: end offsets: %w", l.cfg.Topic, err)
	}
	for tpi, info := range res.ResultInfos {
		if info.Error.Code() != ckafka.ErrNoError {
			return fmt.Errorf("kvlog %s: end offset of partition %d: %w", l.cfg.Topic, tpi.Partition, info.Error)
		}
		if err := l.waitFor(ctx, tpi.Partition, int64(info.Offset)); err != nil {
			return err
		}
	}
	return nil
}

// Put writes key=value (value nil deletes) and returns once the map holds it.
func (l *Log) Put(ctx context.Context, key string, value []byte) error {
	delivered := make(chan ckafka.Event, 1)
	err := l.producer.Produce(&ckafka.Message{
		TopicPartition: ckafka.TopicPartition{Topic: &l.cfg.Topic, Partition: ckafka.PartitionAny},
		Key:            []byte(key),
		Value:          value,
	}, delivered)
	if err != nil {
		return fmt.Errorf("kvlog %s: put %s: %w", l.cfg.Topic, key, err)
	}
	var m *ckafka.Message
	select {
	case ev := <-delivered:
		m = ev.(*ckafka.Message)
	case <-ctx.Done():
		return fmt.Errorf("kvlog %s: put %s: %w", l.cfg.Topic, key, ctx.Err())
	}
	if m.TopicPartition.Error != nil {
		return fmt.Errorf("kvlog %s: put %s: %w", l.cfg.Topic, key, m.TopicPartition.Error)
	}
	return l.waitFor(ctx, m.TopicPartition.Partition, int64(m.TopicPartition.Offset)+1)
}

// Get returns the value of key.
func (l *Log) Get(key string) ([]byte, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	v, ok := l.data[key]
	return v, ok
}

// Snapshot returns a copy of the whole map.
func (l *Log) Snapshot() map[string][]byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	return maps.Clone(l.data)
}

// Topic is the topic holding the map.
func (l *Log) Topic() string { return l.cfg.Topic }

// Close stops following the topic.
func (l *Log) Close() {
	select {
	case <-l.stop:
		return
	default:
	}
	close(l.stop)
	<-l.done
	l.closeClients()
}

func (l *Log) closeClients() {
	l.producer.Flush(5000)
	l.producer.Close()
	_ = l.consumer.Close()
	l.admin.Close()
}
