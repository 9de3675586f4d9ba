package estest

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	es "github.com/elastic/go-elasticsearch/v8"
	"github.com/elastic/go-elasticsearch/v8/esapi"
)

// TestSpeaksToTheClient drives the server with the go-elasticsearch v8
// client, whose product check and request shapes it must satisfy.
func TestSpeaksToTheClient(t *testing.T) {
	srv := NewServer(t)
	client, err := es.NewClient(es.Config{Addresses: []string{srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	do := func(req esapi.Request, wantStatus int) map[string]any {
		t.Helper()
		res, err := req.Do(ctx, client)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != wantStatus {
			t.Fatalf("%T: HTTP %d %s, want %d", req, res.StatusCode, body, wantStatus)
		}
		var out map[string]any
		if err := json.Unmarshal(body, &out); err != nil {
			t.Fatalf("%T: %s: %v", req, body, err)
		}
		return out
	}

	info := do(esapi.InfoRequest{}, 200)
	if info["tagline"] != "You Know, for Search" {
		t.Fatalf("info %v", info)
	}
	bulk := `{"index":{"_index":"a","_id":"1"}}` + "\n" + `{"n":1,"o":{"x":1}}` + "\n" +
		`{"create":{"_index":"a","_id":"1"}}` + "\n" + `{"n":2}` + "\n" +
		`{"update":{"_index":"a","_id":"1"}}` + "\n" + `{"doc":{"o":{"y":2}}}` + "\n" +
		`{"update":{"_index":"a","_id":"2"}}` + "\n" + `{"doc":{"n":3}}` + "\n" +
		`{"update":{"_index":"b","_id":"2"}}` + "\n" + `{"doc":{"n":4},"doc_as_upsert":true}` + "\n" +
		`{"delete":{"_index":"b","_id":"9"}}` + "\n" +
		`{"index":{"_index":"Bad","_id":"1"}}` + "\n" + `{"n":5}` + "\n" +
		`{"index":{"_id":"3"}}` + "\n" + `{"n":"not json` + "\n"
	res := do(esapi.BulkRequest{Index: "c", Body: strings.NewReader(bulk)}, 200)
	var statuses []int
	for _, it := range res["items"].([]any) {
		for _, v := range it.(map[string]any) {
			statuses = append(statuses, int(v.(map[string]any)["status"].(float64)))
		}
	}
	if want := []int{201, 409, 200, 404, 201, 404, 400, 400}; !slices.Equal(statuses, want) || res["errors"] != true {
		t.Fatalf("statuses %v errors %v, want %v", statuses, res["errors"], want)
	}
	if doc, _ := srv.Doc("a", "1"); doc != `{"n":1,"o":{"x":1,"y":2}}` {
		t.Fatalf("a/1 = %s", doc)
	}

	got := do(esapi.GetRequest{Index: "b", DocumentID: "2"}, 200)
	if got["found"] != true || got["_source"].(map[string]any)["n"].(float64) != 4 {
		t.Fatalf("get %v", got)
	}
	do(esapi.GetRequest{Index: "b", DocumentID: "404"}, 404)
	do(esapi.IndicesRefreshRequest{Index: []string{"a", "b"}}, 200)
	hits := do(esapi.SearchRequest{Index: []string{"a", "b*"}, Body: strings.NewReader(`{"query":{"match_all":{}}}`)}, 200)
	if total := hits["hits"].(map[string]any)["total"].(map[string]any)["value"].(float64); total != 2 {
		t.Fatalf("search found %v documents, want 2", total)
	}
	do(esapi.IndicesDeleteRequest{Index: []string{"a"}}, 200)
	if idx := srv.Indices(); !slices.Equal(idx, []string{"b"}) {
		t.Fatalf("indices %v after deleting a", idx)
	}

	srv.FailNext(http.StatusTooManyRequests)
	do(esapi.InfoRequest{}, 429)
	do(esapi.InfoRequest{}, 200)

	// A body without the final newline is refused whole, as Elasticsearch does.
	do(esapi.BulkRequest{Body: strings.NewReader(`{"delete":{"_index":"b","_id":"2"}}`)}, 400)
}
