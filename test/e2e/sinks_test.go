package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	ckafka "github.com/confluentinc/confluent-kafka-go/v2/kafka"
	_ "github.com/duckdb/duckdb-go/v2"
)

// TestSinksSIGKILLReplayExactState streams change events of an orders table
// (creates, updates, deletes and re-creates, keyed by id over three
// partitions) into the hologres sink (a real PostgreSQL), the rds sink (a
// real MariaDB) and the backup sink (Parquet, read back with DuckDB),
// SIGKILLs `tributary dev` mid-stream, restarts it, and requires both tables
// to hold exactly the state the events leave and the backup to hold every
// event exactly once: a replay after the crash neither loses nor doubles a
// row.
func TestSinksSIGKILLReplayExactState(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end crash test")
	}
	ctx := context.Background()
	dir := t.TempDir()
	pg := startPostgres(ctx, t, dir)
	my := startMariaDB(ctx, t, dir)
	if err := my.ExecRoot(ctx, "CREATE DATABASE results"); err != nil {
		t.Fatal(err)
	}

	data := filepath.Join(dir, "data")
	restPort, brokerPort := freePort(t), freePort(t)
	dev := startDev(t, data, restPort, brokerPort, "--offset-flush-interval", "300ms")
	createTopic(t, dev.broker, "ods.orders", 3)

	// The declared columns in each store's dialect.
	const columns = "id bigint not null, user_id bigint, status int not null, amount decimal(12,2), note varchar(64), updated_at "
	common := map[string]string{
		"topics": "ods.orders", "tasks.max": "2", "table.name.format": "orders",
		"auto.create": "true", "table.primary.key": "id",
		"pk.mode": "record_value", "pk.fields": "id", "batch.size": "500",
	}
	c := dev.client(t)
	backupDir := filepath.Join(dir, "backup")
	if _, err := c.CreateConnector(ctx, "orders-backup", map[string]string{
		"connector.class": "tributary.sinks.backup", "topics": "ods.orders", "tasks.max": "2",
		"backup.root": backupDir, "partition.timezone": "Asia/Shanghai", "flush.size": "5000",
	}); err != nil {
		t.Fatal(err)
	}
	for name, extra := range map[string]map[string]string{
		"orders-serving": {"connector.class": "tributary.sinks.hologres", "connection.url": pg.URL(),
			"table.schema.columns": columns + "timestamp(3)"},
		"orders-rds": {"connector.class": "tributary.sinks.rds", "table.schema.columns": columns + "datetime(3)",
			"connection.url": fmt.Sprintf("%s:%s@tcp(%s)/results", my.User, my.Password, my.Addr())},
	} {
		cfg := map[string]string{}
		for k, v := range common {
			cfg[k] = v
		}
		for k, v := range extra {
			cfg[k] = v
		}
		if _, err := c.CreateConnector(ctx, name, cfg); err != nil {
			t.Fatal(err)
		}
	}

	events := orderEvents(60_000, 4_000)
	produced := make(chan error, 1)
	go func() { produced <- produceKeyed(dev.broker, "ods.orders", events, 2_000, 100*time.Millisecond) }()

	countRows := func() int {
		out, err := pg.Query(ctx, "SELECT count(*) FROM orders")
		if err != nil {
			return 0
		}
		var n int
		fmt.Sscan(out, &n)
		return n
	}
	eventually(t, 90*time.Second, "the serving table fills before the kill", func() (bool, string) {
		n := countRows()
		return n >= 1_000, fmt.Sprintf("%d rows", n)
	})
	dev.kill(syscall.SIGKILL)
	select {
	case err := <-produced:
		t.Fatalf("the events were all produced before the kill (%v): the test proves nothing", err)
	default:
	}
	t.Logf("SIGKILL with %d rows in the serving table", countRows())

	dev = startDev(t, data, restPort, brokerPort, "--offset-flush-interval", "300ms")
	if err := <-produced; err != nil {
		t.Fatal(err)
	}
	want := finalOrders(events)
	pgRows := func() []string {
		out, _ := pg.Query(ctx, "SELECT id, user_id, status, amount, note FROM orders ORDER BY id")
		return lines(out)
	}
	myRows := func() []string {
		out, _ := my.QueryRoot(ctx, "SELECT id, user_id, status, amount, note FROM results.orders ORDER BY id")
		return lines(out)
	}
	eventually(t, 120*time.Second, "both tables hold the final state", func() (bool, string) {
		p, m := pgRows(), myRows()
		return slices.Equal(p, want) && slices.Equal(m, want), fmt.Sprintf("serving %d rows, rds %d rows, want %d", len(p), len(m), len(want))
	})
	// The backup writes its files at each flush (every 300 ms here).
	duck, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer duck.Close()
	eventually(t, 60*time.Second, "the backup holds every event once", func() (bool, string) {
		var rows, distinct, partitions int
		err := duck.QueryRow(`SELECT count(*), count(DISTINCT (_partition, _offset)), count(DISTINCT _partition)
			FROM read_parquet('`+filepath.Join(backupDir, "ods_orders", "*", "*", "*.parquet")+`', hive_partitioning = true)`).Scan(&rows, &distinct, &partitions)
		if err != nil {
			return false, err.Error()
		}
		if rows > len(events) {
			t.Fatalf("the backup holds %d rows for %d events (%d distinct offsets): doubled rows", rows, len(events), distinct)
		}
		return rows == len(events) && distinct == rows && partitions == 3, fmt.Sprintf("%d rows, %d distinct offsets, %d partitions", rows, distinct, partitions)
	})
	dev.kill(syscall.SIGTERM)
}

