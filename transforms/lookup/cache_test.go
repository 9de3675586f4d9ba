package lookup

import (
	"strings"
	"testing"
	"time"
)

// order lists the cache's keys, most recently used first, walking the
// list both ways to check its links.
func (c *lru) order(t *testing.T) string {
	t.Helper()
	var fwd, back []string
	for e := c.root.next; e != &c.root; e = e.next {
		fwd = append(fwd, e.key)
	}
	for e := c.root.prev; e != &c.root; e = e.prev {
		back = append([]string{e.key}, back...)
	}
	if strings.Join(fwd, ",") != strings.Join(back, ",") || len(fwd) != len(c.entries) {
		t.Fatalf("broken list: forward %v, backward %v, map %d", fwd, back, len(c.entries))
	}
	return strings.Join(fwd, ",")
}

func TestLRUOrderAndEviction(t *testing.T) {
	now := time.Unix(0, 0)
	later := now.Add(time.Hour)
	c := newLRU(3)
	c.set("a", nil, true, later, now)
	c.set("b", nil, true, later, now)
	c.set("c", nil, false, later, now)
	if got := c.order(t); got != "c,b,a" {
		t.Fatalf("order %s", got)
	}
	if c.get("a", now) == nil {
		t.Fatal("a not found")
	}
	if got := c.order(t); got != "a,c,b" {
		t.Fatalf("after get(a): %s", got)
	}
	c.set("d", nil, true, later, now) // evicts b
	if got := c.order(t); got != "d,a,c" || c.evictions != 1 || c.get("b", now) != nil {
		t.Fatalf("after set(d): %s, %d evictions", got, c.evictions)
	}
	c.set("c", nil, true, later, now) // replaces, makes it the most recent
	if got := c.order(t); got != "c,d,a" || c.evictions != 1 {
		t.Fatalf("after set(c): %s", got)
	}
	c.delete("d")
	c.delete("nope")
	if got := c.order(t); got != "c,a" {
		t.Fatalf("after delete(d): %s", got)
	}
}

// An expired entry is dropped when it is read, and is the first to go when
// room is needed, as an expiration rather than an eviction.
func TestLRUExpiry(t *testing.T) {
	now := time.Unix(0, 0)
	c := newLRU(2)
	c.set("short", nil, true, now.Add(time.Second), now)
	c.set("long", nil, true, now.Add(time.Hour), now)
	if c.get("short", now.Add(time.Second)) != nil || c.expirations != 1 || c.len() != 1 {
		t.Fatalf("expired entry read: %d expirations, %d entries", c.expirations, c.len())
	}
	c.set("x", nil, true, now.Add(time.Second), now)
	c.get("long", now) // x is now the least recently used
	c.set("y", nil, true, now.Add(time.Hour), now.Add(2*time.Second))
	if got := c.order(t); got != "y,long" || c.expirations != 2 || c.evictions != 0 {
		t.Fatalf("order %s, %d expirations, %d evictions", got, c.expirations, c.evictions)
	}
}
