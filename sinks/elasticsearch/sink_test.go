package elasticsearch

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/sinks/elasticsearch/estest"
)

var ctx = context.Background()

// sleeps records the sink's retry waits without waiting them out.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) get() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

func openSink(t *testing.T, url string, kv ...string) (*Sink, *sleeps) {
	t.Helper()
	cfg := sdk.Config{"name": "test", "connection.url": url, "topics": "t"}
	for i := 0; i < len(kv); i += 2 {
		cfg[kv[i]] = kv[i+1]
	}
	sl := &sleeps{}
	s := &Sink{sleep: sl.sleep}
	if err := s.Open(ctx, cfg); err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, sl
}

// rec builds a record; a value of "<nil>" is a tombstone, a key of "" none.
func rec(topic string, offset int64, key, value string) sdk.Record {
	r := sdk.Record{Topic: topic, Offset: offset, Value: []byte(value), Timestamp: time.Date(2026, 11, 21, 6, 29, 0, 0, time.UTC)}
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

func wantDocs(t *testing.T, srv *estest.Server, index string, want map[string]string) {
	t.Helper()
	if got := srv.Docs(index); !maps.Equal(got, want) {
		t.Fatalf("index %s:\n  %v\nwant:\n  %v", index, got, want)
	}
}

func bulkCount(srv *estest.Server) int { return len(srv.BulkBodies()) }

func TestIndexDocuments(t *testing.T) {
	srv := estest.NewServer(t)
	s, _ := openSink(t, srv.URL, "key.fields", "id", "connection.username", "elastic", "connection.password", "s3cret")
	writeAll(t, s,
		rec("Edu.Student", 0, "", `{"schema":{},"payload":{"op":"c","before":null,"after":{"id":1,"name":"a\"b\\c\nd\u2028 </script> 🎓","big":18446744073709551615,"price":1234.5600,"ok":true,"none":null,"extra":{"tags":["x",1]}}}}`),
		rec("Edu.Student", 1, "", `{"op":"r","after":{"id":2,"name":"snap"}}`),
		rec("Edu.Student", 2, "", `{"id":3,"name":"plain row"}`),
	)
	// The topic is lower-cased: index names are.
	wantDocs(t, srv, "edu.student", map[string]string{
		"1": `{"big":18446744073709551615,"extra":{"tags":["x",1]},"id":1,"name":"a\"b\\c\nd\u2028 </script> 🎓","none":null,"ok":true,"price":1234.5600}`,
		"2": `{"id":2,"name":"snap"}`,
		"3": `{"id":3,"name":"plain row"}`,
	})
	reqs := srv.Requests()
	var bulk *estest.Request
	for i := range reqs {
		if reqs[i].Path == "/_bulk" {
			bulk = &reqs[i]
		}
	}
	if bulk == nil {
		t.Fatal("no bulk request")
	}
	if ct := bulk.Header.Get("Content-Type"); ct != "application/x-ndjson" {
		t.Errorf("Content-Type %q", ct)
	}
	if auth, want := bulk.Header.Get("Authorization"), "Basic "+base64.StdEncoding.EncodeToString([]byte("elastic:s3cret")); auth != want {
		t.Errorf("Authorization %q, want %q", auth, want)
	}
	lines := strings.Split(strings.TrimSuffix(string(bulk.Body), "\n"), "\n")
	if len(lines) != 6 || lines[0] != `{"index":{"_index":"edu.student","_id":"1"}}` {
		t.Fatalf("bulk body:\n%s", bulk.Body)
	}
	for _, l := range lines {
		if !json.Valid([]byte(l)) {
			t.Errorf("line is not JSON: %s", l)
		}
	}
}

func TestDocumentIDs(t *testing.T) {
	tests := []struct {
		name string
		kv   []string
		key  string
		row  string
		want string
	}{
		{"key fields", []string{"key.fields", "reg_date,level"}, `{"id":9}`, `{"reg_date":2026112106,"level":"A","n":3}`, "2026112106_A"},
		{"debezium key", nil, `{"id":5}`, `{"id":5,"n":1}`, "5"},
		{"wrapped key", nil, `{"schema":{"type":"struct"},"payload":{"id":"s-5"}}`, `{"n":1}`, "s-5"},
		{"key order kept", nil, `{"b":"x","a":1}`, `{"n":1}`, "x_1"},
		{"string key", nil, `"abc"`, `{"n":1}`, "abc"},
		{"number key", nil, `12345678901234567890`, `{"n":1}`, "12345678901234567890"},
		{"text key", nil, `k-1/x`, `{"n":1}`, "k-1/x"},
		{"no key", nil, "", `{"n":1}`, "t+0+7"},
		{"null key", nil, "null", `{"n":1}`, "t+0+7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := estest.NewServer(t)
			s, _ := openSink(t, srv.URL, tt.kv...)
			writeAll(t, s, rec("t", 7, tt.key, tt.row))
			docs := srv.Docs("t")
			if _, ok := docs[tt.want]; !ok || len(docs) != 1 {
				t.Fatalf("documents %v, want one with _id %q", docs, tt.want)
			}
		})
	}
}

