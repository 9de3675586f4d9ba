package elasticsearch

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	es "github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esapi"

	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/sinks/elasticsearch/estest"
)

// endToEnd writes the hourly-registrations results through the sink and
// reads them back with the v8 client (refresh, get, search), as a user of
// the index would. It runs against estest here and against a real cluster
// in integration_test.go, so the fake is held to what a cluster does.
func endToEnd(t *testing.T, url, user, password string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	prefix := fmt.Sprintf("tributary-e2e-%d", time.Now().UnixNano())
	s := &Sink{}
	if err := s.Open(ctx, sdk.Config{
		"connection.url":      url,
		"connection.username": user,
		"connection.password": password,
		"index":               prefix + "-${date:yyyy.MM.dd}",
		"index.date.field":    "reg_hour",
		"key.fields":          "reg_hour,level",
		"write.method":        "upsert",
	}); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	client, err := es.NewClient(es.Config{Addresses: []string{url}, Username: user, Password: password})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		res, err := esapi.IndicesDeleteRequest{Index: []string{prefix + "-*"}}.Do(context.Background(), client)
		if err == nil {
			res.Body.Close()
		}
	})

	recs := []sdk.Record{
		{Topic: "ads.reg", Offset: 0, Value: []byte(`{"reg_hour":"2026-11-21 06:00:00","level":"A","students":3}`)},
		{Topic: "ads.reg", Offset: 1, Value: []byte(`{"reg_hour":"2026-11-21 06:00:00","level":"B","students":1}`)},
		{Topic: "ads.reg", Offset: 2, Value: []byte(`{"reg_hour":"2026-11-22 07:00:00","level":"A","students":2,"note":"a \"quoted\"\nline"}`)},
		{Topic: "ads.reg", Offset: 3, Value: []byte(`{"reg_hour":"2026-11-21 06:00:00","level":"A","students":4}`)},
		{Topic: "ads.reg", Offset: 4, Value: []byte(`{"op":"d","before":{"reg_hour":"2026-11-21 06:00:00","level":"B"}}`)},
	}
	for range 2 { // the second pass is a replay
		if n, err := s.Write(ctx, recs); n != len(recs) || err != nil {
			t.Fatalf("Write = %d, %v", n, err)
		}
		if err := s.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}

	call := func(req esapi.Request) map[string]any {
		t.Helper()
		res, err := req.Do(ctx, client)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		var out map[string]any
		if err := json.Unmarshal(body, &out); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		return out
	}
	call(esapi.IndicesRefreshRequest{Index: []string{prefix + "-*"}})
	day1, day2 := prefix+"-2026.11.21", prefix+"-2026.11.22"
	got := call(esapi.GetRequest{Index: day1, DocumentID: "2026-11-21 06:00:00_A"})
	if got["found"] != true || fmt.Sprint(got["_source"].(map[string]any)["students"]) != "4" {
		t.Fatalf("%s/2026-11-21 06:00:00_A = %v", day1, got)
	}
	if got := call(esapi.GetRequest{Index: day1, DocumentID: "2026-11-21 06:00:00_B"}); got["found"] != false {
		t.Fatalf("deleted document found: %v", got)
	}
	got = call(esapi.GetRequest{Index: day2, DocumentID: "2026-11-22 07:00:00_A"})
	if note := got["_source"].(map[string]any)["note"]; note != "a \"quoted\"\nline" {
		t.Fatalf("note = %q", note)
	}
	hits := call(esapi.SearchRequest{Index: []string{prefix + "-*"}, Body: strings.NewReader(`{"query":{"match_all":{}}}`)})
	if total := hits["hits"].(map[string]any)["total"].(map[string]any)["value"]; fmt.Sprint(total) != "2" {
		t.Fatalf("%v documents after a replay, want 2", total)
	}
}

func TestEndToEnd(t *testing.T) {
	srv := estest.NewServer(t)
	endToEnd(t, srv.URL, "", "")
}
