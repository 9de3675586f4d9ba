package value

import (
	"fmt"
	"strings"
)

// Type is what a step wants a value to be.
type Type uint8

// The types a field can be converted to.
const (
	TypeAuto    Type = iota // as it came
	TypeString              // text
	TypeLong                // a whole number that fits an int64
	TypeDouble              // a float64
	TypeBoolean             // true or false
)

var typeNames = map[string]Type{
	"auto": TypeAuto, "string": TypeString, "long": TypeLong, "int": TypeLong, "bigint": TypeLong,
	"double": TypeDouble, "float": TypeDouble, "boolean": TypeBoolean, "bool": TypeBoolean,
}

// ParseType reads a type name: auto, string, long (or int, bigint), double
// (or float), boolean (or bool).
func ParseType(name string) (Type, error) {
	t, ok := typeNames[strings.ToLower(strings.TrimSpace(name))]
	if !ok {
		return TypeAuto, fmt.Errorf("unknown type %q (want auto, string, long, double or boolean)", name)
	}
	return t, nil
}

func (t Type) String() string {
	switch t {
	case TypeString:
		return "string"
	case TypeLong:
		return "long"
	case TypeDouble:
		return "double"
	case TypeBoolean:
		return "boolean"
	}
	return "auto"
}

// Convert turns v into type t the way the warehouse's SQL casts
// JSON_VALUE's text: numbers from strings that hold them ("305" → 305),
// text from numbers, booleans from true/false or 1/0. Null stays null, and so
// does a blank string asked to be a number or boolean (the app sends "" for
// "not set"). A value that cannot be converted ("abc" as a long, 1.5 as a
// long) is an error that says what it got.
func Convert(v Value, t Type) (Value, error) {
	if t == TypeAuto || v.kind == Null {
		return v, nil
	}
	if t != TypeString && v.kind == String && strings.TrimSpace(v.s) == "" {
		return Value{}, nil
	}
	switch t {
	case TypeString:
		if v.kind == String {
			return v, nil
		}
		return OfString(v.Text()), nil
	case TypeLong:
		if v.kind == Int {
			return v, nil
		}
		if v.kind != Bool && v.kind != JSON {
			if i, ok := v.Int(); ok {
				return OfInt(i), nil
			}
		}
	case TypeDouble:
		if v.kind == Float {
			return v, nil
		}
		if v.kind != Bool && v.kind != JSON {
			if f, ok := v.Float(); ok {
				return OfFloat(f), nil
			}
		}
	case TypeBoolean:
		if b, ok := asBool(v); ok {
			return OfBool(b), nil
		}
		if v.kind == Int && (v.n == 0 || v.n == 1) {
			return OfBool(v.n == 1), nil
		}
	}
	return Value{}, &ConvertError{Value: v, Type: t}
}

// ConvertError says that a value is not of the type a step wants.
type ConvertError struct {
	Value Value
	Type  Type
}

func (e *ConvertError) Error() string {
	text := e.Value.Text()
	if len(text) > 64 {
		text = text[:61] + "..."
	}
	if e.Value.kind == String {
		return fmt.Sprintf("%q is not a %s", text, e.Type)
	}
	return fmt.Sprintf("%s %s is not a %s", e.Value.kind, text, e.Type)
}
