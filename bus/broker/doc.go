// Package broker embeds a Kafka-compatible broker (franz-go's kfake) for
// development and single-machine deployments: `tributary broker` runs it alone
// and `tributary dev` runs it beside one worker.
//
// With a data directory, topics, committed offsets and transactions are kept on
// disk and reloaded on the next start; a lock file on the directory stops two
// processes from sharing it. It is one broker without replication: a real
// Kafka cluster is what production runs, and clients (always
// confluent-kafka-go) connect to either the same way.
package broker
