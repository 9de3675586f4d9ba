package latest

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// orderRow is a data_pack_order_info row of the seed, 14 fields, as the
// mysql source writes it (datetimes as epoch millis).
func orderRow(id, cc, status int, confirm int64) string {
	return fmt.Sprintf(`{"id":%d,"leads_flow_event_id":%d,"group_id":%d,"cc_id":%d,"student_id":%d,"order_id":%d,"leads_id":%d,`+
		`"confirm_date_time":%d,"create_time":1704067200000,"update_time":%d,"order_create_time":1704067200000,`+
		`"canceled_date_time":null,"apply_refund_date":null,"status":%d}`,
		id, id*3, id%50, cc, id*7, id*11, id*13, confirm, confirm+1000, status)
}

// orderStream makes n Debezium updates of random orders among keys, each
// moving its status, and now and then its consultant or day.
func orderStream(rng *rand.Rand, n, keys int) []sdk.Record {
	recs := make([]sdk.Record, n)
	for i := range recs {
		id := rng.IntN(keys)
		day := int64(1704067200000 + 86_400_000*rng.IntN(3))
		before := orderRow(id, id%200, 1, day)
		after := orderRow(id, (id+rng.IntN(2))%200, 1+rng.IntN(4), day)
		recs[i] = sdk.Record{
			Topic: "in", Key: fmt.Appendf(nil, `{"id":%d}`, id), Timestamp: time.UnixMilli(day),
			Value: fmt.Appendf(nil, `{"before":%s,"after":%s,"source":{"version":"2.5","connector":"mysql","name":"edu","db":"crm","table":"data_pack_order_info"},"op":"u","ts_ms":1704067200000,"transaction":null}`, before, after),
		}
	}
	return recs
}

// BenchmarkLatest runs the job-7 view (latest cc_id, confirm_date_time and
// status by id) over Debezium updates of 100,000 orders, in batches of 500
// with their changelog.
func BenchmarkLatest(b *testing.B) {
	const keys = 100_000
	rng := rand.New(rand.NewPCG(1, 2))
	h := newHarness(b, map[string]string{
		"fields": "id:long,cc_id:long,confirm_date_time:long,status:long", "key.fields": "id", "output.key.fields": "confirm_date_time,cc_id",
	}, 1)
	// Every order is held before the clock starts.
	warm := make([]sdk.Record, keys)
	for id := range keys {
		warm[id] = sdk.Record{Topic: "in", Value: []byte(orderRow(id, id%200, 1, 1704067200000))}
	}
	for i := 0; i < keys; i += 1000 {
		h.op.Process(b.Context(), warm[i:i+1000])
		h.op.Changes()
	}
	recs := orderStream(rng, 200_000, keys)
	const batch = 500
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for i := 0; b.Loop(); i = (i + batch) % len(recs) {
		out, _ := h.op.Process(b.Context(), recs[i:i+batch])
		for _, r := range out {
			if r.Fault != nil {
				b.Fatal(r.Fault)
			}
		}
		h.op.Changes()
		n += batch
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/record")
}
