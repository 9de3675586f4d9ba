package pluginrpc

import plugin "github.com/hashicorp/go-plugin"

// ProtocolVersion is the version of this protocol. A change that an older
// host or plugin would misread raises it; go-plugin then refuses the
// pairing at start, with both versions in the error, instead of letting them
// exchange messages they decode differently.
const ProtocolVersion = 1

// The go-plugin handshake. The cookie is not a secret: it tells a plugin
// binary started by hand that it was not started by a worker.
const (
	MagicCookieKey   = "TRIBUTARY_PLUGIN"
	MagicCookieValue = "7c5b0f0e-tributary-plugin-v1"
)

// Handshake is the handshake both sides configure go-plugin with.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  ProtocolVersion,
	MagicCookieKey:   MagicCookieKey,
	MagicCookieValue: MagicCookieValue,
}

// PluginName is the one entry of the go-plugin plugin set.
const PluginName = "tributary"
