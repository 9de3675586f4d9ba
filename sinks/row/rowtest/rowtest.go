package rowtest

import "fmt"

// ChangeEvents are n change events over keys 0..keys-1 for a table (id, a,
// b DEFAULT 'dflt', n): full rows, partial rows, deletes and re-creates,
// in an order where most keys recur on both sides of any cut of the
// sequence (a transaction written in pieces, a batch split in two).
func ChangeEvents(n, keys int) []string {
	var out []string
	for i := range n {
		id := i * 7 % keys
		switch {
		case i%11 == 5:
			out = append(out, fmt.Sprintf(`{"op":"d","before":{"id":%d},"after":null}`, id))
		case i%5 == 2:
			out = append(out, fmt.Sprintf(`{"id":%d,"a":"p%d"}`, id, i))
		case i%13 == 0:
			out = append(out, fmt.Sprintf(`{"id":%d,"n":%d}`, id, i))
		default:
			out = append(out, fmt.Sprintf(`{"id":%d,"a":"f%d","b":"b%d","n":%d}`, id, i, i, i))
		}
	}
	return out
}