func TestDailyIndex(t *testing.T) {
	const pattern = "vk_app_es_sign_csh-${date:yyyy.MM.dd}"
	tests := []struct {
		name string
		kv   []string
		row  string
		want string
	}{
		{"wall time text", []string{"index.date.field", "reg_time"}, `{"id":1,"reg_time":"2026-11-21 23:30:00"}`, "vk_app_es_sign_csh-2026.11.21"},
		{"wall time in the zone", []string{"index.date.field", "reg_time", "index.date.timezone", "Asia/Shanghai"}, `{"id":1,"reg_time":"2026-11-21 23:30:00"}`, "vk_app_es_sign_csh-2026.11.21"},
		{"instant in the zone", []string{"index.date.field", "reg_time", "index.date.timezone", "Asia/Shanghai"}, `{"id":1,"reg_time":"2026-11-21T16:30:00Z"}`, "vk_app_es_sign_csh-2026.11.22"},
		{"epoch ms in the zone", []string{"index.date.field", "reg_time", "index.date.timezone", "Asia/Shanghai"}, `{"id":1,"reg_time":1795278600000}`, "vk_app_es_sign_csh-2026.11.22"},
		{"epoch ms UTC", []string{"index.date.field", "reg_time"}, `{"id":1,"reg_time":1795278600000}`, "vk_app_es_sign_csh-2026.11.21"},
		{"epoch us", []string{"index.date.field", "reg_time", "index.date.unit", "us"}, `{"id":1,"reg_time":1795278600000000}`, "vk_app_es_sign_csh-2026.11.21"},
		{"epoch s as text", []string{"index.date.field", "reg_time", "index.date.unit", "s"}, `{"id":1,"reg_time":"1795278600"}`, "vk_app_es_sign_csh-2026.11.21"},
		{"days", []string{"index.date.field", "reg_date", "index.date.unit", "days"}, `{"id":1,"reg_date":20778}`, "vk_app_es_sign_csh-2026.11.21"},
		{"date only", []string{"index.date.field", "d"}, `{"id":1,"d":"2026-11-21"}`, "vk_app_es_sign_csh-2026.11.21"},
		{"record timestamp", nil, `{"id":1}`, "vk_app_es_sign_csh-2026.11.21"},
		{"record timestamp in the zone", []string{"index.date.timezone", "America/Los_Angeles"}, `{"id":1}`, "vk_app_es_sign_csh-2026.11.20"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := estest.NewServer(t)
			s, _ := openSink(t, srv.URL, append([]string{"index", pattern, "key.fields", "id"}, tt.kv...)...)
			writeAll(t, s, rec("t", 0, "", tt.row))
			if got := srv.Indices(); !reflect.DeepEqual(got, []string{tt.want}) {
				t.Fatalf("indices %v, want [%s]", got, tt.want)
			}
		})
	}
}

func TestHourlyIndexAndTopic(t *testing.T) {
	srv := estest.NewServer(t)
	s, _ := openSink(t, srv.URL, "index", "${topic}-${date:yyMMdd-HH}", "key.fields", "id")
	writeAll(t, s, rec("ads.reg", 0, "", `{"id":1}`))
	if got := srv.Indices(); !reflect.DeepEqual(got, []string{"ads.reg-261121-06"}) {
		t.Fatalf("indices %v", got)
	}
}

func TestUpsertMergesIndexReplaces(t *testing.T) {
	first := `{"id":1,"a":1,"b":{"x":1},"arr":[1,2]}`
	second := `{"id":1,"b":{"y":2},"arr":[3],"c":null}`
	for _, tt := range []struct{ method, want string }{
		{"upsert", `{"a":1,"arr":[3],"b":{"x":1,"y":2},"c":null,"id":1}`},
		{"index", `{"arr":[3],"b":{"y":2},"c":null,"id":1}`},
	} {
		t.Run(tt.method, func(t *testing.T) {
			srv := estest.NewServer(t)
			s, _ := openSink(t, srv.URL, "key.fields", "id", "write.method", tt.method)
			writeAll(t, s, rec("t", 0, "", first))
			writeAll(t, s, rec("t", 1, "", second))
			wantDocs(t, srv, "t", map[string]string{"1": tt.want})
			// The same, folded within one batch.
			srv2 := estest.NewServer(t)
			s2, _ := openSink(t, srv2.URL, "key.fields", "id", "write.method", tt.method)
			writeAll(t, s2, rec("t", 0, "", first), rec("t", 1, "", second))
			wantDocs(t, srv2, "t", map[string]string{"1": tt.want})
		})
	}
}

func TestUpsertBody(t *testing.T) {
	srv := estest.NewServer(t)
	s, _ := openSink(t, srv.URL, "key.fields", "id", "write.method", "upsert")
	writeAll(t, s, rec("t", 0, "", `{"id":"x","v":1}`))
	want := `{"update":{"_index":"t","_id":"x","retry_on_conflict":3}}` + "\n" + `{"doc":{"id":"x","v":1},"doc_as_upsert":true}` + "\n"
	if got := srv.BulkBodies(); len(got) != 1 || got[0] != want {
		t.Fatalf("bulk bodies %q\nwant %q", got, want)
	}
}

