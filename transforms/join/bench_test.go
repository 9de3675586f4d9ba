package join

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// Job 6's throughput: Debezium updates of students and users (half each)
// among 50,000 ids, joined, filtered and enriched with the level of one of
// 1,000 channels, in batches of 500 with their changelog.
//
//   - warm: every channel is cached; the batch's Get is answered from
//     memory.
//   - cold: the clock passes the cache's TTL before every batch, so each
//     batch reads its channels (a few hundred distinct keys) in one query
//     to PostgreSQL on this machine.
//   - no-lookup: the same join with the level worked out from the channel
//     id instead, for the cost of the join alone.
func BenchmarkJob6(b *testing.B) {
	const ids, channels, batch = 50_000, 1_000, 500
	for _, mode := range []string{"warm", "cold", "no-lookup"} {
		b.Run(mode, func(b *testing.B) {
			cfg := maps.Clone(job6Join)
			var h *harness
			if mode == "no-lookup" {
				for k := range cfg {
					if len(k) > 7 && k[:7] == "lookup." {
						delete(cfg, k)
					}
				}
				cfg["topics"] = "edu.uc_account.student,edu.uc_account.user"
				cfg["output.fields"] = "id = left.id, reg_date = cast(date_format(right.register_date_time, 'yyyyMMddHH', 'Asia/Shanghai') as bigint), " +
					"level = CASE WHEN left.channel_id IN ('1','2','3','4') THEN 'A' ELSE 'other' END, uk = concat(reg_date, level)"
				h = newHarness(b, cfg, 1)
			} else {
				db := newDB(b)
				levels := map[int]string{}
				for c := range channels {
					levels[c] = string(rune('A' + c%6))
				}
				db.dictionary(b, levels)
				db.exec(b, "ANALYZE channel_name_dictionary")
				h = newLookupHarness(b, db, cfg, 1)
			}
			rng := rand.New(rand.NewPCG(1, 2))
			// Every id is held, and every channel cached, before the clock
			// starts.
			for i := 0; i < ids; i += 1000 {
				var recs []sdk.Record
				for id := i; id < i+1000; id++ {
					recs = append(recs, benchStudent(id, id%channels), benchUser(id, "NORMAL"))
				}
				h.op.Process(b.Context(), recs)
				h.op.Changes()
			}
			stream := make([]sdk.Record, 200_000)
			for i := range stream {
				id := rng.IntN(ids)
				if rng.IntN(2) == 0 {
					stream[i] = benchStudentUpdate(id, id%channels, (id+rng.IntN(2))%channels)
				} else {
					stream[i] = benchUserUpdate(id, []string{"NORMAL", "FROZEN"}[rng.IntN(2)])
				}
			}
			before := h.op.Counts()
			b.ReportAllocs()
			b.ResetTimer()
			n := 0
			for i := 0; b.Loop(); i = (i + batch) % len(stream) {
				if mode == "cold" {
					h.clock = h.clock.Add(time.Hour)
				}
				out, err := h.op.Process(b.Context(), stream[i:i+batch])
				if err != nil {
					b.Fatal(err)
				}
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
			after := h.op.Counts()
			if q := after["lookup_queries"] - before["lookup_queries"]; mode != "no-lookup" {
				b.ReportMetric(float64(q)/float64(n/batch), "queries/batch")
			}
		})
	}
}

func benchStudent(id, channel int) sdk.Record {
	return sdk.Record{Topic: "edu.uc_account.student", Key: fmt.Appendf(nil, `{"id":%d}`, id),
		Value: fmt.Appendf(nil, `{"id":%d,"channel_id":"%d","update_time":1705280000000}`, id, channel)}
}

func benchUser(id int, status string) sdk.Record {
	return sdk.Record{Topic: "edu.uc_account.user", Key: fmt.Appendf(nil, `{"id":%d}`, id),
		Value: fmt.Appendf(nil, `{"id":%d,"name":"user %d","register_date_time":%d,"status":%q}`, id, id, 1705281000000+int64(id%48)*1_800_000, status)}
}

func benchStudentUpdate(id, from, to int) sdk.Record {
	r := benchStudent(id, to)
	before := benchStudent(id, from)
	r.Value = fmt.Appendf(nil, `{"before":%s,"after":%s,"source":{"version":"2.5","connector":"mysql","name":"edu","db":"uc_account","table":"student"},"op":"u","ts_ms":1705280000000,"transaction":null}`, before.Value, r.Value)
	return r
}

func benchUserUpdate(id int, status string) sdk.Record {
	r := benchUser(id, status)
	before := benchUser(id, "NORMAL")
	r.Value = fmt.Appendf(nil, `{"before":%s,"after":%s,"source":{"version":"2.5","connector":"mysql","name":"edu","db":"uc_account","table":"user"},"op":"u","ts_ms":1705280000000,"transaction":null}`, before.Value, r.Value)
	return r
}
