package applog

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tributarydata/tributary/plugins/sdk"
)

// Headers of every record.
const (
	// HeaderApp names the app whose API key sent the event; absent when
	// api.keys is empty.
	HeaderApp = "tributary.app"
	// HeaderReceivedAt is when the collector received the request, RFC 3339
	// in UTC with milliseconds.
	HeaderReceivedAt = "tributary.received.at"
	// HeaderTruncated is set on a dead letter whose event was cut to
	// maxFaultValue bytes; its value is the event's full length.
	HeaderTruncated = "tributary.event.truncated"
)

const (
	// maxFaultValue bounds the value of a dead letter: enough to see what
	// was wrong, never a record the broker refuses.
	maxFaultValue = 64 << 10
	// maxClockSkew is how far in the future an event time may lie; later
	// ones come from a wrong device clock, and a broker may refuse them
	// (message.timestamp.after.max.ms), failing the whole batch.
	maxClockSkew = time.Hour
	// maxTopicLen is Kafka's limit on topic names.
	maxTopicLen = 249
	// recordOverhead approximates what a record costs besides its value,
	// for max.pending.bytes.
	recordOverhead = 256
)

// maxEventTime is the last millisecond of year 9999: RFC 3339 ends there.
var maxEventTime = time.Date(9999, 12, 31, 23, 59, 59, 999e6, time.UTC)

// InvalidEvent is the Fault of a dead-lettered event; its message is the
// reason the client was given, and its type name appears in the dead letter's
// __connect.errors.exception.class.name header.
type InvalidEvent struct{ Reason string }

func (e *InvalidEvent) Error() string { return e.Reason }

// fieldPath names an event field: a top-level name, or a dotted path into
// nested objects when no top-level field has the name.
type fieldPath struct {
	name  string
	parts []string // name split at dots; one part when it has none
}

func newFieldPath(name string) fieldPath {
	if name == "" {
		return fieldPath{}
	}
	return fieldPath{name: name, parts: strings.Split(name, ".")}
}

func (p fieldPath) set() bool { return p.name != "" }

// lookup returns the field's JSON value in the object obj, nil when it is
// absent or null.
func (p fieldPath) lookup(obj []byte) []byte {
	if v := member(obj, p.name); v != nil || len(p.parts) == 1 {
		return nonNull(v)
	}
	for i, part := range p.parts {
		v := member(obj, part)
		if v == nil {
			return nil
		}
		if i == len(p.parts)-1 {
			return nonNull(v)
		}
		if v[0] != '{' {
			return nil
		}
		obj = v
	}
	return nil
}

func nonNull(v []byte) []byte {
	if len(v) == 0 || string(v) == "null" {
		return nil
	}
	return v
}

// builder turns events into records, as the config says.
type builder struct {
	topic          string
	route          fieldPath
	routes         map[string]string // route value -> topic
	prefix         string
	key            fieldPath
	timestamp      fieldPath
	maxRecordBytes int
	faultValueMax  int
}

func newBuilder(c *Config, maxRecordBytes int) (*builder, error) {
	b := &builder{
		topic: c.Topic, route: newFieldPath(c.RouteField), prefix: c.TopicPrefix,
		key: newFieldPath(c.KeyField), timestamp: newFieldPath(c.TimestampField),
		maxRecordBytes: maxRecordBytes, faultValueMax: min(maxFaultValue, maxRecordBytes/2),
		routes: map[string]string{},
	}
	for _, pair := range c.RouteTopics {
		i := strings.LastIndexByte(pair, ':')
		if i <= 0 || i == len(pair)-1 {
			return nil, fmt.Errorf("route.topics: %q is not value:topic", pair)
		}
		value, topic := pair[:i], pair[i+1:]
		if !legalTopic(topic) {
			return nil, fmt.Errorf("route.topics: %q is not a legal topic name", topic)
		}
		if _, dup := b.routes[value]; dup {
			return nil, fmt.Errorf("route.topics: value %q is mapped twice", value)
		}
		b.routes[value] = topic
	}
	if !legalTopic(c.Topic) {
		return nil, fmt.Errorf("topic: %q is not a legal topic name", c.Topic)
	}
	routed := len(b.routes) > 0 || b.prefix != ""
	if b.route.set() != routed {
		return nil, errors.New("route.field, and route.topics or topic.prefix, go together")
	}
	return b, nil
}

