// Package sdk is the only package a Tributary connector imports, built in or
// third party: the Source, Sink and Transform lifecycles, the record model, the
// Plugin descriptor that registers a connector, config structs whose spec,
// validation and documentation are generated from their tags, and the error
// values a connector uses to tell the runtime how to treat a failure.
//
// Every interface ends in an unexported method; implementations embed the
// matching Unimplemented* struct, so adding a method to an interface later does
// not break them.
//
// Delivery contract: a source hands records with positions to the runtime and
// forgets nothing until Ack names those positions, which happens only after
// Kafka confirmed every record up to them and the positions were stored. A sink
// must have made every record it reported as written durable when Flush
// returns; the runtime commits consumer offsets only after that.
package sdk
