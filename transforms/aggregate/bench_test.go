package aggregate

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// benchOrder is a data_pack_order_info row of the seed, 14 fields, as the
// mysql source writes it (datetimes as epoch millis).
func benchOrder(id, cc, status int, confirm int64) string {
	return fmt.Sprintf(`{"id":%d,"leads_flow_event_id":%d,"group_id":%d,"cc_id":%d,"student_id":%d,"order_id":%d,"leads_id":%d,`+
		`"confirm_date_time":%d,"create_time":1704067200000,"update_time":%d,"order_create_time":1704067200000,`+
		`"canceled_date_time":null,"apply_refund_date":null,"status":%d}`,
		id, id*3, id%50, cc, id%5000, id*11, id*13, confirm, confirm+1000, status)
}

// BenchmarkAggregate runs job 7 (confirmed orders per day and consultant)
// over the changes of 100,000 orders among 600 groups: every order
// leaves status 3 (or its consultant) and comes back, in batches of 500
// with their changelog. Variants count distinct students and sum too.
func BenchmarkAggregate(b *testing.B) {
	for _, aggs := range []string{"cc_index=count()", "cc_index=count(),students=count_distinct(student_id),total=sum(group_id)"} {
		b.Run(aggs, func(b *testing.B) { benchAggregate(b, aggs) })
	}
}

func benchAggregate(b *testing.B, aggs string) {
	const keys = 100_000
	rng := rand.New(rand.NewPCG(1, 2))
	now := time.Unix(1_704_100_000, 0)
	cfg := map[string]string{
		"topic": "staff_index", "fields": "id:long,cc_id:long,confirm_date_time:long,status:long,student_id:long,group_id:long",
		"time.fields": "attribution_time=confirm_date_time:yyyy-MM-dd", "time.zone": "Asia/Shanghai",
		"where": "confirm_date_time is not null and status = 3", "group.by": "attribution_time,cc_id",
		"aggregates": aggs, "constants": "type=1", "emit.time.field": "update_time", "output.time.format": "yyyy-MM-dd HH:mm:ss",
	}
	h := newHarness(b, aggregateOpener(b, cfg, &now), 1)
	first := make([]string, keys)
	var warm []sdk.Record
	for id := range keys {
		first[id] = benchOrder(id, id%200, 3, int64(1704067200000+86_400_000*(id%3)))
		warm = append(warm, sdk.Record{Topic: "in", Value: fmt.Appendf(nil, `{"op":"c","before":null,"after":%s}`, first[id])})
	}
	for i := 0; i < keys; i += 1000 {
		h.op.Process(b.Context(), warm[i:i+1000])
		h.op.Changes()
	}
	// Each order moves away and back: the stream leaves the state as it
	// found it, so it can be played again and again.
	second := make([]string, keys)
	recs := make([]sdk.Record, 0, 2*keys)
	for _, id := range rng.Perm(keys) {
		second[id] = benchOrder(id, (id+rng.IntN(2))%200, 1+rng.IntN(4), int64(1704067200000+86_400_000*(id%3)))
		recs = append(recs, sdk.Record{Topic: "in", Value: fmt.Appendf(nil, `{"op":"u","before":%s,"after":%s}`, first[id], second[id])})
	}
	for _, id := range rng.Perm(keys) {
		recs = append(recs, sdk.Record{Topic: "in", Value: fmt.Appendf(nil, `{"op":"u","before":%s,"after":%s}`, second[id], first[id])})
	}
	const batch = 500
	b.ReportAllocs()
	b.ResetTimer()
	n, emitted := 0, 0
	for i := 0; b.Loop(); i = (i + batch) % len(recs) {
		out, _ := h.op.Process(b.Context(), recs[i:i+batch])
		for _, r := range out {
			if r.Fault != nil {
				b.Fatal(r.Fault)
			}
		}
		emitted += len(out)
		h.op.Changes()
		n += batch
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/record")
	b.ReportMetric(float64(emitted)/float64(n), "emits/record")
}
