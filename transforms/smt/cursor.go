package smt

import (
	"errors"
	"fmt"

	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/transforms/extract"
	"github.com/tributarydata/tributary/transforms/value"
)

// errTombstone is what a step that needs a value's fields gets for a record
// whose value is null; the chain passes such records on unchanged.
var errTombstone = errors.New("tombstone")

// cursor is one record on its way through the chain. The value is parsed
// into row only when a step asks for fields, and written back only when a
// step changed them, so a chain of routes and hashes never re-encodes JSON.
type cursor struct {
	rec        sdk.Record // the output record being built
	inputTopic string
	row        value.Row // the value's fields, once parsed
	parsed     bool      // row holds the value's fields
	edited     bool      // row differs from rec.Value
	null       bool      // the output value is null (a tombstone), row holds the deleted row's fields
	drop       bool      // a step dropped the record on purpose
	maxDepth   int
	// batch holds the bytes of the batch's outputs, their values and the
	// keys steps make, reused from batch to batch (sdk.Transform allows
	// it): allocating the values afresh per batch was a fifth of the
	// signal ETL's time, in zeroing and GC assists, and a key per record
	// kept the GC running.
	batch []byte
	// enc writes rows, which from record to record have the same fields.
	enc value.RowEncoder
}

// reset starts on a new input record, keeping the row's storage.
func (c *cursor) reset(in *sdk.Record) {
	c.rec = *in
	c.inputTopic, c.rec.Topic = in.Topic, ""
	c.row.Reset()
	c.parsed, c.edited, c.drop = false, false, false
	c.null = in.Value == nil
}

// fields returns the value's fields, parsing the value the first time.
func (c *cursor) fields() (*value.Row, error) {
	if c.parsed {
		return &c.row, nil
	}
	if c.null {
		return nil, errTombstone
	}
	c.row.Reset()
	if err := extract.Object(c.rec.Value, &c.row, c.maxDepth); err != nil {
		return nil, err
	}
	c.parsed = true
	return &c.row, nil
}

// json returns the current value as JSON text. Values of the row may alias
// the text it returns, so a row that was edited is written to a new slice,
// never to one that is reused.
func (c *cursor) json() ([]byte, error) {
	if c.null {
		return nil, errTombstone
	}
	if c.edited {
		return c.enc.Append(nil, &c.row), nil
	}
	return c.rec.Value, nil
}

// replace makes row the value's fields (an extract step filled a new row).
func (c *cursor) replace(row *value.Row) {
	c.row, *row = *row, c.row
	c.parsed, c.edited = true, true
}

// changed marks the row as edited by a step.
func (c *cursor) changed() { c.edited = true }

// finish returns the output record, its value written to the batch memory
// when the row changed.
func (c *cursor) finish() sdk.Record {
	switch {
	case c.null:
		c.rec.Value = nil
	case c.edited:
		start := len(c.batch)
		c.batch = c.enc.Append(c.batch, &c.row)
		c.rec.Value = c.batchSince(start)
	}
	return c.rec
}

// batchSince returns what was appended to the batch memory from start on,
// with no room to grow into what comes next.
func (c *cursor) batchSince(start int) []byte {
	return c.batch[start:len(c.batch):len(c.batch)]
}

// stepError says which step refused a record; it becomes the record's Fault.
type stepError struct {
	alias, typ string
	err        error
}

func (e *stepError) Error() string {
	return fmt.Sprintf("transform %s (%s): %v", e.alias, e.typ, e.err)
}
func (e *stepError) Unwrap() error { return e.err }
