package hbase

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"reflect"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tsuna/gohbase"
	"github.com/tsuna/gohbase/region"

	"github.com/tributarydata/tributary/plugins/sdk"
)

var ctx = context.Background()

const dimTable = "dim_channel_name_dictionary"

// baseConfig is the registration-level job's HBase sink.
func baseConfig() sdk.Config {
	return sdk.Config{
		"name":                   "test",
		"topics":                 "channel_name_dictionary",
		"hbase.zookeeper.quorum": "zk1:2181, zk2:2181",
		"table.name.format":      "dim_${topic}",
		"column.family":          "f",
		"rowkey.expression":      "md5(id)",
	}
}

func openWith(t *testing.T, fake *fakeHBase, cfg sdk.Config) *Sink {
	t.Helper()
	s := &Sink{newClient: fake.newClient}
	if err := s.Open(ctx, cfg); err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func with(cfg sdk.Config, kv ...string) sdk.Config {
	out := maps.Clone(cfg)
	for i := 0; i < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// rec builds a record of the dictionary topic; a value of "<nil>" is a tombstone.
func rec(offset int64, key, value string) sdk.Record {
	r := sdk.Record{Topic: "channel_name_dictionary", Offset: offset, Value: []byte(value)}
	if value == "<nil>" {
		r.Value = nil
	}
	if key != "" {
		r.Key = []byte(key)
	}
	return r
}

func writeAll(t *testing.T, s *Sink, recs ...sdk.Record) {
	t.Helper()
	n, err := s.Write(ctx, recs)
	if err != nil || n != len(recs) {
		t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(recs))
	}
}

func wantLog(t *testing.T, fake *fakeHBase, want ...string) {
	t.Helper()
	got := fake.log()
	if !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
		t.Fatalf("calls:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func wantState(t *testing.T, fake *fakeHBase, table string, want map[string]map[string]string) {
	t.Helper()
	if got := fake.state(table); !reflect.DeepEqual(got, want) && !(len(got) == 0 && len(want) == 0) {
		t.Fatalf("table %s:\n  %v\nwant:\n  %v", table, got, want)
	}
}

func TestOpenBuildsClient(t *testing.T) {
	fake := newFake([]string{"f"}, dimTable)
	s := openWith(t, fake, baseConfig())
	if fake.quorum != "zk1:2181,zk2:2181" || fake.options != 2 {
		t.Fatalf("client built with quorum %q and %d options", fake.quorum, fake.options)
	}
	if s.cfg.ZkRoot != "/hbase" || s.cfg.BatchSize != 500 || !s.cfg.DeleteEnabled || s.cfg.WriteTimeout != 30*time.Second {
		t.Fatalf("defaults: %+v", s.cfg)
	}
	s.Close()
	if !fake.closed {
		t.Fatal("Close did not close the client")
	}
}

func TestOpenRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  sdk.Config
		want string
	}{
		{"no quorum", with(baseConfig(), "hbase.zookeeper.quorum", ""), "invalid config: hbase.zookeeper.quorum: required"},
		{"no rowkey", with(baseConfig(), "rowkey.expression", " "), "invalid config: rowkey.expression: required"},
		{"rowkey syntax", with(baseConfig(), "rowkey.expression", "md5(id"), "invalid config: rowkey.expression: column 7: expected ',' or ')' in the arguments of md5, found end of input"},
		{"rowkey function", with(baseConfig(), "rowkey.expression", "sha(id)"), "invalid config: rowkey.expression: column 1: unknown function sha: use one of concat, lower, md5, reverse, upper"},
		{"placeholder", with(baseConfig(), "table.name.format", "${table}"), "invalid config: table.name.format: unknown placeholder ${table}: only ${topic} is replaced"},
		{"table chars", with(baseConfig(), "table.name.format", "dim/${topic}"), `invalid config: table.name.format: "dim/${topic}" does not give a valid HBase table name`},
		{"family", with(baseConfig(), "column.family", "a:b"), `invalid config: column.family: "a:b" is not a valid column family name`},
		{"batch", with(baseConfig(), "batch.size", "0"), "invalid config: batch.size: must be > 0"},
		{"zk root", with(baseConfig(), "hbase.zookeeper.root", "hbase"), "invalid config: hbase.zookeeper.root: must match"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(nil)
			err := (&Sink{newClient: fake.newClient}).Open(ctx, tt.cfg)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			var ve *sdk.ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("%T is not a *sdk.ValidationError", err)
			}
			if fake.quorum != "" {
				t.Fatal("a client was built for a bad config")
			}
		})
	}
}

