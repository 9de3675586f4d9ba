// Package record is Tributary's record model: the unit every source, transform and
// sink exchanges, and the JSON handling they share.
//
// A Record is a Kafka message (key, value, headers, topic/partition/offset,
// timestamp) plus, for records produced by a source, the source Position that
// the runtime stores in the offsets topic once Kafka has confirmed delivery.
//
// Change events (CDC) travel as JSON in Debezium's envelope
// ({"before","after","source","op","ts_ms"}); Change and Row decode and encode
// that envelope, and also accept plain JSON rows, which the warehouse's topics
// carry as well. JSON is decoded with json.Number so that integers beyond 2^53
// and decimals keep their exact text.
package record
