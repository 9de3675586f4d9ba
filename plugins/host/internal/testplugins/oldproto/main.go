// Command oldproto is a plugin from another protocol version: it completes
// go-plugin's handshake with Tributary's cookie but announces version 2, as
// a plugin built against a newer sdk would.
package main

import (
	"context"

	plugin "github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"github.com/tributarydata/tributary/plugins/internal/pluginrpc"
)

type nothing struct{ plugin.NetRPCUnsupportedPlugin }

func (nothing) GRPCServer(*plugin.GRPCBroker, *grpc.Server) error { return nil }

func (nothing) GRPCClient(context.Context, *plugin.GRPCBroker, *grpc.ClientConn) (any, error) {
	return nil, nil
}

func main() {
	hs := pluginrpc.Handshake
	hs.ProtocolVersion = 2
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: hs,
		Plugins:         plugin.PluginSet{pluginrpc.PluginName: nothing{}},
		GRPCServer:      plugin.DefaultGRPCServer,
	})
}
