package pluginrpc

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
	"unsafe"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/tributarydata/tributary/bus/record"
)

// sampleRecords covers what must survive the trip: null against empty keys,
// values and header values, duplicate headers in order, a negative
// partition, timestamps (zero and the epoch), positions and faults.
func sampleRecords() []record.Record {
	return []record.Record{
		{},
		{Key: []byte{}, Value: []byte{}},
		{
			Key: []byte("k1"), Value: []byte(`{"event":"STUDENT_MATCH_CORRECT"}`),
			Headers:   []record.Header{{Key: "a", Value: []byte("1")}, {Key: "a", Value: nil}, {Key: "", Value: []byte{}}},
			Topic:     "dwd.student_signal",
			Partition: -1, Offset: 1<<40 + 7,
			Timestamp: time.Unix(1700000000, 123456789),
		},
		{Value: []byte("tombstone key"), Key: []byte("x"), Timestamp: time.Unix(0, 0)},
		{
			Value: []byte("v"),
			Position: record.Position{
				Partition: map[string]any{"file": "/var/log/a.log"},
				Offset:    map[string]any{"pos": int64(1)<<60 + 1, "gtid": "x:1-5"},
			},
			Fault: errors.New("not a JSON object"),
		},
		{Fault: errors.New(""), Position: record.Position{Partition: map[string]any{}}},
	}
}

func TestBatchRoundTrip(t *testing.T) {
	in := sampleRecords()
	b, err := (&Batch{Records: in}).marshal(nil)
	if err != nil {
		t.Fatal(err)
	}
	var out Batch
	if err := out.unmarshal(b); err != nil {
		t.Fatal(err)
	}
	if len(out.Records) != len(in) {
		t.Fatalf("%d records back, want %d", len(out.Records), len(in))
	}
	for i := range in {
		if diff := recordDiff(in[i], out.Records[i]); diff != "" {
			t.Errorf("record %d: %s", i, diff)
		}
	}
	// A large offset in a position must come back exact, not as a float.
	got := out.Records[4].Position.Offset["pos"]
	if n, ok := got.(json.Number); !ok || n.String() != fmt.Sprint(int64(1)<<60+1) {
		t.Errorf("position offset came back as %T %v", got, got)
	}
}

// TestDecodeSlicesTheBuffer holds the decoder to its promise: values are
// views of the received message, not copies, and cannot grow into the
// bytes after them.
func TestDecodeSlicesTheBuffer(t *testing.T) {
	in := []record.Record{
		{Key: []byte("key-0"), Value: []byte("value-0"), Headers: []record.Header{{Key: "h", Value: []byte("hv")}}},
		{Key: []byte("key-1"), Value: []byte("value-1")},
	}
	b, err := (&Batch{Records: in}).marshal(nil)
	if err != nil {
		t.Fatal(err)
	}
	var out Batch
	if err := out.unmarshal(b); err != nil {
		t.Fatal(err)
	}
	inside := func(s []byte) bool {
		start := uintptr(unsafe.Pointer(unsafe.SliceData(b)))
		p := uintptr(unsafe.Pointer(unsafe.SliceData(s)))
		return p >= start && p+uintptr(len(s)) <= start+uintptr(len(b))
	}
	for i, r := range out.Records {
		if !inside(r.Key) || !inside(r.Value) {
			t.Errorf("record %d: key or value was copied out of the message", i)
		}
		if cap(r.Key) != len(r.Key) || cap(r.Value) != len(r.Value) {
			t.Errorf("record %d: capacity beyond the field would let an append overwrite the next field", i)
		}
	}
	if !inside(out.Records[0].Headers[0].Value) {
		t.Error("header value was copied out of the message")
	}
	out.Records[0].Value = append(out.Records[0].Value, "!!!!!!!!"...)
	if string(out.Records[1].Key) != "key-1" {
		t.Errorf("appending to record 0's value changed record 1's key to %q", out.Records[1].Key)
	}
}

