package row

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/tributarydata/tributary/bus/record"
)

// This file is Map's fast path. record.ParseChange decodes a whole value into
// maps (every field, every nested object, each value boxed) only for fill to
// pick the columns out again; building those maps was most of Map's CPU. The
// scanner below walks the value's bytes once instead, finds the envelope's
// fields and the row object, and converts each field of the row straight
// from its JSON text into its column.
//
// It must give exactly what mapSlow gives, so it is strict: it reads only
// well-formed JSON (RFC 8259, as encoding/json's scanner takes it) and
// declines everything else — any syntax it does not know, nesting deeper
// than maxScanDepth, data after the object, and every error of the record —
// and Map then runs mapSlow, whose decoders decide. Declining on errors
// keeps their messages identical (and which one of several errors a record
// reports is up to mapSlow's map order anyway); records in error are rare,
// so reading them twice costs nothing that matters.
// FuzzMapFastMatchesMapPath holds the two paths equal.

// maxScanDepth bounds the nesting the scanner follows; its value walkers
// recurse, and a deeper value (which real rows never have) goes to mapSlow.
const maxScanDepth = 128

// span is the bytes [lo, hi) of one JSON value in the scanned data; hi is 0
// for a value that is absent.
type span struct{ lo, hi int }

func (sp span) present() bool { return sp.hi > 0 }

// Flags of a string's raw text, telling whether it is its own value.
const (
	strEscaped  = 1 << iota // has a backslash escape
	strNonASCII             // has bytes of 0x80 and above, possibly invalid UTF-8
)

// scanner reads JSON from data, starting at pos.
type scanner struct {
	data  []byte
	pos   int
	depth int
	// valFlags are the flags of the last value read, if a string.
	valFlags uint8
	// buf holds the latest key or string that needed unescaping; text
	// reuses it, so a name kept past the next call is copied.
	buf []byte
}

// plain marks the bytes str passes over at once: ASCII other than the
// quote, the backslash and control characters.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

func (s *scanner) ws() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// str skips the string at s.pos (its opening quote), checking its escapes
// and refusing control characters, as encoding/json does. Invalid UTF-8 is
// not an error: decoding replaces it (see unquote).
func (s *scanner) str() (flags uint8, ok bool) {
	d := s.data
	for i := s.pos + 1; i < len(d); {
		c := d[i]
		if plain[c] {
			i++
			continue
		}
		switch {
		case c == '"':
			s.pos = i + 1
			return flags, true
		case c == '\\':
			flags |= strEscaped
			if i+1 >= len(d) {
				return 0, false
			}
			switch d[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(d) || hex4(d[i+2:i+6]) < 0 {
					return 0, false
				}
				i += 6
			default:
				return 0, false
			}
		case c < 0x20:
			return 0, false
		default:
			flags |= strNonASCII
			i++
		}
	}
	return 0, false
}

