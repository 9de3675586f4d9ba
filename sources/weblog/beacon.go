package weblog

import (
	"bytes"
	"slices"
	"unicode/utf8"
)

// How a beacon parameter that appears more than once is kept
// (beacon.repeated).
const (
	repeatedArray = "array" // every value, in order, as a JSON array
	repeatedFirst = "first"
	repeatedLast  = "last"
)

// beacons recognises tracking-beacon requests by their path and turns their
// query strings into the "params" object.
type beacons struct {
	paths    [][]byte
	repeated string
}

// apply sets ev's params when its request path is a beacon path and it has
// a query string.
func (b *beacons) apply(ev *event) {
	if len(b.paths) == 0 || ev.path < 0 || ev.query < 0 {
		return
	}
	path := ev.fields[ev.path].val
	if !slices.ContainsFunc(b.paths, func(p []byte) bool { return bytes.Equal(p, path) }) {
		return
	}
	parseQuery(ev.fields[ev.query].val, b.repeated, ev)
}

// parseQuery splits a query string, valid UTF-8, (a=1&b=x+y&c=%E2%9C%93) into ev.params,
// URL-decoding keys and values ("+" is a space). Pairs are separated by "&"
// only; a pair without "=" has an empty value; a pair with an empty key is
// skipped. A key or value whose percent-encoding is malformed or decodes to
// invalid UTF-8 is kept as it was sent, still encoded, so nothing is lost and
// the output stays valid UTF-8. Keys keep the order of their first
// appearance; repeated says which values of a repeated key are kept.
func parseQuery(q []byte, repeated string, ev *event) {
	ev.hasParams = true
	for len(q) > 0 {
		var pair []byte
		pair, q, _ = bytes.Cut(q, []byte{'&'})
		rawKey, rawVal, _ := bytes.Cut(pair, []byte{'='})
		if len(rawKey) == 0 {
			continue
		}
		key := ev.urlDecode(rawKey)
		val := ev.urlDecode(rawVal)
		i := slices.IndexFunc(ev.params, func(p param) bool { return bytes.Equal(p.key, key) })
		if i < 0 {
			// Reuse the param (and its vals array) left from an earlier line.
			if len(ev.params) < cap(ev.params) {
				ev.params = ev.params[:len(ev.params)+1]
				ev.params[len(ev.params)-1].key = key
				ev.params[len(ev.params)-1].vals = append(ev.params[len(ev.params)-1].vals[:0], val)
			} else {
				ev.params = append(ev.params, param{key: key, vals: [][]byte{val}})
			}
			continue
		}
		p := &ev.params[i]
		switch repeated {
		case repeatedFirst:
		case repeatedLast:
			p.vals[0] = val
		default:
			p.vals = append(p.vals, val)
		}
	}
}

// urlDecode decodes one query component into ev.scratch, or returns it as it
// is when it needs no decoding or cannot be decoded.
func (ev *event) urlDecode(s []byte) []byte {
	if bytes.IndexByte(s, '%') < 0 && bytes.IndexByte(s, '+') < 0 {
		return s
	}
	start := len(ev.scratch)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '+':
			ev.scratch = append(ev.scratch, ' ')
		case '%':
			if i+2 >= len(s) || unhex(s[i+1]) < 0 || unhex(s[i+2]) < 0 {
				ev.scratch = ev.scratch[:start]
				return s
			}
			ev.scratch = append(ev.scratch, byte(unhex(s[i+1])<<4|unhex(s[i+2])))
			i += 2
		default:
			ev.scratch = append(ev.scratch, c)
		}
	}
	out := ev.scratch[start:]
	if !utf8.Valid(out) {
		ev.scratch = ev.scratch[:start]
		return s
	}
	return out
}