func TestPutsCellsOfEveryType(t *testing.T) {
	fake := newFake([]string{"f"}, dimTable)
	s := openWith(t, fake, baseConfig())
	writeAll(t, s,
		// A Debezium create wrapped by the JsonConverter, and a plain row.
		rec(0, "", `{"schema":{},"payload":{"op":"c","before":null,"after":{"id":1,"channel_name":"抖音 \"ads\"","level":"A","big":18446744073709551615,"price":1234.5600,"active":true,"gone":null,"tags":["x",2],"extra":{"b":1,"a":"<&>"}}}}`),
		rec(1, "", `{"id":"2","channel_name":"wechat","level":"B"}`),
	)
	wantLog(t, fake,
		`put `+dimTable+`/`+md5hex("1")+` {f:active=true f:big=18446744073709551615 f:channel_name=抖音 "ads" f:extra={"a":"<&>","b":1} f:id=1 f:level=A f:price=1234.5600 f:tags=["x",2]}`,
		`put `+dimTable+`/`+md5hex("2")+` {f:channel_name=wechat f:id=2 f:level=B}`,
	)
}

func TestFieldsInclude(t *testing.T) {
	fake := newFake([]string{"f"}, dimTable)
	s := openWith(t, fake, with(baseConfig(), "fields.include", "level, channel_name"))
	writeAll(t, s, rec(0, "", `{"id":7,"channel_name":"qq","level":"C","secret":"x"}`))
	// The row key still comes from id, which is not written.
	wantLog(t, fake, `put `+dimTable+`/`+md5hex("7")+` {f:channel_name=qq f:level=C}`)

	// A row whose included fields are all null writes nothing.
	fake.reset()
	writeAll(t, s, rec(1, "", `{"id":8,"channel_name":null,"secret":"y"}`))
	wantLog(t, fake)
}

func TestUpdateKeepsCellsOfNullFields(t *testing.T) {
	fake := newFake([]string{"f"}, dimTable)
	s := openWith(t, fake, with(baseConfig(), "rowkey.expression", "id"))
	writeAll(t, s, rec(0, "", `{"op":"c","after":{"id":1,"level":"A","note":"n"}}`))
	writeAll(t, s, rec(1, "", `{"op":"u","before":{"id":1},"after":{"id":1,"level":"B","note":null}}`))
	wantState(t, fake, dimTable, map[string]map[string]string{
		"1": {"f:id": "1", "f:level": "B", "f:note": "n"},
	})
}

func TestDeletes(t *testing.T) {
	fake := newFake([]string{"f", "other"}, dimTable)
	s := openWith(t, fake, with(baseConfig(), "rowkey.expression", "concat(id,'-',kind)"))
	writeAll(t, s,
		rec(0, "", `{"id":1,"kind":"a","v":"x"}`),
		rec(1, "", `{"id":2,"kind":"b","v":"y"}`),
		rec(2, "", `{"id":3,"kind":"c","v":"z"}`),
	)
	// Another writer's family on the same row survives the sink's deletes.
	fake.mu.Lock()
	fake.rows[dimTable]["1-a"]["other:q"] = "kept"
	fake.mu.Unlock()
	fake.reset()

	writeAll(t, s,
		// op d: the key comes from before.
		rec(3, `{"id":1,"kind":"a"}`, `{"op":"d","before":{"id":1,"kind":"a","v":"x"},"after":null}`),
		// Its tombstone deletes again by the record key: harmless.
		rec(4, `{"id":1,"kind":"a"}`, "<nil>"),
		// A tombstone keyed through the schema/payload wrapper.
		rec(5, `{"schema":{"type":"struct"},"payload":{"id":2,"kind":"b"}}`, "<nil>"),
		// Tombstones whose key gives no row key are skipped, not errors.
		rec(6, "", "<nil>"),
		rec(7, `{"id":3}`, "<nil>"),
		rec(8, `not json`, "<nil>"),
	)
	wantLog(t, fake,
		"delete "+dimTable+"/1-a {f:}",
		"delete "+dimTable+"/2-b {f:}",
	)
	wantState(t, fake, dimTable, map[string]map[string]string{
		"1-a": {"other:q": "kept"},
		"3-c": {"f:id": "3", "f:kind": "c", "f:v": "z"},
	})
}

