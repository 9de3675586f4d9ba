package kvlog_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	ckafka "github.com/confluentinc/confluent-kafka-go/v2/kafka"

	"github.com/tributarydata/tributary/bus/broker/brokertest"
	"github.com/tributarydata/tributary/bus/kvlog"
)

func TestPutGetAndReplay(t *testing.T) {
	b := brokertest.Start(t)
	client := brokertest.Client(b)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	var seen []kvlog.Update
	l, err := kvlog.Open(ctx, kvlog.Config{Topic: "t-configs", Client: client, OnUpdate: func(u kvlog.Update) { seen = append(seen, u) }})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if err := l.Put(ctx, fmt.Sprintf("k%d", i), []byte(fmt.Sprintf("v%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Put(ctx, "k2", nil); err != nil {
		t.Fatal(err)
	}
	if err := l.Put(ctx, "k1", []byte("v1b")); err != nil {
		t.Fatal(err)
	}
	if v, ok := l.Get("k1"); !ok || string(v) != "v1b" {
		t.Fatalf("k1 = %q %v, want v1b", v, ok)
	}
	if _, ok := l.Get("k2"); ok {
		t.Fatal("k2 still present after delete")
	}
	if len(seen) != 7 {
		t.Fatalf("OnUpdate saw %d updates, want 7", len(seen))
	}
	l.Close()

	// A second reader replays the topic and sees the same map.
	l2, err := kvlog.Open(ctx, kvlog.Config{Topic: "t-configs", Client: client})
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	want := map[string]string{"k0": "v0", "k1": "v1b", "k3": "v3", "k4": "v4"}
	got := l2.Snapshot()
	if len(got) != len(want) {
		t.Fatalf("replayed map %v, want %v", got, want)
	}
	for k, v := range want {
		if string(got[k]) != v {
			t.Fatalf("replayed %s = %q, want %q", k, got[k], v)
		}
	}
}

// Transactional writes (how source tasks store offsets) end in a commit
// marker; Sync must get past it, and aborted writes must never show.
func TestSyncPastTransactionMarkers(t *testing.T) {
	b := brokertest.Start(t)
	client := brokertest.Client(b)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	l, err := kvlog.Open(ctx, kvlog.Config{Topic: "t-offsets", Client: client})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()

	p, err := ckafka.NewProducer(client.ProducerMap(nil, map[string]string{"transactional.id": "t1"}))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.InitTransactions(ctx); err != nil {
		t.Fatal(err)
	}
	topic := "t-offsets"
	write := func(key, value string, commit bool) {
		t.Helper()
		if err := p.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		if err := p.Produce(&ckafka.Message{TopicPartition: ckafka.TopicPartition{Topic: &topic, Partition: ckafka.PartitionAny}, Key: []byte(key), Value: []byte(value)}, nil); err != nil {
			t.Fatal(err)
		}
		if commit {
			err = p.CommitTransaction(ctx)
		} else {
			err = p.AbortTransaction(ctx)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	write("a", "1", true)
	write("b", "2", false)
	write("a", "3", true)
	syncCtx, cancelSync := context.WithTimeout(ctx, 10*time.Second)
	defer cancelSync()
	if err := l.Sync(syncCtx); err != nil {
		t.Fatalf("sync past markers: %v", err)
	}
	if v, _ := l.Get("a"); string(v) != "3" {
		t.Fatalf("a = %q, want 3", v)
	}
	if _, ok := l.Get("b"); ok {
		t.Fatal("aborted write is visible")
	}
}
