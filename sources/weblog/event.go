package weblog

import (
	"strings"
	"time"
)

// valueKind says how a field's value is written in the output object.
type valueKind uint8

const (
	kindString valueKind = iota
	kindNumber           // num holds it
	kindRaw              // val is JSON text (from the json format: true, null, an object)
	kindTime             // the event's time, written as RFC 3339
)

// field is one named value of a parsed line.
type field struct {
	name  string
	kind  valueKind
	val   []byte // the decoded string, or the JSON text of kindRaw
	num   float64
	isInt bool
}

// param is one beacon query parameter: its values in order of appearance.
type param struct {
	key  []byte
	vals [][]byte
}

// event is one parsed log line. It is reused from line to line; the byte
// slices it holds point into the line or into scratch, and are valid until the
// next reset.
type event struct {
	fields  []field
	time    time.Time
	hasTime bool
	// path and query are the request's, whichever variable gave them, for the
	// beacon check (-1 when absent).
	path, query int
	params      []param
	hasParams   bool
	// scratch holds decoded values. It only grows by append: a slice taken
	// from it stays valid when a later append moves it elsewhere.
	scratch []byte
}

func (e *event) reset() {
	clear(e.fields) // drop references into the previous line
	e.fields = e.fields[:0]
	e.time, e.hasTime = time.Time{}, false
	e.path, e.query = -1, -1
	for i := range e.params {
		e.params[i].vals = e.params[i].vals[:0]
	}
	e.params = e.params[:0]
	e.hasParams = false
	e.scratch = e.scratch[:0]
}

// has reports whether a field named name is set.
func (e *event) has(name string) bool {
	for i := range e.fields {
		if e.fields[i].name == name {
			return true
		}
	}
	return false
}

// lookup returns the text of a field (a string's value, a number's JSON
// text), or of a beacon parameter when name is "params.<key>" (its first
// value when it repeats).
func (e *event) lookup(name string) ([]byte, bool) {
	for i := range e.fields {
		f := &e.fields[i]
		if f.name != name {
			continue
		}
		switch f.kind {
		case kindNumber:
			return appendNumber(nil, f.num, f.isInt), true
		case kindTime:
			return e.time.AppendFormat(nil, time.RFC3339Nano), true
		}
		return f.val, true
	}
	if key, ok := strings.CutPrefix(name, paramsField+"."); ok && e.hasParams {
		for _, p := range e.params {
			if string(p.key) == key && len(p.vals) > 0 {
				return p.vals[0], true
			}
		}
	}
	return nil, false
}

func (e *event) addString(name string, v []byte) {
	e.fields = append(e.fields, field{name: name, kind: kindString, val: v})
}

// addAlt adds a string field unless one of that name is set: the first value
// of a name wins.
func (e *event) addAlt(name string, v []byte) {
	if !e.has(name) {
		e.addString(name, v)
	}
}

func (e *event) addNumber(name string, n float64, isInt bool) {
	e.fields = append(e.fields, field{name: name, kind: kindNumber, num: n, isInt: isInt})
}

func (e *event) addRaw(name string, v []byte) {
	e.fields = append(e.fields, field{name: name, kind: kindRaw, val: v})
}