func TestDeleteDisabled(t *testing.T) {
	fake := newFake([]string{"f"}, dimTable)
	s := openWith(t, fake, with(baseConfig(), "delete.enabled", "false"))
	writeAll(t, s,
		rec(0, "", `{"id":1}`),
		rec(1, `{"id":1}`, `{"op":"d","before":{"id":1}}`),
		rec(2, `{"id":1}`, "<nil>"),
	)
	wantLog(t, fake, "put "+dimTable+"/"+md5hex("1")+" {f:id=1}")
}

// TestFoldKeepsOrder: mutations of one row within a batch are folded, and
// the result is what applying them one by one would leave.
func TestFoldKeepsOrder(t *testing.T) {
	fake := newFake([]string{"f"}, dimTable)
	s := openWith(t, fake, with(baseConfig(), "rowkey.expression", "id"))
	writeAll(t, s, rec(0, "", `{"id":"a","x":"old","y":"old"}`), rec(1, "", `{"id":"c","x":"c0"}`))
	fake.reset()

	writeAll(t, s,
		rec(2, "", `{"id":"a","x":"1"}`),
		rec(3, "", `{"op":"d","before":{"id":"a"}}`),
		rec(4, "", `{"id":"a","z":"new"}`), // a put after a delete leaves the row
		rec(5, "", `{"id":"b","x":"1","y":"1"}`),
		rec(6, "", `{"id":"b","x":"2"}`), // puts merge, later cells win
		rec(7, "", `{"id":"c","x":"c1"}`),
		rec(8, "", `{"op":"d","before":{"id":"c"}}`), // a delete after a put removes it
	)
	wantLog(t, fake,
		"delete "+dimTable+"/a {f:}",
		"delete "+dimTable+"/c {f:}",
		"put "+dimTable+"/a {f:id=a f:z=new}",
		"put "+dimTable+"/b {f:id=b f:x=2 f:y=1}",
	)
	wantState(t, fake, dimTable, map[string]map[string]string{
		"a": {"f:id": "a", "f:z": "new"},
		"b": {"f:id": "b", "f:x": "2", "f:y": "1"},
	})
}

// TestPutWaitsAfterDelete: HBase hides a put stamped in the millisecond of
// a delete of its row, so puts go out at least deleteGap after the delete.
func TestPutWaitsAfterDelete(t *testing.T) {
	fake := newFake([]string{"f"}, dimTable)
	s := openWith(t, fake, with(baseConfig(), "rowkey.expression", "id"))
	var slept atomic.Int64
	s.sleep = func(ctx context.Context, d time.Duration) error {
		slept.Add(int64(d))
		return sdk.Sleep(ctx, d)
	}
	// Within one batch.
	writeAll(t, s, rec(0, "", `{"op":"d","before":{"id":"a"}}`), rec(1, "", `{"id":"a","v":"1"}`))
	// Across batches: the put of the next Write also waits.
	writeAll(t, s, rec(2, "", `{"op":"d","before":{"id":"b"}}`))
	writeAll(t, s, rec(3, "", `{"id":"b","v":"2"}`))
	fake.mu.Lock()
	calls := fake.calls
	fake.mu.Unlock()
	if len(calls) != 4 {
		t.Fatalf("%d calls", len(calls))
	}
	for _, pair := range [][2]int{{0, 1}, {2, 3}} {
		del, put := calls[pair[0]], calls[pair[1]]
		if del.Kind != "delete" || put.Kind != "put" || put.Row != del.Row {
			t.Fatalf("calls %v, %v", del, put)
		}
		if gap := put.At.Sub(del.At); gap < deleteGap {
			t.Errorf("put of %s %v after its delete, want >= %v", put.Row, gap, deleteGap)
		}
	}
	if slept.Load() == 0 {
		t.Error("never waited")
	}
	// Without a recent delete, puts do not wait.
	slept.Store(0)
	time.Sleep(deleteGap)
	writeAll(t, s, rec(4, "", `{"id":"c","v":"3"}`))
	if slept.Load() != 0 {
		t.Errorf("waited %v with no delete before", time.Duration(slept.Load()))
	}
}

