package kafka

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	ckafka "github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestEnsureTopicSendsALostRequestAgain: a CreateTopics request the broker
// never answers holds EnsureTopic for one attempt, not for its whole context;
// the request is sent again and the topic is created.
func TestEnsureTopicSendsALostRequestAgain(t *testing.T) {
	defer func(d time.Duration) { createAttemptTimeout = d }(createAttemptTimeout)
	createAttemptTimeout = 2 * time.Second

	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var seen atomic.Int32
	c.ControlKey(int16(kmsg.CreateTopics), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		if seen.Add(1) == 1 {
			return nil, nil, true // swallowed: no answer ever comes
		}
		return nil, nil, false
	})
	admin, err := ckafka.NewAdminClient(&ckafka.ConfigMap{"bootstrap.servers": c.ListenAddrs()[0], "log_level": 3,
		// librdkafka drops a connection whose requests go unanswered this long;
		// the lost request has muted this one, so the resend needs a new one.
		"socket.timeout.ms": 5000})
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	if err := EnsureTopic(ctx, admin, TopicSpec{Name: "t", Partitions: 2}); err != nil {
		t.Fatalf("after %v: %v", time.Since(start), err)
	}
	if n := seen.Load(); n < 2 {
		t.Fatalf("%d CreateTopics requests reached the broker, want a second after the lost first", n)
	}
	if info := c.TopicInfo("t"); info == nil {
		t.Fatal("the topic was not created")
	}
	t.Logf("created after %v and %d requests", time.Since(start).Round(100*time.Millisecond), seen.Load())
}
