package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	ckafka "github.com/confluentinc/confluent-kafka-go/v2/kafka"
	"github.com/go-mysql-org/go-mysql/client"
	gomysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/tributarydata/tributary/bus/kafka"
	"github.com/tributarydata/tributary/bus/metrics"
	"github.com/tributarydata/tributary/bus/worker"
	"github.com/tributarydata/tributary/deployments/local"
	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/sources/mysql"
)

// mysqlRates writes rows into a MariaDB of its own, then reads the same
// binlog twice: with go-mysql's BinlogSyncer alone, decoding every rows
// event and doing nothing else (the physical limit of reading a binlog), and
// through the mysql source connector into Kafka, timed until the last change
// event is in the topic.
func mysqlRates(client kafka.ClientConfig, dir string, rows int) (raw, decode, connector float64, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	db, err := local.StartMariaDB(ctx, local.MariaDBOptions{Dir: filepath.Join(dir, "mariadb")})
	if err != nil {
		return 0, 0, 0, err
	}
	defer db.Stop()
	if err := fillOrders(db, rows); err != nil {
		return 0, 0, 0, err
	}
	if raw, err = rawBinlogRate(ctx, db, rows); err != nil {
		return 0, 0, 0, fmt.Errorf("raw binlog read: %w", err)
	}
	if decode, err = sourceRate(ctx, db, rows); err != nil {
		return 0, 0, 0, fmt.Errorf("source: %w", err)
	}
	if connector, err = connectorRate(ctx, client, db, rows); err != nil {
		return 0, 0, 0, fmt.Errorf("connector: %w", err)
	}
	return raw, decode, connector, nil
}

// fillOrders inserts rows into bench.orders in transactions of 1000 rows.
func fillOrders(db *local.MariaDB, rows int) error {
	conn, err := client.Connect(db.Addr(), db.User, db.Password, "")
	if err != nil {
		return err
	}
	defer conn.Close()
	for _, q := range []string{
		"CREATE DATABASE bench",
		`CREATE TABLE bench.orders (id BIGINT PRIMARY KEY, user_id INT NOT NULL, status TINYINT NOT NULL,
			amount DECIMAL(10,2) NOT NULL, created DATETIME(3) NOT NULL, note VARCHAR(64))`,
	} {
		if _, err := conn.Execute(q); err != nil {
			return err
		}
	}
	var b strings.Builder
	for start := 1; start <= rows; start += 1000 {
		b.Reset()
		b.WriteString("INSERT INTO bench.orders VALUES ")
		for id := start; id < start+1000 && id <= rows; id++ {
			if id > start {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, "(%d,%d,%d,%d.%02d,'2024-05-01 08:00:00.%03d','order note %d')", id, id%5000, id%4, id%1000, id%100, id%1000, id)
		}
		if _, err := conn.Execute(b.String()); err != nil {
			return err
		}
	}
	return nil
}

func firstBinlog(db *local.MariaDB) (string, error) {
	conn, err := client.Connect(db.Addr(), db.User, db.Password, "")
	if err != nil {
		return "", err
	}
	defer conn.Close()
	rs, err := conn.Execute("SHOW BINARY LOGS")
	if err != nil {
		return "", err
	}
	return rs.GetString(0, 0)
}

func rawBinlogRate(ctx context.Context, db *local.MariaDB, rows int) (float64, error) {
	file, err := firstBinlog(db)
	if err != nil {
		return 0, err
	}
	syncer := replication.NewBinlogSyncer(replication.BinlogSyncerConfig{
		ServerID: 9001, Flavor: gomysql.MariaDBFlavor, Host: "127.0.0.1", Port: uint16(db.Port),
		User: db.User, Password: db.Password, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	defer syncer.Close()
	start := time.Now()
	streamer, err := syncer.StartSync(gomysql.Position{Name: file, Pos: 4})
	if err != nil {
		return 0, err
	}
	for seen := 0; seen < rows; {
		ev, err := streamer.GetEvent(ctx)
		if err != nil {
			return 0, err
		}
		if re, ok := ev.Event.(*replication.RowsEvent); ok {
			seen += len(re.Rows)
		}
	}
	return float64(rows) / time.Since(start).Seconds(), nil
}

// sourceRate reads the binlog with the source alone, as the runtime would
// but without Kafka: the cost of decoding rows into change events.
func sourceRate(ctx context.Context, db *local.MariaDB, rows int) (float64, error) {
	src := mysql.Plugin.NewSource()
	start := time.Now()
	if err := src.Open(ctx, sdk.Config{
		"name": "bench", "database.hostname": "127.0.0.1", "database.port": fmt.Sprint(db.Port),
		"database.user": db.User, "database.password": db.Password, "topic.prefix": "benchdb",
		"snapshot.mode": "never", "table.include.list": `bench\.orders`,
	}, nil); err != nil {
		return 0, err
	}
	defer src.Close()
	for got := 0; got < rows; {
		recs, err := src.Read(ctx)
		if err != nil {
			return 0, err
		}
		for _, r := range recs {
			if r.Topic == "benchdb.bench.orders" {
				got++
			}
		}
	}
	return float64(rows) / time.Since(start).Seconds(), nil
}

func connectorRate(ctx context.Context, client kafka.ClientConfig, db *local.MariaDB, rows int) (float64, error) {
	reg, err := worker.NewRegistry(mysql.Plugin)
	if err != nil {
		return 0, err
	}
	cfg := worker.DefaultConfig()
	cfg.Kafka = client
	cfg.Group = "bench-mysql"
	cfg.Listen = "127.0.0.1:0"
	w, err := worker.New(cfg, reg, slog.New(slog.NewTextHandler(io.Discard, nil)), metrics.New())
	if err != nil {
		return 0, err
	}
	if err := w.Start(ctx); err != nil {
		return 0, err
	}
	defer w.Close()
	topic := "benchdb.bench.orders"
	c, err := ckafka.NewConsumer(client.ConsumerMap(nil, kafka.Props{
		"group.id": "bench-mysql-count", "auto.offset.reset": "earliest", "enable.auto.commit": "false", "isolation.level": "read_committed",
	}))
	if err != nil {
		return 0, err
	}
	defer c.Close()
	start := time.Now()
	if _, _, err := w.PutConnectorConfig(ctx, "bench-mysql", map[string]string{
		"connector.class": mysql.Plugin.Class, "database.hostname": "127.0.0.1", "database.port": fmt.Sprint(db.Port),
		"database.user": db.User, "database.password": db.Password, "topic.prefix": "benchdb",
		"snapshot.mode": "never", "table.include.list": `bench\.orders`,
	}); err != nil {
		return 0, err
	}
	if err := c.Subscribe(topic, nil); err != nil {
		return 0, err
	}
	for got := 0; got < rows; {
		if ctx.Err() != nil {
			return 0, fmt.Errorf("%d of %d change events arrived", got, rows)
		}
		if m, ok := c.Poll(100).(*ckafka.Message); ok && m.TopicPartition.Error == nil {
			got++
		}
	}
	return float64(rows) / time.Since(start).Seconds(), nil
}
