package stream

import (
	"bytes"
	"maps"
	"math"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/tributarydata/tributary/plugins/sdk"
	"github.com/tributarydata/tributary/transforms/value"
)

func TestWatermarkIsTheMinimumOverActivePartitions(t *testing.T) {
	now := time.Unix(1000, 0)
	a, b := sdk.TopicPartition{Topic: "t", Partition: 0}, sdk.TopicPartition{Topic: "t", Partition: 1}
	w := NewWatermarks(5*time.Second, 10*time.Second)
	w.Assign([]sdk.TopicPartition{a, b}, now)
	if got := w.Current(now); got != NoTime {
		t.Fatalf("watermark before any record %d, want NoTime", got)
	}
	if !w.Observe(a, 100_000, now) || w.Observe(a, 90_000, now) {
		t.Fatal("Observe must report a new largest event time, and only that")
	}
	if got := w.Current(now); got != NoTime {
		t.Fatalf("partition b has shown nothing and is not idle: watermark %d, want NoTime", got)
	}
	w.Observe(b, 50_000, now)
	if got := w.Current(now); got != 45_000 {
		t.Fatalf("watermark %d, want 45000 (min of 95000 and 45000)", got)
	}
	later := now.Add(11 * time.Second)
	w.Observe(a, 120_000, later)
	if got := w.Current(later); got != 115_000 {
		t.Fatalf("b idle: watermark %d, want a's 115000", got)
	}
	if got := w.Current(later.Add(time.Minute)); got != 115_000 {
		t.Fatalf("all idle: watermark %d, want the largest, 115000", got)
	}
	w.Restore(b, 200_000)
	if got := w.Max(b); got != 200_000 {
		t.Fatalf("restored max %d", got)
	}
}

func TestWatermarkNearTheSmallestTimes(t *testing.T) {
	w := NewWatermarks(time.Hour, 0)
	tp := sdk.TopicPartition{Topic: "t"}
	w.Observe(tp, math.MinInt64+5, time.Now())
	if got := w.Current(time.Now()); got != NoTime {
		t.Fatalf("watermark %d, want NoTime rather than an overflow", got)
	}
}

