package validate

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/sinks/backup"
)

// backupFixture collects Kafka records and writes them with the real backup
// sink, configured as deployments/pipelines/edu/backup.json configures it,
// so the tests read the files the warehouse's backup writes.
type backupFixture struct {
	t    *testing.T
	recs []sdk.Record
	next map[sdk.TopicPartition]int64
}

func newBackup(t *testing.T) *backupFixture {
	return &backupFixture{t: t, next: map[sdk.TopicPartition]int64{}}
}

// add appends a record at the partition's next offset; a nil value is a
// tombstone, a nil key no key.
func (f *backupFixture) add(topic string, partition int32, key, value []byte, ts time.Time) {
	tp := sdk.TopicPartition{Topic: topic, Partition: partition}
	off := f.next[tp]
	f.next[tp] = off + 1
	f.recs = append(f.recs, sdk.Record{Topic: topic, Partition: partition, Offset: off, Key: key, Value: value, Timestamp: ts})
}

// value is add for a record whose value is v encoded as JSON (a string v is
// taken as the JSON text itself).
func (f *backupFixture) value(topic string, partition int32, key string, v any, ts time.Time) {
	var k []byte
	if key != "" {
		k = []byte(key)
	}
	f.add(topic, partition, k, jsonBytes(f.t, v), ts)
}

// write runs the backup sink over the records and returns the backup root.
func (f *backupFixture) write() string {
	f.t.Helper()
	root := f.t.TempDir()
	var topics []string
	for _, r := range f.recs {
		if !slices.Contains(topics, r.Topic) {
			topics = append(topics, r.Topic)
		}
	}
	s := &backup.Sink{}
	ctx := context.Background()
	cfg := sdk.Config{
		"name": "warehouse-backup", "connector.class": "tributary.sinks.backup",
		"topics": strings.Join(topics, ","), "backup.root": root, "partition.timezone": "Asia/Shanghai",
	}
	if err := s.Open(ctx, cfg); err != nil {
		f.t.Fatalf("open the backup sink: %v", err)
	}
	// The runtime hands each partition's records in offset order.
	recs := slices.Clone(f.recs)
	n, err := s.Write(ctx, recs)
	if err != nil || n != len(recs) {
		f.t.Fatalf("backup sink wrote %d of %d records: %v", n, len(recs), err)
	}
	if err := s.Flush(ctx); err != nil {
		f.t.Fatalf("flush the backup sink: %v", err)
	}
	if err := s.Close(); err != nil {
		f.t.Fatalf("close the backup sink: %v", err)
	}
	return root
}

func jsonBytes(t *testing.T, v any) []byte {
	t.Helper()
	if s, ok := v.(string); ok {
		return []byte(s)
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// obj is a JSON object literal for fixtures.
type obj = map[string]any

// envelope is a Debezium change event as sources/mysql writes it.
func envelope(op string, before, after obj) obj {
	e := obj{"op": op, "source": obj{"connector": "mysql", "db": "x"}, "ts_ms": 1714528800000}
	e["before"], e["after"] = nil, nil
	if before != nil {
		e["before"] = before
	}
	if after != nil {
		e["after"] = after
	}
	return e
}

// wall is a wall-clock time in Asia/Shanghai: "2024-05-01 10:00:00".
func wall(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04:05.999", s, shanghai)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// datetimeMs is a MySQL DATETIME as CDC writes it: epoch milliseconds of
// the wall-clock reading taken as UTC.
func datetimeMs(t *testing.T, s string) int64 {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04:05", s, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	return v.UnixMilli()
}

// validationNow is the clock the tests validate at: after every fixture's
// event times.
var validationNow = time.Date(2024, 5, 2, 12, 0, 0, 0, shanghai)
