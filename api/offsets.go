package api

import (
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/tributarydata/tributary/bus/worker"
)

// Messages of the offset changes, as Kafka Connect words them.
const (
	offsetsAlteredMessage = "The offsets for this connector have been altered successfully"
	offsetsResetMessage   = "The offsets for this connector have been reset successfully"
)

func (s *Server) getOffsets(c *gin.Context) {
	name := c.Param("name")
	ctx, cancel := s.requestContext(c)
	defer cancel()
	o, err := s.ctl.Offsets(ctx, name)
	if err != nil {
		s.fail(c, err, connectorWhat(name))
		return
	}
	writeJSON(c, http.StatusOK, normalizeOffsets(o))
}

func (s *Server) alterOffsets(c *gin.Context) {
	name := c.Param("name")
	var o worker.Offsets
	if err := s.decodeBody(c, &o); err != nil {
		s.fail(c, err, connectorWhat(name))
		return
	}
	if len(o.Offsets) == 0 {
		s.fail(c, badRequest(`partitions and offsets must be given: {"offsets": [{"partition": {…}, "offset": {…}}]}`), connectorWhat(name))
		return
	}
	for i, p := range o.Offsets {
		if len(p.Partition) == 0 {
			s.fail(c, badRequest(fmt.Sprintf("offsets[%d]: partition must be a non-empty object", i)), connectorWhat(name))
			return
		}
	}
	ctx, cancel := s.requestContext(c)
	defer cancel()
	if err := s.ctl.AlterOffsets(ctx, name, o); err != nil {
		s.fail(c, err, connectorWhat(name))
		return
	}
	writeJSON(c, http.StatusOK, messageBody{offsetsAlteredMessage})
}

func (s *Server) resetOffsets(c *gin.Context) {
	name := c.Param("name")
	ctx, cancel := s.requestContext(c)
	defer cancel()
	if err := s.ctl.ResetOffsets(ctx, name); err != nil {
		s.fail(c, err, connectorWhat(name))
		return
	}
	writeJSON(c, http.StatusOK, messageBody{offsetsResetMessage})
}
