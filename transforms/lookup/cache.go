package lookup

import (
	"time"

	"github.com/tributarydata/tributary/transforms/value"
)

// entry is what the cache knows about one key: a row (found) or that there
// is none, until expires. Entries form a doubly linked list, most recently
// used first, so touching, adding and evicting are O(1) without the
// allocation container/list makes per element.
type entry struct {
	key        string
	values     []value.Value // shared with callers: never changed once stored
	found      bool
	expires    time.Time
	prev, next *entry
}

// lru is a bounded map of entries in recency order. It is not safe for
// concurrent use: Table guards it with its mutex.
type lru struct {
	entries map[string]*entry
	root    entry // root.next is the most recently used, root.prev the least
	size    int   // the most entries held

	evictions, expirations int64 // counted here, read by Table.Stats under its mutex
}

func newLRU(size int) *lru {
	c := &lru{entries: make(map[string]*entry, min(size, 1<<16)), size: size}
	c.root.next, c.root.prev = &c.root, &c.root
	return c
}

// get returns the live entry of key, made the most recently used, or nil.
// An expired entry is removed on the way.
func (c *lru) get(key string, now time.Time) *entry {
	e := c.entries[key]
	if e == nil {
		return nil
	}
	if !now.Before(e.expires) {
		c.remove(e)
		c.expirations++
		return nil
	}
	c.unlink(e)
	c.pushFront(e)
	return e
}

// set stores what is known of key until expires, replacing an entry of
// key and making room by dropping the least recently used one.
func (c *lru) set(key string, values []value.Value, found bool, expires, now time.Time) {
	if e := c.entries[key]; e != nil {
		e.values, e.found, e.expires = values, found, expires
		c.unlink(e)
		c.pushFront(e)
		return
	}
	var e *entry
	if len(c.entries) >= c.size {
		// Reuse the evicted entry: a cache that is full stays full, and
		// a cold stream then allocates no entries.
		e = c.root.prev
		c.remove(e)
		if now.Before(e.expires) {
			c.evictions++
		} else {
			c.expirations++
		}
		*e = entry{}
	} else {
		e = &entry{}
	}
	e.key, e.values, e.found, e.expires = key, values, found, expires
	c.entries[key] = e
	c.pushFront(e)
}

// delete forgets key.
func (c *lru) delete(key string) {
	if e := c.entries[key]; e != nil {
		c.remove(e)
	}
}

func (c *lru) len() int { return len(c.entries) }

func (c *lru) remove(e *entry) {
	c.unlink(e)
	delete(c.entries, e.key)
}

func (c *lru) unlink(e *entry) {
	e.prev.next, e.next.prev = e.next, e.prev
	e.prev, e.next = nil, nil
}

func (c *lru) pushFront(e *entry) {
	e.prev, e.next = &c.root, c.root.next
	c.root.next.prev = e
	c.root.next = e
}
