package pluginrpc

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/tributarydata/tributary/bus/record"
)

// Field numbers of Record and Header (plugin.proto).
const (
	recordKey       protowire.Number = 1
	recordValue     protowire.Number = 2
	recordHeaders   protowire.Number = 3
	recordTopic     protowire.Number = 4
	recordPartition protowire.Number = 5
	recordOffset    protowire.Number = 6
	recordTimestamp protowire.Number = 7
	recordPosition  protowire.Number = 8
	recordFault     protowire.Number = 9

	headerKey   protowire.Number = 1
	headerValue protowire.Number = 2
)

// recordsCap guesses the encoded size of recs, so a batch is appended into
// one buffer that rarely grows.
func recordsCap(recs []record.Record) int {
	n := 0
	for i := range recs {
		r := &recs[i]
		n += len(r.Key) + len(r.Value) + len(r.Topic) + 40
		for _, h := range r.Headers {
			n += len(h.Key) + len(h.Value) + 8
		}
	}
	return n
}

// appendRecords appends each record as field num.
func appendRecords(b []byte, num protowire.Number, recs []record.Record) ([]byte, error) {
	var err error
	for i := range recs {
		if b, err = appendRecord(b, num, &recs[i]); err != nil {
			return b, fmt.Errorf("record %d: %w", i, err)
		}
	}
	return b, nil
}

func appendRecord(b []byte, num protowire.Number, r *record.Record) ([]byte, error) {
	// The position and the fault are rendered first: the record's length
	// precedes it and depends on them.
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
	b = protowire.AppendVarint(b, uint64(recordSize(r, pos, fault)))
	if r.Key != nil {
		b = appendBytes(b, recordKey, r.Key)
	}
	if r.Value != nil {
		b = appendBytes(b, recordValue, r.Value)
	}
	for i := range r.Headers {
		h := &r.Headers[i]
		b = protowire.AppendTag(b, recordHeaders, protowire.BytesType)
		b = protowire.AppendVarint(b, uint64(headerSize(h)))
		b = appendString(b, headerKey, h.Key)
		if h.Value != nil {
			b = appendBytes(b, headerValue, h.Value)
		}
	}
	b = appendString(b, recordTopic, r.Topic)
	b = appendSint(b, recordPartition, int64(r.Partition))
	b = appendUint(b, recordOffset, uint64(r.Offset))
	if !r.Timestamp.IsZero() {
		b = protowire.AppendTag(b, recordTimestamp, protowire.Fixed64Type)
		b = protowire.AppendFixed64(b, uint64(r.Timestamp.UnixNano()))
	}
	if pos != nil {
		b = appendBytes(b, recordPosition, pos)
	}
	if r.Fault != nil {
		b = protowire.AppendTag(b, recordFault, protowire.BytesType)
		b = protowire.AppendString(b, fault)
	}
	return b, nil
}

func recordSize(r *record.Record, pos []byte, fault string) int {
	n := 0
	if r.Key != nil {
		n += 1 + protowire.SizeBytes(len(r.Key))
	}
	if r.Value != nil {
		n += 1 + protowire.SizeBytes(len(r.Value))
	}
	for i := range r.Headers {
		n += 1 + protowire.SizeBytes(headerSize(&r.Headers[i]))
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

func headerSize(h *record.Header) int {
	n := 0
	if h.Key != "" {
		n += 1 + protowire.SizeBytes(len(h.Key))
	}
	if h.Value != nil {
		n += 1 + protowire.SizeBytes(len(h.Value))
	}
	return n
}

// recordDecoder decodes the records of one message. Keys, values and header
// values are slices of the message's buffer; the headers of all records
// share one growing array, and topics and header keys, which repeat from
// record to record, are converted to strings once.
type recordDecoder struct {
	headers   []record.Header
	lastTopic string
	keys      map[string]string
}

// maxInternedKeys bounds the header-key cache against a batch of unique keys.
const maxInternedKeys = 256

func (d *recordDecoder) topic(b []byte) string {
	if string(b) != d.lastTopic {
		d.lastTopic = string(b)
	}
	return d.lastTopic
}

func (d *recordDecoder) headerKey(b []byte) string {
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

func (d *recordDecoder) record(b []byte) (record.Record, error) {
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

func (d *recordDecoder) header(b []byte) (record.Header, error) {
	var h record.Header
	err := eachField(b, func(f field) error {
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

func decodePosition(b []byte) (record.Position, error) {
	var pos record.Position
	// Numbers stay json.Number: an int64 offset above 2^53 must come back
	// exact, and sdk.OffsetInt reads json.Number as it reads float64.
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&pos); err != nil {
		return pos, fmt.Errorf("record position: %w", err)
	}
	return pos, nil
}

func appendPositions(b []byte, num protowire.Number, ps []record.Position) ([]byte, error) {
	for i := range ps {
		j, err := json.Marshal(ps[i])
		if err != nil {
			return b, fmt.Errorf("position %d: %w", i, err)
		}
		b = appendBytes(b, num, j)
	}
	return b, nil
}
