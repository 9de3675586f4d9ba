package value

// Field is one named value of a Row.
type Field struct {
	Name  string
	Value Value
}

// Row is a record's value as an ordered list of fields. Names are unique;
// Set keeps the position of a field it replaces. A Row is meant to be reused:
// Reset keeps its storage.
type Row struct {
	Fields []Field
}

// Reset empties the row, keeping its storage.
func (r *Row) Reset() { r.Fields = r.Fields[:0] }

// Len returns the number of fields.
func (r *Row) Len() int { return len(r.Fields) }

// Index returns the position of the field called name, or -1.
func (r *Row) Index(name string) int {
	for i := range r.Fields {
		if r.Fields[i].Name == name {
			return i
		}
	}
	return -1
}

// IndexFrom is Index with a hint: it looks at position hint first, which is
// where the field usually is when every record of a stream has the same
// fields in the same order, as the outputs of an extract step do.
func (r *Row) IndexFrom(hint int, name string) int {
	if hint >= 0 && hint < len(r.Fields) && SameName(r.Fields[hint].Name, name) {
		return hint
	}
	return r.Index(name)
}

// Get returns the value of the field called name and whether there is one.
func (r *Row) Get(name string) (Value, bool) {
	if i := r.Index(name); i >= 0 {
		return r.Fields[i].Value, true
	}
	return Value{}, false
}

// Set gives the field called name the value v, appending the field when
// there is none.
func (r *Row) Set(name string, v Value) {
	if i := r.Index(name); i >= 0 {
		r.Fields[i].Value = v
		return
	}
	r.Append(name, v)
}

// SetFrom is Set with IndexFrom's hint, for steps that write the same field
// of every record; it returns where the field is, the hint for next time.
func (r *Row) SetFrom(hint int, name string, v Value) int {
	if i := r.IndexFrom(hint, name); i >= 0 {
		r.Fields[i].Value = v
		return i
	}
	r.Append(name, v)
	return len(r.Fields) - 1
}

// Append adds a field without looking for one of the same name, for callers
// that know the name is new (an extract step filling an empty row).
func (r *Row) Append(name string, v Value) {
	// Not append(r.Fields, Field{name, v}): the compiler builds that
	// Field on the stack in word-sized stores and copies it in 16-byte
	// loads, which wait for the stores to retire (a store-forwarding
	// stall): a tenth of the signal ETL's time.
	r.Fields = append(r.Fields, Field{})
	f := &r.Fields[len(r.Fields)-1]
	f.Name, f.Value = name, v
}

// Delete removes the field called name and reports whether there was one.
func (r *Row) Delete(name string) bool {
	i := r.Index(name)
	if i < 0 {
		return false
	}
	r.Fields = append(r.Fields[:i], r.Fields[i+1:]...)
	return true
}

// Rename gives the field called from the name to, replacing a field already
// called to, and reports whether there was a field called from.
func (r *Row) Rename(from, to string) bool {
	i := r.Index(from)
	if i < 0 {
		return false
	}
	if from == to {
		return true
	}
	if j := r.Index(to); j >= 0 {
		r.Fields[j].Value = r.Fields[i].Value
		r.Fields = append(r.Fields[:i], r.Fields[i+1:]...)
		return true
	}
	r.Fields[i].Name = to
	return true
}
