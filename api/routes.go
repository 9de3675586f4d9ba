package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

const uiPrefix = "/ui"

// routes registers every route. openapi_test.go checks this table against
// openapi.yaml, so a route added here must be documented there.
func (s *Server) routes(e *gin.Engine) {
	e.GET("/", s.getServerInfo)
	e.GET("/health", s.getHealth)
	e.GET("/openapi.yaml", s.getOpenAPI)

	e.GET("/connectors", s.listConnectors)
	e.POST("/connectors", s.createConnector)
	e.GET("/connectors/:name", s.getConnector)
	e.DELETE("/connectors/:name", s.deleteConnector)
	e.GET("/connectors/:name/config", s.getConnectorConfig)
	e.PUT("/connectors/:name/config", s.putConnectorConfig)
	e.GET("/connectors/:name/status", s.getConnectorStatus)
	e.POST("/connectors/:name/restart", s.restartConnector)
	e.PUT("/connectors/:name/pause", s.pauseConnector)
	e.PUT("/connectors/:name/resume", s.resumeConnector)
	e.PUT("/connectors/:name/stop", s.stopConnector)

	e.GET("/connectors/:name/tasks", s.listTasks)
	e.GET("/connectors/:name/tasks/:task/status", s.getTaskStatus)
	e.POST("/connectors/:name/tasks/:task/restart", s.restartTask)

	e.GET("/connectors/:name/offsets", s.getOffsets)
	e.PATCH("/connectors/:name/offsets", s.alterOffsets)
	e.DELETE("/connectors/:name/offsets", s.resetOffsets)

	e.GET("/connector-plugins", s.listPlugins)
	e.GET("/connector-plugins/:plugin/config", s.getPluginConfig)
	e.PUT("/connector-plugins/:plugin/config/validate", s.validateConfig)

	e.GET("/api/v1/workers", s.listWorkers)
	e.GET("/api/v1/metrics/tasks", s.getTaskMetrics)
	e.GET("/api/v1/connectors/:name/dlq", s.getDeadLetters)

	if s.opts.Metrics != nil {
		e.GET("/metrics", gin.WrapH(s.opts.Metrics))
	}
	if s.opts.UI != nil {
		e.GET(uiPrefix, func(c *gin.Context) { c.Redirect(http.StatusMovedPermanently, uiPrefix+"/") })
		e.GET(uiPrefix+"/*path", gin.WrapH(http.StripPrefix(uiPrefix, s.opts.UI)))
	}
}
