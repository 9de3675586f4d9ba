package smt

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tributarydata/tributary/api/ctl"
	"github.com/tributarydata/tributary/plugins/sdk"
)

// openPipeline opens the chain of the named connector of a pipeline file
// under deployments/pipelines/edu: the tests run the files users deploy.
func openPipeline(t testing.TB, file, name string) *Chain {
	t.Helper()
	env := func(string) (string, bool) { return "x", true }
	conns, err := ctl.LoadConnectors(filepath.Join("..", "..", "deployments", "pipelines", "edu", file), env)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range conns {
		if c.Name != name {
			continue
		}
		if problems := Plugin.Problems(sdk.Config(c.Config)); len(problems) > 0 {
			t.Fatalf("%s is invalid: %v", name, problems)
		}
		ch := &Chain{}
		if err := ch.Open(context.Background(), sdk.Config(c.Config)); err != nil {
			t.Fatal(err)
		}
		return ch
	}
	t.Fatalf("no connector %s in %s", name, file)
	return nil
}

// golden is one input and what must come out of it: the output fields as
// JSON (compared field by field, numbers by their text), or the words the
// fault must hold, or nothing when the record is dropped.
type golden struct {
	name     string
	key      string
	value    string
	want     string // expected output value; "" with fault "" means dropped
	wantKey  string
	wantTime int64 // expected event time, unix ms (0: not checked)
	fault    string
}

func runGolden(t *testing.T, ch *Chain, cases []golden) {
	t.Helper()
	in := make([]sdk.Record, len(cases))
	for i, c := range cases {
		in[i] = sdk.Record{Topic: "ods.in", Offset: int64(i), Key: []byte(c.key), Value: []byte(c.value), Timestamp: time.UnixMilli(1)}
	}
	out, err := ch.Process(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	// Outputs come in input order; each carries its input's offset.
	byOffset := map[int64]sdk.Record{}
	for _, r := range out {
		if _, dup := byOffset[r.Offset]; dup {
			t.Fatalf("two outputs for input %d", r.Offset)
		}
		byOffset[r.Offset] = r
	}
	for i, c := range cases {
		r, ok := byOffset[int64(i)]
		switch {
		case c.fault != "":
			if !ok || r.Fault == nil || !strings.Contains(r.Fault.Error(), c.fault) {
				t.Errorf("%s: got %+v, want a fault with %q", c.name, r, c.fault)
			} else if !bytes.Equal(r.Value, in[i].Value) || r.Topic != "ods.in" {
				t.Errorf("%s: a refused record must come back as it came in, got value %q topic %q", c.name, r.Value, r.Topic)
			}
			continue
		case c.want == "":
			if ok {
				t.Errorf("%s: want the record dropped, got %q (fault %v)", c.name, r.Value, r.Fault)
			}
			continue
		}
		if !ok {
			t.Errorf("%s: no output", c.name)
			continue
		}
		if r.Fault != nil {
			t.Errorf("%s: fault %v", c.name, r.Fault)
			continue
		}
		if c.wantKey != "" && string(r.Key) != c.wantKey {
			t.Errorf("%s: key %q, want %q", c.name, r.Key, c.wantKey)
		}
		if c.wantTime != 0 && !r.Timestamp.Equal(time.UnixMilli(c.wantTime)) {
			t.Errorf("%s: event time %v, want %v", c.name, r.Timestamp.UTC(), time.UnixMilli(c.wantTime).UTC())
		}
		compareFields(t, c.name, r.Value, c.want)
	}
}

// compareFields decodes both objects and compares them field by field;
// numbers compare by their JSON text, so 116 and "116" differ.
func compareFields(t *testing.T, name string, got []byte, want string) {
	t.Helper()
	g, err := decodeObject(got)
	if err != nil {
		t.Errorf("%s: output is not a JSON object: %v\n%s", name, err, got)
		return
	}
	w, err := decodeObject([]byte(want))
	if err != nil {
		t.Fatalf("%s: bad expectation: %v", name, err)
	}
	for k, wv := range w {
		gv, ok := g[k]
		if !ok {
			t.Errorf("%s: field %s missing, want %#v", name, k, wv)
		} else if !sameJSON(gv, wv) {
			t.Errorf("%s: field %s = %#v, want %#v", name, k, gv, wv)
		}
	}
	for k, gv := range g {
		if _, ok := w[k]; !ok {
			t.Errorf("%s: unexpected field %s = %#v", name, k, gv)
		}
	}
}

func decodeObject(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, &json.SyntaxError{}
	}
	return m, nil
}

func sameJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// The signal of the seed: nested objects, every value a string.
const seedSignal = `{"createTime":"2021-03-01 10:00:00","data":{"userid":"1001","roomid":"2002","timestamp":"1614564000123","role":"2","msgid":"305",
 "msg":{"msgtype":"116","msg_data":{"target_id":"match","target_type":"template","action":"match","sub_action":"drop:wrong","page_index":"3"}}}}`

// wantMatchWrong is the seed's output for seedSignal, with the fixes: the
// numbers are numbers, timeStamp is the message's own time (not NOW()), and
// messageTimeStamp is that time in the warehouse's zone.
const wantMatchWrong = `{"messageCreateTime":"2021-03-01 10:00:00","timeStamp":1614564000123,"messageTimeStamp":"2021-03-01 10:00:00.123",
 "userId":1001,"roomId":2002,"role":2,"msgId":305,"msgType":116,"targetId":"match","targetType":"template","action":"match",
 "subAction":"drop:wrong","pageIndex":3,"event":"STUDENT_MATCH_WRONG"}`

func TestSignalETLGolden(t *testing.T) {
	ch := openPipeline(t, "signal-etl.json", "signal-etl")
	cases := []golden{
		// The key is md5(userId): a user's signals share a partition, which the
		// classroom-performance window needs (its groups start with the user).
		{name: "seed shape, strings", key: "k1", value: seedSignal, want: wantMatchWrong, wantKey: "b8c37e33defde51cf91e1e03e51657da", wantTime: 1614564000123},
		{name: "data and msg encoded as JSON strings", value: `{"createTime":"2021-03-01 10:00:00","data":"{\"userid\":\"1001\",\"roomid\":\"2002\",\"timestamp\":\"1614564000123\",\"role\":\"2\",\"msgid\":\"305\",\"msg\":\"{\\\"msgtype\\\":\\\"116\\\",\\\"msg_data\\\":{\\\"target_id\\\":\\\"match\\\",\\\"target_type\\\":\\\"template\\\",\\\"action\\\":\\\"match\\\",\\\"sub_action\\\":\\\"drop:wrong\\\",\\\"page_index\\\":\\\"3\\\"}}\"}"}`,
			want: wantMatchWrong, wantTime: 1614564000123},
		{name: "numbers as numbers", value: `{"createTime":"2021-03-01 10:00:01","data":{"userid":1001,"roomid":2002,"timestamp":1614564001000,"role":2,"msgid":305,"msg":{"msgtype":116,"msg_data":{"target_id":"pic-9","target_type":"shape","action":"move","page_index":1}}}}`,
			want:     `{"messageCreateTime":"2021-03-01 10:00:01","timeStamp":1614564001000,"messageTimeStamp":"2021-03-01 10:00:01.000","userId":1001,"roomId":2002,"role":2,"msgId":305,"msgType":116,"targetId":"pic-9","targetType":"shape","action":"move","subAction":null,"pageIndex":1,"event":"STUDENT_MOVE_PICTURE"}`,
			wantTime: 1614564001000},
		{name: "hover needs its sub action", value: `{"data":{"userid":1,"roomid":2,"timestamp":1614564002000,"role":2,"msgid":305,"msg":{"msgtype":116,"msg_data":{"target_type":"shape","action":"mouse","sub_action":"over"}}}}`,
			want: `{"messageCreateTime":null,"timeStamp":1614564002000,"messageTimeStamp":"2021-03-01 10:00:02.000","userId":1,"roomId":2,"role":2,"msgId":305,"msgType":116,"targetId":null,"targetType":"shape","action":"mouse","subAction":"over","pageIndex":null,"event":"STUDENT_HOVER_PICTURE"}`},
		{name: "line draw", value: `{"data":{"userid":1,"roomid":2,"timestamp":1614564003000,"role":"2","msgid":"305","msg":{"msgtype":"116","msg_data":{"target_type":"shape","action":"add"}}}}`,
			want: `{"messageCreateTime":null,"timeStamp":1614564003000,"messageTimeStamp":"2021-03-01 10:00:03.000","userId":1,"roomId":2,"role":2,"msgId":305,"msgType":116,"targetId":null,"targetType":"shape","action":"add","subAction":null,"pageIndex":null,"event":"STUDENT_LINE_DRAW"}`},
		{name: "audio play and text that breaks the seed's CONCAT", value: `{"createTime":"he said \"hi\" \\ then\nleft 🎓","data":{"userid":"7","roomid":"8","timestamp":"1614564004000","role":"2","msgid":"305","msg":{"msgtype":"116","msg_data":{"target_id":"a\"b","target_type":"template","action":"audio","sub_action":"start","page_index":"12"}}}}`,
			want: `{"messageCreateTime":"he said \"hi\" \\ then\nleft 🎓","timeStamp":1614564004000,"messageTimeStamp":"2021-03-01 10:00:04.000","userId":7,"roomId":8,"role":2,"msgId":305,"msgType":116,"targetId":"a\"b","targetType":"template","action":"audio","subAction":"start","pageIndex":12,"event":"STUDENT_AUDIO_PLAY"}`},
		{name: "audio pause", value: `{"data":{"userid":7,"roomid":8,"timestamp":1614564005000,"role":2,"msgid":305,"msg":{"msgtype":116,"msg_data":{"target_type":"template","action":"audio","sub_action":"pause"}}}}`,
			want: `{"messageCreateTime":null,"timeStamp":1614564005000,"messageTimeStamp":"2021-03-01 10:00:05.000","userId":7,"roomId":8,"role":2,"msgId":305,"msgType":116,"targetId":null,"targetType":"template","action":"audio","subAction":"pause","pageIndex":null,"event":"STUDENT_AUDIO_PAUSE"}`},
		{name: "match correct", value: `{"data":{"userid":7,"roomid":8,"timestamp":1614564006000,"role":2,"msgid":305,"msg":{"msgtype":116,"msg_data":{"target_id":"match","target_type":"template","action":"match","sub_action":"drop:correct"}}}}`,
			want: `{"messageCreateTime":null,"timeStamp":1614564006000,"messageTimeStamp":"2021-03-01 10:00:06.000","userId":7,"roomId":8,"role":2,"msgId":305,"msgType":116,"targetId":"match","targetType":"template","action":"match","subAction":"drop:correct","pageIndex":null,"event":"STUDENT_MATCH_CORRECT"}`},
		{name: "a teacher's signal matches no rule", value: `{"data":{"userid":7,"roomid":8,"timestamp":1614564007000,"role":1,"msgid":305,"msg":{"msgtype":116,"msg_data":{"target_type":"shape","action":"move"}}}}`},
		{name: "not JSON", value: `createTime=2021`, fault: "invalid character"},
		{name: "an array", value: `[1,2]`, fault: "not an object"},
		{name: "a user id that is not a number", value: `{"data":{"userid":"abc","roomid":2,"timestamp":1,"role":2,"msgid":305}}`, fault: `userId (data.userid): "abc" is not a long`},
		{name: "no event time", value: `{"data":{"userid":1,"roomid":2,"role":2,"msgid":305,"msg":{"msgtype":116,"msg_data":{"target_type":"shape","action":"move"}}}}`, fault: "event time field timeStamp is null"},
		{name: "a nesting bomb", value: `{"data":` + strings.Repeat(`{"a":`, 100000) + `1` + strings.Repeat(`}`, 100000) + `}`, fault: "deeper"},
		{name: "trailing garbage", value: seedSignal + `}`, fault: "after"},
	}
	runGolden(t, ch, cases)
	counts := ch.Counts()
	if counts["classify.unmatched"] != 1 || counts["classify.STUDENT_MATCH_WRONG"] != 2 || counts["classify.STUDENT_MOVE_PICTURE"] != 1 {
		t.Errorf("counts %v: want 1 unmatched, 2 STUDENT_MATCH_WRONG, 1 STUDENT_MOVE_PICTURE", counts)
	}
}

