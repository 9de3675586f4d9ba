package pluginrpc

import (
	"fmt"
	"maps"
	"slices"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/tributarydata/tributary/bus/record"
)

// message is implemented by every request and response; the codec calls it.
// unmarshal resets the receiver first and may keep slices of b.
type message interface {
	marshal(b []byte) ([]byte, error)
	unmarshal(b []byte) error
}

// Empty is the request of calls that need no arguments.
type Empty struct{}

func (*Empty) marshal(b []byte) ([]byte, error) { return b, nil }
func (m *Empty) unmarshal(b []byte) error {
	*m = Empty{}
	return eachField(b, func(field) error { return nil })
}

// NoIndex is Error.Index of an error about no single record.
const NoIndex = -1

// Error is a plugin's error as it crosses the wire: enough to rebuild the
// sdk.RecordError and sdk.Retriable wrapping the runtime acts on.
type Error struct {
	Message   string
	Retriable bool
	// Index of the bad record in the request's batch, or NoIndex.
	Index int
}

func (e *Error) Error() string { return e.Message }

func appendError(b []byte, num protowire.Number, e *Error) ([]byte, error) {
	if e == nil {
		return b, nil
	}
	return appendNested(b, num, func(b []byte) ([]byte, error) {
		b = appendString(b, 1, e.Message)
		b = appendBool(b, 2, e.Retriable)
		if e.Index >= 0 {
			// Written even when 0: presence says it is a record's error.
			b = protowire.AppendTag(b, 3, protowire.VarintType)
			b = protowire.AppendVarint(b, protowire.EncodeZigZag(int64(e.Index)))
		}
		return b, nil
	})
}