// record builds the record of a valid event, or says why the event is
// invalid. headers become the record's.
func (b *builder) record(data []byte, headers []sdk.Header, received time.Time) (sdk.Record, error) {
	rec := sdk.Record{Value: data, Headers: headers, Topic: b.topic, Partition: -1, Timestamp: received}
	// data is a valid JSON object (parseBatch checked), which the scans of
	// lookup rely on.
	if b.route.set() {
		topic, err := b.topicOf(b.route.lookup(data))
		if err != nil {
			return rec, err
		}
		rec.Topic = topic
	}
	if b.key.set() {
		rec.Key = keyOf(b.key.lookup(data))
	}
	if b.timestamp.set() {
		ts, err := b.timeOf(b.timestamp.lookup(data), received)
		if err != nil {
			return rec, err
		}
		rec.Timestamp = ts
	}
	if size := recordSize(&rec); size > b.maxRecordBytes {
		return rec, fmt.Errorf("event makes a record of %d bytes, over max.record.bytes=%d", size, b.maxRecordBytes)
	}
	return rec, nil
}

// fault builds the dead letter of an invalid event.
func (b *builder) fault(data []byte, headers []sdk.Header, received time.Time, reason error) sdk.Record {
	rec := sdk.Record{
		Value: data, Headers: headers, Topic: b.topic, Partition: -1, Timestamp: received,
		Fault: &InvalidEvent{Reason: reason.Error()},
	}
	if len(data) > b.faultValueMax {
		rec.Value = data[:b.faultValueMax]
		rec.Headers = append(headers[:len(headers):len(headers)], sdk.Header{Key: HeaderTruncated, Value: strconv.AppendInt(nil, int64(len(data)), 10)})
	}
	return rec
}

// topicOf picks the topic for a route value.
func (b *builder) topicOf(raw []byte) (string, error) {
	if raw == nil {
		return b.topic, nil
	}
	if raw[0] != '"' {
		return "", fmt.Errorf("route field %q is a JSON %s, not a string", b.route.name, jsonKind(raw[0]))
	}
	value, err := jsonString(raw)
	if err != nil {
		return "", fmt.Errorf("route field %q: %w", b.route.name, err)
	}
	if topic, ok := b.routes[string(value)]; ok {
		return topic, nil
	}
	if b.prefix == "" {
		return b.topic, nil
	}
	if topic := b.prefix + string(value); legalTopic(topic) {
		return topic, nil
	}
	return "", fmt.Errorf("route field %q: value %s does not make a legal topic name (at most %d of a-z A-Z 0-9 . _ -)",
		b.route.name, shortQuote(string(value)), maxTopicLen-len(b.prefix))
}

// keyOf is a string's text or another value's JSON. It may share raw's
// bytes, which are the event's.
func keyOf(raw []byte) []byte {
	if raw == nil {
		return nil
	}
	if raw[0] == '"' {
		if s, err := jsonString(raw); err == nil {
			return s
		}
	}
	return raw
}

// timeOf reads an event time: milliseconds since the epoch or RFC 3339.
func (b *builder) timeOf(raw []byte, received time.Time) (time.Time, error) {
	if raw == nil {
		return received, nil
	}
	var t time.Time
	switch {
	case raw[0] == '"':
		s, err := jsonString(raw)
		if err != nil {
			return received, fmt.Errorf("timestamp field %q: %w", b.timestamp.name, err)
		}
		if t, err = time.Parse(time.RFC3339Nano, string(s)); err != nil {
			return received, fmt.Errorf("timestamp field %q: %s is not an RFC 3339 time", b.timestamp.name, shortQuote(string(s)))
		}
	case raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9':
		ms, err := strconv.ParseFloat(string(raw), 64)
		if err != nil || math.IsInf(ms, 0) || ms < 0 || ms > float64(maxEventTime.UnixMilli()) {
			return received, fmt.Errorf("timestamp field %q: %s is not milliseconds between 1970 and 9999", b.timestamp.name, shortQuote(string(raw)))
		}
		t = time.UnixMilli(int64(ms))
	default:
		return received, fmt.Errorf("timestamp field %q is a JSON %s, not milliseconds or an RFC 3339 string", b.timestamp.name, jsonKind(raw[0]))
	}
	if t.Before(time.Unix(0, 0)) || t.After(maxEventTime) {
		return received, fmt.Errorf("timestamp field %q: %s is not between 1970 and 9999", b.timestamp.name, shortQuote(string(raw)))
	}
	if t.After(received.Add(maxClockSkew)) {
		return received, nil
	}
	return t, nil
}

// legalTopic reports whether Kafka accepts name as a topic.
func legalTopic(name string) bool {
	if name == "" || len(name) > maxTopicLen || name == "." || name == ".." {
		return false
	}
	for i := range len(name) {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// recordSize is the runtime's estimate of a record on the wire, which it
// checks against max.record.bytes.
func recordSize(r *sdk.Record) int {
	n := len(r.Key) + len(r.Value) + 64
	for _, h := range r.Headers {
		n += len(h.Key) + len(h.Value) + 8
	}
	return n
}

// shortQuote quotes a client's value for an error message, cut to keep the
// message short.
func shortQuote(s string) string {
	const limit = 64
	if len(s) > limit {
		cut := limit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return strconv.Quote(s[:cut]) + "…"
	}
	return strconv.Quote(s)
}
