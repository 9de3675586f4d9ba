package intervaljoin

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/tributarydata/tributary/transforms/stream"
	"github.com/tributarydata/tributary/transforms/value"
)

func TestEvictHeapPopsInDeadlineOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var h evictHeap
	var want []int64
	for range 2000 {
		if len(h) > 0 && rng.IntN(3) == 0 {
			slices.Sort(want)
			if got := h.pop().due; got != want[0] {
				t.Fatalf("popped %d, want the smallest, %d", got, want[0])
			}
			want = want[1:]
			continue
		}
		d := rng.Int64N(500)
		h.push(evictItem{due: d})
		want = append(want, d)
	}
	slices.Sort(want)
	for _, w := range want {
		if got := h.pop().due; got != w {
			t.Fatalf("popped %d, want %d", got, w)
		}
	}
}

func TestSearchFindsThePlaceInTimeAndArrivalOrder(t *testing.T) {
	list := []entry{{t: 1, seq: 5}, {t: 3, seq: 1}, {t: 3, seq: 4}, {t: 3, seq: 9}, {t: 7, seq: 2}}
	for _, c := range []struct {
		t    int64
		seq  uint64
		want int
	}{{0, 0, 0}, {1, 5, 0}, {1, 6, 1}, {3, 4, 2}, {3, 5, 3}, {3, 10, 4}, {7, 2, 4}, {7, 3, 5}, {9, 0, 5}} {
		if got := search(list, c.t, c.seq); got != c.want {
			t.Errorf("search(%d, %d) = %d, want %d", c.t, c.seq, got, c.want)
		}
	}
	if find(list, 3, 5) != -1 || find(list, 3, 9) != 3 {
		t.Error("find")
	}
	if firstAtOrAfter(list, 3) != 1 || firstAtOrAfter(list, 4) != 4 || firstAtOrAfter(list, 8) != 5 {
		t.Error("firstAtOrAfter")
	}
}

// TestDecodeValsReadsWhatStreamWrites keeps decodeVals, which reads stored
// fields without copying, in step with stream.AppendKey.
func TestDecodeValsReadsWhatStreamWrites(t *testing.T) {
	vals := []value.Value{{}, value.OfBool(true), value.OfBool(false), value.OfInt(-7), value.OfFloat(2.5),
		value.OfNumber("12345678901234567890"), value.OfString("课堂 \"🎓\""), value.OfJSON(`{"a":1}`), value.OfString("")}
	var b []byte
	for _, v := range vals {
		b = stream.AppendKey(b, v)
	}
	got, err := decodeVals(nil, string(b))
	if err != nil || len(got) != len(vals) {
		t.Fatalf("%d values, %v", len(got), err)
	}
	for i := range vals {
		if got[i].Kind() != vals[i].Kind() || got[i].Text() != vals[i].Text() {
			t.Errorf("value %d: %v %q, want %v %q", i, got[i].Kind(), got[i].Text(), vals[i].Kind(), vals[i].Text())
		}
	}
	for cut := range len(b) {
		if _, err := decodeVals(nil, string(b[:cut])); err == nil && cut > 0 {
			// Cut between two values is a shorter, valid list.
			if _, err2 := decodeAll(b[:cut]); err2 != nil {
				t.Errorf("cut at %d: decodeVals accepts what stream.DecodeKey refuses", cut)
			}
		}
	}
}

func decodeAll(b []byte) ([]value.Value, error) {
	var vals []value.Value
	for len(b) > 0 {
		v, rest, err := stream.DecodeKey(b)
		if err != nil {
			return nil, err
		}
		vals, b = append(vals, v), rest
	}
	return vals, nil
}
