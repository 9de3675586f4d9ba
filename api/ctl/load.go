package ctl

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Connector is a connector config read from a file, placeholders filled.
type Connector struct {
	Name   string            `json:"name"`
	Config map[string]string `json:"config"`
	// File is the file the connector was read from.
	File string `json:"-"`
}

// hiddenValue is what the REST API shows instead of a secret value.
const hiddenValue = "[hidden]"

// LoadConnectors reads the connectors of path: a JSON file, or every *.json
// file directly inside a directory (in name order; dot files are skipped).
// A file holds one connector {"name","config"}, an array of them, or a bundle
// {"connectors": [...]} (other keys of a bundle are ignored). A connector
// with "if_set": "VAR" is left out unless VAR is set and not empty, one with
// "if_unset": "VAR" unless it is not (see skipped). Placeholders in
// config string values are filled from env (see ExpandPlaceholders); numbers
// and booleans are taken as written. Every problem of every file is reported,
// each naming its file and connector; on error no connector is returned.
func LoadConnectors(path string, env func(string) (string, bool)) ([]Connector, error) {
	files, err := connectorFiles(path)
	if err != nil {
		return nil, err
	}
	var (
		all  []Connector
		errs []error
		seen = map[string]string{} // connector name -> file
	)
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		conns, err := ParseConnectors(data, file, env)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, c := range conns {
			if prev, dup := seen[c.Name]; dup {
				errs = append(errs, fmt.Errorf("%s: connector %q is defined twice (also in %s)", file, c.Name, prev))
				continue
			}
			seen[c.Name] = file
			all = append(all, c)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return all, nil
}

func connectorFiles(path string) ([]string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return []string{path}, nil
	}
	entries, err := os.ReadDir(path) // sorted by name
	if err != nil {
		return nil, err
	}
	var files []string
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") || !strings.HasSuffix(name, ".json") {
			continue
		}
		full := filepath.Join(path, name)
		if fi, err := os.Stat(full); err != nil || fi.IsDir() {
			continue // a directory named *.json, or a dangling link
		}
		files = append(files, full)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%s: no *.json files in directory", path)
	}
	return files, nil
}

