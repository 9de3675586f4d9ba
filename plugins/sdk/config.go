package sdk

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
)

// hidden replaces a secret wherever it would be shown, as in Kafka Connect.
const hidden = "[hidden]"

// Password is a secret config value (spec type PASSWORD). Every way of
// printing or marshalling it yields "[hidden]", so a config struct can be
// logged whole; Value returns the secret itself.
type Password string

// Value returns the secret.
func (p Password) Value() string { return string(p) }

// String returns "[hidden]".
func (Password) String() string { return hidden }

// GoString keeps %#v from printing the secret.
func (Password) GoString() string { return `sdk.Password("[hidden]")` }

// MarshalText makes encoding/json, slog and the like write "[hidden]".
func (Password) MarshalText() ([]byte, error) { return []byte(hidden), nil }

// ValidationError lists the bad keys of a config, with what is wrong with
// each, e.g. {"tasks.max": ["must be > 0"]}.
type ValidationError struct{ Fields map[string][]string }

// Error lists every problem, keys sorted:
// "invalid config: file: required; tasks.max: must be > 0".
func (e *ValidationError) Error() string {
	var problems []string
	for _, k := range slices.Sorted(maps.Keys(e.Fields)) {
		for _, msg := range e.Fields[k] {
			problems = append(problems, k+": "+msg)
		}
	}
	return "invalid config: " + strings.Join(problems, "; ")
}

// Decode fills target, a pointer to a config struct, from cfg: for each key of
// the struct's spec it takes the value of cfg, or the default when the value
// is missing or blank, parses and checks it. A key absent from cfg and without
// a default leaves its field at the zero value (not at what target held), and
// rules other than required check only values that are set. Decode writes
// target only when the whole config is valid; otherwise it returns a
// *ValidationError. Keys of cfg that the struct does not know are ignored:
// they belong to the runtime (connector.class, tasks.max) or to transforms.
func Decode(cfg Config, target any) error {
	rv := reflect.ValueOf(target)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("sdk: Decode needs a non-nil pointer to a struct, not %T", target)
	}
	fields, err := specOf(target)
	if err != nil {
		return err
	}
	values, bad := check(fields, cfg)
	if len(bad) > 0 {
		return &ValidationError{Fields: bad}
	}
	for i, f := range fields {
		fieldAt(rv.Elem(), f.path).Set(values[i])
	}
	return nil
}

// Validate checks cfg against the config struct (a pointer to it or a value)
// as Decode would, and returns what is wrong per key: an empty map when cfg is
// valid. A struct whose spec is broken is reported under the key "".
func Validate(configStruct any, cfg Config) map[string][]string {
	fields, err := specOf(configStruct)
	if err != nil {
		return map[string][]string{"": {err.Error()}}
	}
	_, bad := check(fields, cfg)
	return bad
}

// Masked returns a copy of cfg whose PASSWORD keys read "[hidden]", to show
// or log a config. When the struct's spec is broken it cannot tell which keys
// are secret, so it hides every value.
func Masked(configStruct any, cfg Config) Config {
	out := maps.Clone(cfg)
	fields, err := specOf(configStruct)
	for k := range out {
		if err != nil {
			out[k] = hidden
		}
	}
	for _, f := range fields {
		if _, ok := out[f.key.Name]; ok && f.key.Type == "PASSWORD" {
			out[f.key.Name] = hidden
		}
	}
	return out
}

// check parses and checks the value of every field. It returns the parsed
// values, indexed like fields, and the messages of the bad keys (never nil).
func check(fields []*field, cfg Config) ([]reflect.Value, map[string][]string) {
	values := make([]reflect.Value, len(fields))
	bad := map[string][]string{}
	for i, f := range fields {
		name := f.key.Name
		v := reflect.New(f.typ).Elem()
		values[i] = v
		raw := cfg[name]
		if blank(raw) && f.def != nil {
			raw = *f.def
		}
		if blank(raw) {
			if f.required {
				bad[name] = append(bad[name], "required")
			}
			continue
		}
		if err := f.parse(raw, v); err != nil {
			bad[name] = append(bad[name], err.Error())
			continue
		}
		if f.required && f.kind == kindList && v.Len() == 0 {
			bad[name] = append(bad[name], "required") // "," lists nothing
			continue
		}
		for _, r := range f.rules {
			if err := r(v); err != nil {
				bad[name] = append(bad[name], err.Error())
			}
		}
	}
	return values, bad
}

// fieldAt returns the field at path, allocating the nil pointers to structs
// on the way.
func fieldAt(v reflect.Value, path []int) reflect.Value {
	for _, i := range path {
		if v.Kind() == reflect.Pointer {
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(i)
	}
	return v
}
