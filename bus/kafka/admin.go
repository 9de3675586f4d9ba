package kafka

import (
	"context"
	"errors"
	"fmt"
	"time"

	ckafka "github.com/confluentinc/confluent-kafka-go/v2/kafka"
)

// TopicSpec describes a topic the runtime needs.
type TopicSpec struct {
	Name       string
	Partitions int
	// Replication of -1 uses the broker's default.
	Replication int
	Configs     map[string]string
}

// EnsureTopic creates the topic when it does not exist. An existing topic is
// left alone (its partition count is the operator's business), but a topic that
// must be compacted and is not is an error, because the runtime would lose
// state to retention.
func EnsureTopic(ctx context.Context, admin *ckafka.AdminClient, spec TopicSpec) error {
	repl := spec.Replication
	if repl == 0 {
		repl = -1
	}
	res, err := admin.CreateTopics(ctx, []ckafka.TopicSpecification{{
		Topic:             spec.Name,
		NumPartitions:     spec.Partitions,
		ReplicationFactor: repl,
		Config:            spec.Configs,
	}}, ckafka.SetAdminOperationTimeout(10*time.Second))
	if err != nil {
		return fmt.Errorf("create topic %s: %w", spec.Name, err)
	}
	for _, r := range res {
		switch r.Error.Code() {
		case ckafka.ErrNoError:
		case ckafka.ErrTopicAlreadyExists:
			if spec.Configs["cleanup.policy"] == "compact" {
				return checkCompacted(ctx, admin, spec.Name)
			}
		default:
			return fmt.Errorf("create topic %s: %w", spec.Name, r.Error)
		}
	}
	return nil
}

func checkCompacted(ctx context.Context, admin *ckafka.AdminClient, topic string) error {
	res, err := admin.DescribeConfigs(ctx, []ckafka.ConfigResource{{Type: ckafka.ResourceTopic, Name: topic}})
	if err != nil {
		return fmt.Errorf("describe topic %s: %w", topic, err)
	}
	for _, r := range res {
		if v, ok := r.Config["cleanup.policy"]; ok && v.Value != "" && v.Value != "compact" && v.Value != "compact,delete" {
			return fmt.Errorf("topic %s must have cleanup.policy=compact, has %q", topic, v.Value)
		}
	}
	return nil
}

// ErrTopicMissing is returned by TopicExists callers that need the topic.
var ErrTopicMissing = errors.New("topic does not exist")

// Partitions returns the partition count of topic, or ErrTopicMissing.
func Partitions(admin *ckafka.AdminClient, topic string, timeout time.Duration) (int, error) {
	md, err := admin.GetMetadata(&topic, false, int(timeout.Milliseconds()))
	if err != nil {
		return 0, fmt.Errorf("metadata of %s: %w", topic, err)
	}
	t, ok := md.Topics[topic]
	if !ok || t.Error.Code() == ckafka.ErrUnknownTopicOrPart || t.Error.Code() == ckafka.ErrUnknownTopic {
		return 0, fmt.Errorf("%w: %s", ErrTopicMissing, topic)
	}
	if t.Error.Code() != ckafka.ErrNoError {
		return 0, fmt.Errorf("metadata of %s: %w", topic, t.Error)
	}
	return len(t.Partitions), nil
}
