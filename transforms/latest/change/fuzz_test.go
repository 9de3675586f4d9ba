package change

import (
	"testing"

	"github.com/tributarydata/tributary/transforms/value"
)

// FuzzRead: any bytes either read into rows of the right width or are an
// error that leaves the rows alone; never a panic.
func FuzzRead(f *testing.F) {
	for _, s := range []string{
		`{"id":1,"t":"2024-01-15 10:00:00"}`,
		`{"op":"u","before":{"id":1},"after":{"id":"2","t":null}}`,
		`{"op":"d","before":{"id":1,"t":"x"},"after":null}`,
		`{"op":"c","after":"{\"id\":3}"}`, `{"op":"q","after":{}}`, `{"op":1,"after":[]}`,
		`[1]`, `nul`, ``, `{"op":"u","before":{"id":1e999},"after":{"t":"\ud800"}}`,
	} {
		f.Add([]byte(s))
	}
	r := newReader(f, "id:long,t,x=a.b[2]", "day=t:yyyy-MM-dd")
	f.Fuzz(func(t *testing.T, data []byte) {
		var before, after value.Row
		c, err := r.Read(data, &before, &after)
		if err != nil {
			if before.Len() != 0 || after.Len() != 0 || c != (Change{}) {
				t.Fatalf("error %v with rows %d, %d and %+v", err, before.Len(), after.Len(), c)
			}
			return
		}
		width := func(has bool) int {
			if has {
				return 4
			}
			return 0
		}
		if before.Len() != width(c.HasBefore) || after.Len() != width(c.HasAfter) {
			t.Fatalf("%+v with rows of %d and %d fields", c, before.Len(), after.Len())
		}
		if c.Op == None && (c.HasBefore || !c.HasAfter) {
			t.Fatalf("a plain row read as %+v", c)
		}
		_ = before.AppendJSON(after.AppendJSON(nil))
	})
}
