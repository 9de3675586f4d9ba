package applog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"
)

// rawEvent is one event of a request body as the client sent it.
type rawEvent struct {
	// data is the event's bytes without surrounding whitespace.
	data []byte
	// line is the 1-based line of an NDJSON event, 0 in a JSON array.
	line int
	// err says why the event is not a JSON object; nil when it is one.
	err error
}

// Errors of bodies and events; those of events are values, not built per
// event, since a body may hold many bad ones.
var (
	errEmptyBody = errors.New("empty body: send a JSON array of objects or NDJSON")
	errNotUTF8   = errors.New("event is not valid UTF-8")
	errArray     = errors.New("event is a JSON array, not an object")
	errString    = errors.New("event is a JSON string, not an object")
	errBoolean   = errors.New("event is a JSON boolean, not an object")
	errNull      = errors.New("event is a JSON null, not an object")
	errNumber    = errors.New("event is a JSON number, not an object")
)

// tooManyEvents refuses a body of more events than a request may bring.
type tooManyEvents struct{ max int }

func (e *tooManyEvents) Error() string {
	return fmt.Sprintf("more than %d events (max.pending.events) in one request: send smaller batches", e.max)
}

var utf8BOM = []byte("\xef\xbb\xbf")

// parseBatch splits a decompressed body into events. A body whose first
// character is "[" is a JSON array (unless ndjson is set, the client having
// said application/x-ndjson); a body that is one JSON value is one event;
// anything else is NDJSON, one event per line, blank lines skipped.
//
// The error is for a body that cannot be split at all (empty, a malformed or
// unterminated array, data after the array): then no event is known. An
// event that is not a JSON object, or a line that is not JSON, is reported in
// its rawEvent, so the other events of the batch are kept. A body of more
// than maxEvents events is refused with a *tooManyEvents, bounding the memory
// a request takes.
func parseBatch(body []byte, ndjson bool, maxEvents int) ([]rawEvent, error) {
	body = bytes.TrimPrefix(body, utf8BOM)
	trimmed := trimSpace(body)
	if len(trimmed) == 0 {
		return nil, errEmptyBody
	}
	if !ndjson {
		if trimmed[0] == '[' {
			return parseArray(trimmed, maxEvents)
		}
		// One (perhaps pretty-printed) object. NDJSON with several lines is
		// never one valid value, and json.Valid stops at its second line.
		if json.Valid(trimmed) {
			return []rawEvent{checked(trimmed, 0)}, nil
		}
	}
	return parseLines(body, maxEvents)
}

// parseArray splits a JSON array into its elements.
func parseArray(body []byte, maxEvents int) ([]rawEvent, error) {
	if !json.Valid(body) {
		return nil, arrayError(body)
	}
	var events []rawEvent
	complete := elements(body, func(elem []byte) bool {
		if len(events) == maxEvents {
			return false
		}
		events = append(events, checked(elem, 0))
		return true
	})
	if !complete {
		return nil, &tooManyEvents{maxEvents}
	}
	return events, nil
}

// arrayError says where a body starting with "[" stops being a JSON array.
func arrayError(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	if _, err := dec.Token(); err != nil { // the "[", known to be there
		return fmt.Errorf("malformed JSON array: %w", syntaxOnly(err))
	}
	n := 0
	for ; dec.More(); n++ {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return fmt.Errorf("malformed JSON array at element %d (byte %d): %w", n, dec.InputOffset(), syntaxOnly(err))
		}
	}
	if _, err := dec.Token(); err != nil { // the "]"
		return fmt.Errorf("malformed JSON array after element %d (byte %d): %w", n, dec.InputOffset(), syntaxOnly(err))
	}
	return fmt.Errorf("data after the JSON array at byte %d", dec.InputOffset())
}

// parseLines splits NDJSON into its non-blank lines.
func parseLines(body []byte, maxEvents int) ([]rawEvent, error) {
	var events []rawEvent
	line := 0
	for len(body) > 0 {
		line++
		var text []byte
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			text, body = body[:i], body[i+1:]
		} else {
			text, body = body, nil
		}
		text = trimSpace(text) // also the "\r" of "\r\n"
		if len(text) == 0 {
			continue
		}
		if len(events) == maxEvents {
			return nil, &tooManyEvents{maxEvents}
		}
		ev := checked(text, line)
		if ev.err == nil && !json.Valid(text) {
			ev.err = invalidJSON(text)
		}
		events = append(events, ev)
	}
	return events, nil
}

// trimSpace trims JSON's whitespace: space, tab, CR and LF.
func trimSpace(b []byte) []byte {
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

// checked wraps an event known to be one JSON value (an array element) or a
// candidate line, reporting what keeps it from being an event: not an object,
// not UTF-8. Whether a line is valid JSON is left to the caller.
func checked(data []byte, line int) rawEvent {
	ev := rawEvent{data: data, line: line}
	switch {
	case !utf8.Valid(data):
		ev.err = errNotUTF8
	case data[0] != '{':
		if line > 0 && !json.Valid(data) {
			ev.err = invalidJSON(data)
			break
		}
		switch data[0] {
		case '[':
			ev.err = errArray
		case '"':
			ev.err = errString
		case 't', 'f':
			ev.err = errBoolean
		case 'n':
			ev.err = errNull
		default:
			ev.err = errNumber
		}
	}
	return ev
}

// invalidJSON describes why data is not JSON.
func invalidJSON(data []byte) error {
	var v json.RawMessage
	err := json.Unmarshal(data, &v)
	if err == nil { // not reached for data json.Valid refused
		err = errors.New("invalid")
	}
	return fmt.Errorf("line is not valid JSON: %w", syntaxOnly(err))
}

// syntaxOnly keeps the message of a JSON error and drops its type, which
// would otherwise name encoding/json in the dead-letter headers.
func syntaxOnly(err error) error { return errors.New(err.Error()) }

// jsonKind names the kind of JSON value starting with c.
func jsonKind(c byte) string {
	switch c {
	case '{':
		return "object"
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	default:
		return "number"
	}
}