// TestFoldWithinBatch: a bulk holds one action per document, equal to the
// records' actions applied in order.
func TestFoldWithinBatch(t *testing.T) {
	srv := estest.NewServer(t)
	s, _ := openSink(t, srv.URL, "key.fields", "id", "write.method", "upsert")
	writeAll(t, s, rec("t", 0, "", `{"id":1,"old":true}`), rec("t", 1, "", `{"id":3,"v":0}`))
	writeAll(t, s,
		rec("t", 2, "", `{"id":1,"a":1}`),
		rec("t", 3, "", `{"op":"d","before":{"id":1}}`),
		rec("t", 4, "", `{"id":1,"b":2}`), // the document is re-created from b alone
		rec("t", 5, "", `{"id":2,"a":1}`),
		rec("t", 6, "", `{"id":2,"b":2}`), // updates merge
		rec("t", 7, "", `{"op":"u","before":{"id":3},"after":{"id":3,"v":1}}`),
		rec("t", 8, "", `{"op":"d","before":{"id":3}}`), // a delete ends it
	)
	bodies := srv.BulkBodies()
	want := `{"index":{"_index":"t","_id":"1"}}` + "\n" + `{"b":2,"id":1}` + "\n" +
		`{"update":{"_index":"t","_id":"2","retry_on_conflict":3}}` + "\n" + `{"doc":{"a":1,"b":2,"id":2},"doc_as_upsert":true}` + "\n" +
		`{"delete":{"_index":"t","_id":"3"}}` + "\n"
	if last := bodies[len(bodies)-1]; last != want {
		t.Fatalf("bulk body:\n%s\nwant:\n%s", last, want)
	}
	wantDocs(t, srv, "t", map[string]string{"1": `{"b":2,"id":1}`, "2": `{"a":1,"b":2,"id":2}`})
}

func TestDeletes(t *testing.T) {
	srv := estest.NewServer(t)
	s, _ := openSink(t, srv.URL, "key.fields", "id")
	writeAll(t, s, rec("t", 0, "", `{"id":1}`), rec("t", 1, "", `{"id":2}`), rec("t", 2, "", `{"id":3}`), rec("t", 3, "", `{"id":4}`))
	writeAll(t, s,
		rec("t", 4, `{"id":1}`, `{"op":"d","before":{"id":1},"after":null}`),
		rec("t", 5, `{"id":1}`, "<nil>"), // its tombstone: a 404, which is done
		rec("t", 6, `{"schema":{},"payload":{"id":2}}`, "<nil>"),
		rec("t", 7, "", "<nil>"),                         // no key: skipped
		rec("t", 8, `{"other":3}`, "<nil>"),              // no key field: skipped
		rec("t", 9, "", `{"op":"d","before":{"id":99}}`), // never indexed: a 404, done
	)
	wantDocs(t, srv, "t", map[string]string{"3": `{"id":3}`, "4": `{"id":4}`})
}

func TestDeletesByRecordKey(t *testing.T) {
	srv := estest.NewServer(t)
	s, _ := openSink(t, srv.URL)
	writeAll(t, s, rec("t", 0, `{"id":1}`, `{"id":1}`), rec("t", 1, `{"id":2}`, `{"id":2}`))
	writeAll(t, s, rec("t", 2, `{"id":1}`, `{"op":"d","before":{"id":1}}`), rec("t", 3, `{"id":2}`, "<nil>"))
	wantDocs(t, srv, "t", map[string]string{})
}

func TestDeletesSkipped(t *testing.T) {
	t.Run("disabled", func(t *testing.T) {
		srv := estest.NewServer(t)
		s, _ := openSink(t, srv.URL, "key.fields", "id", "delete.enabled", "false")
		writeAll(t, s, rec("t", 0, "", `{"id":1}`), rec("t", 1, `{"id":1}`, `{"op":"d","before":{"id":1}}`), rec("t", 2, `{"id":1}`, "<nil>"))
		wantDocs(t, srv, "t", map[string]string{"1": `{"id":1}`})
	})
	t.Run("tombstone with a daily index", func(t *testing.T) {
		srv := estest.NewServer(t)
		s, _ := openSink(t, srv.URL, "key.fields", "id", "index", "d-${date:yyyy.MM.dd}", "index.date.field", "day")
		writeAll(t, s, rec("t", 0, "", `{"id":1,"day":"2026-11-21"}`), rec("t", 1, `{"id":1}`, "<nil>"))
		wantDocs(t, srv, "d-2026.11.21", map[string]string{"1": `{"day":"2026-11-21","id":1}`})
		// The delete event, which has the row, finds the day's index.
		writeAll(t, s, rec("t", 2, `{"id":1}`, `{"op":"d","before":{"id":1,"day":"2026-11-21"}}`))
		wantDocs(t, srv, "d-2026.11.21", map[string]string{})
	})
	t.Run("offset ids", func(t *testing.T) {
		srv := estest.NewServer(t)
		s, _ := openSink(t, srv.URL)
		writeAll(t, s, rec("t", 0, "", `{"id":1}`), rec("t", 1, "", `{"op":"d","before":{"id":1}}`))
		wantDocs(t, srv, "t", map[string]string{"t+0+0": `{"id":1}`})
	})
}

