// Package kvlog keeps a map in a compacted Kafka topic, the way Kafka Connect
// keeps connector configs, statuses and source offsets: every write is a
// record keyed by the map key (a nil value deletes), and every reader replays
// the topic from the beginning and then follows it, so all workers sharing the
// topic converge on the same map and a restarted worker knows everything.
//
// Reads are read_committed: source tasks write their offsets to the offsets
// topic inside the same transaction as their records, and an aborted
// transaction's offsets must never be seen.
package kvlog
