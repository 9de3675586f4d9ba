package sdk

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
)

// ConfigKey is one config key of a plugin, in Kafka Connect's ConfigKeyInfo
// shape, so `GET /connector-plugins/{class}/config` answers what Kafka Connect
// clients and UIs expect.
type ConfigKey struct {
	Name          string   `json:"name"`
	Type          string   `json:"type"` // STRING, INT, LONG, DOUBLE, BOOLEAN, LIST, PASSWORD or CLASS
	Required      bool     `json:"required"`
	DefaultValue  *string  `json:"default_value"` // nil when there is no default
	Importance    string   `json:"importance"`    // HIGH, MEDIUM or LOW
	Documentation string   `json:"documentation"`
	Group         string   `json:"group"`
	Width         string   `json:"width"` // NONE, SHORT, MEDIUM or LONG
	DisplayName   string   `json:"display_name"`
	Dependents    []string `json:"dependents"` // never nil: Kafka Connect clients expect a list
	Order         int      `json:"order"`      // 1-based position of the key in the struct
	Enum          []string `json:"enum,omitempty"`
}

// field is the parsed spec of one config key: where it lives in the struct
// and how to parse and check its value.
type field struct {
	key      ConfigKey
	path     []int // field indexes from the root struct, through embedded and prefixed structs
	typ      reflect.Type
	kind     kind
	bits     int     // 32 or 64, for kindInt
	def      *string // the raw default tag
	required bool
	rules    []rule
}

type structSpec struct {
	fields []*field
	err    error
}

// specs caches the spec of every config struct type, errors included: Decode
// runs at every task start and Validate on every REST call, and walking the
// tags (compiling regexps) is the costly part.
var specs sync.Map // reflect.Type -> *structSpec

// Spec returns the config keys of a config struct (a pointer to it or a value)
// in struct order, embedded structs flattened in place. It fails on a field it
// cannot handle (an unsupported type, a malformed tag, a default that breaks
// its own rules), naming the field, so a broken plugin fails at registration.
func Spec(configStruct any) ([]ConfigKey, error) {
	fields, err := specOf(configStruct)
	if err != nil {
		return nil, err
	}
	keys := make([]ConfigKey, len(fields))
	for i, f := range fields {
		// Copy what the keys point to: callers own the result, the cache does not.
		k := f.key
		if k.DefaultValue != nil {
			d := *k.DefaultValue
			k.DefaultValue = &d
		}
		k.Dependents = slices.Clone(k.Dependents)
		k.Enum = slices.Clone(k.Enum)
		keys[i] = k
	}
	return keys, nil
}

