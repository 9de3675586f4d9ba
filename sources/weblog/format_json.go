package weblog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// jsonFormat reads lines that are one JSON object each, as nginx writes with
// `log_format name escape=json '{"remote_addr":"$remote_addr",...}'`. Keys
// named like an nginx variable or an output field (remote_addr, time_local,
// request, status, body_bytes_sent, http_user_agent, time, bytes…) are read as
// that variable, so the output has the same fields as the text formats; other
// keys are kept as they are, with their JSON type.
type jsonFormat struct {
	tz zoneCache
}

func newJSONFormat() *jsonFormat { return &jsonFormat{tz: zoneCache{}} }

var errNotObject = errors.New("not a JSON object")

func (f *jsonFormat) parse(line []byte, ev *event) error {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return errNotObject
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("invalid JSON: %w", err)
		}
		key := tok.(string) // inside an object, More means a key comes
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fmt.Errorf("invalid JSON in %q: %w", key, err)
		}
		if err := f.setValue(key, raw, ev); err != nil {
			return err
		}
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return fmt.Errorf("invalid JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("data after the JSON object")
	}
	return nil
}

// setValue sets the field of one key: a known key through its variable's
// rules (a string "200" or a number 200 are both the status), another key as
// it is.
func (f *jsonFormat) setValue(key string, raw json.RawMessage, ev *event) error {
	spec, known := knownVars[key]
	if !known {
		if ev.has(key) {
			return nil // a repeated key: the first one is kept
		}
		if raw[0] == '"' {
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return fmt.Errorf("invalid JSON string in %q: %w", key, err)
			}
			start := len(ev.scratch)
			ev.scratch = append(ev.scratch, s...)
			ev.addString(key, ev.scratch[start:])
			return nil
		}
		ev.addRaw(key, raw)
		return nil
	}
	var v []byte
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return fmt.Errorf("invalid JSON string in %q: %w", key, err)
		}
		start := len(ev.scratch)
		ev.scratch = append(ev.scratch, s...)
		v = ev.scratch[start:]
	case '{', '[':
		return fmt.Errorf("%q: want a string or a number, not %s", key, excerpt(raw))
	case 'n': // null: no value
		return nil
	default: // a number, true or false
		v = raw
	}
	if err := ev.set(key, spec, v, f.tz); err != nil {
		return fmt.Errorf("%q: %w", key, err)
	}
	return nil
}
