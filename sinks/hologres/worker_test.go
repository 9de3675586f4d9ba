package hologres

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tributarydata/tributary/bus/broker/brokertest"
	"github.com/tributarydata/tributary/bus/worker"
	"github.com/tributarydata/tributary/bus/worker/workertest"
)

// Through the real runtime and broker: 10,000 Debezium change events
// (creates, updates, deletes and re-creates of 1,000 orders) and two poison
// records, one the mapper refuses and one a CHECK constraint refuses, go
// through a connector created with the worker's API. The table ends up as
// the events say, and the poison records are in the dead-letter topic with
// the reason in their headers. The sink keeps its offsets in the database,
// which the runtime asks for when it assigns the partition.
func TestThroughTheRuntime(t *testing.T) {
	if testing.Short() {
		t.Skip("starts PostgreSQL and the broker")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	db := newDB(t)
	db.exec(t, `CREATE TABLE orders (id bigint PRIMARY KEY, status int NOT NULL CHECK (status >= 0), amount numeric(10,2), note text)`)

	const ids, events = 1000, 10000
	final := map[int]string{}
	var vals []string
	for i := range events {
		id, round := i%ids, i/ids
		row := fmt.Sprintf(`{"id":%d,"status":%d,"amount":"%d.%02d","note":"n%d"}`, id, round, i, i%100, i)
		switch {
		case round == 4 && id%3 == 0:
			vals = append(vals, fmt.Sprintf(`{"op":"d","before":{"id":%d},"after":null,"source":{"table":"orders"},"ts_ms":%d}`, id, i))
			delete(final, id)
		case round == 0:
			vals = append(vals, `{"op":"c","before":null,"after":`+row+`,"source":{"table":"orders"},"ts_ms":1}`)
			final[id] = fmt.Sprintf("(%d,%d,%d.%02d,n%d)", id, round, i, i%100, i)
		default:
			vals = append(vals, `{"schema":{},"payload":{"op":"u","before":{"id":`+fmt.Sprint(id)+`},"after":`+row+`}}`)
			final[id] = fmt.Sprintf("(%d,%d,%d.%02d,n%d)", id, round, i, i%100, i)
		}
		switch i {
		case 5000:
			vals = append(vals, `{"op":"c","before":null,"after":{"id":"not a number","status":1}}`)
		case 7000:
			vals = append(vals, `{"op":"c","before":null,"after":{"id":99999,"status":-1}}`)
		}
	}
	var want []string
	for _, r := range final {
		want = append(want, r)
	}
	sort.Slice(want, func(i, j int) bool { return idOf(want[i]) < idOf(want[j]) })

	w := workertest.StartAlone(ctx, t, nil, Plugin)
	bootstrap := w.Config().Kafka.Bootstrap()
	brokertest.Produce(t, bootstrap, "edu.orders", vals...)
	if _, _, err := w.PutConnectorConfig(ctx, "orders-to-serving", map[string]string{
		"connector.class": Plugin.Class, "topics": "edu.orders", "connection.url": db.url, "table.name.format": "orders",
		"errors.tolerance": "all", "errors.deadletterqueue.topic.name": "orders.dlq", "offsets.table": "sink_offsets",
	}); err != nil {
		t.Fatal(err)
	}
	dead := brokertest.Consume(t, bootstrap, "orders.dlq", 2)
	reasons := map[string]string{}
	for _, m := range dead {
		for _, h := range m.Headers {
			if h.Key == worker.HeaderErrorMessage {
				reasons[string(m.Value)] = string(h.Value)
			}
		}
	}
	for value, want := range map[string]string{vals[5001]: "column id", vals[7002]: "SQLSTATE 23514"} {
		if !strings.Contains(reasons[value], want) {
			t.Errorf("dead letter %s: reason %q, want one mentioning %q (dead letters: %v)", value, reasons[value], want, reasons)
		}
	}
	deadline := time.Now().Add(time.Minute)
	for {
		got := db.rows(t, "SELECT * FROM orders ORDER BY id")
		if strings.Join(got, "\n") == strings.Join(want, "\n") {
			break
		}
		if time.Now().After(deadline) {
			equal(t, "orders", got, want)
			st, err := w.ConnectorStatus(ctx, "orders-to-serving")
			t.Fatalf("the table never reached the events' final state; status %+v %v", st, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	st, err := w.ConnectorStatus(ctx, "orders-to-serving")
	if err != nil || st.Tasks[0].State.State != worker.StateRunning {
		t.Fatalf("status %+v %v, want the task RUNNING", st, err)
	}
	// The sink's own offsets (the runtime resumes from them) cover every
	// record, the dead-lettered ones included.
	equal(t, "stored offsets", db.rows(t, "SELECT connector, topic, kafka_partition, next_offset FROM sink_offsets"),
		[]string{fmt.Sprintf("(orders-to-serving,edu.orders,0,%d)", len(vals))})
}

func idOf(row string) int {
	var id int
	fmt.Sscanf(row, "(%d,", &id)
	return id
}