// TestReplay: a crash replays the records since the last commit; the
// documents must end the same, never doubled.
func TestReplay(t *testing.T) {
	batch := []sdk.Record{
		rec("t", 0, "", `{"id":1,"v":"a"}`),
		rec("t", 1, "", `{"id":2,"v":"b"}`),
		rec("t", 2, "", `{"op":"u","before":{"id":1},"after":{"id":1,"v":"c"}}`),
		rec("t", 3, "", `{"op":"d","before":{"id":2}}`),
		rec("t", 4, "", `{"id":3,"v":"d"}`),
	}
	for _, kv := range [][]string{
		{"key.fields", "id"},
		{"key.fields", "id", "write.method", "upsert"},
		{}, // offset ids
	} {
		t.Run(strings.Join(kv, "="), func(t *testing.T) {
			srv := estest.NewServer(t)
			s, _ := openSink(t, srv.URL, kv...)
			writeAll(t, s, batch...)
			want := srv.Docs("t")
			for cut := range batch {
				writeAll(t, s, batch[cut:]...)
				wantDocs(t, srv, "t", want)
			}
		})
	}
}

func TestItemRejectedRestStands(t *testing.T) {
	srv := estest.NewServer(t)
	s, _ := openSink(t, srv.URL, "key.fields", "id")
	srv.Reject("2", 400, "mapper_parsing_exception", "failed to parse field [age] of type [long] in document with id '2'")
	batch := []sdk.Record{rec("t", 0, "", `{"id":1}`), rec("t", 1, "", `{"id":2,"age":"x"}`), rec("t", 2, "", `{"id":3}`), rec("t", 3, "", `{"id":4}`)}
	n, err := s.Write(ctx, batch)
	var re *sdk.RecordError
	if n != 1 || !errors.As(err, &re) || re.Index != 1 || sdk.IsRetriable(err) {
		t.Fatalf("Write = %d, %v; want 1 and a RecordError at 1", n, err)
	}
	want := "elasticsearch sink: index t/2 refused (HTTP 400 mapper_parsing_exception): failed to parse field [age] of type [long] in document with id '2'"
	if re.Err.Error() != want {
		t.Fatalf("error %q\nwant  %q", re.Err, want)
	}
	// The rest of the bulk stands.
	wantDocs(t, srv, "t", map[string]string{"1": `{"id":1}`, "3": `{"id":3}`, "4": `{"id":4}`})
	// The runtime dead-letters record 1 and hands 2 and 3 over again: they
	// are stored, so nothing is sent.
	before := bulkCount(srv)
	writeAll(t, s, batch[2:]...)
	if bulkCount(srv) != before {
		t.Fatalf("records already stored were sent again: %q", srv.BulkBodies()[before:])
	}
	// Skipping holds only for the hand-over that follows: a replay later
	// sends them again.
	writeAll(t, s, batch[2:]...)
	if bulkCount(srv) != before+1 {
		t.Fatal("a later replay was skipped")
	}
}

func TestRetriableBeforeRejected(t *testing.T) {
	srv := estest.NewServer(t)
	s, _ := openSink(t, srv.URL, "key.fields", "id", "max.retries", "1")
	srv.FailItemNext("1", 429, 429)
	srv.Reject("3", 400, "mapper_parsing_exception", "bad")
	batch := []sdk.Record{rec("t", 0, "", `{"id":1}`), rec("t", 1, "", `{"id":2}`), rec("t", 2, "", `{"id":3}`), rec("t", 3, "", `{"id":4}`)}
	n, err := s.Write(ctx, batch)
	if n != 0 || !sdk.IsRetriable(err) || !strings.Contains(err.Error(), "index t/1: HTTP 429 es_rejected_execution_exception") {
		t.Fatalf("Write = %d, %v; want 0 and a retriable 429 for document 1", n, err)
	}
	wantDocs(t, srv, "t", map[string]string{"2": `{"id":2}`, "4": `{"id":4}`})
	// The runtime retries all four; 2 and 4 are skipped, 1 lands, 3 is bad.
	n, err = s.Write(ctx, batch)
	var re *sdk.RecordError
	if n != 2 || !errors.As(err, &re) || re.Index != 2 {
		t.Fatalf("Write = %d, %v; want 2 and a RecordError at 2", n, err)
	}
	last := srv.BulkBodies()[len(srv.BulkBodies())-1]
	if strings.Contains(last, `"_id":"2"`) || strings.Contains(last, `"_id":"4"`) {
		t.Fatalf("stored documents sent again:\n%s", last)
	}
	wantDocs(t, srv, "t", map[string]string{"1": `{"id":1}`, "2": `{"id":2}`, "4": `{"id":4}`})
}

