package pluginrpc

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
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

// Their tags as appendRecord writes them: one byte each, since every
// number is below 16.
const (
	tagKey         = byte(recordKey)<<3 | byte(protowire.BytesType)
	tagValue       = byte(recordValue)<<3 | byte(protowire.BytesType)
	tagHeaders     = byte(recordHeaders)<<3 | byte(protowire.BytesType)
	tagTopic       = byte(recordTopic)<<3 | byte(protowire.BytesType)
	tagPartition   = byte(recordPartition)<<3 | byte(protowire.VarintType)
	tagOffset      = byte(recordOffset)<<3 | byte(protowire.VarintType)
	tagTimestamp   = byte(recordTimestamp)<<3 | byte(protowire.Fixed64Type)
	tagPosition    = byte(recordPosition)<<3 | byte(protowire.BytesType)
	tagFault       = byte(recordFault)<<3 | byte(protowire.BytesType)
	tagHeaderKey   = byte(headerKey)<<3 | byte(protowire.BytesType)
	tagHeaderValue = byte(headerValue)<<3 | byte(protowire.BytesType)
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
	// Rather than a pass to size the record exactly, room is left for its
	// length as wide as the record's contents suggest, and endLength
	// moves the record in the rare case that the guess was wrong. The
	// guess adds to the contents the tags and lengths of a usual record,
	// and the buffer grows once by more than the record can take.
	guess := len(r.Key) + len(r.Value) + len(r.Topic) + len(pos) + len(fault) + 24
	for i := range r.Headers {
		guess += len(r.Headers[i].Key) + len(r.Headers[i].Value) + 6
	}
	b = slices.Grow(b, guess+64)
	if num > 0 && num < 16 {
		b = append(b, byte(num)<<3|byte(protowire.BytesType))
	} else {
		b = protowire.AppendTag(b, num, protowire.BytesType)
	}
	at, w := len(b), protowire.SizeVarint(uint64(guess))
	b = b[:at+w]
	if r.Key != nil {
		b = append(appendVarint(append(b, tagKey), uint64(len(r.Key))), r.Key...)
	}
	if r.Value != nil {
		b = append(appendVarint(append(b, tagValue), uint64(len(r.Value))), r.Value...)
	}
	for i := range r.Headers {
		h := &r.Headers[i]
		// A header is short: its length takes a byte.
		b = append(b, tagHeaders, 0)
		at := len(b) - 1
		if h.Key != "" {
			b = append(appendVarint(append(b, tagHeaderKey), uint64(len(h.Key))), h.Key...)
		}
		if h.Value != nil {
			b = append(appendVarint(append(b, tagHeaderValue), uint64(len(h.Value))), h.Value...)
		}
		b = endLength(b, at, 1)
	}
	if r.Topic != "" {
		b = append(appendVarint(append(b, tagTopic), uint64(len(r.Topic))), r.Topic...)
	}
	if r.Partition != 0 {
		b = appendVarint(append(b, tagPartition), protowire.EncodeZigZag(int64(r.Partition)))
	}
	if r.Offset != 0 {
		b = appendVarint(append(b, tagOffset), uint64(r.Offset))
	}
	if !r.Timestamp.IsZero() {
		b = binary.LittleEndian.AppendUint64(append(b, tagTimestamp), uint64(r.Timestamp.UnixNano()))
	}
	if pos != nil {
		b = append(appendVarint(append(b, tagPosition), uint64(len(pos))), pos...)
	}
	if r.Fault != nil {
		b = append(appendVarint(append(b, tagFault), uint64(len(fault))), fault...)
	}
	return endLength(b, at, w), nil
}

// decodeRecords appends to *recs the records of message b, field num, and
// hands every other field to other (nil to skip them). It is eachField with
// the record field read inline: that closure call and the generic field
// reading were a large part of a batch's decoding.
func decodeRecords(b []byte, num protowire.Number, recs *[]record.Record, other func(field) error) error {
	var d recordDecoder
	tag := -1 // the field's tag when it is one byte, as in every message with records
	if num > 0 && num < 16 {
		tag = int(num)<<3 | int(protowire.BytesType)
	}
	for len(b) > 0 {
		if int(b[0]) == tag {
			if body, rest, ok := cutBytes(b[1:]); ok {
				if err := d.add(recs, body); err != nil {
					return err
				}
				b = rest
				continue
			}
		}
		// Anything else, including a record field that cutBytes
		// does not read, is read as eachField reads it, errors included.
		f, n, ok := consumeField(b)
		if n < 0 {
			return protowire.ParseError(n)
		}
		b = b[n:]
		switch {
		case !ok:
		case f.num == num:
			body, err := f.msg()
			if err != nil {
				return err
			}
			if err := d.add(recs, body); err != nil {
				return err
			}
		case other != nil:
			if err := other(f); err != nil {
				return err
			}
		}
	}
	return nil
}