func TestBatching(t *testing.T) {
	fake := newFake([]string{"f"}, "t1", "t2")
	s := openWith(t, fake, with(baseConfig(), "table.name.format", "${topic}", "rowkey.expression", "id", "batch.size", "2"))
	var recs []sdk.Record
	for i := range 5 {
		recs = append(recs, sdk.Record{Topic: fmt.Sprintf("t%d", i%2+1), Offset: int64(i), Value: fmt.Appendf(nil, `{"id":%d}`, i)})
	}
	writeAll(t, s, recs...)
	// Records 0-1, 2-3, 4: every batch sends one SendBatch per table.
	if want := []int{1, 1, 1, 1, 1}; !reflect.DeepEqual(fake.batches, want) {
		t.Fatalf("SendBatch sizes %v, want %v", fake.batches, want)
	}
	wantState(t, fake, "t1", map[string]map[string]string{"0": {"f:id": "0"}, "2": {"f:id": "2"}, "4": {"f:id": "4"}})
	wantState(t, fake, "t2", map[string]map[string]string{"1": {"f:id": "1"}, "3": {"f:id": "3"}})

	fake.reset()
	s.cfg.BatchSize = 500
	writeAll(t, s, recs...)
	if want := 2; len(fake.batches) != want || fake.batches[0]+fake.batches[1] != 5 {
		t.Fatalf("SendBatch sizes %v, want two calls for 5 rows", fake.batches)
	}
}

// TestReplay: a crash replays records since the last commit; writing them
// again must leave the same cells, whatever the point of the crash.
func TestReplay(t *testing.T) {
	recs := []sdk.Record{
		rec(0, "", `{"id":1,"level":"A","name":"n1"}`),
		rec(1, "", `{"id":2,"level":"B"}`),
		rec(2, "", `{"op":"u","before":{"id":1},"after":{"id":1,"level":"C","name":"n1"}}`),
		rec(3, `{"id":2}`, `{"op":"d","before":{"id":2,"level":"B"}}`),
		rec(4, `{"id":2}`, "<nil>"),
		rec(5, "", `{"id":3,"level":"D"}`),
	}
	once := newFake([]string{"f"}, dimTable)
	writeAll(t, openWith(t, once, baseConfig()), recs...)
	want := once.state(dimTable)
	if len(want) != 2 {
		t.Fatalf("after one pass: %v", want)
	}
	for cut := range len(recs) + 1 {
		fake := newFake([]string{"f"}, dimTable)
		s := openWith(t, fake, baseConfig())
		if cut > 0 {
			writeAll(t, s, recs[:cut]...)
		}
		writeAll(t, s, recs...) // the replay from the last commit
		writeAll(t, s, recs...) // and another one
		wantState(t, fake, dimTable, want)
	}
}

