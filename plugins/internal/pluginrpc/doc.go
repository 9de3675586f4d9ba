// Package pluginrpc is the wire protocol between a Tributary worker and an
// out-of-process plugin: the go-plugin handshake, a hand-written gRPC
// service, and the protobuf encoding of its messages (plugin.proto documents
// the schema). Both sides share it so they cannot drift: plugins/sdk serves
// it in the plugin binary, plugins/host calls it from the worker.
//
// There is no generated code because there is no protoc in the build; the
// messages are encoded with protowire under a codec of their own
// content-subtype, so go-plugin's own services keep the standard protobuf
// codec on the same connection.
//
// Records are the hot path. A batch is one message: encoding appends every
// record into one buffer sized up front, and decoding slices keys, values and
// header values out of the received buffer instead of copying them, so the
// cost per record is a few field headers rather than allocations. The calls
// that carry records go over the record stream (stream.go) rather than gRPC:
// a socket pair the host creates and the plugin process inherits, one frame
// each way per call, with a transform's batch pipelined in pieces.
package pluginrpc
