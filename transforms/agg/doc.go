// Package agg is the aggregate functions of the stream engine: count, sum,
// avg, min, max and count_distinct over the rows of a group, kept as state
// that is updated one row at a time and written to a changelog.
//
//	event_count=count()   n=count(event)   event_sum=sum(lost)   event_avg=avg(lost)
//	lo=min(x)   hi=max(x)   leads=count_distinct(id)
//
// ParseSpecs reads that config text, NewSet compiles it, and each group
// key gets a Group that Add feeds rows to. AppendResults writes the
// results into a value.Row, AppendState and LoadState write and read the
// group's state.
//
// # Two users
//
// A windowed aggregation only adds rows, and keeps many groups: 100,000
// per window counting events. So a set of count(*) alone costs a Group of
// one int64 and a nil pointer, Add allocates nothing for count and sum, and
// field lookups remember where each field was last found in a row
// (value.Row.IndexFrom), so a stream of one layout finds them at the first
// look.
//
// A group aggregation over a changelog stream also takes rows out: when an
// order leaves status 3, the row it had is retracted from the group of
// status 3 (Add with sign -1) and added to its new group. So every function
// can undo a row exactly: sums are exact, and min, max and count_distinct
// keep a multiset of the values held (value → rows holding it), so that
// when the least value goes, the next is found. Retracting what the group
// does not hold is an error (ErrRetract), not a count gone negative: more
// rows than it holds, a value no row of it holds (min, max,
// count_distinct), a value in a field every row of it has null, a sum left
// without numbers that is not zero. A sum cannot tell 2 from 3 otherwise.
// The caller deletes a group whose Rows is 0.
//
// # Meaning
//
// As in SQL: count(*) counts rows, every other function ignores null and
// missing fields; count is 0 and never null, sum, avg, min and max are
// null when there is nothing to take them of.
//
//   - sum is exact. Whole numbers (Int, Number, numeric strings — the apps
//     send numbers as strings — and whole Floats) and decimals up to 18
//     places ('12.50', 0.1) add up in a 128-bit coefficient with a scale,
//     SQL's DECIMAL(38, s), so 0.1 + 0.2 is 0.3 and taking a value out
//     again leaves exactly what was there. The result is an Int when it is
//     whole and fits an int64, else its decimal text (value.OfNumber): a
//     sum past an int64 neither wraps nor rounds. A sum past 38 digits is
//     an error (ErrRange), as in SQL. A Float counts as the decimal it
//     prints as (0.1, not the binary fraction nearest it).
//   - Values that are not exact decimals in that range (1e-30, 1e300,
//     numbers of 40 digits, hexadecimal floats) are summed apart as float64,
//     and while the group holds any, sum is a Float. When the last of them
//     is retracted that part is reset, so rounding does not outlive them.
//   - A value that is not a number ('abc', true, an object) in sum or avg
//     is an error (ErrNotNumber) naming the aggregate and the value, so
//     that the caller can dead-letter the record. A blank string is null
//     there, as value.Convert has it: the apps send "" for "not set".
//   - avg is the sum divided by the count of numbers, as a Float.
//   - min and max order values the way value.Compare does, made total:
//     numbers by value, exactly; a string that holds a number is that
//     number, even against another such string ('9' < '10', where
//     value.Compare would compare two strings byte-wise), and comes out as
//     a number; then false, true, other strings byte-wise, then objects and
//     arrays by their JSON text.
//   - count_distinct tells values apart by their text (value.Text), with
//     numbers in canonical form: the string '5' and the number 5 are the
//     same student id, and so are 5, 5.0 and 5e0; the string '5.0' is not
//     5, and 'true' is true.
//
// Add is all or nothing: a row that fails any aggregate changes none.
//
// # State
//
// AppendState writes a group compactly and deterministically (the same
// state, the same bytes): a version byte, a hash of the set's fields and
// functions, the row count, then each accumulator. A count(*) group takes 6
// bytes up to 127 rows, 7 up to 16383. The state goes to a compacted changelog topic whenever the group
// changes and is read back by LoadState after a crash or a move, so
// LoadState reads only what AppendState writes: it refuses truncated or
// corrupt bytes, another version, another set, and anything a group could
// not hold (a count above the rows, keys out of order), with an error that
// wraps ErrState, and never panics. See AppendState for the layout.
//
// A Set is safe for concurrent use; a Group is not.
package agg
