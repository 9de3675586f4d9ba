package smt

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// FuzzSignalETL feeds any value to the signal ETL pipeline file (extract,
// timestamp, classify): it never fails the batch or panics, and each input
// either comes back refused with a reason, is dropped as unmatched, or comes
// out as a valid JSON object whose event is one of the seven of the rules.
func FuzzSignalETL(f *testing.F) {
	f.Add([]byte(seedSignal))
	f.Add([]byte(`{"data":"{\"userid\":1,\"timestamp\":5,\"role\":2,\"msgid\":305,\"msg\":{\"msgtype\":116,\"msg_data\":{\"target_type\":\"shape\",\"action\":\"add\"}}}"}`))
	f.Add([]byte(`{"data":{"msg":"{\"msg_data\":\"\"}"}}`))
	f.Add([]byte(`[{"data":1}]`))
	f.Add([]byte(`{"data":{"timestamp":"1e3","role":"2.0","msgid":"305","msg":{"msgtype":"116","msg_data":{"target_id":"match","target_type":"template","action":"match","sub_action":"drop:correct"}}}}`))
	ch := openPipeline(f, "signal-etl.json", "signal-etl")
	var events []string
	for _, s := range ch.steps {
		if c, ok := s.(*classifyStep); ok {
			for _, r := range c.rules {
				events = append(events, r.event)
			}
		}
	}
	if len(events) != 7 {
		f.Fatalf("the pipeline classifies into %v, want the seed's seven events", events)
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		out, err := ch.Process(context.Background(), []sdk.Record{{Topic: "ods.classroom_signal", Value: v}})
		if err != nil {
			t.Fatal(err)
		}
		if len(out) == 0 {
			return // unmatched: counted, not lost
		}
		r := out[0]
		if r.Fault != nil {
			if string(r.Value) != string(v) {
				t.Fatalf("a refused record changed: %q", r.Value)
			}
			return
		}
		var m map[string]any
		if err := json.Unmarshal(r.Value, &m); err != nil {
			t.Fatalf("output is not JSON: %v\n%q", err, r.Value)
		}
		if ev, _ := m["event"].(string); !slices.Contains(events, ev) {
			t.Fatalf("event %v is not one of the rules", m["event"])
		}
		if !json.Valid(v) {
			t.Fatalf("invalid JSON %q came out as %s", v, r.Value)
		}
	})
}