// TestFoldedItemRefused: when the document several records fold into is
// refused, the records are sent one by one and only the culprit is reported.
func TestFoldedItemRefused(t *testing.T) {
	srv := estest.NewServer(t)
	s, _ := openSink(t, srv.URL, "key.fields", "id", "write.method", "upsert")
	srv.RejectField("bad")
	batch := []sdk.Record{
		rec("t", 0, "", `{"id":9,"a":1}`),
		rec("t", 1, "", `{"id":9,"bad":"x"}`),
		rec("t", 2, "", `{"id":9,"c":3}`),
		rec("t", 3, "", `{"id":8,"d":4}`),
	}
	n, err := s.Write(ctx, batch)
	var re *sdk.RecordError
	if n != 1 || !errors.As(err, &re) || re.Index != 1 || !strings.Contains(re.Err.Error(), "failed to parse field [bad]") {
		t.Fatalf("Write = %d, %v; want 1 and a RecordError at 1", n, err)
	}
	// The runtime hands records 2 and 3 over again; 3 is already stored.
	writeAll(t, s, batch[2:]...)
	wantDocs(t, srv, "t", map[string]string{"9": `{"a":1,"c":3,"id":9}`, "8": `{"d":4,"id":8}`})
}

func TestItemRetriesOnlyFailedItems(t *testing.T) {
	srv := estest.NewServer(t)
	s, sl := openSink(t, srv.URL, "key.fields", "id", "retry.backoff.ms", "40")
	srv.FailItemNext("2", 429, 503)
	srv.FailItemNext("3", 409)
	writeAll(t, s, rec("t", 0, "", `{"id":1}`), rec("t", 1, "", `{"id":2}`), rec("t", 2, "", `{"id":3}`))
	bodies := srv.BulkBodies()
	want := []string{
		`{"index":{"_index":"t","_id":"1"}}` + "\n" + `{"id":1}` + "\n" + `{"index":{"_index":"t","_id":"2"}}` + "\n" + `{"id":2}` + "\n" + `{"index":{"_index":"t","_id":"3"}}` + "\n" + `{"id":3}` + "\n",
		`{"index":{"_index":"t","_id":"2"}}` + "\n" + `{"id":2}` + "\n" + `{"index":{"_index":"t","_id":"3"}}` + "\n" + `{"id":3}` + "\n",
		`{"index":{"_index":"t","_id":"2"}}` + "\n" + `{"id":2}` + "\n",
	}
	if !reflect.DeepEqual(bodies, want) {
		t.Fatalf("bulk bodies:\n%q\nwant:\n%q", bodies, want)
	}
	if got, want := sl.get(), []time.Duration{40 * time.Millisecond, 80 * time.Millisecond}; !reflect.DeepEqual(got, want) {
		t.Fatalf("backoff %v, want %v", got, want)
	}
	wantDocs(t, srv, "t", map[string]string{"1": `{"id":1}`, "2": `{"id":2}`, "3": `{"id":3}`})
}

func TestRequestRetries(t *testing.T) {
	srv := estest.NewServer(t)
	s, _ := openSink(t, srv.URL, "key.fields", "id")
	srv.FailNext(429, 503, 502)
	writeAll(t, s, rec("t", 0, "", `{"id":1}`), rec("t", 1, "", `{"id":2}`))
	bodies := srv.BulkBodies()
	if len(bodies) != 4 || bodies[0] != bodies[3] {
		t.Fatalf("%d bulk requests, want 4 with the same body", len(bodies))
	}
	wantDocs(t, srv, "t", map[string]string{"1": `{"id":1}`, "2": `{"id":2}`})
}

func TestRetriesExhausted(t *testing.T) {
	srv := estest.NewServer(t)
	s, sl := openSink(t, srv.URL, "key.fields", "id", "max.retries", "2", "retry.backoff.ms", "6000")
	srv.FailNext(503, 503, 503)
	n, err := s.Write(ctx, []sdk.Record{rec("t", 0, "", `{"id":1}`)})
	if n != 0 || !sdk.IsRetriable(err) {
		t.Fatalf("Write = %d, %v; want 0 and a retriable error", n, err)
	}
	if want := "elasticsearch sink: bulk request: HTTP 503: unavailable_shards_exception: injected failure"; err.Error() != want {
		t.Fatalf("error %q, want %q", err, want)
	}
	if got := bulkCount(srv); got != 3 {
		t.Fatalf("%d requests, want 1 + max.retries", got)
	}
	// Doubling, capped at 10 s.
	if got, want := sl.get(), []time.Duration{6 * time.Second, 10 * time.Second}; !reflect.DeepEqual(got, want) {
		t.Fatalf("backoff %v, want %v", got, want)
	}
	// The fault passes; the runtime's retry lands.
	writeAll(t, s, rec("t", 0, "", `{"id":1}`))
}

