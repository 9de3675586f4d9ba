package api

import (
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/tributarydata/tributary/bus/worker"
	"github.com/tributarydata/tributary/plugins/sdk"
)

func pluginWhat(class string) string { return fmt.Sprintf("plugin %q", class) }

// listPlugins lists the connector plugins; with connectorsOnly=false also the
// transforms, as Kafka Connect lists its transformations and predicates.
func (s *Server) listPlugins(c *gin.Context) {
	connectorsOnly, err := boolQuery(c, "connectorsOnly", true)
	if err != nil {
		s.fail(c, err, "plugins")
		return
	}
	out := []worker.PluginInfo{}
	for _, p := range s.ctl.Plugins() {
		if connectorsOnly && p.Type != string(sdk.TypeSource) && p.Type != string(sdk.TypeSink) {
			continue
		}
		out = append(out, p)
	}
	writeJSON(c, http.StatusOK, out)
}

func (s *Server) getPluginConfig(c *gin.Context) {
	class := c.Param("plugin")
	keys, err := s.ctl.PluginConfig(class)
	if err != nil {
		s.fail(c, err, pluginWhat(class))
		return
	}
	writeJSON(c, http.StatusOK, normalizeKeys(keys))
}