// ParseConnectors parses the connectors of one file (see LoadConnectors);
// file names the source in errors. All problems of the file are reported.
func ParseConnectors(data []byte, file string, env func(string) (string, bool)) ([]Connector, error) {
	var top any
	if err := decodeJSON(data, &top); err != nil {
		return nil, fmt.Errorf("%s: %w", file, describeJSONError(data, err))
	}
	var items []any
	switch t := top.(type) {
	case []any:
		items = t
	case map[string]any:
		if bundle, ok := t["connectors"]; ok {
			arr, ok := bundle.([]any)
			if !ok {
				return nil, fmt.Errorf(`%s: "connectors" must be an array of {"name","config"} objects`, file)
			}
			items = arr
		} else {
			items = []any{t}
		}
	default:
		return nil, fmt.Errorf(`%s: want a {"name","config"} object, an array of them, or {"connectors": [...]}`, file)
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("%s: no connectors in file", file)
	}
	var (
		out  []Connector
		errs []error
		seen = map[string]bool{}
	)
	for i, item := range items {
		c, err := parseConnector(item, file, i, env)
		if errors.Is(err, errSkipped) {
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if seen[c.Name] {
			errs = append(errs, fmt.Errorf("%s: connector %q is defined twice in the file", file, c.Name))
			continue
		}
		seen[c.Name] = true
		out = append(out, c)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

func parseConnector(item any, file string, index int, env func(string) (string, bool)) (Connector, error) {
	obj, ok := item.(map[string]any)
	if !ok {
		return Connector{}, fmt.Errorf(`%s: connector #%d: want a {"name","config"} object`, file, index+1)
	}
	name, _ := obj["name"].(string)
	if strings.TrimSpace(name) == "" {
		return Connector{}, fmt.Errorf(`%s: connector #%d: "name" must be a non-empty string`, file, index+1)
	}
	where := fmt.Sprintf("%s: connector %q", file, name)
	if skip, err := skipped(obj, where, env); err != nil || skip {
		return Connector{}, cmp.Or(err, errSkipped)
	}
	rawCfg, ok := obj["config"].(map[string]any)
	if !ok {
		return Connector{}, fmt.Errorf(`%s: "config" must be an object`, where)
	}
	cfg, err := configValues(rawCfg, where, env)
	if err != nil {
		return Connector{}, err
	}
	if n, ok := cfg["name"]; ok && n != name {
		return Connector{}, fmt.Errorf(`%s: config "name" is %q, not the connector's name`, where, n)
	}
	return Connector{Name: name, Config: cfg, File: file}, nil
}

// errSkipped is parseConnector's answer for a connector whose condition
// leaves it out.
var errSkipped = errors.New("skipped")

// skipped reads a connector's conditions: "if_set": "VAR" includes it only
// when VAR is set and not empty, "if_unset": "VAR" only when it is not. A
// job file can so name one sink for a store that may be absent (the
// Elasticsearch sink when ES_URL is set) and a fallback under the same name.
func skipped(obj map[string]any, where string, env func(string) (string, bool)) (bool, error) {
	for _, cond := range []string{"if_set", "if_unset"} {
		raw, ok := obj[cond]
		if !ok {
			continue
		}
		name, ok := raw.(string)
		if !ok || !isVarName(name) {
			return false, fmt.Errorf("%s: %q must name an environment variable (ES_URL)", where, cond)
		}
		var set bool
		if env != nil {
			v, ok := env(name)
			set = ok && v != ""
		}
		if set != (cond == "if_set") {
			return true, nil
		}
	}
	return false, nil
}

// configValues turns a decoded JSON config object into string values,
// filling placeholders of string values. where prefixes error messages.
func configValues(raw map[string]any, where string, env func(string) (string, bool)) (map[string]string, error) {
	cfg := make(map[string]string, len(raw))
	var errs []error
	for _, k := range sortedKeys(raw) {
		var v string
		switch t := raw[k].(type) {
		case string:
			expanded, err := ExpandPlaceholders(t, env)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: config %q: %w", where, k, err))
				continue
			}
			if expanded == hiddenValue {
				errs = append(errs, fmt.Errorf(`%s: config %q is %q, the API's mask of a secret: give the real value or a ${VAR} placeholder`, where, k, hiddenValue))
				continue
			}
			v = expanded
		case json.Number:
			v = t.String()
		case bool:
			v = fmt.Sprint(t)
		default:
			errs = append(errs, fmt.Errorf("%s: config %q: want a string, number or boolean", where, k))
			continue
		}
		cfg[k] = v
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return cfg, nil
}

// parseConfigFile reads the config of `validate CLASS FILE`: a bare config
// object, or a connector {"name","config"} whose name is then added to the
// config (Kafka Connect validates "name" as a required key).
func parseConfigFile(data []byte, file string, env func(string) (string, bool)) (map[string]string, error) {
	var top map[string]any
	if err := decodeJSON(data, &top); err != nil {
		return nil, fmt.Errorf("%s: %w", file, describeJSONError(data, err))
	}
	if top == nil {
		return nil, fmt.Errorf("%s: want a config object", file)
	}
	if inner, ok := top["config"].(map[string]any); ok {
		name, _ := top["name"].(string)
		cfg, err := configValues(inner, file, env)
		if err != nil {
			return nil, err
		}
		if _, has := cfg["name"]; !has && name != "" {
			cfg["name"] = name
		}
		return cfg, nil
	}
	return configValues(top, file, env)
}

// decodeJSON decodes one JSON value, numbers as json.Number, and refuses
// trailing data.
func decodeJSON(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if rest := bytes.TrimSpace(data[dec.InputOffset():]); len(rest) > 0 {
		return fmt.Errorf("unexpected data after the JSON value: %q", clip(string(rest)))
	}
	return nil
}

// describeJSONError adds the line and column of the offending byte to a
// syntax error.
func describeJSONError(data []byte, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var off int64
	switch {
	case errors.As(err, &syn):
		off = syn.Offset
	case errors.As(err, &typ):
		off = typ.Offset
	default:
		return fmt.Errorf("invalid JSON: %w", err)
	}
	// Offset counts the bytes read, the offending one included.
	off = min(max(off-1, 0), int64(len(data)))
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return fmt.Errorf("invalid JSON at line %d, column %d: %w", line, col, err)
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
