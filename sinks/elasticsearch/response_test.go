package elasticsearch

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseBulkResponse(t *testing.T) {
	body := `{"took":30,"errors":true,"items":[
		{"index":{"_index":"t","_id":"1","_version":1,"result":"created","status":201}},
		{"update":{"_index":"t","_id":"2","status":400,"error":{"type":"mapper_parsing_exception","reason":"failed to parse field [n] of type [long]","caused_by":{"type":"illegal_argument_exception","reason":"For input string: \"x\"","caused_by":{"type":"number_format_exception","reason":"bad"}}}}},
		{"delete":{"_index":"t","_id":"3","result":"not_found","status":404}},
		{"index":{"_index":"t","_id":"4","status":429,"error":"EsRejectedExecutionException[rejected execution]"}}
	]}`
	got, err := parseBulkResponse([]byte(body), 4)
	if err != nil {
		t.Fatal(err)
	}
	want := []itemResult{
		{action: "index", status: 201},
		{action: "update", status: 400, errType: "mapper_parsing_exception",
			reason: `failed to parse field [n] of type [long]; caused by illegal_argument_exception: For input string: "x"; caused by number_format_exception: bad`},
		{action: "delete", status: 404},
		{action: "index", status: 429, reason: "EsRejectedExecutionException[rejected execution]"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
}

func TestParseBulkResponseErrors(t *testing.T) {
	tests := map[string]string{
		``:                                     "not a bulk response: EOF",
		`<html>502 Bad Gateway</html>`:         "not a bulk response: invalid character '<'",
		`{"took":1}`:                           "not a bulk response: no items",
		`{"items":[]}`:                         "0 items answered for 2 sent",
		`{"items":[{"index":{"status":201}}]}`: "1 items answered for 2 sent",
		`{"items":[{"index":{"status":201}},{}]}`:                                   "item 1 has 0 actions, want 1",
		`{"items":[{"index":{"status":201}},{"index":{},"delete":{"status":200}}]}`: "item 1 has 2 actions, want 1",
		`{"items":[{"index":{"status":201}},{"index":{"_id":"x"}}]}`:                "item 1: status 0",
		`{"items":[{"index":{"status":201}},{"index":{"status":"201"}}]}`:           "item 1: json: cannot unmarshal string",
		`{"items":[{"index":{"status":201}},{"index":{"status":1000}}]}`:            "item 1: status 1000",
		`{"items":[{"index":{"status":201}},{"index":[]}]}`:                         "item 1: json: cannot unmarshal array",
		`{"items":[{"index":{"status":201}},{"upsert":{"status":200}}]}`:            `item 1: unknown action "upsert"`,
	}
	for body, want := range tests {
		_, err := parseBulkResponse([]byte(body), 2)
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", body, err, want)
		}
	}
}

func TestErrorBody(t *testing.T) {
	tests := map[string]string{
		`{"error":{"root_cause":[],"type":"security_exception","reason":"missing authentication credentials"},"status":401}`: "security_exception: missing authentication credentials",
		`{"error":"Incorrect HTTP method","status":405}`:                                                                     "Incorrect HTTP method",
		`<html>` + strings.Repeat("é", 400) + `</html>`:                                                                      "<html>" + strings.Repeat("é", 147) + "…",
	}
	for body, want := range tests {
		if got := errorBody([]byte(body)); got != want {
			t.Errorf("errorBody(%.40s…) = %q, want %q", body, got, want)
		}
	}
}

// FuzzParseBulkResponse: the response body comes from the network (a
// cluster, a proxy, a load balancer's error page). Parsing must never panic
// and must either fail or answer exactly the items sent, each with a real
// HTTP status and one action.
func FuzzParseBulkResponse(f *testing.F) {
	f.Add([]byte(`{"took":1,"errors":false,"items":[{"index":{"_index":"t","_id":"1","status":201}}]}`), 1)
	f.Add([]byte(`{"errors":true,"items":[{"update":{"status":400,"error":{"type":"x","reason":"y","caused_by":{"type":"z","reason":"w"}}}},{"delete":{"status":404}}]}`), 2)
	f.Add([]byte(`{"items":[{"index":{"status":429,"error":"rejected"}}]}`), 1)
	f.Add([]byte(`<html>`), 0)
	f.Fuzz(func(t *testing.T, body []byte, want int) {
		if want < 0 || want > 1<<16 {
			return
		}
		res, err := parseBulkResponse(body, want)
		if err != nil {
			return
		}
		if len(res) != want {
			t.Fatalf("%d results for %d items", len(res), want)
		}
		for i, r := range res {
			switch r.action {
			case "index", "create", "update", "delete":
			default:
				t.Fatalf("item %d: action %q", i, r.action)
			}
			if r.status < 100 || r.status > 599 {
				t.Fatalf("item %d: %+v", i, r)
			}
		}
	})
}
