package mysql_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/go-mysql-org/go-mysql/client"

	"github.com/tributarydata/tributary/bus/broker/brokertest"
	"github.com/tributarydata/tributary/bus/worker/workertest"
	"github.com/tributarydata/tributary/deployments/local"
	"github.com/tributarydata/tributary/sources/mysql"
)

// Through the real runtime and broker: rows are inserted in transactions of
// varied sizes while the connector's task is restarted again and again; the
// topic ends up with every insert exactly once, in commit order (the
// snapshot's rows first, as reads).
func TestRestartsMidStreamLoseAndRepeatNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts MariaDB and the broker")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	db, err := local.StartMariaDB(ctx, local.MariaDBOptions{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Stop) // after the worker closes (cleanups run last-in first-out)
	conn, err := client.Connect(db.Addr(), db.User, db.Password, "")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	exec := func(q string) {
		if _, err := conn.Execute(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec("CREATE DATABASE school")
	exec("CREATE TABLE school.registrations (id INT PRIMARY KEY, student VARCHAR(20))")
	const before = 50
	for i := 1; i <= before; i++ {
		exec(fmt.Sprintf("INSERT INTO school.registrations VALUES (%d, 's%d')", i, i))
	}

	w := workertest.StartAlone(ctx, t, nil, mysql.Plugin)
	cfg := w.Config()
	if _, _, err := w.PutConnectorConfig(ctx, "school-cdc", map[string]string{
		"connector.class": mysql.Plugin.Class, "database.hostname": "127.0.0.1", "database.port": fmt.Sprint(db.Port),
		"database.user": db.User, "database.password": db.Password, "topic.prefix": "edu",
		"table.include.list": "school\\.registrations", "tombstones.on.delete": "false", "max.batch.size": "7",
	}); err != nil {
		t.Fatal(err)
	}

	// The snapshot is over once its rows are in Kafka.
	brokertest.Consume(t, cfg.Kafka.Bootstrap(), "edu.school.registrations", before)

	// Insert in transactions of 1..9 rows, restarting the task between some.
	next := before + 1
	const total = 800
	for tx := 0; next <= total; tx++ {
		exec("BEGIN")
		for range tx%9 + 1 {
			if next > total {
				break
			}
			exec(fmt.Sprintf("INSERT INTO school.registrations VALUES (%d, 's%d')", next, next))
			next++
		}
		exec("COMMIT")
		if tx%25 == 24 {
			if err := w.RestartTask(ctx, "school-cdc", 0); err != nil {
				t.Fatal(err)
			}
		}
	}
	msgs := brokertest.ConsumeAll(t, cfg.Kafka.Bootstrap(), "edu.school.registrations", total, 3*time.Second)
	if len(msgs) != total {
		t.Fatalf("%d messages, want %d", len(msgs), total)
	}
	for i, m := range msgs {
		var env struct {
			Op    string
			After struct{ ID int }
		}
		if err := json.Unmarshal(m.Value, &env); err != nil {
			t.Fatal(err)
		}
		wantOp := "c"
		if i < before {
			wantOp = "r"
		}
		if env.After.ID != i+1 || env.Op != wantOp {
			t.Fatalf("message %d is %s of id %d, want %s of id %d: a gap or a duplicate", i, env.Op, env.After.ID, wantOp, i+1)
		}
	}
}
