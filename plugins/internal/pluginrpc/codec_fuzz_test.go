package pluginrpc

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/tributarydata/tributary/bus/record"
)

// FuzzDecodeMatchesReference holds the record decoder to the one it
// replaced, kept below as reference*: for any bytes, a batch and a records
// response decode to the same records (into fresh and into reused memory),
// the same error and the same counts, or fail with the same error.
func FuzzDecodeMatchesReference(f *testing.F) {
	for _, seed := range decodeSeeds(f) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, reuse := range []bool{false, true} {
			// Fresh memory, or room for a few records behind one.
			recs := func() []record.Record {
				if !reuse {
					return nil
				}
				return slices.Grow(sampleRecords()[2:3], 4)
			}
			var got Batch
			gotErr := got.decode(data, recs())
			want, wantErr := referenceDecodeBatch(data, recs())
			sameOutcome(t, "batch", gotErr, wantErr, got.Records, want)

			var gotResp RecordsResponse
			gotErr = gotResp.decode(data, recs())
			wantResp, wantErr := referenceDecodeRecordsResponse(data, recs())
			sameOutcome(t, "records response", gotErr, wantErr, gotResp.Records, wantResp.Records)
			if !reflect.DeepEqual(gotResp.Err, wantResp.Err) || !reflect.DeepEqual(gotResp.Counts, wantResp.Counts) {
				t.Fatalf("records response: error %+v and counts %v, want %+v and %v", gotResp.Err, gotResp.Counts, wantResp.Err, wantResp.Counts)
			}
		}
	})
}

func sameOutcome(t *testing.T, what string, gotErr, wantErr error, got, want []record.Record) {
	t.Helper()
	if (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
		t.Fatalf("%s: error %v, want %v", what, gotErr, wantErr)
	}
	if len(got) != len(want) || cap(got) != cap(want) {
		t.Fatalf("%s: %d records (capacity %d), want %d (capacity %d)", what, len(got), cap(got), len(want), cap(want))
	}
	for i := range want {
		if diff := recordDiff(want[i], got[i]); diff != "" {
			t.Fatalf("%s: record %d: %s", what, i, diff)
		}
		if got[i].Timestamp != want[i].Timestamp {
			t.Fatalf("%s: record %d: timestamp %#v, want %#v", what, i, got[i].Timestamp, want[i].Timestamp)
		}
		for _, b := range [][]byte{got[i].Key, got[i].Value} {
			if cap(b) != len(b) {
				t.Fatalf("%s: record %d: a value's capacity runs past it", what, i)
			}
		}
		for _, h := range got[i].Headers {
			if cap(h.Value) != len(h.Value) {
				t.Fatalf("%s: record %d: a header value's capacity runs past it", what, i)
			}
		}
		if cap(got[i].Headers) != len(got[i].Headers) {
			t.Fatalf("%s: record %d: the headers' capacity runs past them", what, i)
		}
	}
}