func TestRegistrationLevelGolden(t *testing.T) {
	ch := openPipeline(t, "registration-level.json", "registration-level")
	const row = `{"id":"1001","chinese_name":"一级","english_name":"Level \"A\"","level":"A","pid":"0","create_time":"2021-01-01 00:00:00","update_time":"2021-01-02 00:00:00","dept_id":"12","extra":"dropped"}`
	want := `{"id":"1001","chinese_name":"一级","english_name":"Level \"A\"","level":"A","pid":"0","create_time":"2021-01-01 00:00:00","update_time":"2021-01-02 00:00:00","dept_id":"12","rowkey":"b8c37e33defde51cf91e1e03e51657da"}`
	cases := []golden{
		{name: "plain row", value: row, want: want, wantKey: "b8c37e33defde51cf91e1e03e51657da"},
		{name: "numbers become the seed's varchar text", value: `{"id":42,"level":"B","pid":7}`,
			want:    `{"id":"42","chinese_name":null,"english_name":null,"level":"B","pid":"7","create_time":null,"update_time":null,"dept_id":null,"rowkey":"a1d0c6e83f027327d8461063f4ac58a6"}`,
			wantKey: "a1d0c6e83f027327d8461063f4ac58a6"},
		{name: "debezium create", value: `{"op":"c","before":null,"after":` + row + `,"source":{"db":"edu"},"ts_ms":1}`, want: want, wantKey: "b8c37e33defde51cf91e1e03e51657da"},
		{name: "debezium in schema+payload", value: `{"schema":{},"payload":{"op":"u","before":null,"after":` + row + `}}`, want: want},
		{name: "no id", value: `{"level":"A"}`, fault: "field id is null"},
		{name: "unknown op", value: `{"op":"x","after":{"id":"1"}}`, fault: `unknown op "x"`},
	}
	runGolden(t, ch, cases)
	runTombstone(t, ch, golden{name: "debezium delete keys a tombstone", value: `{"op":"d","before":{"id":"7","level":"C"},"after":null}`, wantKey: "8f14e45fceea167a5a36dedd4bea2543"})
	// The CDC source's own tombstone after a delete, keyed by the source's
	// key, would reach the serving table's key column as a bogus key.
	out, err := ch.Process(context.Background(), []sdk.Record{{Topic: "ods.in", Key: []byte(`{"id":"7"}`)}})
	if err != nil || len(out) != 0 || ch.Counts()["row.tombstones_dropped"] != 1 {
		t.Errorf("a source tombstone gave %+v %v (counts %v); want it dropped and counted", out, err, ch.Counts())
	}
}

// runTombstone checks that a delete event becomes a tombstone with its key.
func runTombstone(t *testing.T, ch *Chain, c golden) {
	t.Helper()
	out, err := ch.Process(context.Background(), []sdk.Record{{Topic: "ods.in", Value: []byte(c.value)}})
	if err != nil || len(out) != 1 {
		t.Fatalf("%s: %v %+v", c.name, err, out)
	}
	if out[0].Fault != nil || out[0].Value != nil || string(out[0].Key) != c.wantKey {
		t.Errorf("%s: got value %q key %q fault %v; want a tombstone keyed %s", c.name, out[0].Value, out[0].Key, out[0].Fault, c.wantKey)
	}
}
