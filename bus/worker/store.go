package worker

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	ckafka "github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/tributarydata/tributary/bus/record"
)

// Keys of the configs topic, as Kafka Connect names them.
const (
	connectorKeyPrefix = "connector-"
	targetKeyPrefix    = "target-state-"
	statusConnPrefix   = "status-connector-"
	statusTaskPrefix   = "status-task-"
)

type connectorRecord struct {
	Properties map[string]string `json:"properties"`
}

type targetRecord struct {
	State string `json:"state"`
}

type statusRecord struct {
	State    string `json:"state"`
	Trace    string `json:"trace,omitempty"`
	WorkerID string `json:"worker_id"`
	Time     int64  `json:"time_ms"`
}

func taskStatusKey(id TaskID) string {
	return statusTaskPrefix + id.Connector + "-" + strconv.Itoa(id.Task)
}

// connectorConfigs reads every connector config from the configs map.
func (w *Worker) connectorConfigs() map[string]map[string]string {
	out := map[string]map[string]string{}
	for k, v := range w.configs.Snapshot() {
		name, ok := strings.CutPrefix(k, connectorKeyPrefix)
		if !ok {
			continue
		}
		var rec connectorRecord
		if err := json.Unmarshal(v, &rec); err != nil {
			w.log.Error("unreadable connector config in configs topic", "connector", name, "err", err)
			continue
		}
		out[name] = rec.Properties
	}
	return out
}

func (w *Worker) connectorConfig(name string) (map[string]string, bool) {
	v, ok := w.configs.Get(connectorKeyPrefix + name)
	if !ok {
		return nil, false
	}
	var rec connectorRecord
	if err := json.Unmarshal(v, &rec); err != nil {
		return nil, false
	}
	return rec.Properties, true
}

func (w *Worker) targetState(name string) string {
	v, ok := w.configs.Get(targetKeyPrefix + name)
	if !ok {
		return TargetStarted
	}
	var rec targetRecord
	if err := json.Unmarshal(v, &rec); err != nil || rec.State == "" {
		return TargetStarted
	}
	return rec.State
}

func (w *Worker) putTargetState(ctx context.Context, name, state string) error {
	data, _ := json.Marshal(targetRecord{State: state})
	return w.configs.Put(ctx, targetKeyPrefix+name, data)
}

func (w *Worker) readStatus(key string) (statusRecord, bool) {
	v, ok := w.statuses.Get(key)
	if !ok {
		return statusRecord{}, false
	}
	var rec statusRecord
	if err := json.Unmarshal(v, &rec); err != nil {
		return statusRecord{}, false
	}
	return rec, true
}

// offsetKey is Kafka Connect's key of a source offset: ["connector", {partition}].
func offsetKey(connector string, partition map[string]any) ([]byte, error) {
	return record.Encode([]any{connector, partition})
}

// parseOffsetKey returns the connector and partition of an offsets-topic key.
func parseOffsetKey(key string) (string, map[string]any, bool) {
	var parts []json.RawMessage
	if err := json.Unmarshal([]byte(key), &parts); err != nil || len(parts) != 2 {
		return "", nil, false
	}
	var name string
	if err := json.Unmarshal(parts[0], &name); err != nil {
		return "", nil, false
	}
	partition, err := record.DecodeObject(parts[1])
	if err != nil {
		return "", nil, false
	}
	return name, partition, true
}

// sourcePositions returns the stored positions of a source connector.
func (w *Worker) sourcePositions(connector string) []record.Position {
	var out []record.Position
	for k, v := range w.offsets.Snapshot() {
		name, partition, ok := parseOffsetKey(k)
		if !ok || name != connector {
			continue
		}
		offset, err := record.DecodeObject(v)
		if err != nil {
			continue
		}
		out = append(out, record.Position{Partition: partition, Offset: offset})
	}
	return out
}

// offsetMessage is the offsets-topic record storing p for connector.
func (w *Worker) offsetMessage(connector string, p record.Position) (*ckafka.Message, error) {
	key, err := offsetKey(connector, p.Partition)
	if err != nil {
		return nil, fmt.Errorf("source partition is not JSON: %w", err)
	}
	var value []byte
	if p.Offset != nil {
		if value, err = record.Encode(p.Offset); err != nil {
			return nil, fmt.Errorf("source offset is not JSON: %w", err)
		}
	}
	topic := w.offsets.Topic()
	return &ckafka.Message{TopicPartition: ckafka.TopicPartition{Topic: &topic, Partition: ckafka.PartitionAny}, Key: key, Value: value}, nil
}

// storeSourcePosition writes one position outside a transaction (a nil offset deletes it).
func (w *Worker) storeSourcePosition(ctx context.Context, connector string, p record.Position) error {
	m, err := w.offsetMessage(connector, p)
	if err != nil {
		return err
	}
	if err := w.offsets.Put(ctx, string(m.Key), m.Value); err != nil {
		return fmt.Errorf("store source offset: %w", err)
	}
	return nil
}
