package worker

import "time"

// SetPartitionCheckInterval shortens how often stateful tasks look for new
// input partitions, for a test; the returned func restores it.
func SetPartitionCheckInterval(d time.Duration) (restore func()) {
	was := partitionCheckInterval
	partitionCheckInterval = d
	return func() { partitionCheckInterval = was }
}