func TestServerDown(t *testing.T) {
	srv := estest.NewServer(t)
	url := srv.URL
	srv.Close()
	s, _ := openSink(t, url, "key.fields", "id", "max.retries", "1")
	n, err := s.Write(ctx, []sdk.Record{rec("t", 0, "", `{"id":1}`)})
	if n != 0 || !sdk.IsRetriable(err) || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("Write = %d, %v; want 0 and a retriable connection error", n, err)
	}
}

func TestRequestTimeout(t *testing.T) {
	block := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-block
	}))
	t.Cleanup(func() { close(block); slow.Close() })
	s, _ := openSink(t, slow.URL, "key.fields", "id", "max.retries", "0", "request.timeout.ms", "50")
	n, err := s.Write(ctx, []sdk.Record{rec("t", 0, "", `{"id":1}`)})
	if n != 0 || !sdk.IsRetriable(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Write = %d, %v; want 0 and a retriable deadline", n, err)
	}
}

func TestFatalRequests(t *testing.T) {
	for _, tt := range []struct {
		status int
		want   string
	}{
		{401, "elasticsearch sink: bulk request refused (HTTP 401): check connection.username and connection.password"},
		{403, "elasticsearch sink: bulk request refused (HTTP 403)"},
		{400, "elasticsearch sink: bulk request refused: HTTP 400: unavailable_shards_exception: injected failure"},
	} {
		srv := estest.NewServer(t)
		s, _ := openSink(t, srv.URL, "key.fields", "id")
		srv.FailNext(tt.status)
		n, err := s.Write(ctx, []sdk.Record{rec("t", 0, "", `{"id":1}`)})
		var re *sdk.RecordError
		if n != 0 || err == nil || sdk.IsRetriable(err) || errors.As(err, &re) || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("HTTP %d: Write = %d, %v; want a fatal %q", tt.status, n, err, tt.want)
		}
		if got := bulkCount(srv); got != 1 {
			t.Errorf("HTTP %d: %d requests, want no retry", tt.status, got)
		}
	}
}

// TestNotElasticsearch: the v8 client refuses a server without the
// X-Elastic-Product header; that is fatal, not retried.
func TestNotElasticsearch(t *testing.T) {
	var calls int
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		io.WriteString(w, `{"errors":false,"items":[{"index":{"status":201}}]}`)
	}))
	t.Cleanup(other.Close)
	s, _ := openSink(t, other.URL, "key.fields", "id")
	n, err := s.Write(ctx, []sdk.Record{rec("t", 0, "", `{"id":1}`)})
	if n != 0 || err == nil || sdk.IsRetriable(err) || !strings.Contains(err.Error(), "not Elasticsearch") || calls != 1 {
		t.Fatalf("Write = %d, %v after %d calls; want a fatal product check error", n, err, calls)
	}
}

func TestBadBulkResponseIsFatal(t *testing.T) {
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Elastic-Product", "Elasticsearch")
		io.WriteString(w, `{"errors":false,"items":[]}`)
	}))
	t.Cleanup(other.Close)
	s, _ := openSink(t, other.URL, "key.fields", "id")
	_, err := s.Write(ctx, []sdk.Record{rec("t", 0, "", `{"id":1}`)})
	if err == nil || sdk.IsRetriable(err) || err.Error() != "elasticsearch sink: bulk response: 0 items answered for 1 sent" {
		t.Fatalf("err = %v", err)
	}
}

func TestTooLarge(t *testing.T) {
	srv := estest.NewServer(t)
	s, _ := openSink(t, srv.URL, "key.fields", "id")
	srv.SetMaxContentLength(200)
	big := strings.Repeat("x", 300)
	batch := []sdk.Record{
		rec("t", 0, "", `{"id":1,"v":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}`),
		rec("t", 1, "", `{"id":2,"v":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"}`),
		rec("t", 2, "", `{"id":3,"v":"`+big+`"}`),
		rec("t", 3, "", `{"id":4,"v":"dddddddddddddddddddddddddddddddddddddddd"}`),
	}
	n, err := s.Write(ctx, batch)
	var re *sdk.RecordError
	if n != 2 || !errors.As(err, &re) || re.Index != 2 || !strings.Contains(re.Err.Error(), `document "3" of 351 bytes is larger than the cluster accepts (HTTP 413`) {
		t.Fatalf("Write = %d, %v; want 2 and a RecordError at 2", n, err)
	}
	wantDocs(t, srv, "t", map[string]string{
		"1": `{"id":1,"v":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}`,
		"2": `{"id":2,"v":"bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"}`,
		"4": `{"id":4,"v":"dddddddddddddddddddddddddddddddddddddddd"}`,
	})
}

