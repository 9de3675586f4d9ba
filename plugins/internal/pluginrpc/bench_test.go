package pluginrpc

import (
	"bytes"
	"strconv"
	"testing"
	"time"

	"github.com/tributarydata/tributary/bus/record"
)

// BenchmarkBatchCodec is the encoding's share of a plugin call: one batch
// of 2000 records of ~400-byte values encoded and decoded, as a Process
// request or response is.
func BenchmarkBatchCodec(b *testing.B) {
	value := append([]byte(`{"event":"STUDENT_MATCH_CORRECT","userId":"u-1","roomId":"r-1","payload":"`), bytes.Repeat([]byte("x"), 320)...)
	value = append(value, `"}`...)
	recs := make([]record.Record, 2000)
	now := time.Now()
	for i := range recs {
		recs[i] = record.Record{Key: []byte("user-" + strconv.Itoa(i)), Value: value, Topic: "dwd.student_signal",
			Partition: int32(i % 8), Offset: int64(100000 + i), Timestamp: now}
	}
	b.ReportAllocs()
	for b.Loop() {
		buf, err := (&Batch{Records: recs}).marshal(nil)
		if err != nil {
			b.Fatal(err)
		}
		var out Batch
		if err := out.unmarshal(buf); err != nil || len(out.Records) != len(recs) {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/record")
}
