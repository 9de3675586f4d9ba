package weblog

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// Names of the output fields that do not come from one variable alone.
const (
	fieldTime     = "time"
	fieldMethod   = "method"
	fieldPath     = "path"
	fieldQuery    = "query"
	fieldProtocol = "protocol"
	fieldRequest  = "request" // a request line that does not split into method, path and protocol
	paramsField   = "params"
)

// varKind is how the value of an nginx variable is interpreted.
type varKind uint8

const (
	varString   varKind = iota // kept as text
	varInt                     // a non-negative integer
	varFloat                   // a number such as 0.005
	varTime                    // $time_local, $time_iso8601 or $msec
	varRequest                 // "GET /p?q HTTP/1.1"
	varURI                     // /p?q
	varPath                    // /p
	varQuery                   // q
	varMethod                  // GET
	varProtocol                // HTTP/1.1
)

type varSpec struct {
	field string
	kind  varKind
}

// knownVars names the fields of the nginx variables this package knows. Other
// variables become string fields named after the variable. The json format
// looks its keys up here too, and also accepts the output names themselves.
var knownVars = map[string]varSpec{
	"remote_addr":         {"remote_addr", varString},
	"remote_user":         {"remote_user", varString},
	"time_local":          {fieldTime, varTime},
	"time_iso8601":        {fieldTime, varTime},
	"msec":                {fieldTime, varTime},
	"request":             {"", varRequest},
	"request_method":      {fieldMethod, varMethod},
	"request_uri":         {"", varURI},
	"uri":                 {fieldPath, varPath},
	"document_uri":        {fieldPath, varPath},
	"args":                {fieldQuery, varQuery},
	"query_string":        {fieldQuery, varQuery},
	"server_protocol":     {fieldProtocol, varProtocol},
	"status":              {"status", varInt},
	"body_bytes_sent":     {"bytes", varInt},
	"bytes_sent":          {"bytes_sent", varInt},
	"request_length":      {"request_length", varInt},
	"connection":          {"connection", varInt},
	"connection_requests": {"connection_requests", varInt},
	"request_time":        {"request_time", varFloat},
	"http_referer":        {"referer", varString},
	"http_user_agent":     {"user_agent", varString},

	// The output names, for json log formats that use them as keys.
	fieldTime:     {fieldTime, varTime},
	fieldMethod:   {fieldMethod, varMethod},
	fieldPath:     {fieldPath, varPath},
	fieldQuery:    {fieldQuery, varQuery},
	fieldProtocol: {fieldProtocol, varProtocol},
	"bytes":       {"bytes", varInt},
	"referer":     {"referer", varString},
	"user_agent":  {"user_agent", varString},
}

// specOf returns how the variable (or json key) name is read.
func specOf(name string) varSpec {
	if s, ok := knownVars[name]; ok {
		return s
	}
	return varSpec{name, varString}
}

// empty reports a value nginx writes for a variable without a value: "-" in
// its default escaping, "" with escape=json.
func empty(v []byte) bool { return len(v) == 0 || (len(v) == 1 && v[0] == '-') }

// set interprets the decoded value v of the variable called name. An empty
// value sets nothing. When the field it would set is already set (two
// variables giving the time, say), the value is kept as a string field named
// after the variable instead, so nothing is lost.
func (e *event) set(name string, spec varSpec, v []byte, tz zoneCache) error {
	if empty(v) {
		return nil
	}
	target := spec.field
	if target != "" && e.has(target) {
		e.addAlt(name, v)
		return nil
	}
	switch spec.kind {
	case varString:
		e.addString(target, v)
	case varInt:
		n, err := parseUint(v)
		if err != nil {
			return fmt.Errorf("$%s: %w", name, err)
		}
		e.addNumber(target, float64(n), true)
	case varFloat:
		f, err := parseDecimal(v)
		if err != nil {
			return fmt.Errorf("$%s: %w", name, err)
		}
		e.addNumber(target, f, false)
	case varTime:
		t, err := parseTime(v, tz)
		if err != nil {
			return fmt.Errorf("$%s: %w", name, err)
		}
		e.time, e.hasTime = t, true
		e.fields = append(e.fields, field{name: target, kind: kindTime})
	case varRequest:
		e.setRequest(name, v)
	case varURI:
		if e.has(fieldPath) {
			e.addAlt(name, v)
			return nil
		}
		e.setURI(v)
	case varPath:
		e.path = len(e.fields)
		e.addString(target, v)
	case varQuery:
		e.query = len(e.fields)
		e.addString(target, v)
	case varMethod, varProtocol:
		e.addString(target, v)
	}
	return nil
}

// setRequest splits a request line into method, path, query and protocol.
// A request line that does not split that way (a TLS handshake sent to a
// plain-HTTP port, a scanner's junk) is data, not a broken log line: it is
// kept whole as "request".
func (e *event) setRequest(name string, v []byte) {
	method, rest, ok := bytes.Cut(v, []byte{' '})
	if !ok || !isToken(method) || e.has(fieldMethod) || e.has(fieldPath) {
		e.addAlt(nameOr(fieldRequest, name, e), v)
		return
	}
	uri, proto := rest, []byte(nil)
	if i := bytes.LastIndexByte(rest, ' '); i >= 0 {
		uri, proto = rest[:i], rest[i+1:]
		if !bytes.HasPrefix(proto, []byte("HTTP/")) {
			e.addAlt(nameOr(fieldRequest, name, e), v)
			return
		}
	}
	if len(uri) == 0 {
		e.addAlt(nameOr(fieldRequest, name, e), v)
		return
	}
	e.addString(fieldMethod, method)
	e.setURI(uri)
	if proto != nil && !e.has(fieldProtocol) {
		e.addString(fieldProtocol, proto)
	}
}

// nameOr returns want unless a field of that name is set, else fallback.
func nameOr(want, fallback string, e *event) string {
	if e.has(want) {
		return fallback
	}
	return want
}

// setURI splits a request URI at its "?"; the path is kept as logged
// (percent-encoded), and the query is set only when not empty.
func (e *event) setURI(uri []byte) {
	path, query, hasQuery := bytes.Cut(uri, []byte{'?'})
	e.path = len(e.fields)
	e.addString(fieldPath, path)
	if hasQuery && len(query) > 0 && !e.has(fieldQuery) {
		e.query = len(e.fields)
		e.addString(fieldQuery, query)
	}
}

// isToken reports an HTTP method: one or more token characters.
func isToken(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c <= ' ' || c >= 0x7f || bytes.IndexByte([]byte(`"(),/:;<=>?@[\]{}`), c) >= 0 {
			return false
		}
	}
	return true
}

var errNotNumber = errors.New("not a number")

// parseUint reads a decimal non-negative integer of at most 15 digits, so
// that it is exact as a float64.
func parseUint(v []byte) (int64, error) {
	if len(v) == 0 || len(v) > 15 {
		return 0, errNotNumber
	}
	var n int64
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, errNotNumber
		}
		n = n*10 + int64(c-'0')
	}
	return n, nil
}

// parseDecimal reads digits with an optional fraction, as nginx writes
// $request_time (0.005).
func parseDecimal(v []byte) (float64, error) {
	dot := false
	for i, c := range v {
		switch {
		case c >= '0' && c <= '9':
		case c == '.' && !dot && i > 0 && i < len(v)-1:
			dot = true
		default:
			return 0, errNotNumber
		}
	}
	if len(v) == 0 || len(v) > 32 {
		return 0, errNotNumber
	}
	f, err := strconv.ParseFloat(string(v), 64)
	if err != nil || math.IsInf(f, 0) {
		return 0, errNotNumber
	}
	return f, nil
}
