package intervaljoin

import (
	"math/rand/v2"
	"slices"
	"testing"
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