func decodeError(f field) (*Error, error) {
	b, err := f.msg()
	if err != nil {
		return nil, err
	}
	e := &Error{Index: NoIndex}
	err = eachField(b, func(f field) (err error) {
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

// maxIndex bounds a record index from the wire to what an int holds on
// every platform.
const maxIndex = 1<<31 - 1

// Status is the answer of calls that return only an error.
type Status struct{ Err *Error }

func (m *Status) marshal(b []byte) ([]byte, error) { return appendError(b, 1, m.Err) }
func (m *Status) unmarshal(b []byte) error {
	*m = Status{}
	return eachField(b, func(f field) (err error) {
		if f.num == 1 {
			m.Err, err = decodeError(f)
		}
		return err
	})
}

// Descriptor describes one plugin of a binary.
type Descriptor struct {
	Class        string
	Aliases      []string
	Type         string
	Version      string
	Summary      string
	ConfigKeys   []ConfigKey
	Singleton    bool
	TaskConfigs  bool
	OffsetKeeper bool
}

// ConfigKey mirrors sdk.ConfigKey, which this package cannot import (the
// sdk imports it).
type ConfigKey struct {
	Name          string
	Type          string
	Required      bool
	DefaultValue  *string
	Importance    string
	Documentation string
	Group         string
	Width         string
	DisplayName   string
	Dependents    []string
	Order         int
	Enum          []string
}

// DescribeResponse lists the plugins of a binary.
type DescribeResponse struct{ Plugins []Descriptor }

func (m *DescribeResponse) marshal(b []byte) ([]byte, error) {
	var err error
	for i := range m.Plugins {
		d := &m.Plugins[i]
		b, err = appendNested(b, 1, func(b []byte) ([]byte, error) {
			b = appendString(b, 1, d.Class)
			b = appendStrings(b, 2, d.Aliases)
			b = appendString(b, 3, d.Type)
			b = appendString(b, 4, d.Version)
			b = appendString(b, 5, d.Summary)
			for j := range d.ConfigKeys {
				k := &d.ConfigKeys[j]
				b, _ = appendNested(b, 6, func(b []byte) ([]byte, error) { return k.marshal(b), nil })
			}
			b = appendBool(b, 7, d.Singleton)
			b = appendBool(b, 8, d.TaskConfigs)
			b = appendBool(b, 9, d.OffsetKeeper)
			return b, nil
		})
		if err != nil {
			return b, err
		}
	}
	return b, nil
}

func (m *DescribeResponse) unmarshal(b []byte) error {
	*m = DescribeResponse{}
	return eachField(b, func(f field) error {
		if f.num != 1 {
			return nil
		}
		body, err := f.msg()
		if err != nil {
			return err
		}
		var d Descriptor
		err = eachField(body, func(f field) (err error) {
			switch f.num {
			case 1:
				d.Class, err = f.str()
			case 2:
				var s string
				s, err = f.str()
				d.Aliases = append(d.Aliases, s)
			case 3:
				d.Type, err = f.str()
			case 4:
				d.Version, err = f.str()
			case 5:
				d.Summary, err = f.str()
			case 6:
				var kb []byte
				if kb, err = f.msg(); err == nil {
					var k ConfigKey
					err = k.unmarshal(kb)
					d.ConfigKeys = append(d.ConfigKeys, k)
				}
			case 7:
				d.Singleton, err = f.bool()
			case 8:
				d.TaskConfigs, err = f.bool()
			case 9:
				d.OffsetKeeper, err = f.bool()
			}
			return err
		})
		m.Plugins = append(m.Plugins, d)
		return err
	})
}

func (k *ConfigKey) marshal(b []byte) []byte {
	b = appendString(b, 1, k.Name)
	b = appendString(b, 2, k.Type)
	b = appendBool(b, 3, k.Required)
	if k.DefaultValue != nil {
		b = protowire.AppendTag(b, 4, protowire.BytesType)
		b = protowire.AppendString(b, *k.DefaultValue)
	}
	b = appendString(b, 5, k.Importance)
	b = appendString(b, 6, k.Documentation)
	b = appendString(b, 7, k.Group)
	b = appendString(b, 8, k.Width)
	b = appendString(b, 9, k.DisplayName)
	b = appendStrings(b, 10, k.Dependents)
	b = appendSint(b, 11, int64(k.Order))
	return appendStrings(b, 12, k.Enum)
}

func (k *ConfigKey) unmarshal(b []byte) error {
	*k = ConfigKey{}
	return eachField(b, func(f field) (err error) {
		var s string
		switch f.num {
		case 1:
			k.Name, err = f.str()
		case 2:
			k.Type, err = f.str()
		case 3:
			k.Required, err = f.bool()
		case 4:
			s, err = f.str()
			k.DefaultValue = &s
		case 5:
			k.Importance, err = f.str()
		case 6:
			k.Documentation, err = f.str()
		case 7:
			k.Group, err = f.str()
		case 8:
			k.Width, err = f.str()
		case 9:
			k.DisplayName, err = f.str()
		case 10:
			s, err = f.str()
			k.Dependents = append(k.Dependents, s)
		case 11:
			var o int64
			o, err = f.sint()
			k.Order = int(o)
		case 12:
			s, err = f.str()
			k.Enum = append(k.Enum, s)
		}
		return err
	})
}

// ConfigRequest asks a plugin about a connector config: Validate, or
// TaskConfigs with MaxTasks.
type ConfigRequest struct {
	Class    string
	Config   map[string]string
	MaxTasks int
}

func (m *ConfigRequest) marshal(b []byte) ([]byte, error) {
	b = appendString(b, 1, m.Class)
	b = appendStringMap(b, 2, m.Config)
	return appendSint(b, 3, int64(m.MaxTasks)), nil
}

func (m *ConfigRequest) unmarshal(b []byte) error {
	*m = ConfigRequest{}
	return eachField(b, func(f field) (err error) {
		switch f.num {
		case 1:
			m.Class, err = f.str()
		case 2:
			var e []byte
			if e, err = f.msg(); err == nil {
				err = decodeStringMap(&m.Config, e)
			}
		case 3:
			var n int64
			n, err = f.sint()
			if err == nil && (n < 0 || n > maxIndex) {
				err = fmt.Errorf("max tasks %d is out of range", n)
			}
			m.MaxTasks = int(n)
		}
		return err
	})
}

// ValidateResponse holds the problems of a config per key.
type ValidateResponse struct {
	Problems map[string][]string
	Err      *Error
}

func (m *ValidateResponse) marshal(b []byte) ([]byte, error) {
	var err error
	for _, k := range slices.Sorted(maps.Keys(m.Problems)) {
		b, err = appendNested(b, 1, func(b []byte) ([]byte, error) {
			b = appendString(b, 1, k)
			return appendStrings(b, 2, m.Problems[k]), nil
		})
		if err != nil {
			return b, err
		}
	}
	return appendError(b, 2, m.Err)
}

func (m *ValidateResponse) unmarshal(b []byte) error {
	*m = ValidateResponse{}
	return eachField(b, func(f field) (err error) {
		switch f.num {
		case 1:
			var key string
			var msgs []string
			err = f.fields(func(f field) (err error) {
				switch f.num {
				case 1:
					key, err = f.str()
				case 2:
					var s string
					s, err = f.str()
					msgs = append(msgs, s)
				}
				return err
			})
			if m.Problems == nil {
				m.Problems = map[string][]string{}
			}
			m.Problems[key] = append(m.Problems[key], msgs...)
		case 2:
			m.Err, err = decodeError(f)
		}
		return err
	})
}

// TaskConfigsResponse holds the task configs a connector config splits into.
type TaskConfigsResponse struct {
	Configs []map[string]string
	Err     *Error
}

func (m *TaskConfigsResponse) marshal(b []byte) ([]byte, error) {
	var err error
	for _, c := range m.Configs {
		b, err = appendNested(b, 1, func(b []byte) ([]byte, error) { return appendStringMap(b, 1, c), nil })
		if err != nil {
			return b, err
		}
	}
	return appendError(b, 2, m.Err)
}

func (m *TaskConfigsResponse) unmarshal(b []byte) error {
	*m = TaskConfigsResponse{}
	return eachField(b, func(f field) (err error) {
		switch f.num {
		case 1:
			c := map[string]string{}
			err = f.fields(func(f field) error {
				if f.num != 1 {
					return nil
				}
				e, err := f.msg()
				if err != nil {
					return err
				}
				return decodeStringMap(&c, e)
			})
			m.Configs = append(m.Configs, c)
		case 2:
			m.Err, err = decodeError(f)
		}
		return err
	})
}

// OpenRequest creates the process's task instance.
type OpenRequest struct {
	Class  string
	Config map[string]string
	// Last holds a source's stored positions.
	Last []record.Position
}

func (m *OpenRequest) marshal(b []byte) ([]byte, error) {
	b = appendString(b, 1, m.Class)
	b = appendStringMap(b, 2, m.Config)
	return appendPositions(b, 3, m.Last)
}

func (m *OpenRequest) unmarshal(b []byte) error {
	*m = OpenRequest{}
	return eachField(b, func(f field) (err error) {
		switch f.num {
		case 1:
			m.Class, err = f.str()
		case 2:
			var e []byte
			if e, err = f.msg(); err == nil {
				err = decodeStringMap(&m.Config, e)
			}
		case 3:
			var j []byte
			if j, err = f.msg(); err == nil {
				var p record.Position
				p, err = decodePosition(j)
				m.Last = append(m.Last, p)
			}
		}
		return err
	})
}

// Batch is the records of a Process or Write call.
type Batch struct{ Records []record.Record }

func (m *Batch) sizeHint() int { return recordsCap(m.Records) }

func (m *Batch) marshal(b []byte) ([]byte, error) {
	if b == nil {
		b = make([]byte, 0, m.sizeHint())
	}
	return appendRecords(b, 1, m.Records)
}

func (m *Batch) unmarshal(b []byte) error { return m.decode(b, nil) }

// decode is unmarshal with the records decoded into recs's memory when it
// has room.
func (m *Batch) decode(b []byte, recs []record.Record) error {
	*m = Batch{}
	m.Records = slices.Grow(recs[:0], countField(b, 1))
	return decodeRecords(b, 1, &m.Records, nil)
}

// RecordsResponse answers Process (the transform's outputs) and Read (the
// source's batch).
type RecordsResponse struct {
	Records []record.Record
	Err     *Error
	// Counts are the instance's sdk.Counted totals, when it counts.
	Counts map[string]int64
}

func (m *RecordsResponse) sizeHint() int { return recordsCap(m.Records) + 64 + 32*len(m.Counts) }

func (m *RecordsResponse) marshal(b []byte) ([]byte, error) {
	if b == nil {
		b = make([]byte, 0, m.sizeHint())
	}
	b, err := appendRecords(b, 1, m.Records)
	if err != nil {
		return b, err
	}
	if b, err = appendError(b, 2, m.Err); err != nil {
		return b, err
	}
	return appendCounts(b, 3, m.Counts), nil
}

func (m *RecordsResponse) unmarshal(b []byte) error { return m.decode(b, nil) }

// decode is unmarshal with the records appended to recs, in its memory
// when it has room.
func (m *RecordsResponse) decode(b []byte, recs []record.Record) error {
	*m = RecordsResponse{Records: recs}
	if n := countField(b, 1); n > 0 {
		m.Records = slices.Grow(recs, n)
	}
	return decodeRecords(b, 1, &m.Records, func(f field) (err error) {
		switch f.num {
		case 2:
			m.Err, err = decodeError(f)
		case 3:
			var e []byte
			if e, err = f.msg(); err == nil {
				err = decodeCounts(&m.Counts, e)
			}
		}
		return err
	})
}

// WriteResponse answers Write: how many leading records the sink accepted.
type WriteResponse struct {
	Written int
	Err     *Error
	Counts  map[string]int64
}

func (m *WriteResponse) marshal(b []byte) ([]byte, error) {
	b = appendUint(b, 1, uint64(m.Written))
	b, err := appendError(b, 2, m.Err)
	if err != nil {
		return b, err
	}
	return appendCounts(b, 3, m.Counts), nil
}

func (m *WriteResponse) unmarshal(b []byte) error {
	*m = WriteResponse{}
	return eachField(b, func(f field) (err error) {
		switch f.num {
		case 1:
			var n uint64
			n, err = f.uint()
			if err == nil && n > maxIndex {
				err = fmt.Errorf("written count %d is out of range", n)
			}
			m.Written = int(n)
		case 2:
			m.Err, err = decodeError(f)
		case 3:
			var e []byte
			if e, err = f.msg(); err == nil {
				err = decodeCounts(&m.Counts, e)
			}
		}
		return err
	})
}

// TopicOffset is one entry of a sink's stored offsets.
type TopicOffset struct {
	Topic     string
	Partition int32
	Offset    int64
}

// OffsetsResponse answers StoredOffsets.
type OffsetsResponse struct {
	Offsets []TopicOffset
	Err     *Error
}

func (m *OffsetsResponse) marshal(b []byte) ([]byte, error) {
	var err error
	for _, o := range m.Offsets {
		b, err = appendNested(b, 1, func(b []byte) ([]byte, error) {
			b = appendString(b, 1, o.Topic)
			b = appendUint(b, 2, uint64(int64(o.Partition)))
			return appendUint(b, 3, uint64(o.Offset)), nil
		})
		if err != nil {
			return b, err
		}
	}
	return appendError(b, 2, m.Err)
}

func (m *OffsetsResponse) unmarshal(b []byte) error {
	*m = OffsetsResponse{}
	return eachField(b, func(f field) (err error) {
		switch f.num {
		case 1:
			var o TopicOffset
			err = f.fields(func(f field) (err error) {
				var v uint64
				switch f.num {
				case 1:
					o.Topic, err = f.str()
				case 2:
					v, err = f.uint()
					o.Partition = int32(v)
				case 3:
					v, err = f.uint()
					o.Offset = int64(v)
				}
				return err
			})
			m.Offsets = append(m.Offsets, o)
		case 2:
			m.Err, err = decodeError(f)
		}
		return err
	})
}

// AckRequest carries the positions a source may release.
type AckRequest struct{ Positions []record.Position }

func (m *AckRequest) marshal(b []byte) ([]byte, error) { return appendPositions(b, 1, m.Positions) }

func (m *AckRequest) unmarshal(b []byte) error {
	*m = AckRequest{}
	return eachField(b, func(f field) (err error) {
		if f.num != 1 {
			return nil
		}
		var j []byte
		if j, err = f.msg(); err == nil {
			var p record.Position
			p, err = decodePosition(j)
			m.Positions = append(m.Positions, p)
		}
		return err
	})
}
