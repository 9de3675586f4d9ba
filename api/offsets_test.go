package api

import (
	"net/http"
	"reflect"
	"testing"

	"github.com/tributarydata/tributary/bus/record"
	"github.com/tributarydata/tributary/bus/worker"
)

func TestOffsets(t *testing.T) {
	h, f := testServer(t, Options{})
	f.add("a", "hologres", 1)

	w := do(t, h, "GET", "/connectors/a/offsets", nil, nil)
	expect(t, w, http.StatusOK, nil)
	if w.Body.String() != `{"offsets":[]}`+"\n" {
		t.Fatalf("no offsets = %q", w.Body.String())
	}

	body := `{"offsets": [{"partition": {"kafka_topic": "ods.qos_log", "kafka_partition": 0}, "offset": {"kafka_offset": 100}},
	                       {"partition": {"kafka_topic": "ods.qos_log", "kafka_partition": 1}, "offset": null}]}`
	// Running connector: the controller refuses with a BadRequestError.
	expectError(t, do(t, h, "PATCH", "/connectors/a/offsets", body, nil), http.StatusBadRequest, "STOPPED")

	expectEmpty(t, do(t, h, "PUT", "/connectors/a/stop", nil, nil), http.StatusNoContent)
	var msg messageBody
	expect(t, do(t, h, "PATCH", "/connectors/a/offsets", body, nil), http.StatusOK, &msg)
	if msg.Message != offsetsAlteredMessage {
		t.Fatalf("message = %q", msg.Message)
	}
	want := worker.Offsets{Offsets: []record.Position{
		{Partition: map[string]any{"kafka_topic": "ods.qos_log", "kafka_partition": 0.0}, Offset: map[string]any{"kafka_offset": 100.0}},
		{Partition: map[string]any{"kafka_topic": "ods.qos_log", "kafka_partition": 1.0}},
	}}
	if got := f.lastCall("AlterOffsets")[1]; !reflect.DeepEqual(got, want) {
		t.Fatalf("controller got %#v\nwant %#v", got, want)
	}
	var o worker.Offsets
	expect(t, do(t, h, "GET", "/connectors/a/offsets", nil, nil), http.StatusOK, &o)
	if !reflect.DeepEqual(o, want) {
		t.Fatalf("offsets = %#v", o)
	}

	expect(t, do(t, h, "DELETE", "/connectors/a/offsets", nil, nil), http.StatusOK, &msg)
	if msg.Message != offsetsResetMessage {
		t.Fatalf("message = %q", msg.Message)
	}
	if f.lastCall("ResetOffsets")[0] != "a" {
		t.Fatal("ResetOffsets not called")
	}
}

func TestAlterOffsetsBadBodies(t *testing.T) {
	h, f := testServer(t, Options{})
	f.add("a", "hologres", 1)
	for _, tt := range []struct{ body, contains string }{
		{`{}`, "partitions and offsets must be given"},
		{`{"offsets": []}`, "partitions and offsets must be given"},
		{`{"offsets": [{"offset": {"x": 1}}]}`, "offsets[0]: partition"},
		{`{"offsets": [{"partition": {}, "offset": {"x": 1}}]}`, "offsets[0]: partition"},
		{`{"offsets": "x"}`, `field "offsets" must be an array`},
		{`{"offsets": [], "extra": 1}`, `unknown field "extra"`},
		{`{"offsets": [`, "malformed JSON"},
	} {
		expectError(t, do(t, h, "PATCH", "/connectors/a/offsets", tt.body, nil), http.StatusBadRequest, tt.contains)
	}
	if f.lastCall("AlterOffsets") != nil {
		t.Fatal("controller called with a bad body")
	}
	expectError(t, do(t, h, "GET", "/connectors/zz/offsets", nil, nil), http.StatusNotFound)
	expectError(t, do(t, h, "DELETE", "/connectors/zz/offsets", nil, nil), http.StatusNotFound)
}