func specOf(configStruct any) ([]*field, error) {
	t := reflect.TypeOf(configStruct)
	if t == nil {
		return nil, errors.New("sdk: config struct is nil")
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct {
		return nil, fmt.Errorf("sdk: config %s is not a struct", t)
	}
	if s, ok := specs.Load(t); ok {
		return s.(*structSpec).fields, s.(*structSpec).err
	}
	w := walker{seen: map[string]bool{}}
	err := w.walk(t, nil, "")
	if err != nil {
		err = fmt.Errorf("sdk: config struct %s: %w", t, err)
		w.fields = nil
	}
	for i, f := range w.fields {
		f.key.Order = i + 1
	}
	s, _ := specs.LoadOrStore(t, &structSpec{fields: w.fields, err: err})
	return s.(*structSpec).fields, s.(*structSpec).err
}

// walker collects the config keys of a struct type and of the structs it
// embeds or prefixes, depth first so keys keep their order in the source.
type walker struct {
	fields []*field
	seen   map[string]bool
	stack  []reflect.Type // structs being walked, to refuse a struct that contains itself
}

func (w *walker) walk(t reflect.Type, path []int, prefix string) error {
	if slices.Contains(w.stack, t) {
		return fmt.Errorf("%s contains itself", t)
	}
	w.stack = append(w.stack, t)
	defer func() { w.stack = w.stack[:len(w.stack)-1] }()

	for i := range t.NumField() {
		sf := t.Field(i)
		tag, tagged := sf.Tag.Lookup("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		fpath := append(slices.Clip(path), i)
		nested := structType(sf.Type)

		// An embedded struct without a name is flattened into its parent, as
		// encoding/json does, so connectors can share a common config struct.
		if sf.Anonymous && name == "" && nested != nil {
			n := len(w.fields)
			if err := w.walk(nested, fpath, prefix); err != nil {
				return err
			}
			// reflect cannot allocate a pointer held in an unexported field.
			if len(w.fields) > n && !sf.IsExported() && sf.Type.Kind() == reflect.Pointer {
				return fmt.Errorf("field %s: embedded pointer to an unexported struct cannot be allocated; embed the struct by value", sf.Name)
			}
			continue
		}
		if !tagged || !sf.IsExported() {
			continue
		}
		if name == "" {
			return fmt.Errorf("field %s: json tag without a name", sf.Name)
		}
		key := name
		if prefix != "" {
			key = prefix + "." + name
		}
		if nested != nil {
			n := len(w.fields)
			if err := w.walk(nested, fpath, key); err != nil {
				return err
			}
			if len(w.fields) == n {
				return fmt.Errorf("field %s (%q): struct %s has no config keys", sf.Name, key, nested)
			}
			continue
		}
		f, err := newField(sf, key, fpath)
		if err != nil {
			return fmt.Errorf("field %s (%q): %w", sf.Name, key, err)
		}
		if w.seen[key] {
			return fmt.Errorf("field %s: key %q is defined twice", sf.Name, key)
		}
		w.seen[key] = true
		w.fields = append(w.fields, f)
	}
	return nil
}

// structType returns the struct type behind a struct or pointer-to-struct
// field, or nil for any other field.
func structType(t reflect.Type) reflect.Type {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() == reflect.Struct {
		return t
	}
	return nil
}

func newField(sf reflect.StructField, name string, path []int) (*field, error) {
	k, typeName, bits, err := kindOf(sf.Type)
	if err != nil {
		return nil, err
	}
	f := &field{path: path, typ: sf.Type, kind: k, bits: bits}
	f.key = ConfigKey{
		Name:          name,
		Type:          typeName,
		Documentation: sf.Tag.Get("doc"),
		Group:         sf.Tag.Get("group"),
		Width:         "NONE",
		DisplayName:   name,
		Dependents:    []string{},
	}
	if d := sf.Tag.Get("display"); d != "" {
		f.key.DisplayName = d
	}
	switch t := strings.ToLower(sf.Tag.Get("type")); t {
	case "":
	case "password", "class":
		if k != kindString {
			return nil, fmt.Errorf("type %q needs a string field", t)
		}
		f.key.Type = strings.ToUpper(t)
	default:
		return nil, fmt.Errorf("unknown type %q (want password or class)", t)
	}
	if err := f.parseRules(sf.Tag.Get("validate")); err != nil {
		return nil, err
	}
	f.key.Required = f.required
	if err := f.setDefault(sf.Tag); err != nil {
		return nil, err
	}
	var ok bool
	if f.key.Importance, ok = tagEnum(sf.Tag, "importance", "HIGH", "MEDIUM", "LOW"); !ok {
		return nil, fmt.Errorf("importance %q is not high, medium or low", sf.Tag.Get("importance"))
	}
	if f.key.Importance == "" {
		f.key.Importance = "MEDIUM"
		if f.required {
			f.key.Importance = "HIGH"
		}
	}
	if f.key.Width, ok = tagEnum(sf.Tag, "width", "NONE", "SHORT", "MEDIUM", "LONG"); !ok {
		return nil, fmt.Errorf("width %q is not none, short, medium or long", sf.Tag.Get("width"))
	}
	if f.key.Width == "" {
		f.key.Width = "NONE"
	}
	return f, nil
}

// tagEnum returns the tag's value upper-cased when it is one of allowed, ""
// when the tag is absent, and false when it is anything else.
func tagEnum(tag reflect.StructTag, name string, allowed ...string) (string, bool) {
	v := strings.ToUpper(strings.TrimSpace(tag.Get(name)))
	return v, v == "" || slices.Contains(allowed, v)
}

// setDefault checks the default tag once, here, so Decode can trust it: a
// default that does not parse or breaks the field's own rules is a bug in the
// plugin, not in the user's config.
func (f *field) setDefault(tag reflect.StructTag) error {
	def, ok := tag.Lookup("default")
	if !ok {
		return nil
	}
	if f.required {
		return errors.New("a required key cannot have a default")
	}
	f.def = &def
	shown := ""
	if !blank(def) {
		v := reflect.New(f.typ).Elem()
		if err := f.parse(def, v); err != nil {
			return fmt.Errorf("default %q: %w", def, err)
		}
		for _, r := range f.rules {
			if err := r(v); err != nil {
				return fmt.Errorf("default %q: %w", def, err)
			}
		}
		shown = f.format(v)
	}
	// Kafka Connect never shows a password, not even a default one.
	if f.key.Type == "PASSWORD" {
		shown = hidden
	}
	f.key.DefaultValue = &shown
	return nil
}
