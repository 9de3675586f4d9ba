package pluginrpc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
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

// encodingRecords covers the encoder's cases: nil against empty bytes,
// headers (nil, empty and long values, duplicate and empty keys), partitions
// and offsets of every width and sign, timestamps zero, at and before the
// epoch and in other zones, positions, faults, and record and header lengths
// on either side of the one-, two- and three-byte length boundaries, where
// the length left for a record or a header can be the wrong width.
func encodingRecords() []record.Record {
	recs := sampleRecords()
	long := func(n int) []byte { return []byte(strings.Repeat("v", n)) }
	recs = append(recs,
		record.Record{Key: []byte{}},
		record.Record{Value: []byte{}},
		record.Record{Key: []byte("k"), Value: nil, Topic: "t"},
		record.Record{Headers: []record.Header{{Key: "h"}, {Key: "h", Value: []byte{}}, {Key: "h", Value: []byte("v")}, {}}},
		record.Record{Headers: []record.Header{{Key: "big", Value: long(126)}, {Key: "bigger", Value: long(300)}, {Key: strings.Repeat("k", 200)}}},
		record.Record{Headers: []record.Header{{Key: "x", Value: long(20000)}}},
		record.Record{Partition: math.MinInt32, Offset: math.MinInt64},
		record.Record{Partition: math.MaxInt32, Offset: math.MaxInt64},
		record.Record{Partition: 1, Offset: -1},
		record.Record{Partition: -64, Offset: 127},
		record.Record{Partition: 63, Offset: 128},
		record.Record{Partition: 64, Offset: 1<<14 - 1},
		record.Record{Partition: -65, Offset: 1 << 14},
		record.Record{Offset: 1<<56 - 1},
		record.Record{Offset: 1 << 56},
		record.Record{Timestamp: time.Unix(-1, 5)},
		record.Record{Timestamp: time.Date(1900, 1, 1, 0, 0, 0, 1, time.UTC)},
		record.Record{Timestamp: time.Date(2200, 6, 1, 12, 0, 0, 999999999, time.FixedZone("x", 3600))},
		record.Record{Timestamp: time.Now()},
		record.Record{Timestamp: time.Unix(0, 1)},
		record.Record{Value: long(1 << 21), Topic: strings.Repeat("t", 130)},
		record.Record{
			Position: record.Position{Offset: map[string]any{"pos": 1}},
			Fault:    errors.New(strings.Repeat("bad ", 40)),
		},
		// Short contents with long numbers: more bytes of tags,
		// lengths and numbers than the encoder guesses.
		record.Record{Key: []byte{}, Value: long(90), Topic: "t", Partition: math.MinInt32, Offset: -1,
			Timestamp: time.Unix(1, 0), Fault: errors.New("")},
	)
	var sizes []int
	for _, base := range []int{128, 1 << 14} {
		for n := base - 40; n < base+8; n++ {
			sizes = append(sizes, n)
		}
	}
	sizes = append(sizes, 1<<21-25, 1<<21-4, 1<<21)
	for _, n := range sizes {
		recs = append(recs,
			record.Record{Value: long(n)},
			record.Record{Key: []byte("key"), Value: long(n), Topic: "topic", Partition: 3, Offset: 1 << 40, Timestamp: time.Unix(1700000000, 0)},
			record.Record{Headers: []record.Header{{Key: "k", Value: long(n)}}},
		)
	}
	return recs
}

func TestAppendRecordMatchesReference(t *testing.T) {
	recs := encodingRecords()
	for i := range recs {
		want, err := referenceAppendRecord(nil, 1, &recs[i])
		if err != nil {
			t.Fatal(err)
		}
		// Into no room, and behind other bytes with room to spare.
		got, err := appendRecord(nil, 1, &recs[i])
		if err != nil {
			t.Fatal(err)
		}
		roomy, err := appendRecord(append(make([]byte, 0, len(want)+100), "xyz"...), 1, &recs[i])
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) || !bytes.Equal(roomy[3:], want) || string(roomy[:3]) != "xyz" {
			t.Errorf("record %d encodes as\n%x\nwant\n%x", i, got, want)
		}
	}
	for _, num := range []protowire.Number{2, 15, 16, 2047, 2048} {
		got, _ := appendRecord(nil, num, &recs[2])
		want, _ := referenceAppendRecord(nil, num, &recs[2])
		if !bytes.Equal(got, want) {
			t.Errorf("as field %d: %x, want %x", num, got, want)
		}
	}
	// A whole batch, into the buffer marshal sizes.
	got, err := (&Batch{Records: recs}).marshal(nil)
	if err != nil {
		t.Fatal(err)
	}
	var want []byte
	for i := range recs {
		want, _ = referenceAppendRecord(want, 1, &recs[i])
	}
	if !bytes.Equal(got, want) {
		t.Error("the batch encodes otherwise than its records one by one")
	}
}

