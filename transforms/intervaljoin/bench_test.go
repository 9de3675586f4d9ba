package intervaljoin

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// qosLog makes n seed-shaped qos_log records over keys (user, classroom)
// pairs, in batches: data_time rising step ms per record with up to 5 s of
// disorder, one in 20 a PPT_SUCCESS, half with extra JSON-encoded.
func qosLog(n, keys, batch int, step int64) [][]sdk.Record {
	rng := rand.New(rand.NewPCG(4, 1))
	const base = 1_700_000_000_000
	var batches [][]sdk.Record
	for i := 0; i < n; i += batch {
		recs := make([]sdk.Record, 0, batch)
		for j := i; j < min(n, i+batch); j++ {
			k := rng.IntN(keys)
			t := base + int64(j)*step - rng.Int64N(5000)
			sub := "PPT_PLAY"
			if rng.IntN(20) == 0 {
				sub = "PPT_SUCCESS"
			}
			extra := fmt.Sprintf(`{"data_time":"%d","msg":{"pptIndex":"%d"}}`, t, rng.IntN(30))
			if j%2 == 0 {
				extra = fmt.Sprintf("%q", extra)
			}
			v := fmt.Sprintf(`{"classroom_id":"c%d","user_type":"student","user_id":%d,"event_time":%d,"sub_event":%q,"extra":%s}`,
				k%500, k, t+7, sub, extra)
			recs = append(recs, sdk.Record{Topic: "dwd.qos_log", Offset: int64(j), Value: []byte(v)})
		}
		batches = append(batches, recs)
	}
	return batches
}

// BenchmarkStudyTime runs job 4 in process on one goroutine: 1.2 million
// qos_log records over 50,000 (user, classroom) pairs and 10 hours of
// event time, so the state holds up to 6 hours of records and the
// watermark drops the rest; Process and Changes per batch of 2000, as the
// runtime calls them. It reports records/s.
func BenchmarkStudyTime(b *testing.B) {
	batches := qosLog(1_200_000, 50_000, 2000, 30)
	b.ResetTimer()
	n := 0
	for range b.N {
		op := &Operator{}
		if err := op.Open(context.Background(), sdk.Config(studyTimeConfig)); err != nil {
			b.Fatal(err)
		}
		for _, batch := range batches {
			out, err := op.Process(context.Background(), batch)
			if err != nil {
				b.Fatal(err)
			}
			for _, r := range out {
				if r.Fault != nil {
					b.Fatal(r.Fault)
				}
			}
			op.Changes()
			n += len(batch)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkAllPairs is the worst case of match all: every record of a
// small key space joins the dozens before it.
func BenchmarkAllPairs(b *testing.B) {
	cfg := map[string]string{}
	for k, v := range studyTimeConfig {
		cfg[k] = v
	}
	cfg["match"], cfg["interval.lower.ms"] = "all", "-60000"
	cfg["output.fields"] += ", first = left.event_time"
	batches := qosLog(200_000, 2_000, 2000, 10)
	b.ResetTimer()
	n, emitted := 0, int64(0)
	for range b.N {
		op := &Operator{}
		if err := op.Open(context.Background(), sdk.Config(cfg)); err != nil {
			b.Fatal(err)
		}
		for _, batch := range batches {
			if _, err := op.Process(context.Background(), batch); err != nil {
				b.Fatal(err)
			}
			op.Changes()
			n += len(batch)
		}
		emitted += op.Counts()["emitted"]
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(emitted)/b.Elapsed().Seconds(), "rows/s")
}

// TestStateBytesPerEntry measures the heap job 4's state takes per record
// held, for doc.go's figure and as a bound: a left record of which nothing
// but its time is kept must stay small.
func TestStateBytesPerEntry(t *testing.T) {
	if testing.Short() {
		t.Skip("holds 400k records")
	}
	batches := qosLog(400_000, 50_000, 2000, 10) // 67 minutes: all held
	op := &Operator{}
	if err := op.Open(context.Background(), sdk.Config(studyTimeConfig)); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for _, batch := range batches {
		if _, err := op.Process(context.Background(), batch); err != nil {
			t.Fatal(err)
		}
		op.Changes()
	}
	op.changes.Reset()
	clear(op.out)
	op.arena = nil
	runtime.GC()
	runtime.ReadMemStats(&after)
	entries := 0
	for _, pt := range op.parts {
		for _, ks := range pt.keys {
			entries += len(ks.left) + len(ks.right)
		}
	}
	perEntry := float64(after.HeapAlloc-before.HeapAlloc) / float64(entries)
	t.Logf("%d entries, %.0f heap bytes per entry", entries, perEntry)
	if entries < 400_000 {
		t.Fatalf("only %d entries, want every record held (420k: successes are both sides)", entries)
	}
	if perEntry > 200 {
		t.Errorf("%.0f bytes per entry; job 4's should take well under 200", perEntry)
	}
	runtime.KeepAlive(batches)
}
