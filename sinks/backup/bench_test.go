package backup

import (
	"fmt"
	"testing"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// BenchmarkWrite measures rows per second from Write to Parquet files on
// disk: 100,000 rows of an 8-column schema (the shape of the warehouse's
// result tables), in the runtime's batches of 2,000, then a Flush.
func BenchmarkWrite(b *testing.B) {
	const rows, batchSize = 100_000, 2000
	cols := "id bigint not null, user_id bigint, classroom_id varchar(32), role int, event varchar(64), " +
		"amount decimal(12,2), start_time timestamp, ok boolean"
	recs := make([]sdk.Record, rows)
	base := time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)
	for i := range recs {
		ts := base.Add(time.Duration(i) * 100 * time.Millisecond)
		recs[i] = sdk.Record{Topic: "dwd.student_signal", Partition: int32(i % 4), Offset: int64(i / 4), Timestamp: ts,
			Value: []byte(fmt.Sprintf(`{"id":%d,"user_id":%d,"classroom_id":"room-%d","role":%d,"event":"STUDENT_AUDIO_PLAY","amount":"%d.%02d","start_time":%d,"ok":%t}`,
				i, 100000+i%5000, i%300, i%3, i%1000, i%100, ts.UnixMilli(), i%2 == 0))}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		root := b.TempDir()
		s := &Sink{}
		if err := s.Open(ctx, config(root, "table.schema.columns", cols, "partition.time.field", "start_time",
			"partition.timezone", "Asia/Shanghai")); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		for start := 0; start < rows; start += batchSize {
			if n, err := s.Write(ctx, recs[start:start+batchSize]); err != nil || n != batchSize {
				b.Fatalf("Write = %d, %v", n, err)
			}
		}
		if err := s.Flush(ctx); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if s.stats.rows != rows {
			b.Fatalf("wrote %d rows", s.stats.rows)
		}
		s.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
