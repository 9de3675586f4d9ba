package agg

import (
	"cmp"
	"strconv"
	"strings"

	"github.com/tributarydata/tributary/transforms/value"
)

// multiset counts the rows of a group that hold each value of a field, so
// that a retraction can take a value out again: min and max find the next
// value when the least or greatest goes, count_distinct counts the values
// still held. Each value is a key (see appendOrderKey, appendDistinctKey).
//
// The keys live in entries; a key that goes frees its entry for the next
// new key, so that an add or a retraction of a value already held
// allocates nothing. Up to smallSet keys are found by a scan of entries,
// beyond that through index: a window's groups mostly hold a few values,
// and a map would be most of their memory.
type multiset struct {
	index   map[string]int32 // key → position in entries; nil up to smallSet keys
	entries []entry
	free    []int32 // positions in entries that hold no key
	held    int     // the number of keys held
	total   int64   // the rows holding a key: the sum of the entries' n
	// For min and max: the least and greatest keys. When the least goes,
	// loOK turns false and lo stays as a bound below every key left, so
	// that a key added at or below it is known to be the least again
	// without a scan (the retract-then-add of an updated row); otherwise
	// min scans once when asked. lo is "" when there is no bound. The
	// same for hi.
	lo, hi     string
	loOK, hiOK bool
}

// smallSet is the number of keys a multiset finds by scanning.
const smallSet = 8

type entry struct {
	key string
	n   int64 // rows holding key; positive in a held entry
}

func (m *multiset) len() int { return m.held }

// find returns the position of key in entries.
func (m *multiset) find(key []byte) (int32, bool) {
	if m.index != nil {
		i, ok := m.index[string(key)]
		return i, ok
	}
	for i := range m.entries {
		if e := &m.entries[i]; e.n != 0 && e.key == string(key) {
			return int32(i), true
		}
	}
	return 0, false
}

// count returns the number of rows holding key.
func (m *multiset) count(key []byte) int64 {
	if i, ok := m.find(key); ok {
		return m.entries[i].n
	}
	return 0
}

// add adds (sign 1) or takes out (sign -1) one row holding key; the caller
// has checked that a key taken out is held. ordered keeps lo and hi.
func (m *multiset) add(key []byte, sign int64, ordered bool) {
	m.total += sign
	if i, ok := m.find(key); ok {
		e := &m.entries[i]
		if e.n += sign; e.n == 0 {
			m.remove(i, ordered)
		}
		return
	}
	m.insert(string(key), sign, ordered)
}

func (m *multiset) insert(k string, n int64, ordered bool) {
	var i int32
	if last := len(m.free) - 1; last >= 0 {
		i = m.free[last]
		m.free = m.free[:last]
		m.entries[i] = entry{k, n}
	} else {
		i = int32(len(m.entries))
		m.entries = append(m.entries, entry{k, n})
	}
	m.held++
	switch {
	case m.index != nil:
		m.index[k] = i
	case m.held > smallSet:
		m.index = make(map[string]int32, m.held)
		for j, e := range m.entries {
			if e.n != 0 {
				m.index[e.key] = int32(j)
			}
		}
	}
	if !ordered {
		return
	}
	if m.held == 1 {
		m.lo, m.hi, m.loOK, m.hiOK = k, k, true, true
		return
	}
	if m.lo != "" {
		if c := compareKeys(k, m.lo); c < 0 || c == 0 && !m.loOK {
			m.lo, m.loOK = k, true
		}
	}
	if m.hi != "" {
		if c := compareKeys(k, m.hi); c > 0 || c == 0 && !m.hiOK {
			m.hi, m.hiOK = k, true
		}
	}
}

func (m *multiset) remove(i int32, ordered bool) {
	k := m.entries[i].key
	if m.index != nil {
		delete(m.index, k)
	}
	m.entries[i] = entry{}
	m.free = append(m.free, i)
	m.held--
	if ordered {
		if m.loOK && k == m.lo {
			m.loOK = false
		}
		if m.hiOK && k == m.hi {
			m.hiOK = false
		}
	}
	switch {
	case m.held == 0:
		m.entries, m.free, m.index = m.entries[:0], m.free[:0], nil
		m.lo, m.hi, m.loOK, m.hiOK = "", "", false, false
	case len(m.entries) >= 64 && m.held*4 < len(m.entries):
		m.compact()
	}
}