func TestDecodeRejectsGarbage(t *testing.T) {
	valid, err := (&Batch{Records: sampleRecords()[2:3]}).marshal(nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{
		"truncated":          valid[:len(valid)-3],
		"value as varint":    protowire.AppendVarint(protowire.AppendTag(protowire.AppendTag(nil, 1, protowire.BytesType), 2, protowire.VarintType), 1),
		"record not bytes":   protowire.AppendVarint(protowire.AppendTag(nil, 1, protowire.VarintType), 3),
		"partition overflow": nestedRecord(protowire.AppendVarint(protowire.AppendTag(nil, recordPartition, protowire.VarintType), protowire.EncodeZigZag(1<<40))),
		"position not JSON":  nestedRecord(appendBytes(nil, recordPosition, []byte("{"))),
	} {
		var out Batch
		if err := out.unmarshal(b); err == nil {
			t.Errorf("%s: decoded without an error: %+v", name, out.Records)
		}
	}
	// Unknown fields are skipped, so a newer peer may add some.
	extra := appendString(nestedRecord(appendString(nil, 15, "future")), 9, "future too")
	var out Batch
	if err := out.unmarshal(extra); err != nil || len(out.Records) != 1 {
		t.Fatalf("unknown fields: %v, %d records", err, len(out.Records))
	}
}

func nestedRecord(body []byte) []byte {
	b := protowire.AppendTag(nil, 1, protowire.BytesType)
	return protowire.AppendBytes(b, body)
}

// recordDiff says how two records differ, "" when they are equal as the
// protocol promises: bytes with their nil-ness, the same instant, the same
// position (numbers compared as text) and the same fault message.
func recordDiff(want, got record.Record) string {
	var diffs []string
	bytesEq := func(name string, a, b []byte) {
		if (a == nil) != (b == nil) || string(a) != string(b) {
			diffs = append(diffs, fmt.Sprintf("%s %q (nil %v), want %q (nil %v)", name, b, b == nil, a, a == nil))
		}
	}
	bytesEq("key", want.Key, got.Key)
	bytesEq("value", want.Value, got.Value)
	if len(want.Headers) != len(got.Headers) {
		diffs = append(diffs, fmt.Sprintf("%d headers, want %d", len(got.Headers), len(want.Headers)))
	} else {
		for i := range want.Headers {
			if want.Headers[i].Key != got.Headers[i].Key {
				diffs = append(diffs, fmt.Sprintf("header %d key %q, want %q", i, got.Headers[i].Key, want.Headers[i].Key))
			}
			bytesEq(fmt.Sprintf("header %d value", i), want.Headers[i].Value, got.Headers[i].Value)
		}
	}
	if want.Topic != got.Topic || want.Partition != got.Partition || want.Offset != got.Offset {
		diffs = append(diffs, fmt.Sprintf("at %s/%d/%d, want %s/%d/%d", got.Topic, got.Partition, got.Offset, want.Topic, want.Partition, want.Offset))
	}
	if want.Timestamp.IsZero() != got.Timestamp.IsZero() || !want.Timestamp.Equal(got.Timestamp) {
		diffs = append(diffs, fmt.Sprintf("timestamp %v, want %v", got.Timestamp, want.Timestamp))
	}
	if pw, pg := positionText(want.Position), positionText(got.Position); pw != pg {
		diffs = append(diffs, fmt.Sprintf("position %s, want %s", pg, pw))
	}
	if (want.Fault == nil) != (got.Fault == nil) || want.Fault != nil && want.Fault.Error() != got.Fault.Error() {
		diffs = append(diffs, fmt.Sprintf("fault %v, want %v", got.Fault, want.Fault))
	}
	return strings.Join(diffs, "; ")
}

func positionText(p record.Position) string {
	if p.IsZero() {
		return "none"
	}
	b, err := json.Marshal(p)
	if err != nil {
		return "unmarshallable: " + err.Error()
	}
	return string(b)
}

func TestRecordsEqualAfterRoundTripOfEveryMessage(t *testing.T) {
	idx := func(i int) *Error { return &Error{Message: "bad", Retriable: i%2 == 0, Index: i} }
	def := "30000"
	cases := []message{
		&Empty{},
		&Status{Err: &Error{Message: "closed", Index: NoIndex}},
		&Status{Err: idx(0)},
		&DescribeResponse{Plugins: []Descriptor{{
			Class: "example.signalscore", Aliases: []string{"a", "b"}, Type: "transform", Version: "1.0.0", Summary: "scores",
			ConfigKeys: []ConfigKey{{Name: "points", Type: "LIST", Required: true, Importance: "HIGH", Documentation: "d", Group: "g",
				Width: "NONE", DisplayName: "points", Dependents: []string{"x"}, Order: 1, Enum: []string{"p", "q"}},
				{Name: "t", DefaultValue: &def, Order: 2}, {Name: "empty default", DefaultValue: new(string)}},
			Singleton: true, TaskConfigs: true, OffsetKeeper: true,
		}, {Class: "second", Type: "sink"}}},
		&ConfigRequest{Class: "c", Config: map[string]string{"a": "1", "": "", "b": "two words"}, MaxTasks: 3},
		&ValidateResponse{Problems: map[string][]string{"points": {"required", "must match"}, "x": {""}}, Err: idx(5)},
		&TaskConfigsResponse{Configs: []map[string]string{{"task": "0"}, {}, {"task": "2", "k": ""}}},
		&OpenRequest{Class: "c", Config: map[string]string{"k": "v"}, Last: []record.Position{
			{Partition: map[string]any{"file": "a"}, Offset: map[string]any{"pos": json.Number("12")}},
		}},
		&RecordsResponse{Records: sampleRecords(), Err: idx(1), Counts: map[string]int64{"unlisted_event": 3, "zero": 0, "neg": -4}},
		&WriteResponse{Written: 1999, Err: &Error{Message: "lock timeout", Retriable: true, Index: NoIndex}, Counts: map[string]int64{"w": 1}},
		&OffsetsResponse{Offsets: []TopicOffset{{Topic: "t", Partition: 2, Offset: 1 << 50}, {Topic: "u"}}},
		&AckRequest{Positions: []record.Position{{Partition: map[string]any{"p": "x"}, Offset: map[string]any{"o": json.Number("9007199254740993")}}}},
	}
	for _, in := range cases {
		name := reflect.TypeOf(in).Elem().Name()
		b, err := in.marshal(nil)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		out := reflect.New(reflect.TypeOf(in).Elem()).Interface().(message)
		if err := out.unmarshal(b); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if rr, ok := in.(*RecordsResponse); ok {
			got := out.(*RecordsResponse)
			for i := range rr.Records {
				if diff := recordDiff(rr.Records[i], got.Records[i]); diff != "" {
					t.Errorf("%s record %d: %s", name, i, diff)
				}
			}
			rr.Records, got.Records = nil, nil
		}
		if !reflect.DeepEqual(normalize(in), normalize(out)) {
			t.Errorf("%s:\n got %#v\nwant %#v", name, out, in)
		}
	}
}

// normalize drops the differences the protocol does not promise to keep:
// an empty map or list may come back nil.
func normalize(m message) message {
	v := reflect.ValueOf(m).Elem()
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Map, reflect.Slice:
			if v.Len() == 0 && v.CanSet() {
				v.Set(reflect.Zero(v.Type()))
				return
			}
			if v.Kind() == reflect.Slice {
				for i := range v.Len() {
					walk(v.Index(i))
				}
			}
		case reflect.Struct:
			for i := range v.NumField() {
				walk(v.Field(i))
			}
		case reflect.Pointer:
			if !v.IsNil() {
				walk(v.Elem())
			}
		}
	}
	walk(v)
	return m
}
