// Package testplugins holds the plugin binaries plugins/host's tests and the
// end-to-end suite build and run: good plugins of every type (good), one
// that crashes, panics or hangs on demand (crasher), and one that speaks
// another protocol version (oldproto). They are real go-plugin processes, so
// the tests exercise the handshake, the wire and the faults for real.
package testplugins
