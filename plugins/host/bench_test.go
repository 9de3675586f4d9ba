package host

import (
	"bytes"
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// benchBatch is a batch as the worker hands a transform: 2000 records (the
// runtime's largest batch) of ~400-byte JSON values with keys, topic,
// partition, offset and timestamp.
func benchBatch() []sdk.Record {
	value := []byte(`{"event":"STUDENT_MATCH_CORRECT","userId":"u-000000","roomId":"r-000000","ts":1700000000000,"payload":"` +
		string(bytes.Repeat([]byte("x"), 280)) + `"}`)
	recs := make([]sdk.Record, 2000)
	now := time.Now()
	for i := range recs {
		recs[i] = sdk.Record{
			Key: []byte("user-" + strconv.Itoa(i)), Value: value, Topic: "dwd.student_signal",
			Partition: int32(i % 8), Offset: int64(100000 + i), Timestamp: now,
		}
	}
	return recs
}

// BenchmarkTransformBatch measures the transport's cost per record: a
// pass-through transform in a plugin process against the same pass-through
// called in the worker's process.
func BenchmarkTransformBatch(b *testing.B) {
	recs := benchBatch()
	b.Run("plugin-process", func(b *testing.B) {
		ps, err := Load(context.Background(), bins.good, Options{})
		if err != nil {
			b.Fatal(err)
		}
		i := slices.IndexFunc(ps, func(p sdk.Plugin) bool { return p.Class == "test.echo" })
		tr := ps[i].NewTransform() // without a suffix: a pass-through
		if err := tr.Open(context.Background(), sdk.Config{}); err != nil {
			b.Fatal(err)
		}
		defer tr.Close()
		runBatches(b, tr, recs)
	})
	b.Run("in-process", func(b *testing.B) {
		runBatches(b, passThrough{}, recs)
	})
}

func runBatches(b *testing.B, tr sdk.Transform, recs []sdk.Record) {
	ctx := context.Background()
	b.SetBytes(int64(len(recs) * len(recs[0].Value)))
	b.ReportAllocs()
	for b.Loop() {
		out, err := tr.Process(ctx, recs)
		if err != nil || len(out) != len(recs) {
			b.Fatal(len(out), err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(recs)), "ns/record")
}

type passThrough struct{ sdk.UnimplementedTransform }

func (passThrough) Process(_ context.Context, recs []sdk.Record) ([]sdk.Record, error) {
	return recs, nil
}
