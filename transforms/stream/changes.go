package stream

import "github.com/tributarydata/tributary/plugins/sdk"

// Changes collects a stateful operator's state writes for the runtime
// (sdk.Stateful.Changes). Keys and values are copied into memory the buffer
// owns; Take hands the list over, and the memory is reused once the runtime
// is done with it, which the sdk contract says it is when it next calls
// Process, Tick or Changes: call Reset there.
type Changes struct {
	list  []sdk.StateChange
	arena []byte
	used  int // bytes copied since the last Reset, over every chunk
}

// Put records that key now holds value in partition's state.
func (c *Changes) Put(partition int32, key, value []byte) {
	k := c.copy(key)
	v := c.copy(value)
	if v == nil {
		v = []byte{} // an empty value is a value, not a delete
	}
	c.list = append(c.list, sdk.StateChange{Partition: partition, Key: k, Value: v})
}

// Delete records that key is gone from partition's state (a tombstone).
func (c *Changes) Delete(partition int32, key []byte) {
	c.list = append(c.list, sdk.StateChange{Partition: partition, Key: c.copy(key)})
}

// Len returns the number of changes recorded since the last Take.
func (c *Changes) Len() int { return len(c.list) }

// Take returns the changes recorded since the last Reset.
func (c *Changes) Take() []sdk.StateChange { return c.list }

// retainBytes is the most arena a Reset keeps when its batch used little of
// it: one large batch (a restore, a window firing 100k groups) must not pin
// its peak memory for the rest of the task's life.
const retainBytes = 1 << 20

// Reset forgets what Take returned and reuses its memory.
func (c *Changes) Reset() {
	clear(c.list)
	if cap(c.list) > 4096 && len(c.list) < cap(c.list)/4 {
		c.list = nil
	} else {
		c.list = c.list[:0]
	}
	if cap(c.arena) > retainBytes && c.used < cap(c.arena)/4 {
		c.arena = nil
	} else {
		c.arena = c.arena[:0]
	}
	c.used = 0
}

// copy puts b in the arena. When the arena is full a new one is started
// rather than grown, so what earlier copies point at is never moved.
func (c *Changes) copy(b []byte) []byte {
	if b == nil {
		return nil
	}
	if cap(c.arena)-len(c.arena) < len(b) {
		c.arena = make([]byte, 0, max(64<<10, 2*cap(c.arena), len(b)))
	}
	start := len(c.arena)
	c.arena = append(c.arena, b...)
	c.used += len(b)
	return c.arena[start:len(c.arena):len(c.arena)]
}
