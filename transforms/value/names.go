package value

import (
	"strings"
	"sync"
	"unsafe"
)

// names holds the names Intern has handed out, by their text.
var names sync.Map

// Intern returns name as the one copy of its text that every caller of
// Intern shares. Steps intern the field names they are configured with, so
// that where a row's name meets a step's (the names an extract step gives
// its fields, the fields a condition or a timestamp step reads) the two are
// one string, and comparing them stops at comparing their pointers, which
// Go's string comparison does first: a rule table reads a dozen fields a
// record. The table keeps every name it is given for the life of the
// process, so give it names from configuration, never names read from
// records.
func Intern(name string) string {
	if v, ok := names.Load(name); ok {
		return v.(string)
	}
	v, _ := names.LoadOrStore(name, strings.Clone(name))
	return v.(string)
}

// SameName is a == b, which Go compiles to a call (memequal) even when
// the two are one string; here that case, which interning makes the common
// one, costs a comparison of pointers.
func SameName(a, b string) bool {
	return len(a) == len(b) && (unsafe.StringData(a) == unsafe.StringData(b) || a == b)
}

// interned reports whether name is the copy Intern hands out, which is
// never changed: a string that points into a record's input may be (see
// RowEncoder).
func interned(name string) bool {
	v, ok := names.Load(name)
	return ok && unsafe.StringData(v.(string)) == unsafe.StringData(name)
}
