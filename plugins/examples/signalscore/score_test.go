package main

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/tributarydata/tributary/plugins/sdk"
)

func open(t testing.TB, cfg sdk.Config) *scorer {
	t.Helper()
	s := &scorer{}
	if err := s.Open(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	return s
}

var table = sdk.Config{"points": "STUDENT_MATCH_CORRECT:10, STUDENT_MATCH_WRONG:-2,STUDENT_LINE_DRAW:0.5", "default.points": "1"}

func TestScore(t *testing.T) {
	for _, c := range []struct{ in, out string }{
		{`{"event":"STUDENT_MATCH_CORRECT","userId":"u1","roomId":"r9"}`,
			`{"event":"STUDENT_MATCH_CORRECT","userId":"u1","roomId":"r9","score":10}`},
		{`{"userId":"u1","event":"STUDENT_MATCH_WRONG"}`, `{"userId":"u1","event":"STUDENT_MATCH_WRONG","score":-2}`},
		{`{"event":"STUDENT_LINE_DRAW"}`, `{"event":"STUDENT_LINE_DRAW","score":0.5}`},
		// Not in the table, no event, an event that is no string: default.points.
		{`{"event":"STUDENT_AUDIO_PLAY","ts":1.50e3}`, `{"event":"STUDENT_AUDIO_PLAY","ts":1.50e3,"score":1}`},
		{`{"userId":"u1"}`, `{"userId":"u1","score":1}`},
		{`{"event":7}`, `{"event":7,"score":1}`},
		{`{}`, `{"score":1}`},
		// The producer's spacing, order, nesting and escapes stay.
		{" { \"event\" : \"STUDENT_MATCH_CORRECT\" ,\n \"p\":{\"score\":3},\"名\":\"\\u00e9\" }\n",
			" { \"event\" : \"STUDENT_MATCH_CORRECT\" ,\n \"p\":{\"score\":3},\"名\":\"\\u00e9\" ,\"score\":10}\n"},
		// An existing score is replaced in place.
		{`{"score": "old", "event":"STUDENT_MATCH_WRONG"}`, `{"score": -2, "event":"STUDENT_MATCH_WRONG"}`},
		{`{"event":"STUDENT_MATCH_WRONG","event":null}`, `{"event":"STUDENT_MATCH_WRONG","event":null,"score":1}`},
	} {
		s := open(t, table)
		recs := []sdk.Record{{Key: []byte("u1"), Value: []byte(c.in), Topic: "dwd.student_signal", Offset: 4}}
		out, err := s.Process(context.Background(), recs)
		if err != nil {
			t.Fatal(err)
		}
		if len(out) != 1 || out[0].Fault != nil || string(out[0].Value) != c.out || string(out[0].Key) != "u1" || out[0].Topic != "" {
			t.Errorf("%s:\n got %+v (%s)\nwant %s", c.in, out, out[0].Value, c.out)
		}
		if !json.Valid(out[0].Value) {
			t.Errorf("%s: output is not JSON", c.in)
		}
	}
}

func TestNotAnObjectIsFaulted(t *testing.T) {
	s := open(t, table)
	values := []string{`[1,2]`, `"text"`, `42`, `{"event":`, `{"a":1}{"b":2}`, `{"a":1,}`, ``, `nope`}
	recs := []sdk.Record{{Value: nil, Topic: "in"}} // a tombstone passes untouched
	for _, v := range values {
		recs = append(recs, sdk.Record{Value: []byte(v), Topic: "in", Offset: int64(len(recs))})
	}
	out, err := s.Process(context.Background(), recs)
	if err != nil || len(out) != len(values)+1 {
		t.Fatalf("%d outputs, %v", len(out), err)
	}
	if out[0].Value != nil || out[0].Fault != nil {
		t.Errorf("tombstone became %+v", out[0])
	}
	for i, r := range out[1:] {
		if r.Fault == nil || r.Fault.Error() != "value is not a JSON object" || string(r.Value) != values[i] || r.Topic != "in" {
			t.Errorf("%q: %+v", values[i], r)
		}
	}
	want := map[string]int64{eventRejected: int64(len(values))}
	if got := s.Counts(); !maps.Equal(got, want) {
		t.Errorf("counts %v, want %v", got, want)
	}
}

func TestCounts(t *testing.T) {
	s := open(t, table)
	var recs []sdk.Record
	for _, v := range []string{`{"event":"STUDENT_MATCH_CORRECT"}`, `{"event":"STUDENT_HOVER_PICTURE"}`, `{"x":1}`, `{"event":"STUDENT_MATCH_WRONG"}`, `[]`} {
		recs = append(recs, sdk.Record{Value: []byte(v)})
	}
	if _, err := s.Process(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{eventListed: 2, eventUnlisted: 1, eventMissing: 1, eventRejected: 1}
	if got := s.Counts(); !maps.Equal(got, want) {
		t.Errorf("counts %v, want %v", got, want)
	}
}

func TestValidate(t *testing.T) {
	for _, c := range []struct {
		cfg  sdk.Config
		want map[string][]string
	}{
		{table, map[string][]string{}},
		{sdk.Config{}, map[string][]string{"points": {"required"}}},
		{sdk.Config{"points": "A:1,B"}, map[string][]string{"points": {`entry "B" must match ^[A-Za-z0-9_.-]+:-?[0-9]+(\.[0-9]+)?$`}}},
		{sdk.Config{"points": "A:1,A:2"}, map[string][]string{"points": {"event A is listed twice"}}},
		{sdk.Config{"points": "A:1", "score.field": " "}, map[string][]string{}}, // blank: the default
		{sdk.Config{"points": "A:1", "default.points": "x"}, map[string][]string{"default.points": {"must be a finite number"}}},
	} {
		got := Plugin.Problems(c.cfg)
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%v: %v, want %v", c.cfg, got, c.want)
		}
	}
}

// FuzzScore holds the scorer to its contract on any value: a fault, or the
// same object with the score field set to the right points.
func FuzzScore(f *testing.F) {
	for _, v := range []string{`{"event":"STUDENT_MATCH_CORRECT","userId":"u1"}`, `{}`, `{"score":1,"event":"x"}`, `[`, ` {"a":{"event":"b"}} `} {
		f.Add([]byte(v))
	}
	s := open(f, table)
	f.Fuzz(func(t *testing.T, value []byte) {
		out, err := s.Process(context.Background(), []sdk.Record{{Value: append([]byte{}, value...)}})
		if err != nil {
			t.Fatal(err)
		}
		r := out[0]
		var in map[string]any
		isObject := json.Unmarshal(value, &in) == nil && in != nil
		if r.Fault != nil {
			if isObject {
				t.Fatalf("%q is an object but was faulted: %v", value, r.Fault)
			}
			return
		}
		if !isObject {
			t.Fatalf("%q is not an object but was scored as %q", value, r.Value)
		}
		var got map[string]any
		if err := json.Unmarshal(r.Value, &got); err != nil {
			t.Fatalf("scored %q into invalid JSON %q: %v", value, r.Value, err)
		}
		want := 1.0
		if ev, ok := in["event"].(string); ok {
			if p, listed := map[string]float64{"STUDENT_MATCH_CORRECT": 10, "STUDENT_MATCH_WRONG": -2, "STUDENT_LINE_DRAW": 0.5}[ev]; listed {
				want = p
			}
		}
		if got["score"] != want {
			t.Fatalf("%q scored %v, want %v (%q)", value, got["score"], want, r.Value)
		}
		delete(got, "score")
		delete(in, "score")
		if !reflect.DeepEqual(got, in) {
			t.Fatalf("fields changed: %q became %q", value, r.Value)
		}
	})
}

// TestREADMEListsTheConfig keeps the README's table equal to the spec the
// worker serves.
func TestREADMEListsTheConfig(t *testing.T) {
	keys, err := Plugin.Keys()
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	if table := sdk.RenderMarkdown("", keys); !strings.Contains(string(readme), table) {
		t.Errorf("README.md lacks the config table; it should read:\n%s", table)
	}
}
