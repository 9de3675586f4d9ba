package api

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"
)

// healthBody is the answer of GET /health (Kafka Connect's KIP-1017 shape).
type healthBody struct {
	Status  string `json:"status"`
	Message string `json:"message"`
}

func (s *Server) getServerInfo(c *gin.Context) {
	writeJSON(c, http.StatusOK, s.ctl.ServerInfo())
}

// getHealth answers 200 once the worker is ready, 503 before and when it is not.
func (s *Server) getHealth(c *gin.Context) {
	err := s.ctl.Ready()
	if err == nil {
		writeJSON(c, http.StatusOK, healthBody{"healthy", "Worker has completed startup and is ready to handle requests."})
		return
	}
	status := "unhealthy"
	var st interface{ Starting() bool }
	if errors.As(err, &st) && st.Starting() {
		status = "starting"
	}
	writeJSON(c, http.StatusServiceUnavailable, healthBody{status, err.Error()})
}

func (s *Server) listWorkers(c *gin.Context) {
	ctx, cancel := s.requestContext(c)
	defer cancel()
	ws, err := s.ctl.Workers(ctx)
	if err != nil {
		s.fail(c, err, "workers")
		return
	}
	writeJSON(c, http.StatusOK, normalizeWorkers(ws))
}