func TestBatchLimits(t *testing.T) {
	srv := estest.NewServer(t)
	s, _ := openSink(t, srv.URL, "key.fields", "id", "batch.size", "2", "batch.max.bytes", "60")
	var batch []sdk.Record
	for i := range 5 {
		batch = append(batch, rec("t", int64(i), "", fmt.Sprintf(`{"id":%d}`, i)))
	}
	writeAll(t, s, batch...)
	// batch.size 2 gives chunks {0,1} {2,3} {4}; 60 bytes hold one item
	// (44 bytes) each.
	var ids [][]string
	for _, b := range srv.BulkBodies() {
		var got []string
		for l := range strings.SplitSeq(strings.TrimSuffix(b, "\n"), "\n") {
			if strings.HasPrefix(l, `{"index"`) {
				got = append(got, l[strings.Index(l, `"_id":`)+7:strings.LastIndex(l, `"`)])
			}
		}
		ids = append(ids, got)
	}
	if want := [][]string{{"0"}, {"1"}, {"2"}, {"3"}, {"4"}}; !reflect.DeepEqual(ids, want) {
		t.Fatalf("requests carried %v, want %v", ids, want)
	}

	srv2 := estest.NewServer(t)
	s2, _ := openSink(t, srv2.URL, "key.fields", "id", "batch.size", "2")
	writeAll(t, s2, batch...)
	if got := bulkCount(srv2); got != 3 {
		t.Fatalf("%d requests for 5 records of batch.size 2, want 3", got)
	}
}

func TestBadRecords(t *testing.T) {
	tests := []struct {
		name string
		kv   []string
		key  string
		val  string
		want string
	}{
		{"not JSON", nil, "", `{"id":`, "elasticsearch sink: record: invalid JSON"},
		{"unknown op", nil, "", `{"op":"z","after":{"id":1}}`, `elasticsearch sink: record: change event has unknown op "z"`},
		{"no key field", nil, "", `{"name":"x"}`, `elasticsearch sink: no key field "id"`},
		{"null key field", nil, "", `{"id":null}`, `elasticsearch sink: key field "id" is null`},
		{"object key field", nil, "", `{"id":{"a":1}}`, `elasticsearch sink: key field "id" is an object, not a scalar`},
		{"empty id", nil, "", `{"id":""}`, "elasticsearch sink: the document _id is empty"},
		{"long id", nil, "", `{"id":"` + strings.Repeat("x", 513) + `"}`, "elasticsearch sink: the document _id is 513 bytes, more than Elasticsearch's 512"},
		{"delete without key", nil, "", `{"op":"d","before":{"x":1}}`, `elasticsearch sink: delete event: no key field "id"`},
		{"binary key", []string{"key.fields", ""}, "\xff\xfe", `{"x":1}`, "elasticsearch sink: the record key is neither JSON nor UTF-8 text; set key.fields"},
		{"array key", []string{"key.fields", ""}, `[1,2]`, `{"x":1}`, "elasticsearch sink: the record key is a JSON array; set key.fields"},
		{"nested key", []string{"key.fields", ""}, `{"a":{"b":1}}`, `{"x":1}`, `elasticsearch sink: record key field "a" is an object, not a scalar; set key.fields`},
		{"no date field", []string{"index", "x-${date:yyyy}", "index.date.field", "day"}, "", `{"id":1}`, `elasticsearch sink: no field "day" (index.date.field) for ${date} of index x-${date:yyyy}`},
		{"bad date", []string{"index", "x-${date:yyyy}", "index.date.field", "day"}, "", `{"id":1,"day":"yesterday"}`, `elasticsearch sink: index.date.field "day" "yesterday" is not a date`},
		{"date unit", []string{"index", "x-${date:yyyy}", "index.date.field", "day"}, "", `{"id":1,"day":1795278600000000}`, `elasticsearch sink: index.date.field "day" 1795278600000000 ms is out of range; check index.date.unit`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := estest.NewServer(t)
			s, _ := openSink(t, srv.URL, append([]string{"key.fields", "id"}, tt.kv...)...)
			batch := []sdk.Record{rec("t", 0, "", `{"id":1,"x":1,"day":"2026-01-01"}`), rec("t", 1, tt.key, tt.val), rec("t", 2, "", `{"id":3,"day":"2026-01-01"}`)}
			n, err := s.Write(ctx, batch)
			var re *sdk.RecordError
			if n != 1 || !errors.As(err, &re) || re.Index != 1 {
				t.Fatalf("Write = %d, %v; want 1 and a RecordError at 1", n, err)
			}
			if !strings.HasPrefix(re.Err.Error(), tt.want) {
				t.Fatalf("error %q\nwant   %q", re.Err, tt.want)
			}
			// Only the record before it was sent.
			if bodies := srv.BulkBodies(); len(bodies) != 1 || strings.Count(bodies[0], "\n") != 2 {
				t.Fatalf("bulk bodies %q", bodies)
			}
		})
	}
}

func TestStopping(t *testing.T) {
	block := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-block }))
	t.Cleanup(func() { close(block); slow.Close() })
	s, _ := openSink(t, slow.URL, "key.fields", "id")
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	n, err := s.Write(cctx, []sdk.Record{rec("t", 0, "", `{"id":1}`)})
	if n != 0 || err != context.DeadlineExceeded {
		t.Fatalf("Write = %d, %v; want 0 and the task context's error", n, err)
	}
}

