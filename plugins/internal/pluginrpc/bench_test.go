package pluginrpc

import (
	"bytes"
	"strconv"
	"testing"
	"time"

	"github.com/tributarydata/tributary/bus/record"
)

// benchRecords is a batch as the worker hands a transform: 2000 records of
// ~400-byte values with keys, topic, partition, offset and timestamp.
func benchRecords() []record.Record {
	value := append([]byte(`{"event":"STUDENT_MATCH_CORRECT","userId":"u-1","roomId":"r-1","payload":"`), bytes.Repeat([]byte("x"), 320)...)
	value = append(value, `"}`...)
	recs := make([]record.Record, 2000)
	now := time.Now()
	for i := range recs {
		recs[i] = record.Record{Key: []byte("user-" + strconv.Itoa(i)), Value: value, Topic: "dwd.student_signal",
			Partition: int32(i % 8), Offset: int64(100000 + i), Timestamp: now}
	}
	return recs
}

// BenchmarkBatchCodec is the encoding's share of a plugin call: one batch
// of 2000 records of ~400-byte values encoded and decoded, as a Process
// request or response is.
func BenchmarkBatchCodec(b *testing.B) {
	recs := benchRecords()
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

// BenchmarkBatchCodecReused is BenchmarkBatchCodec with the buffer and the
// records reused from call to call, as the record stream does: the codec's
// own cost, without the allocations and the garbage collection they bring.
func BenchmarkBatchCodecReused(b *testing.B) {
	recs := benchRecords()
	var buf []byte
	var out Batch
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = (&Batch{Records: recs}).marshal(buf[:0]); err != nil {
			b.Fatal(err)
		}
		if err := out.decode(buf, out.Records); err != nil || len(out.Records) != len(recs) {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/record")
}
