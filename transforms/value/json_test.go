package value

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
	"unsafe"

	"github.com/tributarydata/tributary/plugins/sdk"
)

func TestAppendIntIsStrconvs(t *testing.T) {
	ints := []int64{0, 1, -1, 9, 10, 11, 99, 100, 101, 999, 1000, 1614564000123, math.MaxInt64, math.MinInt64, math.MinInt64 + 1}
	for i := range 19 {
		p := int64(math.Pow10(i))
		ints = append(ints, p-1, p, p+1, -p+1, -p, -p-1)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 100000 {
		ints = append(ints, rng.Int64()>>rng.IntN(64), -rng.Int64()>>rng.IntN(64))
	}
	for _, i := range ints {
		if got, want := appendInt([]byte("x"), i), strconv.AppendInt([]byte("x"), i, 10); !bytes.Equal(got, want) {
			t.Fatalf("appendInt(%d) = %s, want %s", i, got, want)
		}
	}
}

// FuzzAppendString holds appendString to sdk.AppendJSONString, which it
// hands all but plain text to.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "abc", "2021-03-01 10:00:00.123", `say "hi"`, `C:\path`, "tab\there", "bad \xff utf8", "\u2028", "é€🎓", "0123456\x7f89"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := appendString([]byte("x"), s), sdk.AppendJSONString([]byte("x"), s); !bytes.Equal(got, want) {
			t.Fatalf("appendString(%q) = %s, want %s", s, got, want)
		}
	})
}

// FuzzRowEncoder writes a stream of rows made from data with a RowEncoder
// and with Row.AppendJSON: the same bytes, whether the names are interned,
// copies, or point into memory that is overwritten between rows, as names
// read from a reused input buffer would.
func FuzzRowEncoder(f *testing.F) {
	f.Add([]byte("\x03abc\x01de\x02f\x00"), uint8(3))
	f.Add([]byte("\x05event\x05msgId\x05event\x00\x05msgId"), uint8(2))
	f.Add([]byte("\x02\"\\\x01\xff\x03a\nb"), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, rows uint8) {
		values := []Value{{}, OfInt(-7), OfString("x\"y"), OfFloat(0.5), OfNumber("1e3"), OfJSON(`{"a":[1]}`), OfBool(true), OfString("bad \xff")}
		var enc RowEncoder
		buf := make([]byte, len(data)) // what borrowed names point into
		for k := range int(rows%8) + 1 {
			// Each row reads data from a rotating start, so rows differ
			// in their names or share them.
			d := append(data[k%max(len(data), 1):len(data):len(data)], data...)
			copy(buf, d)
			var r Row
			for i := 0; i < len(d) && len(r.Fields) < 16; {
				n := int(d[i] % 8)
				i++
				if i+n > len(d) {
					break
				}
				var name string
				switch d[i-1] / 8 % 3 {
				case 0:
					name = Intern(string(d[i : i+n]))
				case 1:
					name = string(d[i : i+n])
				default:
					if n > 0 {
						name = unsafe.String(&buf[i%len(buf)], min(n, len(buf)-i%len(buf)))
					}
				}
				if r.Index(name) < 0 {
					r.Append(name, values[int(d[i-1])%len(values)])
				}
				i += n
			}
			got, want := enc.Append([]byte("x"), &r), r.AppendJSON([]byte("x"))
			if !bytes.Equal(got, want) {
				t.Fatalf("row %d: RowEncoder wrote\n%s\nRow.AppendJSON\n%s", k, got, want)
			}
			if !json.Valid(got[1:]) {
				t.Fatalf("row %d: not JSON: %s", k, got[1:])
			}
		}
	})
}