func TestOpenRejectsBadConfig(t *testing.T) {
	tests := []struct {
		kv   []string
		want string
	}{
		{[]string{"connection.url", ""}, "invalid config: connection.url: required"},
		{[]string{"connection.url", "es1:9200"}, `invalid config: connection.url: "es1:9200" is not an http:// or https:// URL`},
		{[]string{"index", "Logs-${topic}"}, `invalid config: index: "Logs-" has upper-case letters; index names are lower case`},
		{[]string{"index", "logs ${topic}"}, `invalid config: index: "logs " holds " ", which index names cannot`},
		{[]string{"index", "_logs"}, "invalid config: index: an index name must not start with -, _ or +"},
		{[]string{"index", "${table}"}, "invalid config: index: unknown placeholder ${table}: use ${topic} or ${date:yyyy.MM.dd}"},
		{[]string{"index", "x-${date}"}, "invalid config: index: ${date} needs a format, e.g. ${date:yyyy.MM.dd}"},
		{[]string{"index", "x-${date:YYYY.MM.dd}"}, `invalid config: index: ${date:YYYY.MM.dd}: "YYYY" is not supported; use yyyy, yy, MM, dd and HH`},
		{[]string{"index", "x-${date:yyyy/MM}"}, `invalid config: index: ${date:yyyy/MM}: "/" holds "/", which index names cannot`},
		{[]string{"index", "x-${topic"}, `invalid config: index: unclosed ${ in "x-${topic"`},
		{[]string{"index.date.field", "day"}, "invalid config: index.date.field: is set, but index has no ${date:…} to use it"},
		{[]string{"index", "x-${date:yyyy}", "index.date.timezone", "Mars/Olympus"}, `invalid config: index.date.timezone: unknown time zone "Mars/Olympus"`},
		{[]string{"write.method", "replace"}, "invalid config: write.method: must be one of"},
		{[]string{"index.date.unit", "ns"}, "invalid config: index.date.unit: must be one of"},
		{[]string{"max.retries", "-1"}, "invalid config: max.retries: must be >= 0"},
	}
	for _, tt := range tests {
		cfg := sdk.Config{"connection.url": "http://localhost:9200"}
		for i := 0; i < len(tt.kv); i += 2 {
			cfg[tt.kv[i]] = tt.kv[i+1]
		}
		err := (&Sink{}).Open(ctx, cfg)
		var ve *sdk.ValidationError
		if !errors.As(err, &ve) || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%v: err = %v, want %q", tt.kv, err, tt.want)
		}
	}
}

func TestDefaults(t *testing.T) {
	s, _ := openSink(t, "http://localhost:9200")
	c := s.cfg
	if c.Index != "${topic}" || c.WriteMethod != "index" || !c.DeleteEnabled || c.BatchSize != 1000 || c.BatchMaxBytes != 10<<20 ||
		c.MaxRetries != 5 || c.RetryBackoff != 100*time.Millisecond || c.RequestTimeout != 30*time.Second || c.DateTimezone != "UTC" || c.DateUnit != "ms" {
		t.Fatalf("defaults %+v", c)
	}
	if err := Plugin.Check(); err != nil {
		t.Fatal(err)
	}
	if _, ok := Plugin.NewSink().(*Sink); !ok {
		t.Fatal("NewSink does not build a *Sink")
	}
	masked := sdk.Masked(Plugin.Config, sdk.Config{"connection.password": "p"})
	if masked["connection.password"] != "[hidden]" {
		t.Fatal("password not masked")
	}
}

// FuzzEncodeItem: documents come from any producer; whatever their field
// names and values, the bulk lines must be valid JSON, one per line, that
// decode back to the document.
func FuzzEncodeItem(f *testing.F) {
	f.Add("id", "a\nb", "k\"\\", "\u2028</script>")
	f.Add("", "\x00\x1f\xff", "ünï", "")
	f.Fuzz(func(t *testing.T, id, index, name, value string) {
		it := &item{op: op{act: actIndex, index: index, id: id, doc: map[string]any{name: value, "n": json.Number("12.50")}}}
		if err := it.encode(); err != nil {
			t.Fatal(err)
		}
		lines := bytes.Split(bytes.TrimSuffix(it.body, []byte("\n")), []byte("\n"))
		if len(lines) != 2 || !bytes.HasSuffix(it.body, []byte("\n")) {
			t.Fatalf("%d lines in %q", len(lines), it.body)
		}
		var action map[string]map[string]string
		if err := json.Unmarshal(lines[0], &action); err != nil {
			t.Fatalf("action line %q: %v", lines[0], err)
		}
		var doc map[string]any
		if err := json.Unmarshal(lines[1], &doc); err != nil {
			t.Fatalf("source line %q: %v", lines[1], err)
		}
		// Invalid UTF-8 becomes U+FFFD, as encoding/json makes it; valid
		// text must survive exactly.
		valid := func(s string) bool { return utf8.ValidString(s) }
		if valid(name) && valid(value) && name != "n" && doc[name] != value {
			t.Fatalf("field %q = %q, want %q", name, doc[name], value)
		}
		if valid(id) && valid(index) && (action["index"]["_id"] != id || action["index"]["_index"] != index) {
			t.Fatalf("action %v, want _index %q _id %q", action, index, id)
		}
	})
}
