package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tributarydata/tributary/bus/metrics"
	"github.com/tributarydata/tributary/bus/worker"
)

// TestTaskMetricsGathersTheCluster: one worker answers with its own task
// counters and each peer's, asked with the caller's token; a peer that does
// not answer is named with why, and the others still count.
func TestTaskMetricsGathersTheCluster(t *testing.T) {
	peerHandler, peer := testServer(t, Options{Token: "secret", ProtectReads: true})
	peer.metrics = worker.TaskMetrics{Worker: "w2", Broker: "b:9092", Tasks: []metrics.TaskSample{
		{Connector: "a", Task: 1, RecordsIn: 10, RecordsOut: 9, DLQ: 1, TopicsIn: []string{"in"}, TopicsOut: []string{"out"}},
	}}
	peerServer := httptest.NewServer(peerHandler)
	defer peerServer.Close()

	h, f := testServer(t, Options{Token: "secret", ProtectReads: true})
	f.metrics = worker.TaskMetrics{Worker: "w1", Broker: "b:9092", Tasks: []metrics.TaskSample{
		{Connector: "a", Task: 0, RecordsIn: 5, RecordsOut: 5, Lag: 3, TopicsIn: []string{"in"}, TopicsOut: []string{"out"}},
	}}
	f.workers = []worker.WorkerInfo{{ID: "w1", URL: "http://w1"}, {ID: "w2", URL: peerServer.URL}, {ID: "w3", URL: "http://127.0.0.1:1"}}

	auth := header{"Authorization": "Bearer secret"}
	var body taskMetricsBody
	expect(t, do(t, h, "GET", "/api/v1/metrics/tasks", nil, auth), http.StatusOK, &body)
	if body.Broker != "b:9092" || body.TimeMs == 0 {
		t.Fatalf("broker %q time %d", body.Broker, body.TimeMs)
	}
	got := map[string]workerTaskSample{}
	for _, s := range body.Tasks {
		got[s.Worker] = s
	}
	if len(body.Tasks) != 2 || got["w1"].Task != 0 || got["w1"].Lag != 3 || got["w2"].Task != 1 || got["w2"].DLQ != 1 {
		t.Fatalf("tasks = %+v, want w1's task 0 and w2's task 1", body.Tasks)
	}
	errs := map[string]string{}
	for _, w := range body.Workers {
		errs[w.ID] = w.Error
	}
	if len(errs) != 3 || errs["w1"] != "" || errs["w2"] != "" || errs["w3"] == "" {
		t.Fatalf("workers = %+v, want w3 alone with an error", body.Workers)
	}

	// scope=local: this worker's own tasks, no fan-out.
	body = taskMetricsBody{}
	expect(t, do(t, h, "GET", "/api/v1/metrics/tasks?scope=local", nil, auth), http.StatusOK, &body)
	if len(body.Tasks) != 1 || body.Tasks[0].Worker != "w1" {
		t.Fatalf("local tasks = %+v", body.Tasks)
	}

	// Without the token the peer refuses: its error says so.
	open, f2 := testServer(t, Options{})
	f2.metrics = f.metrics
	f2.workers = []worker.WorkerInfo{{ID: "w1"}, {ID: "w2", URL: peerServer.URL}}
	body = taskMetricsBody{}
	expect(t, do(t, open, "GET", "/api/v1/metrics/tasks", nil, nil), http.StatusOK, &body)
	for _, w := range body.Workers {
		if w.ID == "w2" && !strings.Contains(w.Error, "401") {
			t.Fatalf("peer without token: %+v", w)
		}
	}
}

func TestDeadLetters(t *testing.T) {
	h, f := testServer(t, Options{})
	f.add("a", "hologres", 1)
	f.dlq = map[string]worker.DeadLetters{"a": {Topic: "dlq.a", Records: []worker.DeadLetter{
		{Partition: 0, Offset: 7, Value: "{bad", ValueBytes: 4, Headers: map[string]string{"__connect.errors.stage": "VALUE_CONVERTER"}},
		{Partition: 0, Offset: 6, Value: "x", ValueBytes: 1, Headers: map[string]string{}},
	}}}
	var d worker.DeadLetters
	expect(t, do(t, h, "GET", "/api/v1/connectors/a/dlq?limit=1", nil, nil), http.StatusOK, &d)
	if d.Topic != "dlq.a" || len(d.Records) != 1 || d.Records[0].Offset != 7 {
		t.Fatalf("dlq = %+v", d)
	}
	if args := f.lastCall("DeadLetters"); args[1] != 1 {
		t.Fatalf("limit passed %v", args[1])
	}
	expect(t, do(t, h, "GET", "/api/v1/connectors/a/dlq", nil, nil), http.StatusOK, nil)
	if args := f.lastCall("DeadLetters"); args[1] != 20 {
		t.Fatalf("default limit %v, want 20", args[1])
	}
	for _, q := range []string{"0", "501", "x"} {
		expect(t, do(t, h, "GET", "/api/v1/connectors/a/dlq?limit="+q, nil, nil), http.StatusBadRequest, nil)
	}
	expect(t, do(t, h, "GET", "/api/v1/connectors/nope/dlq", nil, nil), http.StatusNotFound, nil)
}
