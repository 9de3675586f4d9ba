package hologres

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/sinks/row"
)

const benchColumns = `id bigint not null, user_id integer not null, status smallint not null, amount numeric(10,2) not null,
	created timestamp not null, note varchar(64), score double precision, paid boolean`

func benchRecords(n, from int) []sdk.Record {
	base := time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)
	out := make([]sdk.Record, n)
	for k := range out {
		i := from + k
		v := fmt.Sprintf(`{"id":%d,"user_id":%d,"status":%d,"amount":"%d.%02d","created":"%s","note":"order note %d","score":%g,"paid":%t}`,
			i, i%5000, i%4, i%100000, i%100, base.Add(time.Duration(i)*time.Millisecond).Format("2006-01-02 15:04:05.000"), i, float64(i%1000)/8, i%2 == 0)
		out[k] = sdk.Record{Topic: "t", Offset: int64(i), Value: []byte(v)}
	}
	return out
}

// BenchmarkPrepare is the sink's own work on a chunk of 1000 JSON records,
// without the database: mapping (on every core), deduplication, grouping,
// encoding the arrays.
func BenchmarkPrepare(b *testing.B) {
	cols, err := row.ParseColumns(benchColumns)
	if err != nil {
		b.Fatal(err)
	}
	cat := catalogTable{primary: []string{"id"}, unique: [][]string{{"id"}}}
	for _, c := range cols {
		cat.columns = append(cat.columns, column{Column: c, base: c.SQLType})
	}
	s := &Sink{cfg: Config{TableFormat: "${topic}", PKMode: "record_value", InsertMode: "upsert", MutateType: "insertorupdate",
		UnknownFields: "ignore", EpochUnit: "ms", URL: "postgres://x", BatchSize: 1000}}
	if err := s.configure("bench"); err != nil {
		b.Fatal(err)
	}
	tb, err := newTable(tableName{Name: "t"}, cat, s.settings)
	if err != nil {
		b.Fatal(err)
	}
	s.byTopic["t"], tb.loadedAt = tb, time.Now().Add(time.Hour)
	records := benchRecords(1000, 0)
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		if err := s.resolve(context.Background(), records); err != nil {
			b.Fatal(err)
		}
		m := s.startMapping(records)
		s.upTo(m, len(records))
		n, refused := s.batch(0, len(records))
		m.stop()
		if refused != nil || n != len(records) {
			b.Fatal(n, refused)
		}
		for _, g := range tb.batch.Groups() {
			for j, c := range g.Columns {
				var ok bool
				if buf, ok = appendArray(buf[:0], wireBinary(&tb.cols[c]), g.Rows, j); !ok {
					b.Fatal("cannot encode column", tb.cols[c].Name)
				}
			}
		}
		s.resetBatches()
	}
	b.ReportMetric(float64(b.N*len(records))/b.Elapsed().Seconds(), "records/s")
}

// BenchmarkWrite upserts batches of 2000 JSON records into PostgreSQL.
func BenchmarkWrite(b *testing.B) {
	db := newDB(b)
	db.exec(b, "CREATE TABLE t ("+benchColumns+", PRIMARY KEY (id))")
	s := openSink(b, db)
	from := 0
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		records := benchRecords(2000, from)
		from += 2000
		b.StartTimer()
		mustWrite(b, s, records)
	}
	b.ReportMetric(float64(from)/b.Elapsed().Seconds(), "records/s")
}