// decodeSeeds are the fuzz target's starting inputs, and what it checks as
// a test: every record the encoder tests use, and the encodings it does not
// write but the decoder must read as protobuf reads them.
func decodeSeeds(f *testing.F) [][]byte {
	var seeds [][]byte
	// Short seeds only, as the fuzzer works best with them: the long
	// lengths are among the encodings below.
	var short []record.Record
	for _, r := range encodingRecords() {
		b, err := (&Batch{Records: []record.Record{r}}).marshal(nil)
		if err != nil {
			f.Fatal(err)
		}
		if len(b) < 200 {
			seeds = append(seeds, b)
			short = append(short, r)
		}
	}
	whole, err := (&RecordsResponse{Records: short, Err: &Error{Message: "e", Index: 3}, Counts: map[string]int64{"c": 2}}).marshal(nil)
	if err != nil {
		f.Fatal(err)
	}
	seeds = append(seeds, whole)
	// Every truncation of a record with each kind of field.
	full, _ := (&Batch{Records: sampleRecords()[2:3]}).marshal(nil)
	body, _ := protowire.ConsumeBytes(full[1:])
	for n := range full {
		seeds = append(seeds, full[:n])
	}
	for n := range body {
		seeds = append(seeds, nestedRecord(body[:n]))
	}

	tag := func(b []byte, num protowire.Number, typ protowire.Type) []byte {
		return protowire.AppendTag(b, num, typ)
	}
	bytesField := func(num protowire.Number, v string) []byte {
		return protowire.AppendString(tag(nil, num, protowire.BytesType), v)
	}
	varintField := func(num protowire.Number, v uint64) []byte {
		return protowire.AppendVarint(tag(nil, num, protowire.VarintType), v)
	}
	join := func(bs ...[]byte) []byte { return slices.Concat(bs...) }
	long := string(make([]byte, 1<<14))
	header := nestedField(recordHeaders, join(bytesField(headerKey, "k"), bytesField(headerValue, "v")))
	for _, body := range [][]byte{
		// Fields out of order, repeated, and the last one winning.
		join(varintField(recordOffset, 9), bytesField(recordValue, "v1"), bytesField(recordKey, "k"), bytesField(recordValue, "v2"), varintField(recordOffset, 10)),
		join(header, bytesField(recordTopic, "a"), header, bytesField(recordTopic, "b"), varintField(recordPartition, 3), varintField(recordPartition, 4)),
		// Tags and lengths in more bytes than they need.
		{0x8a, 0x00, 0x01, 'k'},
		{0x12, 0x81, 0x00, 'v'},
		{0x12, 0x81, 0x80, 0x00, 'v'},
		{0x28, 0x82, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00},
		{0x30, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
		{0x30, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02},
		{0x30, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
		{0x30, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
		// Partitions at and past the edges of an int32.
		varintField(recordPartition, protowire.EncodeZigZag(math.MaxInt32)),
		varintField(recordPartition, protowire.EncodeZigZag(math.MinInt32)),
		varintField(recordPartition, protowire.EncodeZigZag(math.MaxInt32+1)),
		varintField(recordPartition, protowire.EncodeZigZag(math.MinInt32-1)),
		// Values long enough for a three-byte length.
		bytesField(recordValue, long),
		nestedField(recordHeaders, bytesField(headerValue, long)),
		// Known fields of the wrong wire type.
		varintField(recordKey, 1),
		varintField(recordHeaders, 1),
		varintField(recordPosition, 1),
		bytesField(recordPartition, "x"),
		bytesField(recordOffset, "x"),
		bytesField(recordTimestamp, "12345678"),
		protowire.AppendFixed32(tag(nil, recordTimestamp, protowire.Fixed32Type), 1),
		tag(nil, recordKey, protowire.StartGroupType),
		nestedField(recordHeaders, varintField(headerKey, 1)),
		nestedField(recordHeaders, varintField(headerValue, 1)),
		// Unknown fields of every wire type, a group among them.
		join(varintField(10, 1), bytesField(11, "x"), protowire.AppendFixed32(tag(nil, 12, protowire.Fixed32Type), 1),
			protowire.AppendFixed64(tag(nil, 13, protowire.Fixed64Type), 1), tag(nil, 14, protowire.StartGroupType),
			varintField(1, 5), tag(nil, 14, protowire.EndGroupType), bytesField(recordKey, "k")),
		nestedField(recordHeaders, join(varintField(3, 1), bytesField(headerKey, "k"), bytesField(16, "x"))),
		// Headers the fast path gives up on after their first field.
		nestedField(recordHeaders, join(bytesField(headerKey, "k"), varintField(3, 1), bytesField(headerValue, "v"), bytesField(headerKey, "k2"))),
		nestedField(recordHeaders, join(bytesField(headerKey, "k"), bytesField(headerValue, long))),
		tag(nil, 14, protowire.EndGroupType),
		{0x07, 0x01},
		// Field number 0, and a tag too long.
		{0x02, 0x00},
		{0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01},
		// Fixed64 cut short.
		{0x39, 1, 2, 3, 4, 5, 6, 7},
		// The tags of headers, topic and timestamp in two bytes.
		{0x9a, 0x00, 0x03, 0x0a, 0x01, 'k'},
		{0x9a, 0x00, 0x02, 0x08, 0x01},
		{0xa2, 0x00, 0x01, 't'},
		{0xb9, 0x00, 1, 2, 3, 4, 5, 6, 7, 8},
		// A header holding a group, and one holding a broken group.
		nestedField(recordHeaders, join(tag(nil, 5, protowire.StartGroupType), varintField(1, 1), tag(nil, 5, protowire.EndGroupType), bytesField(headerKey, "k"))),
		nestedField(recordHeaders, join(bytesField(headerKey, "k"), tag(nil, 5, protowire.StartGroupType))),
		// Positions and faults, good and bad.
		bytesField(recordPosition, `{"partition":{"a":1},"offset":{"b":18446744073709551615}}`),
		bytesField(recordPosition, `[`),
		bytesField(recordFault, "fault"),
	} {
		seeds = append(seeds, nestedRecord(body), join(nestedRecord(bytesField(recordKey, "ok")), nestedRecord(body)))
	}
	// Around the records: non-records fields, a record field of the wrong
	// type or as a group, a record in a long length, and an error and
	// counts in the records response.
	rec := nestedRecord(bytesField(recordKey, "k"))
	return append(seeds, [][]byte{
		join(varintField(7, 1), rec, bytesField(8, "x"), rec),
		join(rec, varintField(1, 1), rec),
		join(rec, tag(nil, 1, protowire.StartGroupType), rec, tag(nil, 1, protowire.EndGroupType), rec),
		join([]byte{0x8a, 0x00, 0x03}, bytesField(recordKey, "k")),
		join([]byte{0x0a, 0x83, 0x80, 0x00}, bytesField(recordKey, "k")),
		join([]byte{0x8a, 0x00, 0x02}, varintField(recordKey, 1)),
		join(rec, protowire.AppendFixed32(tag(nil, 9, protowire.Fixed32Type), 1), protowire.AppendFixed64(tag(nil, 10, protowire.Fixed64Type), 1),
			tag(nil, 11, protowire.StartGroupType), rec, tag(nil, 11, protowire.EndGroupType), rec),
		join(rec, tag(nil, 11, protowire.StartGroupType), rec),
		join(rec, []byte{0x08}),
		join(rec, []byte{0x80}),
		join(rec, []byte{0x0d, 1, 2}),
		join(rec, nestedField(2, join(bytesField(1, "m"), varintField(2, 1), varintField(3, 4))), nestedField(3, join(bytesField(1, "c"), varintField(2, 5)))),
		join(rec, nestedField(2, varintField(3, protowire.EncodeZigZag(-1)))),
		join(rec, bytesField(2, "\x08")),
		join(rec, nestedField(3, bytesField(2, "x"))),
		{0x0a},
		{0x0a, 0x80},
		{0x0a, 0x05, 0x0a},
	}...)
}

func nestedField(num protowire.Number, body []byte) []byte {
	return protowire.AppendBytes(protowire.AppendTag(nil, num, protowire.BytesType), body)
}

// FuzzAppendRecordMatchesReference holds the record encoder to the one it
// replaced for records of any contents.
func FuzzAppendRecordMatchesReference(f *testing.F) {
	f.Add([]byte("k"), []byte("v"), "topic", int32(-1), int64(1<<40), int64(1700000000123456789), "h", []byte("hv"), uint8(0))
	f.Add([]byte{}, make([]byte, 120), "", int32(math.MinInt32), int64(-1), int64(-1), "", []byte{}, uint8(0xff))
	f.Add([]byte(nil), make([]byte, 16370), "t", int32(0), int64(0), int64(0), "", []byte(nil), uint8(0x0f))
	f.Fuzz(func(t *testing.T, key, value []byte, topic string, partition int32, offset, nanos int64, hkey string, hvalue []byte, flags uint8) {
		r := record.Record{Key: key, Value: value, Topic: topic, Partition: partition, Offset: offset}
		// The fuzzer never gives nil: flags choose nil bytes and which
		// optional parts the record has.
		if flags&1 != 0 {
			r.Key = nil
		}
		if flags&2 != 0 {
			r.Value = nil
		}
		if flags&4 != 0 {
			hvalue = nil
		}
		for range flags >> 6 {
			r.Headers = append(r.Headers, record.Header{Key: hkey, Value: hvalue})
		}
		if flags&8 != 0 {
			r.Timestamp = time.Unix(0, nanos)
		}
		if flags&16 != 0 {
			r.Fault = errors.New(hkey)
		}
		if flags&32 != 0 {
			r.Position = record.Position{Partition: map[string]any{"p": hkey}, Offset: map[string]any{"o": nanos}}
		}
		got, err := appendRecord([]byte("x"), 1, &r)
		if err != nil {
			t.Fatal(err)
		}
		want, err := referenceAppendRecord([]byte("x"), 1, &r)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Fatalf("%+v encodes as\n%x\nwant\n%x", r, got, want)
		}
	})
}

// The decoder as it was before its fast paths: eachField with a closure
// for the fields of every message, a record's fields read by protowire one
// by one, and a pass counting the records first.

func referenceDecodeBatch(b []byte, recs []record.Record) ([]record.Record, error) {
	var d referenceRecordDecoder
	out := slices.Grow(recs[:0], referenceCountField(b, 1))
	err := referenceEachField(b, func(f field) error {
		if f.num != 1 {
			return nil
		}
		body, err := f.msg()
		if err != nil {
			return err
		}
		r, err := d.record(body)
		if err != nil {
			return fmt.Errorf("record %d: %w", len(out), err)
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

func referenceDecodeRecordsResponse(b []byte, recs []record.Record) (RecordsResponse, error) {
	m := RecordsResponse{Records: recs}
	var d referenceRecordDecoder
	if n := referenceCountField(b, 1); n > 0 {
		m.Records = slices.Grow(recs, n)
	}
	err := referenceEachField(b, func(f field) (err error) {
		switch f.num {
		case 1:
			var body []byte
			if body, err = f.msg(); err != nil {
				return err
			}
			var r record.Record
			if r, err = d.record(body); err != nil {
				return fmt.Errorf("record %d: %w", len(m.Records), err)
			}
			m.Records = append(m.Records, r)
		case 2:
			m.Err, err = referenceDecodeError(f)
		case 3:
			var e []byte
			if e, err = f.msg(); err == nil {
				err = referenceDecodeCounts(&m.Counts, e)
			}
		}
		return err
	})
	return m, err
}

func referenceDecodeError(f field) (*Error, error) {
	b, err := f.msg()
	if err != nil {
		return nil, err
	}
	e := &Error{Index: NoIndex}
	err = referenceEachField(b, func(f field) (err error) {
		switch f.num {
		case 1:
			e.Message, err = f.str()
		case 2:
			e.Retriable, err = f.bool()
		case 3:
			var i int64
			i, err = f.sint()
			if err == nil && (i < 0 || i > int64(maxIndex)) {
				err = fmt.Errorf("record index %d is out of range", i)
			}
			e.Index = int(i)
		}
		return err
	})
	return e, err
}

func referenceDecodeCounts(m *map[string]int64, entry []byte) error {
	var k string
	var v int64
	err := referenceEachField(entry, func(f field) (err error) {
		switch f.num {
		case 1:
			k, err = f.str()
		case 2:
			var u uint64
			u, err = f.uint()
			v = int64(u)
		}
		return err
	})
	if err != nil {
		return err
	}
	if *m == nil {
		*m = map[string]int64{}
	}
	(*m)[k] = v
	return nil
}

func referenceEachField(b []byte, fn func(f field) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		f := field{num: num, typ: typ}
		switch typ {
		case protowire.BytesType:
			f.bytes, n = protowire.ConsumeBytes(b)
			f.bytes = f.bytes[:len(f.bytes):len(f.bytes)]
		case protowire.VarintType:
			f.scalar, n = protowire.ConsumeVarint(b)
		case protowire.Fixed64Type:
			f.scalar, n = protowire.ConsumeFixed64(b)
		case protowire.Fixed32Type:
			var v uint32
			v, n = protowire.ConsumeFixed32(b)
			f.scalar = uint64(v)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return protowire.ParseError(n)
			}
			b = b[n:]
			continue
		}
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		if err := fn(f); err != nil {
			return err
		}
	}
	return nil
}

func referenceCountField(b []byte, num protowire.Number) int {
	count := 0
	for len(b) > 0 {
		n0, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return count
		}
		b = b[n:]
		n = protowire.ConsumeFieldValue(n0, typ, b)
		if n < 0 {
			return count
		}
		b = b[n:]
		if n0 == num {
			count++
		}
	}
	return count
}

type referenceRecordDecoder struct {
	headers   []record.Header
	lastTopic string
	keys      map[string]string
}

func (d *referenceRecordDecoder) topic(b []byte) string {
	if string(b) != d.lastTopic {
		d.lastTopic = string(b)
	}
	return d.lastTopic
}

func (d *referenceRecordDecoder) headerKey(b []byte) string {
	if s, ok := d.keys[string(b)]; ok {
		return s
	}
	s := string(b)
	if d.keys == nil {
		d.keys = map[string]string{}
	}
	if len(d.keys) < maxInternedKeys {
		d.keys[s] = s
	}
	return s
}

func (d *referenceRecordDecoder) record(b []byte) (record.Record, error) {
	var r record.Record
	first := len(d.headers)
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return r, protowire.ParseError(n)
		}
		b = b[n:]
		switch num {
		case recordKey, recordValue, recordHeaders, recordTopic, recordPosition, recordFault:
			if typ != protowire.BytesType {
				return r, fmt.Errorf("record field %d: %w %d", num, errWireType, typ)
			}
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return r, protowire.ParseError(n)
			}
			b = b[n:]
			v = v[:len(v):len(v)]
			switch num {
			case recordKey:
				r.Key = v
			case recordValue:
				r.Value = v
			case recordHeaders:
				h, err := d.header(v)
				if err != nil {
					return r, err
				}
				d.headers = append(d.headers, h)
			case recordTopic:
				r.Topic = d.topic(v)
			case recordPosition:
				pos, err := decodePosition(v)
				if err != nil {
					return r, err
				}
				r.Position = pos
			case recordFault:
				r.Fault = errors.New(string(v))
			}
		case recordPartition, recordOffset:
			if typ != protowire.VarintType {
				return r, fmt.Errorf("record field %d: %w %d", num, errWireType, typ)
			}
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return r, protowire.ParseError(n)
			}
			b = b[n:]
			if num == recordOffset {
				r.Offset = int64(v)
				continue
			}
			p := protowire.DecodeZigZag(v)
			if p < math.MinInt32 || p > math.MaxInt32 {
				return r, fmt.Errorf("record partition %d is out of range", p)
			}
			r.Partition = int32(p)
		case recordTimestamp:
			if typ != protowire.Fixed64Type {
				return r, fmt.Errorf("record field %d: %w %d", num, errWireType, typ)
			}
			v, n := protowire.ConsumeFixed64(b)
			if n < 0 {
				return r, protowire.ParseError(n)
			}
			b = b[n:]
			r.Timestamp = time.Unix(0, int64(v))
		default:
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return r, protowire.ParseError(n)
			}
			b = b[n:]
		}
	}
	if last := len(d.headers); last > first {
		r.Headers = d.headers[first:last:last]
	}
	return r, nil
}

func (d *referenceRecordDecoder) header(b []byte) (record.Header, error) {
	var h record.Header
	err := referenceEachField(b, func(f field) error {
		switch f.num {
		case headerKey:
			if err := f.want(protowire.BytesType); err != nil {
				return err
			}
			h.Key = d.headerKey(f.bytes)
		case headerValue:
			if err := f.want(protowire.BytesType); err != nil {
				return err
			}
			h.Value = f.bytes
		}
		return nil
	})
	return h, err
}