func TestWindowStarts(t *testing.T) {
	tumbling, err := NewWindows(60_000, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := tumbling.Starts(nil, 59_999); !slices.Equal(got, []int64{0}) {
		t.Errorf("tumbling 59999: %v", got)
	}
	if got := tumbling.Starts(nil, -1); !slices.Equal(got, []int64{-60_000}) {
		t.Errorf("tumbling -1 (before 1970): %v", got)
	}
	hopping, err := NewWindows(60_000, 20_000)
	if err != nil {
		t.Fatal(err)
	}
	if got := hopping.Starts(nil, 45_000); !slices.Equal(got, []int64{-20_000, 0, 20_000, 40_000}[1:]) {
		t.Errorf("hopping 45000: %v, want 0 20000 40000", got)
	}
	for _, bad := range [][2]int64{{0, 0}, {60, 70}, {60, 25}, {-5, 0}} {
		if _, err := NewWindows(bad[0], bad[1]); err == nil {
			t.Errorf("NewWindows(%d, %d) accepted", bad[0], bad[1])
		}
	}
}

func TestKeysRoundTrip(t *testing.T) {
	vals := []value.Value{{}, value.OfBool(true), value.OfBool(false), value.OfInt(-7), value.OfFloat(2.5),
		value.OfNumber("12345678901234567890"), value.OfString("课堂 \"🎓\""), value.OfJSON(`{"a":1}`), value.OfString("")}
	var key []byte
	for _, v := range vals {
		key = AppendKey(key, v)
	}
	rest := key
	for i, want := range vals {
		got, tail, err := DecodeKey(rest)
		if err != nil {
			t.Fatalf("value %d: %v", i, err)
		}
		if got.Kind() != want.Kind() || got.Text() != want.Text() {
			t.Errorf("value %d: %v %q, want %v %q", i, got.Kind(), got.Text(), want.Kind(), want.Text())
		}
		rest = tail
	}
	if len(rest) != 0 {
		t.Errorf("%d bytes left", len(rest))
	}
	if bytes.Equal(AppendKey(nil, value.OfInt(5)), AppendKey(nil, value.OfString("5"))) {
		t.Error("5 and '5' must be different keys (kinds differ)")
	}
}

// FuzzDecodeKey: state read back from a changelog topic never panics the
// decoder, and what decodes encodes back to the same bytes.
func FuzzDecodeKey(f *testing.F) {
	f.Add(AppendKey(AppendKey(nil, value.OfInt(3)), value.OfString("a")))
	f.Add([]byte{byte(value.String), 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		var again []byte
		rest := b
		for len(rest) > 0 {
			v, tail, err := DecodeKey(rest)
			if err != nil {
				return
			}
			again = AppendKey(again, v)
			rest = tail
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("%x decodes and encodes to %x", b, again)
		}
	})
}

func TestChangesKeepTheirBytes(t *testing.T) {
	var c Changes
	key := []byte("k1")
	c.Put(0, key, []byte("v"))
	c.Delete(1, []byte("gone"))
	c.Put(0, []byte("empty"), nil)
	key[0] = 'X' // the caller reuses its buffer
	for range 5000 {
		c.Put(2, bytes.Repeat([]byte("x"), 100), []byte("y")) // forces new chunks
	}
	got := c.Take()
	if string(got[0].Key) != "k1" || string(got[0].Value) != "v" {
		t.Errorf("first change %q=%q", got[0].Key, got[0].Value)
	}
	if got[1].Value != nil || got[1].Partition != 1 {
		t.Errorf("a delete must have a nil value: %+v", got[1])
	}
	if got[2].Value == nil {
		t.Error("an empty value is a value, not a delete")
	}
	c.Reset()
	if c.Len() != 0 {
		t.Errorf("%d changes after Reset", c.Len())
	}
}

// TestChangesReleaseAPeakBatch: after one huge batch, small batches must not
// keep its memory alive.
func TestChangesReleaseAPeakBatch(t *testing.T) {
	var c Changes
	big := bytes.Repeat([]byte("v"), 1000)
	for range 20_000 { // ~20 MB of changes
		c.Put(0, []byte("key"), big)
	}
	c.Reset()
	c.Put(0, []byte("k"), []byte("v"))
	c.Reset()
	if cap(c.arena) > retainBytes || cap(c.list) > 4096 {
		t.Errorf("after a small batch the buffer still holds %d bytes of arena and room for %d changes", cap(c.arena), cap(c.list))
	}
	// A steady large batch keeps its memory: no reallocation per batch.
	for range 3 {
		for range 20_000 {
			c.Put(0, []byte("key"), big)
		}
		kept := cap(c.arena)
		c.Reset()
		if kept > retainBytes && cap(c.arena) != kept {
			t.Errorf("a batch as large as the last one dropped the arena (%d → %d)", kept, cap(c.arena))
		}
	}
}

// TestKeyedLogsEachChangedKeyOnceAndSweeps: Log writes each changed key's
// entry, or its delete, once, whatever touched it, under tag+key; Sweep
// forgets what outlived the TTL, and the next Log deletes it.
func TestKeyedLogsEachChangedKeyOnceAndSweeps(t *testing.T) {
	var k Keyed[int64] // the entry is its last-touch time
	p := k.Part(3)
	p.Put("a", 10)
	p.Put("a", 20)
	p.Put("b", 30)
	p.Rows["restored"] = 5 // as Restore writes: not logged
	p.Delete("gone")
	encode := func(dst []byte, at int64) []byte { return strconv.AppendInt(dst, at, 10) }
	logged := func() map[string]string {
		var c Changes
		k.Log(&c, 'x', encode)
		got := map[string]string{}
		for _, ch := range c.Take() {
			if ch.Partition != 3 {
				t.Errorf("change in partition %d, want 3", ch.Partition)
			}
			v := "delete"
			if ch.Value != nil {
				v = string(ch.Value)
			}
			got[string(ch.Key)] = v
		}
		return got
	}
	if got, want := logged(), map[string]string{"xa": "20", "xb": "30", "xgone": "delete"}; !maps.Equal(got, want) {
		t.Fatalf("logged %v, want %v", got, want)
	}
	if got := logged(); len(got) != 0 {
		t.Fatalf("a second Log with nothing changed wrote %v", got)
	}
	// At 125 with a TTL of 100, what was touched at 25 or before is gone.
	x := Expiry{TTL: 100}
	if n := k.Sweep(&x, 125, func(at int64) int64 { return at }); n != 2 {
		t.Errorf("swept %d, want 2", n)
	}
	if got, want := logged(), map[string]string{"xa": "delete", "xrestored": "delete"}; !maps.Equal(got, want) {
		t.Fatalf("after the sweep logged %v, want %v", got, want)
	}
	if _, ok := p.Rows["b"]; !ok {
		t.Error("the sweep forgot b, touched at 30")
	}
}