// add decodes a record into a new last element of *recs, in place rather
// than through a copy, and drops it if it fails to decode.
func (d *recordDecoder) add(recs *[]record.Record, body []byte) error {
	i := len(*recs)
	*recs = append(*recs, record.Record{})
	if err := d.record(&(*recs)[i], body); err != nil {
		(*recs)[i] = record.Record{}
		*recs = (*recs)[:i]
		return fmt.Errorf("record %d: %w", i, err)
	}
	return nil
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

// record decodes a record's body. The fields as appendRecord writes them
// are read here directly, by their tag byte; whatever else b holds (another
// encoding of the same fields, unknown fields, a wrong wire type, a
// truncated field) goes to field, which reads any protobuf field.
func (d *recordDecoder) record(r *record.Record, b []byte) error {
	first := len(d.headers)
	for len(b) > 0 {
		// Each case either reads its field whole and continues, or
		// breaks out, having changed nothing, to let field read it.
		switch b[0] {
		case tagKey:
			v, rest, ok := cutBytes(b[1:])
			if !ok {
				break
			}
			r.Key, b = v, rest
			continue
		case tagValue:
			v, rest, ok := cutBytes(b[1:])
			if !ok {
				break
			}
			r.Value, b = v, rest
			continue
		case tagHeaders:
			v, rest, ok := cutBytes(b[1:])
			if !ok {
				break
			}
			h, err := d.header(v)
			if err != nil {
				return err
			}
			d.headers = append(d.headers, h)
			b = rest
			continue
		case tagTopic:
			v, rest, ok := cutBytes(b[1:])
			if !ok {
				break
			}
			r.Topic, b = d.topic(v), rest
			continue
		case tagPartition:
			v, n := readVarint(b[1:])
			p := protowire.DecodeZigZag(v)
			if n == 0 || p < math.MinInt32 || p > math.MaxInt32 {
				break
			}
			r.Partition, b = int32(p), b[1+n:]
			continue
		case tagOffset:
			v, n := readVarint(b[1:])
			if n == 0 {
				break
			}
			r.Offset, b = int64(v), b[1+n:]
			continue
		case tagTimestamp:
			if len(b) < 9 {
				break
			}
			r.Timestamp, b = time.Unix(0, int64(binary.LittleEndian.Uint64(b[1:9]))), b[9:]
			continue
		}
		// Positions and faults come this way too: decoding a position
		// costs far more than reading its field.
		var err error
		if b, err = d.field(r, b); err != nil {
			return err
		}
	}
	if last := len(d.headers); last > first {
		r.Headers = d.headers[first:last:last]
	}
	return nil
}

// field decodes the field at the start of b into r, whatever its encoding,
// and returns the rest of b.
func (d *recordDecoder) field(r *record.Record, b []byte) ([]byte, error) {
	num, typ, n := protowire.ConsumeTag(b)
	if n < 0 {
		return b, protowire.ParseError(n)
	}
	b = b[n:]
	switch num {
	case recordKey, recordValue, recordHeaders, recordTopic, recordPosition, recordFault:
		if typ != protowire.BytesType {
			return b, fmt.Errorf("record field %d: %w %d", num, errWireType, typ)
		}
		v, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return b, protowire.ParseError(n)
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
				return b, err
			}
			d.headers = append(d.headers, h)
		case recordTopic:
			r.Topic = d.topic(v)
		case recordPosition:
			pos, err := decodePosition(v)
			if err != nil {
				return b, err
			}
			r.Position = pos
		case recordFault:
			r.Fault = errors.New(string(v))
		}
	case recordPartition, recordOffset:
		if typ != protowire.VarintType {
			return b, fmt.Errorf("record field %d: %w %d", num, errWireType, typ)
		}
		v, n := protowire.ConsumeVarint(b)
		if n < 0 {
			return b, protowire.ParseError(n)
		}
		b = b[n:]
		if num == recordOffset {
			r.Offset = int64(v)
			break
		}
		p := protowire.DecodeZigZag(v)
		if p < math.MinInt32 || p > math.MaxInt32 {
			return b, fmt.Errorf("record partition %d is out of range", p)
		}
		r.Partition = int32(p)
	case recordTimestamp:
		if typ != protowire.Fixed64Type {
			return b, fmt.Errorf("record field %d: %w %d", num, errWireType, typ)
		}
		v, n := protowire.ConsumeFixed64(b)
		if n < 0 {
			return b, protowire.ParseError(n)
		}
		b = b[n:]
		r.Timestamp = time.Unix(0, int64(v))
	default:
		n := protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			return b, protowire.ParseError(n)
		}
		b = b[n:]
	}
	return b, nil
}

// header decodes a header: its fields as appendRecord writes them are read
// directly, and a header with anything else is decoded again by
// headerFields.
func (d *recordDecoder) header(b []byte) (record.Header, error) {
	var h record.Header
	// Keys interned before headerFields takes over are ones it interns
	// too, so starting over changes nothing.
	for all := b; len(b) > 0; {
		tag := b[0]
		if tag != tagHeaderKey && tag != tagHeaderValue {
			return d.headerFields(all)
		}
		v, rest, ok := cutBytes(b[1:])
		if !ok {
			return d.headerFields(all)
		}
		if tag == tagHeaderKey {
			h.Key = d.headerKey(v)
		} else {
			h.Value = v
		}
		b = rest
	}
	return h, nil
}

// headerFields decodes a header in any encoding.
func (d *recordDecoder) headerFields(b []byte) (record.Header, error) {
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