// orderEvent is one change event of the orders table.
type orderEvent struct {
	id    int
	key   string
	value string
	row   string // the row it leaves, as the tables print it; "" after a delete
}

// orderEvents makes n change events over ids 1..ids: an id's first event
// creates it, later ones update its status and amount, every fifth update
// deletes it and the next event creates it again. Notes carry quotes, CJK
// and emoji, so a sink that mangles text fails.
func orderEvents(n, ids int) []orderEvent {
	events := make([]orderEvent, 0, n)
	version := make([]int, ids+1)
	exists := make([]bool, ids+1)
	for i := range n {
		id := i%ids + 1
		version[id]++
		v := version[id]
		key := fmt.Sprintf(`{"id":%d}`, id)
		rowJSON := fmt.Sprintf(`{"id":%d,"user_id":%d,"status":%d,"amount":"%d.%02d","note":"v%d it's \"ok\" 课堂 🎓","updated_at":%d}`,
			id, id%97, v%4, v*3, v%100, v, 1_700_000_000_000+int64(i))
		rowText := fmt.Sprintf("%d\t%d\t%d\t%d.%02d\tv%d it's \"ok\" 课堂 🎓", id, id%97, v%4, v*3, v%100, v)
		var e orderEvent
		switch {
		case !exists[id]:
			e = orderEvent{id, key, `{"op":"c","before":null,"after":` + rowJSON + `}`, rowText}
			exists[id] = true
		case v%5 == 0:
			e = orderEvent{id, key, fmt.Sprintf(`{"op":"d","before":{"id":%d},"after":null}`, id), ""}
			exists[id] = false
		default:
			e = orderEvent{id, key, `{"op":"u","before":{"id":` + fmt.Sprint(id) + `},"after":` + rowJSON + `}`, rowText}
		}
		events = append(events, e)
	}
	return events
}

// finalOrders is the table the events leave, ordered by id.
func finalOrders(events []orderEvent) []string {
	last := map[int]string{}
	for _, e := range events {
		last[e.id] = e.row
	}
	ids := make([]int, 0, len(last))
	for id, row := range last {
		if row != "" {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	rows := make([]string, len(ids))
	for i, id := range ids {
		rows[i] = last[id]
	}
	return rows
}

func lines(s string) []string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// createTopic creates a topic with the given partitions.
func createTopic(t *testing.T, bootstrap, topic string, partitions int) {
	t.Helper()
	admin, err := ckafka.NewAdminClient(&ckafka.ConfigMap{"bootstrap.servers": bootstrap})
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := admin.CreateTopics(ctx, []ckafka.TopicSpecification{{Topic: topic, NumPartitions: partitions, ReplicationFactor: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if res[0].Error.Code() != ckafka.ErrNoError {
		t.Fatal(res[0].Error)
	}
}

// produceKeyed produces the events with their keys (so each id stays in
// one partition, in order), chunk by chunk with a pause between chunks, and
// waits for every delivery.
func produceKeyed(bootstrap, topic string, events []orderEvent, chunk int, pause time.Duration) error {
	p, err := ckafka.NewProducer(&ckafka.ConfigMap{"bootstrap.servers": bootstrap, "enable.idempotence": true, "linger.ms": 5})
	if err != nil {
		return err
	}
	defer p.Close()
	deliveries := make(chan ckafka.Event, chunk)
	for start := 0; start < len(events); start += chunk {
		end := min(start+chunk, len(events))
		for _, e := range events[start:end] {
			msg := &ckafka.Message{TopicPartition: ckafka.TopicPartition{Topic: &topic, Partition: ckafka.PartitionAny}, Key: []byte(e.key), Value: []byte(e.value)}
			for {
				err := p.Produce(msg, deliveries)
				if err == nil {
					break
				}
				if kerr, ok := err.(ckafka.Error); !ok || kerr.Code() != ckafka.ErrQueueFull {
					return err
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
		for range end - start {
			m := (<-deliveries).(*ckafka.Message)
			if m.TopicPartition.Error != nil {
				return m.TopicPartition.Error
			}
		}
		time.Sleep(pause)
	}
	return nil
}
