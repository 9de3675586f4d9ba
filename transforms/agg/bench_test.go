package agg

import (
	"runtime"
	"strconv"
	"testing"
	"unsafe"

	"github.com/tributarydata/tributary/transforms/value"
)

// signalRow is a classroom signal as the window operator sees it: 14
// fields, numbers as ints or, as the apps often send them, strings.
func signalRow(lost value.Value, id string) *value.Row {
	r := &value.Row{}
	r.Append("messageCreateTime", value.OfString("2021-03-01 10:00:00"))
	r.Append("timeStamp", value.OfInt(1614592800000))
	r.Append("userId", value.OfString(id))
	r.Append("roomId", value.OfInt(778899))
	r.Append("role", value.OfInt(2))
	r.Append("msgId", value.OfInt(305))
	r.Append("msgType", value.OfInt(116))
	r.Append("targetId", value.OfString("match"))
	r.Append("targetType", value.OfString("template"))
	r.Append("action", value.OfString("match"))
	r.Append("subAction", value.OfString("drop:wrong"))
	r.Append("pageIndex", value.OfInt(3))
	r.Append("lost", lost)
	r.Append("event", value.OfString("leave"))
	return r
}

func benchAdd(b *testing.B, specs []string, r *value.Row) {
	s := mustSet(b, specs...)
	g := s.New()
	b.ReportAllocs()
	for b.Loop() {
		if err := g.Add(s, r, 1); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAddCount(b *testing.B) {
	r := signalRow(value.OfInt(3), "100234")
	b.Run("count(*)", func(b *testing.B) { benchAdd(b, []string{"event_count=count()"}, r) })
	b.Run("count(event)", func(b *testing.B) { benchAdd(b, []string{"n=count(event)"}, r) })
}

func BenchmarkAddSumAvg(b *testing.B) {
	specs := []string{"event_count=count()", "event_sum=sum(lost)", "event_avg=avg(lost)"}
	b.Run("int", func(b *testing.B) { benchAdd(b, specs, signalRow(value.OfInt(3), "1")) })
	b.Run("string", func(b *testing.B) { benchAdd(b, specs, signalRow(value.OfString("3"), "1")) })
	b.Run("decimal", func(b *testing.B) { benchAdd(b, specs, signalRow(value.OfString("12.50"), "1")) })
	b.Run("float", func(b *testing.B) { benchAdd(b, specs, signalRow(value.OfFloat(0.25), "1")) })
	b.Run("add-retract", func(b *testing.B) {
		s := mustSet(b, specs...)
		g := s.New()
		r := signalRow(value.OfString("12.50"), "1")
		b.ReportAllocs()
		for b.Loop() {
			if err := g.Add(s, r, 1); err != nil {
				b.Fatal(err)
			}
			if err := g.Add(s, r, -1); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkCountDistinct(b *testing.B) {
	rows := make([]*value.Row, 1000)
	for i := range rows {
		rows[i] = signalRow(value.OfInt(1), strconv.Itoa(100000+i))
	}
	s := mustSet(b, "leads=count_distinct(userId)")
	b.Run("held", func(b *testing.B) {
		g := s.New()
		for _, r := range rows {
			if err := g.Add(s, r, 1); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if err := g.Add(s, rows[i%len(rows)], 1); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("new", func(b *testing.B) {
		// Each value new to its group, 1000 values a group.
		b.ReportAllocs()
		g := s.New()
		i := 0
		for b.Loop() {
			if i%len(rows) == 0 {
				g = s.New()
			}
			if err := g.Add(s, rows[i%len(rows)], 1); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("add-retract", func(b *testing.B) {
		g := s.New()
		for _, r := range rows {
			if err := g.Add(s, r, 1); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			r := rows[i%len(rows)]
			if err := g.Add(s, r, -1); err != nil {
				b.Fatal(err)
			}
			if err := g.Add(s, r, 1); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// BenchmarkMaxUpdate is a changelog's update of the row holding the
// greatest value: retract it, add it back greater.
func BenchmarkMaxUpdate(b *testing.B) {
	s := mustSet(b, "latest=max(timeStamp)", "first=min(timeStamp)")
	g := s.New()
	r := &value.Row{}
	r.Append("timeStamp", value.OfInt(0))
	for i := range 1000 {
		r.Fields[0].Value = value.OfInt(int64(i))
		if err := g.Add(s, r, 1); err != nil {
			b.Fatal(err)
		}
	}
	var out value.Row
	top := int64(999)
	b.ReportAllocs()
	for b.Loop() {
		r.Fields[0].Value = value.OfInt(top)
		if err := g.Add(s, r, -1); err != nil {
			b.Fatal(err)
		}
		top++
		r.Fields[0].Value = value.OfInt(top)
		if err := g.Add(s, r, 1); err != nil {
			b.Fatal(err)
		}
		out.Reset()
		g.AppendResults(s, &out)
	}
}

func BenchmarkAppendState(b *testing.B) {
	bench := func(b *testing.B, specs []string, n int) {
		s := mustSet(b, specs...)
		g := s.New()
		for i := range n {
			if err := g.Add(s, signalRow(value.OfInt(int64(i%7)), strconv.Itoa(i%100)), 1); err != nil {
				b.Fatal(err)
			}
		}
		var buf []byte
		b.ReportAllocs()
		for b.Loop() {
			buf = g.AppendState(s, buf[:0])
		}
		b.ReportMetric(float64(len(buf)), "state-bytes")
	}
	b.Run("count", func(b *testing.B) { bench(b, []string{"event_count=count()"}, 1000) })
	b.Run("count-sum-avg", func(b *testing.B) {
		bench(b, []string{"event_count=count()", "event_sum=sum(lost)", "event_avg=avg(lost)"}, 1000)
	})
	b.Run("distinct-100", func(b *testing.B) { bench(b, []string{"leads=count_distinct(userId)"}, 1000) })
	b.Run("load-count-sum-avg", func(b *testing.B) {
		s := mustSet(b, "event_count=count()", "event_sum=sum(lost)", "event_avg=avg(lost)")
		g := s.New()
		for i := range 1000 {
			if err := g.Add(s, signalRow(value.OfInt(int64(i%7)), "1"), 1); err != nil {
				b.Fatal(err)
			}
		}
		state := g.AppendState(s, nil)
		b.ReportAllocs()
		for b.Loop() {
			var back Group
			if err := back.LoadState(s, state); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// groupBytes measures the heap a group of the set takes, over n groups
// that have each seen one row.
func groupBytes(t testing.TB, specs []string, n int) float64 {
	s := mustSet(t, specs...)
	r := signalRow(value.OfInt(3), "1")
	groups := make([]*Group, n)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range groups {
		groups[i] = s.New()
		if err := groups[i].Add(s, r, 1); err != nil {
			t.Fatal(err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(groups)
	return float64(after.HeapAlloc-before.HeapAlloc) / float64(n)
}

func BenchmarkGroupMemory(b *testing.B) {
	for _, tc := range []struct {
		name  string
		specs []string
	}{
		{"count", []string{"event_count=count()"}},
		{"count-sum-avg", []string{"event_count=count()", "event_sum=sum(lost)", "event_avg=avg(lost)"}},
		{"distinct", []string{"leads=count_distinct(userId)"}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			per := 0.0
			for b.Loop() {
				per = groupBytes(b, tc.specs, 100_000)
			}
			b.ReportMetric(per, "bytes/group")
		})
	}
}

// TestCountGroupSize: the window operator keeps 100,000 count(*) groups a
// window, so such a group must stay one int64 and a pointer.
func TestCountGroupSize(t *testing.T) {
	if size := unsafe.Sizeof(Group{}); size != 16 {
		t.Errorf("a Group is %d bytes, want 16", size)
	}
	per := groupBytes(t, []string{"event_count=count()"}, 100_000)
	t.Logf("count(*): %.1f heap bytes per group over 100,000 groups", per)
	if per > 20 {
		t.Errorf("a count(*) group takes %.1f bytes of heap, want 16", per)
	}
	sum := groupBytes(t, []string{"event_count=count()", "event_sum=sum(lost)", "event_avg=avg(lost)"}, 100_000)
	t.Logf("count(*), sum, avg: %.1f heap bytes per group", sum)
}

func TestAddAllocatesNothing(t *testing.T) {
	for _, tc := range []struct {
		name  string
		specs []string
		lost  value.Value
		both  bool // add and retract
	}{
		{"count(*)", []string{"n=count()"}, value.OfInt(3), true},
		{"count(x)", []string{"n=count(lost)"}, value.OfInt(3), true},
		{"sum avg of ints", []string{"n=count()", "s=sum(lost)", "a=avg(lost)"}, value.OfInt(3), true},
		{"sum avg of strings", []string{"n=count()", "s=sum(lost)", "a=avg(lost)"}, value.OfString("12.50"), true},
		{"sum of floats", []string{"s=sum(lost)"}, value.OfFloat(0.25), true},
		{"sum of tiny floats", []string{"s=sum(lost)"}, value.OfFloat(1e-30), true},
		{"held distinct", []string{"d=count_distinct(lost)"}, value.OfString("x"), false},
		{"held min max", []string{"lo=min(lost)", "hi=max(lost)"}, value.OfString("12.5"), false},
	} {
		s := mustSet(t, tc.specs...)
		g := s.New()
		r := signalRow(tc.lost, "1")
		if err := g.Add(s, r, 1); err != nil {
			t.Fatal(err)
		}
		allocs := testing.AllocsPerRun(1000, func() {
			if err := g.Add(s, r, 1); err != nil {
				t.Fatal(err)
			}
			if tc.both {
				if err := g.Add(s, r, -1); err != nil {
					t.Fatal(err)
				}
			}
		})
		if allocs != 0 {
			t.Errorf("%s: Add allocates %.1f times", tc.name, allocs)
		}
	}
}
