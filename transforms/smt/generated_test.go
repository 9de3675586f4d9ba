package smt

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/test/edu"
)

// TestSignalETLOnGeneratedTraffic runs ten thousand signals of every shape
// through the pipeline file and checks each against what the generator
// says it is: the event, the user, the event time; no rule means dropped.
func TestSignalETLOnGeneratedTraffic(t *testing.T) {
	ch := openPipeline(t, "signal-etl.json", "signal-etl")
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 10000
	in := make([]sdk.Record, n)
	sigs := make([]edu.Signal, n)
	for i := range in {
		sigs[i] = edu.NewSignal(rng, 1614564000000, i)
		in[i] = sdk.Record{Topic: "ods.classroom_signal", Offset: int64(i), Value: sigs[i].Value}
	}
	out, err := ch.Process(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, s := range sigs {
		if s.Event != "" {
			want++
		}
	}
	if len(out) != want {
		t.Fatalf("%d outputs, want %d (the classified ones)", len(out), want)
	}
	for _, r := range out {
		s := sigs[r.Offset]
		if r.Fault != nil {
			t.Fatalf("signal %d refused: %v\n%s", r.Offset, r.Fault, s.Value)
		}
		got, err := decodeObject(r.Value)
		if err != nil {
			t.Fatalf("output %d is not JSON: %v", r.Offset, err)
		}
		if got["event"] != s.Event || got["userId"] != jsonNumber(s.UserID) || got["timeStamp"] != jsonNumber(s.TimeMs) ||
			!r.Timestamp.Equal(time.UnixMilli(s.TimeMs)) {
			t.Fatalf("signal %d: got %s at %v, want event %s user %d time %d\n%s", r.Offset, r.Value, r.Timestamp, s.Event, s.UserID, s.TimeMs, s.Value)
		}
	}
}

func jsonNumber(i int64) any { return json.Number(strconv.FormatInt(i, 10)) }

// BenchmarkSignalETL is the signal ETL in process on one goroutine, over
// batches of 2000 signals: each shape alone and all three mixed. Issue 5's
// target is a million events a second on one core.
func BenchmarkSignalETL(b *testing.B) {
	for _, shape := range []edu.SignalShape{edu.ShapeStrings, edu.ShapeNumbers, edu.ShapeEncoded, -1} {
		b.Run(shape.String(), func(b *testing.B) {
			ch := openPipeline(b, "signal-etl.json", "signal-etl")
			rng := rand.New(rand.NewPCG(1, 2))
			const batch = 2000
			in := make([]sdk.Record, batch)
			size := 0
			for i := range in {
				var s edu.Signal
				if shape < 0 {
					s = edu.NewSignal(rng, 1614564000000, i)
				} else {
					s = edu.NewSignalIn(rng, 1614564000000, i, shape)
				}
				in[i] = sdk.Record{Topic: "ods.classroom_signal", Value: s.Value}
				size += len(s.Value)
			}
			b.SetBytes(int64(size / batch))
			b.ReportAllocs()
			b.ResetTimer()
			for done := 0; done < b.N; done += batch {
				n := min(batch, b.N-done)
				if _, err := ch.Process(context.Background(), in[:n]); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
