package rds

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tributarydata/tributary/bus/broker/brokertest"
	"github.com/tributarydata/tributary/bus/worker"
	"github.com/tributarydata/tributary/bus/worker/workertest"
)

// Through the real runtime and the embedded broker: 10k Debezium change
// events (creates, updates, deletes, re-creates) and two poison records, one
// the mapper refuses and one the server's CHECK refuses. With
// errors.tolerance=all the table ends in the events' final state and both
// poison records are in the dead-letter topic, saying why.
func TestThroughTheRuntime(t *testing.T) {
	db, c := testDB(t)
	mustExec(t, c, `CREATE TABLE orders (id BIGINT PRIMARY KEY, status INT NOT NULL CHECK (status < 10),
		amount DECIMAL(12,2), note VARCHAR(64))`)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	w := workertest.StartAlone(ctx, t, func(c *worker.Config) { c.OffsetFlushInterval = 200 * time.Millisecond }, Plugin)
	bootstrap := w.Config().Kafka.Bootstrap()

	events, want := changeEvents("ods.orders", 10_000, 1_800)
	values := make([]string, 0, len(events)+2)
	for i, e := range events {
		values = append(values, string(e.Value))
		switch i {
		case 3_000:
			values = append(values, `{"op":"c","before":null,"after":{"id":90001,"status":"paid"}}`)
		case 7_000:
			values = append(values, `{"op":"c","before":null,"after":{"id":90002,"status":42}}`)
		}
	}
	brokertest.Produce(t, bootstrap, "ods.orders", values...)
	if _, _, err := w.PutConnectorConfig(ctx, "orders-rds", map[string]string{
		"connector.class": Plugin.Class, "topics": "ods.orders", "connection.url": dsn(t, db),
		"table.name.format": "orders", "errors.tolerance": "all", "errors.deadletterqueue.topic.name": "dlq.orders",
	}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		got = query(t, c, "SELECT * FROM orders ORDER BY id")
		if slices.Equal(got, want) {
			break
		}
		if time.Now().After(deadline) {
			st, err := w.ConnectorStatus(ctx, "orders-rds")
			t.Fatalf("table holds %d rows, want %d (status %+v %v)", len(got), len(want), st, err)
		}
	}
	if len(want) != 1_000 {
		t.Fatalf("the events leave %d rows; the test wants some deleted", len(want))
	}
	dead := brokertest.ConsumeAll(t, bootstrap, "dlq.orders", 2, time.Second)
	if len(dead) != 2 {
		t.Fatalf("%d dead letters, want 2", len(dead))
	}
	for i, wantMsg := range []string{"column status (int(11))", "ERROR 4025"} {
		var msg string
		for _, h := range dead[i].Headers {
			if h.Key == worker.HeaderErrorMessage {
				msg = string(h.Value)
			}
		}
		if !strings.Contains(msg, wantMsg) || !strings.Contains(msg, "`orders`") {
			t.Errorf("dead letter %d (%s) says %q, want it to name the table and %q", i, dead[i].Value, msg, wantMsg)
		}
	}
	st, err := w.ConnectorStatus(ctx, "orders-rds")
	if err != nil || st.Tasks[0].State.State != worker.StateRunning {
		t.Fatalf("status %+v %v, want the task RUNNING", st, err)
	}
}
