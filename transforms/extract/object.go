package extract

import (
	"fmt"

	"github.com/tributarydata/tributary/transforms/value"
)

// Object appends to row every top-level field of the JSON object data, in
// their order: strings, numbers, booleans and nulls typed as Extract types
// them, nested objects and arrays as their JSON text (value.JSON). Of
// duplicate keys the last value counts, at the position of the first. It
// is how a chain reads a record whose steps work on whole top-level fields.
//
// The rules on input are Extract's: data must be one JSON object, nested
// no deeper than maxDepth (0 or less means DefaultMaxDepth). Names and
// values point into data when they can, so they are valid only while data
// is unchanged. On error the row is left as it was.
func Object(data []byte, row *value.Row, maxDepth int) error {
	start := len(row.Fields)
	if err := object(data, row, maxDepth); err != nil {
		clear(row.Fields[start:])
		row.Fields = row.Fields[:start]
		return err
	}
	return nil
}

// linearFields is how many fields Object looks through for a duplicate key
// before it builds an index of them.
const linearFields = 16

func object(data []byte, row *value.Row, maxDepth int) error {
	if maxDepth <= 0 {
		maxDepth = DefaultMaxDepth
	}
	s := scanner{data: data, max: maxDepth}
	// owned holds decoded keys and strings. It is only appended to, so the
	// strings made from it stay valid when it grows.
	var owned []byte
	var index map[string]int
	start := len(row.Fields)

	if err := s.next(); err != nil {
		return err
	}
	if c := data[s.pos]; c != '{' {
		if err := s.skip(); err != nil {
			return err
		}
		if err := s.end(); err != nil {
			return err
		}
		return fmt.Errorf("value is a JSON %s, not an object", kindName(c))
	}
	if err := s.open(); err != nil {
		return err
	}
	more := s.data[s.pos] != '}'
	if !more {
		s.pos++
		s.depth--
	}
	for more {
		if s.data[s.pos] != '"' {
			return s.invalid(s.pos)
		}
		keyStart := s.pos + 1
		flags, err := s.str()
		if err != nil {
			return err
		}
		key, _ := stringText(data[keyStart:s.pos-1], flags, &owned)
		name := str(key)
		if err := s.colon(); err != nil {
			return err
		}
		v, err := s.value(&owned)
		if err != nil {
			return err
		}

		fields := row.Fields[start:]
		at := -1
		if index != nil {
			if i, ok := index[name]; ok {
				at = i
			}
		} else {
			for i := range fields {
				if fields[i].Name == name {
					at = i
					break
				}
			}
		}
		if at >= 0 {
			fields[at].Value = v
		} else {
			row.Append(name, v)
			if index != nil {
				index[name] = len(fields)
			} else if len(fields)+1 > linearFields {
				index = make(map[string]int, 2*linearFields)
				for i, f := range row.Fields[start:] {
					index[f.Name] = i
				}
			}
		}
		if more, err = s.more('}'); err != nil {
			return err
		}
	}
	return s.end()
}

// value reads the value at s.pos as a typed value; decoded strings are
// appended to *owned.
func (s *scanner) value(owned *[]byte) (value.Value, error) {
	start := s.pos
	switch c := s.data[start]; c {
	case '"':
		flags, err := s.str()
		if err != nil {
			return value.Value{}, err
		}
		text, _ := stringText(s.data[start+1:s.pos-1], flags, owned)
		return value.OfString(str(text)), nil
	case '{', '[':
		if err := s.skipNested(); err != nil {
			return value.Value{}, err
		}
		return value.OfJSON(str(s.data[start:s.pos])), nil
	case 't':
		return value.OfBool(true), s.literal("true")
	case 'f':
		return value.OfBool(false), s.literal("false")
	case 'n':
		return value.Value{}, s.literal("null")
	}
	if c := s.data[start]; c != '-' && (c < '0' || c > '9') {
		return value.Value{}, s.invalid(start)
	}
	integer, err := s.number()
	if err != nil {
		return value.Value{}, err
	}
	return numberValue(s.data[start:s.pos], integer), nil
}
