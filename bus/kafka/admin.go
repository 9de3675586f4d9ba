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
	for {
		// librdkafka waits for an admin answer as long as its request
		// timeout (socket.timeout.ms, a minute) and the Go client as long
		// as ctx: one lost request would hold a worker's start for all of
		// that. Each attempt gets a bounded request timeout instead, after
		// which librdkafka drops the connection, and the request is sent
		// again on a fresh one (creating a topic twice is harmless: the
		// second finds it). The Go-side wait is a little longer so that
		// librdkafka's own timeout is the one that fires.
		attempt, cancel := context.WithTimeout(ctx, createAttemptTimeout+5*time.Second)
		res, err := admin.CreateTopics(attempt, []ckafka.TopicSpecification{{
			Topic:             spec.Name,
			NumPartitions:     spec.Partitions,
			ReplicationFactor: repl,
			Config:            spec.Configs,
		}}, ckafka.SetAdminOperationTimeout(10*time.Second), ckafka.SetAdminRequestTimeout(createAttemptTimeout))
		timedOut := attempt.Err() != nil || isTimeout(err)
		cancel()
		if err == nil && len(res) > 0 && isTimeout(res[0].Error) {
			timedOut, err = true, res[0].Error
		}
		if err != nil {
			if timedOut && ctx.Err() == nil {
				continue
			}
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
}

// isTimeout tells whether err is librdkafka giving up waiting for an answer.
func isTimeout(err error) bool {
	var kerr ckafka.Error
	if !errors.As(err, &kerr) {
		return false
	}
	return kerr.Code() == ckafka.ErrTimedOut || kerr.Code() == ckafka.ErrRequestTimedOut || kerr.Code() == ckafka.ErrTimedOutQueue
}

// createAttemptTimeout bounds one CreateTopics request; see EnsureTopic.
var createAttemptTimeout = 20 * time.Second

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