// hex4 reads four hex digits, or gives -1.
func hex4(b []byte) rune {
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// number skips a number in JSON's grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
// Whatever follows it is the caller's to check, so "01" and "1x" fail there.
func (s *scanner) number() bool {
	d, i := s.data, s.pos
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i >= len(d):
		return false
	case d[i] == '0':
		i++
	case '1' <= d[i] && d[i] <= '9':
		for i++; i < len(d) && '0' <= d[i] && d[i] <= '9'; i++ {
		}
	default:
		return false
	}
	if i < len(d) && d[i] == '.' {
		i++
		start := i
		for ; i < len(d) && '0' <= d[i] && d[i] <= '9'; i++ {
		}
		if i == start {
			return false
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		start := i
		for ; i < len(d) && '0' <= d[i] && d[i] <= '9'; i++ {
		}
		if i == start {
			return false
		}
	}
	s.pos = i
	return true
}

func (s *scanner) literal(lit string) bool {
	if !bytes.HasPrefix(s.data[s.pos:], []byte(lit)) {
		return false
	}
	s.pos += len(lit)
	return true
}

// value skips the value at s.pos, checking it.
func (s *scanner) value() (span, bool) {
	start := s.pos
	if start >= len(s.data) {
		return span{}, false
	}
	var ok bool
	s.valFlags = 0
	switch s.data[start] {
	case '"':
		s.valFlags, ok = s.str()
	case '{':
		ok = s.skipObject()
	case '[':
		ok = s.skipArray()
	case 't':
		ok = s.literal("true")
	case 'f':
		ok = s.literal("false")
	case 'n':
		ok = s.literal("null")
	default:
		ok = s.number()
	}
	return span{start, s.pos}, ok
}

func (s *scanner) skipObject() bool {
	if s.depth++; s.depth > maxScanDepth {
		return false
	}
	s.pos++
	for first := true; ; first = false {
		_, _, _, done, ok := s.member(first)
		if !ok {
			return false
		}
		if done {
			s.depth--
			return true
		}
	}
}

func (s *scanner) skipArray() bool {
	if s.depth++; s.depth > maxScanDepth {
		return false
	}
	s.pos++
	for first := true; ; first = false {
		done, ok := s.element(first)
		if !ok {
			return false
		}
		if done {
			s.depth--
			return true
		}
		if _, ok := s.value(); !ok {
			return false
		}
	}
}

// memberKey reads an object up to the value of its next member: the '}'
// (done), or the key and the ':' after it. first says no member has been
// read since the '{'.
func (s *scanner) memberKey(first bool) (key span, flags uint8, done, ok bool) {
	s.ws()
	if s.pos >= len(s.data) {
		return
	}
	switch c := s.data[s.pos]; {
	case c == '}':
		s.pos++
		return key, 0, true, true
	case !first:
		if c != ',' {
			return
		}
		s.pos++
		s.ws()
	}
	if s.pos >= len(s.data) || s.data[s.pos] != '"' {
		return
	}
	start := s.pos
	if flags, ok = s.str(); !ok {
		return
	}
	key = span{start + 1, s.pos - 1}
	s.ws()
	if s.pos >= len(s.data) || s.data[s.pos] != ':' {
		return key, 0, false, false
	}
	s.pos++
	s.ws()
	return key, flags, false, true
}

// member reads the next member of an object: its key and the span of its
// value, which it skips.
func (s *scanner) member(first bool) (key span, flags uint8, val span, done, ok bool) {
	if key, flags, done, ok = s.memberKey(first); !ok || done {
		return
	}
	val, ok = s.value()
	return
}

// element reads an array up to its next element: the ']' (done), or the
// ',' before an element after the first.
func (s *scanner) element(first bool) (done, ok bool) {
	s.ws()
	if s.pos >= len(s.data) {
		return false, false
	}
	switch c := s.data[s.pos]; {
	case c == ']':
		s.pos++
		return true, true
	case !first:
		if c != ',' {
			return false, false
		}
		s.pos++
		s.ws()
	}
	return false, true
}

// text gives the value of a string whose raw text (between the quotes) is
// sp: the raw bytes themselves when they are, else the unescaped value in
// s.buf (scratch is true), which the next call overwrites.
func (s *scanner) text(sp span, flags uint8) (b []byte, scratch bool) {
	raw := s.data[sp.lo:sp.hi]
	if flags&strEscaped == 0 && (flags&strNonASCII == 0 || utf8.Valid(raw)) {
		return raw, false
	}
	s.buf = unquote(s.buf[:0], raw)
	return s.buf, true
}

// stringAt is text for a string value's span, quotes included, with the
// flags value gave it.
func (s *scanner) stringAt(v span, flags uint8) []byte {
	b, _ := s.text(span{v.lo + 1, v.hi - 1}, flags)
	return b
}

// unquote appends the value of a string's raw text, checked by str, as
// encoding/json decodes it: each byte of invalid UTF-8 becomes U+FFFD, and
// so does a \u escape of a surrogate that is not the first half of a valid
// pair.
func unquote(dst, raw []byte) []byte {
	for i := 0; i < len(raw); {
		c := raw[i]
		switch {
		case c == '\\' && i+1 < len(raw):
			switch raw[i+1] {
			case 'b':
				dst = append(dst, '\b')
			case 'f':
				dst = append(dst, '\f')
			case 'n':
				dst = append(dst, '\n')
			case 'r':
				dst = append(dst, '\r')
			case 't':
				dst = append(dst, '\t')
			case 'u':
				r := rune(-1)
				if i+6 <= len(raw) {
					r = hex4(raw[i+2 : i+6])
				}
				if r < 0 {
					return append(dst, string(utf8.RuneError)...) // str refused this
				}
				i += 6
				if utf16.IsSurrogate(r) {
					r2 := rune(-1)
					if i+6 <= len(raw) && raw[i] == '\\' && raw[i+1] == 'u' {
						r2 = hex4(raw[i+2 : i+6])
					}
					if pair := utf16.DecodeRune(r, r2); pair != utf8.RuneError {
						i += 6
						r = pair
					} else {
						r = utf8.RuneError
					}
				}
				dst = utf8.AppendRune(dst, r)
				continue
			default: // '"', '\\', '/'
				dst = append(dst, raw[i+1])
			}
			i += 2
		case c < utf8.RuneSelf:
			dst = append(dst, c)
			i++
		default:
			r, size := utf8.DecodeRune(raw[i:])
			dst = utf8.AppendRune(dst, r)
			i += size
		}
	}
	return dst
}

// decode reads the value at s.pos, already checked by value, as
// encoding/json decodes it into an any with UseNumber (and as
// record.DecodeObject gives it): maps with the last of duplicate keys,
// non-nil empty maps and slices, json.Number.
func (s *scanner) decode() (any, bool) {
	if s.pos >= len(s.data) {
		return nil, false
	}
	switch s.data[s.pos] {
	case '{':
		if s.depth++; s.depth > maxScanDepth {
			return nil, false
		}
		s.pos++
		obj := make(map[string]any)
		for first := true; ; first = false {
			key, flags, done, ok := s.memberKey(first)
			if !ok {
				return nil, false
			}
			if done {
				s.depth--
				return obj, true
			}
			name, _ := s.text(key, flags)
			k := string(name)
			if obj[k], ok = s.decode(); !ok {
				return nil, false
			}
		}
	case '[':
		if s.depth++; s.depth > maxScanDepth {
			return nil, false
		}
		s.pos++
		arr := make([]any, 0)
		for first := true; ; first = false {
			done, ok := s.element(first)
			if !ok {
				return nil, false
			}
			if done {
				s.depth--
				return arr, true
			}
			v, ok := s.decode()
			if !ok {
				return nil, false
			}
			arr = append(arr, v)
		}
	}
	v, ok := s.value()
	if !ok {
		return nil, false
	}
	switch raw := s.data[v.lo:v.hi]; raw[0] {
	case '"':
		return string(s.stringAt(v, s.valFlags)), true
	case 't':
		return true, true
	case 'f':
		return false, true
	case 'n':
		return nil, true
	default:
		return json.Number(raw), true
	}
}

// field is one member of an object: where its key and value are, and their
// flags if strings.
type field struct {
	key, val       span
	kflags, vflags uint8
}

// fields appends the members of the object at s.pos to list, checking
// them, and gives the object's span.
func (s *scanner) fields(list []field) ([]field, span, bool) {
	start := s.pos
	if s.depth++; s.depth > maxScanDepth {
		return list, span{}, false
	}
	s.pos++
	for first := true; ; first = false {
		key, kflags, val, done, ok := s.member(first)
		if !ok {
			return list, span{}, false
		}
		if done {
			break
		}
		list = append(list, field{key: key, val: val, kflags: kflags, vflags: s.valFlags})
	}
	s.depth--
	return list, span{start, s.pos}, true
}

// envelope holds where the fields record.ParseChange looks at are in an
// object; the last of duplicate keys counts, as in a decoded map. It keeps
// the object's members, and those of after if it is an object, so that the
// row, which is one or the other, is not scanned again.
type envelope struct {
	obj                                    span // the object itself
	schema                                 bool
	payload, op, before, after, source, ts span
	opFlags                                uint8
	members, afterMembers                  []field
}

// envelope walks the object at s.pos, checking all of it; members and
// afterMembers are buffers for the lists it keeps.
func (s *scanner) envelope(members, afterMembers []field) (e envelope, ok bool) {
	e.members, e.afterMembers = members[:0], afterMembers[:0]
	if s.pos >= len(s.data) || s.data[s.pos] != '{' {
		return e, false
	}
	e.obj.lo = s.pos
	s.pos++
	for first := true; ; first = false {
		key, kflags, done, good := s.memberKey(first)
		if !good {
			return e, false
		}
		if done {
			break
		}
		name, _ := s.text(key, kflags)
		var at *span
		switch string(name) {
		case "schema":
			e.schema = true
		case "payload":
			at = &e.payload
		case "op":
			at = &e.op
		case "before":
			at = &e.before
		case "after":
			at = &e.after
		case "source":
			at = &e.source
		case "ts_ms":
			at = &e.ts
		}
		var val span
		if at == &e.after && s.pos < len(s.data) && s.data[s.pos] == '{' {
			e.afterMembers, val, ok = s.fields(e.afterMembers[:0])
			s.valFlags = 0
		} else {
			val, ok = s.value()
		}
		if !ok {
			return e, false
		}
		if at != nil {
			*at = val
		}
		if at == &e.op {
			e.opFlags = s.valFlags
		}
		e.members = append(e.members, field{key: key, val: val, kflags: kflags, vflags: s.valFlags})
	}
	e.obj.hi = s.pos
	return e, true
}

// first gives the first byte of a present value, which tells its type.
func (s *scanner) first(v span) byte {
	if !v.present() {
		return 0
	}
	return s.data[v.lo]
}

// mapFast is Map for a non-nil value, following record.ParseChange and
// mapSlow step by step. done is false when it declines: mapSlow then reads
// the record.
func (m *Mapper) mapFast(r *record.Record, old Change) (c Change, ok, done bool) {
	s := scanner{data: r.Value}
	s.ws()
	// Rows of up to 32 fields are listed without allocating.
	var members, afterMembers [32]field
	e, good := s.envelope(members[:], afterMembers[:])
	if !good {
		return
	}
	s.ws()
	if s.pos != len(s.data) {
		// Data after the object: an error, except that encoding/json's
		// Decoder.More lets a stray '}' or ']' through.
		return
	}
	// ParseChange unwraps the payload of a {"schema":…,"payload":{…}}
	// wrapper, once.
	if e.schema && s.first(e.payload) == '{' {
		s.pos = e.payload.lo
		if e, good = s.envelope(e.members, e.afterMembers); !good {
			return
		}
	}
	row, del := e.members, false
	// An object is a change event only if op is a string and it has after
	// or before (null included); anything else is a plain row.
	if s.first(e.op) == '"' && (e.after.present() || e.before.present()) {
		switch string(s.stringAt(e.op, e.opFlags)) {
		case "c", "u", "r":
		case "d":
			del = true
		default:
			return // unknown op
		}
		for _, f := range []span{e.before, e.after, e.source} {
			if b := s.first(f); b != 0 && b != '{' && b != 'n' {
				return // neither an object nor null
			}
		}
		if b := s.first(e.ts); b == '-' || '0' <= b && b <= '9' {
			if _, err := strconv.ParseInt(string(s.data[e.ts.lo:e.ts.hi]), 10, 64); err != nil {
				return // a ts_ms that is not an int64
			}
		}
		if del {
			if s.first(e.before) != '{' {
				return // delete without before
			}
		} else {
			if s.first(e.after) != '{' {
				return // create, update or read without after
			}
			row = e.afterMembers
		}
	}
	if del && !m.cfg.DeleteEnabled {
		return Change{}, false, true
	}
	c = m.change(del, old)
	if !del && !m.fastFill(&s, &c, row) {
		return Change{}, false, false
	}
	switch m.cfg.KeyMode {
	case KeyRecordValue:
		if del && !m.fastFillKey(&s, &c, e.before) {
			return Change{}, false, false
		}
	case KeyRecordKey:
		if m.keyFromRecordKey(&c, r.Key) != nil {
			return Change{}, false, false
		}
	}
	if m.checkKey(&c) != nil {
		return Change{}, false, false
	}
	return c, true, true
}

// Ranks of the fields that may fill a column, best first, as fill ranks
// them: the column's name, its lower-cased name (byName's fallback entry),
// and any other spelling matching it without regard to case, among which
// the first in byte order wins.
const (
	rankNone uint8 = iota
	rankExact
	rankLower
	rankFolded
)

// slot is the field chosen so far for a column.
type slot struct {
	val   span
	flags uint8 // of a string value
	rank  uint8
	name  []byte // of a rankFolded field
}

// fastFill is fill over the members of the row object: it picks each
// column's field first, so only the fields fill would convert are converted
// (a duplicate key's earlier values, and case-insensitive matches that lose,
// are not).
func (m *Mapper) fastFill(s *scanner, c *Change, row []field) bool {
	var stack [24]slot
	var slots []slot
	if n := len(m.cfg.Columns); n <= len(stack) {
		slots = stack[:n]
	} else {
		slots = make([]slot, n)
	}
	cols := m.cfg.Columns
	next := 0 // the column the next field likely is: rows list them in table order
	for _, f := range row {
		name, scratch := s.text(f.key, f.kflags)
		i, rank := next, rankExact
		if next >= len(cols) || !m.owns[next] || string(name) != cols[next].Name {
			var found bool
			if i, found = m.byName[string(name)]; found {
				if string(name) != cols[i].Name {
					rank = rankLower
				}
			} else {
				rank = rankFolded
			}
		}
		if rank != rankFolded {
			next = i + 1
			// The later of equal ranks is a duplicate key, which wins.
			if sl := &slots[i]; sl.rank == rankNone || sl.rank >= rank {
				*sl = slot{val: f.val, flags: f.vflags, rank: rank}
			}
			continue
		}
		i, found := m.foldedColumn(name)
		if !found {
			if m.cfg.UnknownFieldsError {
				return false
			}
			continue
		}
		sl := &slots[i]
		if sl.rank != rankNone && (sl.rank < rankFolded || bytes.Compare(name, sl.name) > 0) {
			continue
		}
		if scratch {
			name = bytes.Clone(name)
		}
		*sl = slot{val: f.val, flags: f.vflags, rank: rankFolded, name: name}
	}
	for i := range slots {
		if slots[i].rank != rankNone && !m.setRaw(s, c, i, slots[i]) {
			return false
		}
	}
	return true
}

// foldedColumn is Mapper.column's case-insensitive lookup, lower-casing
// ASCII names without allocating.
func (m *Mapper) foldedColumn(name []byte) (int, bool) {
	var lower [64]byte
	if len(name) <= len(lower) {
		ascii := true
		for j, b := range name {
			if b >= utf8.RuneSelf {
				ascii = false
				break
			}
			if 'A' <= b && b <= 'Z' {
				b += 'a' - 'A'
			}
			lower[j] = b
		}
		if ascii {
			i, ok := m.byName[string(lower[:len(name)])]
			return i, ok
		}
	}
	i, ok := m.byName[strings.ToLower(string(name))]
	return i, ok
}

// fastFillKey is fillKey over the object at obj: per key column the field of
// its exact name, else the first in byte order of those equal to it under
// strings.EqualFold.
func (m *Mapper) fastFillKey(s *scanner, c *Change, obj span) bool {
	var stack [8]slot
	var slots []slot
	if n := len(m.key); n <= len(stack) {
		slots = stack[:n]
	} else {
		slots = make([]slot, n)
	}
	s.pos = obj.lo + 1
	for first := true; ; first = false {
		key, flags, val, done, ok := s.member(first)
		if !ok {
			return false
		}
		if done {
			break
		}
		name, scratch := s.text(key, flags)
		for j, i := range m.key {
			col, sl := m.cfg.Columns[i].Name, &slots[j]
			switch {
			case string(name) == col:
				*sl = slot{val: val, flags: s.valFlags, rank: rankExact}
			case sl.rank == rankExact || !strings.EqualFold(string(name), col):
			case sl.rank == rankNone || bytes.Compare(name, sl.name) <= 0:
				n := name
				if scratch {
					n = bytes.Clone(name)
				}
				*sl = slot{val: val, flags: s.valFlags, rank: rankFolded, name: n}
			}
		}
	}
	for j, i := range m.key {
		if slots[j].rank != rankNone && !m.setRaw(s, c, i, slots[j]) {
			return false
		}
	}
	return true
}

// setRaw converts the value at v into column i, as set does with the value
// decoded.
func (m *Mapper) setRaw(s *scanner, c *Change, i int, sl slot) bool {
	col, v := &m.cfg.Columns[i], sl.val
	out, ok := m.convertToken(s, col, v, sl.flags)
	if !ok {
		s.pos = v.lo
		in, ok := s.decode()
		if !ok {
			return false
		}
		var err error
		if out, err = col.ConvertAt(in, m.cfg.EpochUnit, m.cfg.Location); err != nil {
			return false
		}
	}
	c.Values[i], c.Present[i] = out, true
	return true
}

// convertToken converts the common pairs of token and kind by the steps
// convert takes for them, reading the text in place: nothing is boxed or
// copied that the result does not keep, which saves most of the
// allocations per field. ok is false for any other pair and for a value in
// error, which ConvertAt then converts (or refuses) from the decoded value.
func (m *Mapper) convertToken(s *scanner, col *Column, v span, flags uint8) (out any, ok bool) {
	raw := s.data[v.lo:v.hi]
	switch raw[0] {
	case 't', 'f':
		if col.Kind == KindBool {
			return raw[0] == 't', true
		}
	case '"':
		return m.convertString(col, s.stringAt(v, flags))
	case 'n', '{', '[':
	default:
		return m.convertNumber(col, raw)
	}
	return nil, false
}

// convertNumber follows convert for a json.Number of the text raw.
func (m *Mapper) convertNumber(col *Column, raw []byte) (any, bool) {
	switch col.Kind {
	case KindInt:
		n, ok := intToken(raw)
		if !ok {
			return nil, false
		}
		bits := col.Bits
		if bits == 0 {
			bits = 64
		}
		if col.Unsigned {
			// "-0" is 0 to asInt, by way of big.Rat.
			if raw[0] == '-' || bits < 64 && uint64(n) >= 1<<bits {
				return nil, false
			}
			return n, true
		}
		if bits < 64 && (n < -(1<<(bits-1)) || n >= 1<<(bits-1)) {
			return nil, false
		}
		return n, true
	case KindFloat:
		if !isDecimalText(string(raw)) {
			return nil, false
		}
		f, err := strconv.ParseFloat(string(raw), 64)
		if err != nil {
			return nil, false
		}
		return f, true
	case KindDecimal:
		text := string(raw)
		if !isDecimalText(text) {
			return nil, false
		}
		out, err := col.decimalText(text)
		return out, err == nil
	case KindString:
		// Number text is ASCII: as many characters as bytes.
		if col.Length > 0 && len(raw) > col.Length {
			return nil, false
		}
		return string(raw), true
	case KindTimestamp, KindTimestampTZ:
		n, ok := intToken(raw)
		if !ok {
			return nil, false
		}
		t, err := epochTime(n, m.cfg.EpochUnit)
		if err != nil {
			return nil, false
		}
		return t, true
	case KindDate:
		n, ok := intToken(raw)
		if !ok || n < -1e7 || n > 1e7 {
			return nil, false
		}
		d, err := dayDate(n)
		if err != nil {
			return nil, false
		}
		return d, true
	case KindBool:
		switch string(raw) {
		case "0":
			return false, true
		case "1":
			return true, true
		}
	}
	return nil, false
}

// convertString follows convert for a string of the value text.
func (m *Mapper) convertString(col *Column, text []byte) (any, bool) {
	switch col.Kind {
	case KindString:
		str := string(text)
		if col.Length > 0 && len(str) > col.Length && utf8.RuneCountInString(str) > col.Length {
			return nil, false
		}
		return str, true
	case KindDecimal:
		str := strings.TrimSpace(string(text))
		if !isDecimalText(str) {
			return nil, false
		}
		out, err := col.decimalText(str)
		return out, err == nil
	case KindTimestamp, KindTimestampTZ:
		// What parseTimestampFast reads starts with a digit and ends with
		// a digit or Z, so asTimestamp's TrimSpace would not change it.
		t, zoned, ok := parseTimestampFast(string(text))
		if !ok {
			return nil, false
		}
		return placeTimestamp(t, zoned, m.cfg.Location, col.Kind == KindTimestampTZ), true
	case KindBytes:
		// base64's DecodeString, without copying the text.
		b := make([]byte, base64.StdEncoding.DecodedLen(len(text)))
		n, err := base64.StdEncoding.Decode(b, text)
		if err != nil {
			return nil, false
		}
		return b[:n], true
	}
	return nil, false
}

// intToken reads a number token that is an integer of at most 18 digits,
// which an int64 holds; ok is false for any other.
func intToken(raw []byte) (n int64, ok bool) {
	digits := raw
	if len(raw) > 0 && raw[0] == '-' {
		digits = raw[1:]
	}
	if len(digits) == 0 || len(digits) > 18 {
		return 0, false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if len(digits) < len(raw) {
		n = -n
	}
	return n, true
}
