package window

import (
	"context"
	"runtime"
	"testing"

	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/test/edu"
)

// classroomPerformance is job 3's window config (deployments/pipelines/edu/
// classroom-performance.json) without the runtime's keys.
var classroomPerformance = sdk.Config{
	"topic": "ads.timeline_signal_analysis", "late.topic": "late",
	"fields":     "user_id=userId:long,webserver_id=roomId:long,role:long,event:string,timeStamp:long",
	"where":      "user_id IS NOT NULL AND webserver_id IS NOT NULL AND role IS NOT NULL AND event IS NOT NULL",
	"group.by":   "webserver_id,user_id,role,event",
	"aggregates": "event_count=count()", "time.field": "timeStamp", "time.zone": "Asia/Shanghai",
	"window.size.ms": "60000", "out.of.orderness.ms": "5000", "allowed.lateness.ms": "60000",
	"window.start.field": "start_time", "window.end.field": "end_time",
	"output.time.format": "yyyy-MM-dd HH:mm:ss.SSS", "emit.time.field": "create_time",
}

// BenchmarkClassroomPerformance runs job 3 in process on one goroutine with
// about 100,000 distinct groups per window: Process and Changes per batch,
// as the runtime calls them. It reports records/s and the heap bytes of
// state per group.
func BenchmarkClassroomPerformance(b *testing.B) {
	const perWindow, keys = 400_000, 100_000
	batches := edu.StudentSignals(1_200_000, perWindow, keys, 2000)
	b.ResetTimer()
	n := 0
	for range b.N {
		op := &Operator{}
		if err := op.Open(context.Background(), classroomPerformance); err != nil {
			b.Fatal(err)
		}
		for _, batch := range batches {
			if _, err := op.Process(context.Background(), batch); err != nil {
				b.Fatal(err)
			}
			op.Changes()
			n += len(batch)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
}

// TestStateBytesPerGroup measures the heap a window's groups take, for the
// closing figures (logged) and as a bound: a count-only group must stay
// small.
func TestStateBytesPerGroup(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 100k groups")
	}
	const keys = 100_000
	batches := edu.StudentSignals(400_000, 1_000_000, keys, 2000) // all in one window
	op := &Operator{}
	if err := op.Open(context.Background(), classroomPerformance); err != nil {
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
	runtime.GC()
	runtime.ReadMemStats(&after)
	groups := 0
	for _, pt := range op.parts {
		for _, pn := range pt.panes {
			groups += len(pn.groups)
		}
	}
	perGroup := float64(after.HeapAlloc-before.HeapAlloc) / float64(groups)
	t.Logf("%d groups, %.0f heap bytes per group", groups, perGroup)
	if groups < keys*9/10 {
		t.Fatalf("only %d groups, want about %d", groups, keys)
	}
	if perGroup > 400 {
		t.Errorf("%.0f bytes per group; a count-only group should take well under 400", perGroup)
	}
	runtime.KeepAlive(batches)
}
