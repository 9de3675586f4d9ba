// Package value is the working form of a record inside the stateless
// transforms: an ordered list of named, typed fields (a Row) that the steps
// of a chain read and change, and that is written back as one JSON object at
// the end.
//
// Why not map[string]any: a chain runs per record at a million records a
// second, so a record is parsed once into a Row that is reused from record to
// record, fields keep their input order (outputs diff cleanly against the
// input), and nested objects and arrays stay as their JSON text until a step
// asks for their insides. Numbers keep their text when they do not fit an
// int64, so 12345678901234567890 and 0.10 leave as they came.
//
// Comparisons are loose in the way the warehouse's SQL is: a string holding
// a number equals that number ('305' = 305), so rule tables written against
// either form match both.
//
// A RowEncoder writes a stream of rows as JSON, each row's field names
// escaped once for the stream rather than once per row; steps intern the
// names they are configured with (Intern), so that comparing names is
// comparing pointers wherever a step's name meets a row's.
package value