// compact gives back the room of a multiset that has shrunk to a quarter.
func (m *multiset) compact() {
	entries := make([]entry, 0, m.held)
	for _, e := range m.entries {
		if e.n != 0 {
			entries = append(entries, e)
		}
	}
	m.entries, m.free, m.index = entries, nil, nil
	if m.held > smallSet {
		m.index = make(map[string]int32, m.held)
		for j, e := range entries {
			m.index[e.key] = int32(j)
		}
	}
}

// min returns the least key, scanning when the least was taken out.
func (m *multiset) min() (string, bool) {
	if !m.loOK {
		if m.held == 0 {
			return "", false
		}
		m.lo, m.loOK = m.extreme(-1), true
	}
	return m.lo, true
}

// max returns the greatest key, scanning when the greatest was taken out.
func (m *multiset) max() (string, bool) {
	if !m.hiOK {
		if m.held == 0 {
			return "", false
		}
		m.hi, m.hiOK = m.extreme(1), true
	}
	return m.hi, true
}

// extreme returns the least (dir -1) or greatest (dir 1) key held.
func (m *multiset) extreme(dir int) string {
	best := ""
	for _, e := range m.entries {
		if e.n != 0 && (best == "" || compareKeys(e.key, best)*dir > 0) {
			best = e.key
		}
	}
	return best
}

// The first byte of an order key: its class, in the order min and max use.
const (
	tagNumber byte = iota + 1 // a number, or a string that holds one; then its canonical text
	tagFalse                  // false
	tagTrue                   // true
	tagString                 // a string that does not hold a number; then its text
	tagJSON                   // an object or array; then its JSON text
)

// appendOrderKey appends the key min and max order v by: numbers by value
// (a string that holds a number is that number), then false, true, strings
// byte-wise, objects and arrays by their JSON text. Null has no key.
func appendOrderKey(dst []byte, v value.Value) ([]byte, bool) {
	switch v.Kind() {
	case value.Null:
		return dst, false
	case value.Bool:
		if b, _ := v.Bool(); b {
			return append(dst, tagTrue), true
		}
		return append(dst, tagFalse), true
	case value.JSON:
		return append(append(dst, tagJSON), v.Text()...), true
	}
	if k, ok := appendNumberKey(append(dst, tagNumber), v); ok {
		return k, true
	}
	return append(append(dst, tagString), v.Text()...), true
}

// compareKeys orders order keys.
func compareKeys(a, b string) int {
	if a[0] != b[0] {
		return cmp.Compare(a[0], b[0])
	}
	if a[0] == tagNumber {
		return compareCanon(a[1:], b[1:])
	}
	return strings.Compare(a[1:], b[1:])
}

// keyValue returns the value an order key stands for: a number as an Int
// when it is whole and fits, else as its canonical text (value.OfNumber).
func keyValue(k string) value.Value {
	switch k[0] {
	case tagNumber:
		if i, err := strconv.ParseInt(k[1:], 10, 64); err == nil {
			return value.OfInt(i)
		}
		return value.OfNumber(k[1:])
	case tagFalse:
		return value.OfBool(false)
	case tagTrue:
		return value.OfBool(true)
	case tagJSON:
		return value.OfJSON(k[1:])
	}
	return value.OfString(k[1:])
}

// appendDistinctKey appends the key count_distinct tells values apart by:
// a number's canonical text (5, 5.0 and 5e0 are one value), any other
// value's text (value.Value.Text), so that the string '5' and the number 5
// are one value, and so are 'true' and true. Null has no key.
func appendDistinctKey(dst []byte, v value.Value) ([]byte, bool) {
	switch v.Kind() {
	case value.Null:
		return dst, false
	case value.Int, value.Float, value.Number:
		if k, ok := appendNumberKey(dst, v); ok {
			return k, true
		}
	}
	return v.AppendText(dst), true
}