// TestAppendRecordMatchesReferenceAtRandom encodes records drawn at random
// (with a fixed seed) near the sizes where encodings change.
func TestAppendRecordMatchesReferenceAtRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	size := func() int {
		switch rng.IntN(4) {
		case 0:
			return -1 // nil
		case 1:
			return rng.IntN(20)
		case 2:
			return 100 + rng.IntN(40)
		default:
			return 1<<14 - 40 + rng.IntN(60)
		}
	}
	bs := func() []byte {
		if n := size(); n >= 0 {
			return bytes.Repeat([]byte{byte(rng.Uint32())}, n)
		}
		return nil
	}
	num := func() uint64 { return rng.Uint64() >> rng.IntN(64) }
	var buf, want []byte
	for i := range 3000 {
		r := record.Record{Key: bs(), Value: bs(), Partition: int32(num()), Offset: int64(num())}
		if rng.IntN(2) == 0 {
			r.Topic = string(bs())
		}
		for range rng.IntN(3) {
			r.Headers = append(r.Headers, record.Header{Key: string(bs()), Value: bs()})
		}
		if rng.IntN(2) == 0 {
			r.Timestamp = time.Unix(0, int64(num()))
		}
		if rng.IntN(8) == 0 {
			r.Fault = errors.New(string(bs()))
		}
		var err error
		if buf, err = appendRecord(buf[:0], 1, &r); err != nil {
			t.Fatal(err)
		}
		want, _ = referenceAppendRecord(want[:0], 1, &r)
		if !bytes.Equal(buf, want) {
			t.Fatalf("record %d (%+v) encodes as\n%x\nwant\n%x", i, r, buf, want)
		}
	}
}

// TestAppendNestedMatchesReference holds appendNested, which moves a body
// whose length outgrows the byte left for it, to the bytes it wrote before
// that move was shared with the records.
func TestAppendNestedMatchesReference(t *testing.T) {
	for _, n := range []int{0, 1, 127, 128, 129, 1<<14 - 1, 1 << 14, 1<<14 + 1, 1 << 21} {
		body := bytes.Repeat([]byte{7}, n)
		got, err := appendNested([]byte("x"), 5, func(b []byte) ([]byte, error) { return append(b, body...), nil })
		if err != nil {
			t.Fatal(err)
		}
		want := protowire.AppendBytes(protowire.AppendTag([]byte("x"), 5, protowire.BytesType), body)
		if !bytes.Equal(got, want) {
			t.Errorf("body of %d bytes: %x…, want %x…", n, got[:min(len(got), 8)], want[:min(len(want), 8)])
		}
	}
}

// referenceAppendRecord, referenceRecordSize and referenceHeaderSize are
// the encoder as it was before its fast paths, a protowire call for each
// tag, length and number and a pass to size each record, kept to hold the
// encoder to the same bytes.
func referenceAppendRecord(b []byte, num protowire.Number, r *record.Record) ([]byte, error) {
	var pos []byte
	if !r.Position.IsZero() {
		var err error
		if pos, err = json.Marshal(r.Position); err != nil {
			return b, fmt.Errorf("position: %w", err)
		}
	}
	var fault string
	if r.Fault != nil {
		fault = r.Fault.Error()
	}
	b = protowire.AppendTag(b, num, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(referenceRecordSize(r, pos, fault)))
	if r.Key != nil {
		b = referenceAppendBytes(b, recordKey, r.Key)
	}
	if r.Value != nil {
		b = referenceAppendBytes(b, recordValue, r.Value)
	}
	for i := range r.Headers {
		h := &r.Headers[i]
		b = protowire.AppendTag(b, recordHeaders, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(referenceHeaderSize(h)))
		if h.Key != "" {
			b = referenceAppendBytes(b, headerKey, []byte(h.Key))
		}
		if h.Value != nil {
			b = referenceAppendBytes(b, headerValue, h.Value)
		}
	}
	if r.Topic != "" {
		b = referenceAppendBytes(b, recordTopic, []byte(r.Topic))
	}
	if r.Partition != 0 {
		b = protowire.AppendTag(b, recordPartition, protowire.VarintType)
		b = protowire.AppendVarint(b, protowire.EncodeZigZag(int64(r.Partition)))
	}
	if r.Offset != 0 {
		b = protowire.AppendTag(b, recordOffset, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(r.Offset))
	}
	if !r.Timestamp.IsZero() {
		b = protowire.AppendTag(b, recordTimestamp, protowire.Fixed64Type)
		b = protowire.AppendFixed64(b, uint64(r.Timestamp.UnixNano()))
	}
	if pos != nil {
		b = referenceAppendBytes(b, recordPosition, pos)
	}
	if r.Fault != nil {
		b = protowire.AppendTag(b, recordFault, protowire.BytesType)
		b = protowire.AppendString(b, fault)
	}
	return b, nil
}

func referenceAppendBytes(b []byte, num protowire.Number, v []byte) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendBytes(b, v)
}

func referenceRecordSize(r *record.Record, pos []byte, fault string) int {
	n := 0
	if r.Key != nil {
		n += 1 + protowire.SizeBytes(len(r.Key))
	}
	if r.Value != nil {
		n += 1 + protowire.SizeBytes(len(r.Value))
	}
	for i := range r.Headers {
		n += 1 + protowire.SizeBytes(referenceHeaderSize(&r.Headers[i]))
	}
	if r.Topic != "" {
		n += 1 + protowire.SizeBytes(len(r.Topic))
	}
	if r.Partition != 0 {
		n += 1 + protowire.SizeVarint(protowire.EncodeZigZag(int64(r.Partition)))
	}
	if r.Offset != 0 {
		n += 1 + protowire.SizeVarint(uint64(r.Offset))
	}
	if !r.Timestamp.IsZero() {
		n += 1 + protowire.SizeFixed64()
	}
	if pos != nil {
		n += 1 + protowire.SizeBytes(len(pos))
	}
	if r.Fault != nil {
		n += 1 + protowire.SizeBytes(len(fault))
	}
	return n
}

func referenceHeaderSize(h *record.Header) int {
	n := 0
	if h.Key != "" {
		n += 1 + protowire.SizeBytes(len(h.Key))
	}
	if h.Value != nil {
		n += 1 + protowire.SizeBytes(len(h.Value))
	}
	return n
}
