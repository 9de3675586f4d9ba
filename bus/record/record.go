package record

import (
	"time"
)

// Header is one Kafka record header. Order and duplicates are preserved, as in Kafka.
type Header struct {
	Key   string
	Value []byte
}

// Record is one message on its way through the bus.
//
// Topic, Partition and Offset are set by the runtime for records read from
// Kafka; a source sets Topic (or leaves it empty for the connector's default
// topic) and Position. Partition is -1 when the producer's partitioner decides.
type Record struct {
	Key       []byte
	Value     []byte
	Headers   []Header
	Topic     string
	Partition int32
	Offset    int64
	Timestamp time.Time

	// Position is where a source read this record; the runtime persists the
	// latest position per Position.Partition after Kafka acknowledged the record.
	Position Position

	// Fault, set by a source on input it could not read (a malformed event, a
	// value that does not decode), says why. The runtime sends such a record
	// to the dead-letter topic with Fault as the reason when errors.tolerance
	// is all, and fails the task otherwise; its position counts as read
	// either way, so bad input neither vanishes nor blocks the stream.
	Fault error
}

// Header returns the value of the last header named key, and whether there is one.
func (r *Record) Header(key string) ([]byte, bool) {
	for i := len(r.Headers) - 1; i >= 0; i-- {
		if r.Headers[i].Key == key {
			return r.Headers[i].Value, true
		}
	}
	return nil, false
}

// SetHeader replaces every header named key with a single one.
func (r *Record) SetHeader(key string, value []byte) {
	kept := r.Headers[:0]
	for _, h := range r.Headers {
		if h.Key != key {
			kept = append(kept, h)
		}
	}
	r.Headers = append(kept, Header{Key: key, Value: value})
}

// Clone returns a deep copy, so a transform may change it without touching the original.
func (r Record) Clone() Record {
	c := r
	c.Key = cloneBytes(r.Key)
	c.Value = cloneBytes(r.Value)
	if r.Headers != nil {
		c.Headers = make([]Header, len(r.Headers))
		for i, h := range r.Headers {
			c.Headers[i] = Header{Key: h.Key, Value: cloneBytes(h.Value)}
		}
	}
	c.Position = r.Position.Clone()
	return c
}

func cloneBytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte(nil), b...)
}