func TestBadRecords(t *testing.T) {
	tests := []struct {
		name  string
		value string
		want  string
	}{
		{"not JSON", `{"id":`, "hbase sink: record: invalid JSON"},
		{"not an object", `[1,2]`, "hbase sink: record: value is not a JSON object"},
		{"unknown op", `{"op":"x","after":{"id":1}}`, `hbase sink: record: change event has unknown op "x"`},
		{"no key field", `{"name":"n"}`, `hbase sink: row key md5(id): no field "id"`},
		{"null key field", `{"id":null}`, `hbase sink: row key md5(id): field "id" is null`},
		{"object key field", `{"id":{"a":1}}`, `hbase sink: row key md5(id): field "id" is an object, not a scalar`},
		{"delete without key", `{"op":"d","before":{"name":"n"}}`, `hbase sink: delete event: row key md5(id): no field "id"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake([]string{"f"}, dimTable)
			s := openWith(t, fake, baseConfig())
			recs := []sdk.Record{rec(0, "", `{"id":1}`), rec(1, "", tt.value), rec(2, "", `{"id":3}`)}
			n, err := s.Write(ctx, recs)
			var re *sdk.RecordError
			if !errors.As(err, &re) || re.Index != 1 || n != 1 {
				t.Fatalf("Write = %d, %v; want 1 and a RecordError at index 1", n, err)
			}
			if !strings.HasPrefix(re.Err.Error(), tt.want) {
				t.Fatalf("error %q, want %q", re.Err, tt.want)
			}
			if sdk.IsRetriable(err) {
				t.Fatal("a bad record is retriable")
			}
			// Only the record before the bad one was written; the runtime
			// hands the one after it over again.
			wantLog(t, fake, "put "+dimTable+"/"+md5hex("1")+" {f:id=1}")
			writeAll(t, s, recs[2:]...)
			wantState(t, fake, dimTable, map[string]map[string]string{
				md5hex("1"): {"f:id": "1"},
				md5hex("3"): {"f:id": "3"},
			})
		})
	}
}

func TestBadRowKeys(t *testing.T) {
	fake := newFake([]string{"f"}, dimTable)
	s := openWith(t, fake, with(baseConfig(), "rowkey.expression", "k"))
	for _, tt := range []struct{ value, want string }{
		{`{"k":""}`, "hbase sink: row key k is empty"},
		{`{"k":"` + strings.Repeat("x", maxRowKeyLen+1) + `"}`, "hbase sink: row key k is 32768 bytes, more than HBase's 32767"},
	} {
		n, err := s.Write(ctx, []sdk.Record{rec(0, "", tt.value)})
		var re *sdk.RecordError
		if n != 0 || !errors.As(err, &re) || re.Index != 0 || re.Err.Error() != tt.want {
			t.Errorf("Write = %d, %v; want 0 and a RecordError %q", n, err, tt.want)
		}
	}
	wantLog(t, fake)
}

func TestErrorMapping(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		retriable bool
		want      string
	}{
		{"retryable", region.RetryableError{}, true, "region.RetryableError"},
		{"server", region.ServerError{}, true, "region.ServerError"},
		{"not serving", region.NotServingRegionError{}, true, "NotServingRegionError"},
		{"deadline", context.DeadlineExceeded, true, "context deadline exceeded"},
		{"connection refused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, true, "connection refused"},
		{"no region", gohbase.ErrCannotFindRegion, true, "cannot find region"},
		{"java", errors.New("HBase Java exception org.apache.hadoop.hbase.DoNotRetryIOException"), false, "DoNotRetryIOException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake([]string{"f"}, dimTable)
			s := openWith(t, fake, with(baseConfig(), "rowkey.expression", "id", "batch.size", "2"))
			fake.fail = func(_ context.Context, c fakeCall) error {
				if c.Row == "3" {
					return tt.err
				}
				return nil
			}
			recs := []sdk.Record{rec(0, "", `{"id":1}`), rec(1, "", `{"id":2}`), rec(2, "", `{"id":3}`), rec(3, "", `{"id":4}`), rec(4, "", `{"id":5}`)}
			n, err := s.Write(ctx, recs)
			// The first batch (records 0 and 1) is written; the second failed.
			if n != 2 || err == nil {
				t.Fatalf("Write = %d, %v; want 2 and an error", n, err)
			}
			if sdk.IsRetriable(err) != tt.retriable {
				t.Fatalf("retriable = %v, want %v: %v", sdk.IsRetriable(err), tt.retriable, err)
			}
			var re *sdk.RecordError
			if errors.As(err, &re) {
				t.Fatalf("a server fault reported as a bad record: %v", err)
			}
			if !strings.Contains(err.Error(), `hbase sink: 1 of 2 puts failed; table "`+dimTable+`" row "3": `) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q", err)
			}
			// The runtime retries records[n:]; once the fault passes they land.
			fake.fail = nil
			writeAll(t, s, recs[n:]...)
			if got := len(fake.state(dimTable)); got != 5 {
				t.Fatalf("%d rows after the retry, want 5", got)
			}
		})
	}
}

func TestMissingTableFails(t *testing.T) {
	fake := newFake([]string{"f"}) // no tables
	s := openWith(t, fake, baseConfig())
	n, err := s.Write(ctx, []sdk.Record{rec(0, "", `{"id":1}`)})
	if n != 0 || err == nil || sdk.IsRetriable(err) {
		t.Fatalf("Write = %d, %v; want 0 and a fatal error", n, err)
	}
	want := `hbase sink: 1 of 1 puts failed; table "` + dimTable + `" row "` + md5hex("1") + `": table not found: create table "` + dimTable + `" with the column family of column.family`
	if err.Error() != want || !errors.Is(err, gohbase.TableNotFound) {
		t.Fatalf("error %q\nwant    %q", err, want)
	}
}

func TestMissingFamilyFails(t *testing.T) {
	fake := newFake([]string{"cf"}, dimTable)
	s := openWith(t, fake, baseConfig()) // family f
	_, err := s.Write(ctx, []sdk.Record{rec(0, "", `{"id":1}`)})
	if err == nil || sdk.IsRetriable(err) || !strings.Contains(err.Error(), "NoSuchColumnFamilyException") {
		t.Fatalf("err = %v, want a fatal NoSuchColumnFamilyException", err)
	}
}

// TestTimeoutIsRetriable: gohbase retries until the call's context ends, so
// a cluster that never answers must end at write.timeout.ms, retriable.
func TestTimeoutIsRetriable(t *testing.T) {
	fake := newFake([]string{"f"}, dimTable)
	s := openWith(t, fake, with(baseConfig(), "write.timeout.ms", "50"))
	fake.fail = func(ctx context.Context, _ fakeCall) error {
		<-ctx.Done() // a region lookup that never completes
		return ctx.Err()
	}
	start := time.Now()
	n, err := s.Write(ctx, []sdk.Record{rec(0, "", `{"id":1}`)})
	if n != 0 || !sdk.IsRetriable(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Write = %d, %v; want 0 and a retriable deadline", n, err)
	}
	if d := time.Since(start); d < 50*time.Millisecond || d > 5*time.Second {
		t.Fatalf("took %v, want about write.timeout.ms", d)
	}
}

// TestStopping: when the task's context ends, Write returns its error so the
// runtime stops rather than retrying.
func TestStopping(t *testing.T) {
	fake := newFake([]string{"f"}, dimTable)
	s := openWith(t, fake, baseConfig())
	cctx, cancel := context.WithCancel(ctx)
	fake.fail = func(ctx context.Context, _ fakeCall) error {
		cancel()
		<-ctx.Done()
		return ctx.Err()
	}
	n, err := s.Write(cctx, []sdk.Record{rec(0, "", `{"id":1}`)})
	if n != 0 || err != context.Canceled {
		t.Fatalf("Write = %d, %v; want 0, context.Canceled", n, err)
	}
}

func TestPlugin(t *testing.T) {
	if err := Plugin.Check(); err != nil {
		t.Fatal(err)
	}
	if bad := sdk.Validate(Plugin.Config, baseConfig()); len(bad) != 0 {
		t.Fatalf("base config invalid: %v", bad)
	}
	if _, ok := Plugin.NewSink().(*Sink); !ok {
		t.Fatal("NewSink does not build a *Sink")
	}
}
