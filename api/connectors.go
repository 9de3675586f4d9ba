package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/tributarydata/tributary/bus/worker"
)

// requestContext is the request's context bounded by Options.RequestTimeout.
func (s *Server) requestContext(c *gin.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.Request.Context(), s.opts.RequestTimeout)
}

func connectorWhat(name string) string { return fmt.Sprintf("connector %q", name) }

// createConnectorRequest is the body of POST /connectors.
type createConnectorRequest struct {
	Name   *string   `json:"name"`
	Config rawConfig `json:"config"`
}

// expansion is one connector of GET /connectors?expand=….
type expansion struct {
	Status *worker.ConnectorStatus `json:"status,omitempty"`
	Info   *worker.ConnectorInfo   `json:"info,omitempty"`
}

func (s *Server) listConnectors(c *gin.Context) {
	ctx, cancel := s.requestContext(c)
	defer cancel()
	names, err := s.ctl.Connectors(ctx)
	if err != nil {
		s.fail(c, err, "connectors")
		return
	}
	names = slices.Sorted(slices.Values(names))
	if names == nil {
		names = []string{}
	}
	var withStatus, withInfo, expand bool
	for _, v := range c.QueryArray("expand") {
		expand = true
		for e := range strings.SplitSeq(v, ",") {
			// Kafka Connect ignores expansions it does not know.
			switch strings.TrimSpace(e) {
			case "status":
				withStatus = true
			case "info":
				withInfo = true
			}
		}
	}
	if !expand {
		writeJSON(c, http.StatusOK, names)
		return
	}
	out := make(map[string]expansion, len(names))
	for _, name := range names {
		var x expansion
		if withStatus {
			st, err := s.ctl.ConnectorStatus(ctx, name)
			if errors.Is(err, worker.ErrNotFound) {
				continue // deleted while we listed
			}
			if err != nil {
				s.fail(c, err, connectorWhat(name))
				return
			}
			st = normalizeStatus(st)
			x.Status = &st
		}
		if withInfo {
			info, err := s.ctl.ConnectorInfo(ctx, name)
			if errors.Is(err, worker.ErrNotFound) {
				continue
			}
			if err != nil {
				s.fail(c, err, connectorWhat(name))
				return
			}
			info = normalizeInfo(info)
			x.Info = &info
		}
		out[name] = x
	}
	writeJSON(c, http.StatusOK, out)
}

func (s *Server) createConnector(c *gin.Context) {
	var req createConnectorRequest
	if err := s.decodeBody(c, &req); err != nil {
		s.fail(c, err, "connector")
		return
	}
	if req.Name == nil {
		s.fail(c, badRequest(`connector name is missing: the body must be {"name": "…", "config": {…}}`), "connector")
		return
	}
	name := strings.TrimSpace(*req.Name)
	if req.Config == nil {
		s.fail(c, badRequest(fmt.Sprintf("config of connector %q is missing", name)), "connector")
		return
	}
	cfg, err := connectorConfig(name, req.Config)
	if err != nil {
		s.fail(c, err, connectorWhat(name))
		return
	}
	ctx, cancel := s.requestContext(c)
	defer cancel()
	info, err := s.ctl.CreateConnector(ctx, name, cfg)
	if err == worker.ErrConflict { // only the bare sentinel means "exists"
		err = &httpError{http.StatusConflict, fmt.Sprintf("connector %q already exists", name)}
	}
	if err != nil {
		s.fail(c, err, connectorWhat(name))
		return
	}
	c.Header("Location", connectorLocation(name))
	writeJSON(c, http.StatusCreated, normalizeInfo(info))
}

// connectorConfig checks a connector's name and config and puts the name in
// the config, as Kafka Connect does.
func connectorConfig(name string, raw rawConfig) (map[string]string, error) {
	if err := validateName(name); err != nil {
		return nil, err
	}
	cfg, err := raw.strings()
	if err != nil {
		return nil, err
	}
	if n, ok := cfg["name"]; ok && n != name {
		return nil, badRequest(fmt.Sprintf("connector name configuration (%q) does not match connector name %q", n, name))
	}
	cfg["name"] = name
	return cfg, nil
}

// validateName refuses names that cannot be addressed in a URL path or shown
// safely: empty, with a slash or with control characters.
func validateName(name string) error {
	switch {
	case name == "":
		return badRequest("connector name must not be empty")
	case strings.Contains(name, "/"):
		return badRequest(fmt.Sprintf("connector name %q must not contain '/'", name))
	case strings.IndexFunc(name, unicode.IsControl) >= 0 || !utf8.ValidString(name):
		return badRequest(fmt.Sprintf("connector name %q must be valid UTF-8 without control characters", name))
	}
	return nil
}

func connectorLocation(name string) string { return "/connectors/" + url.PathEscape(name) }

func (s *Server) getConnector(c *gin.Context) {
	name := c.Param("name")
	ctx, cancel := s.requestContext(c)
	defer cancel()
	info, err := s.ctl.ConnectorInfo(ctx, name)
	if err != nil {
		s.fail(c, err, connectorWhat(name))
		return
	}
	writeJSON(c, http.StatusOK, normalizeInfo(info))
}

func (s *Server) deleteConnector(c *gin.Context) {
	name := c.Param("name")
	ctx, cancel := s.requestContext(c)
	defer cancel()
	if err := s.ctl.DeleteConnector(ctx, name); err != nil {
		s.fail(c, err, connectorWhat(name))
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) getConnectorConfig(c *gin.Context) {
	name := c.Param("name")
	ctx, cancel := s.requestContext(c)
	defer cancel()
	info, err := s.ctl.ConnectorInfo(ctx, name)
	if err != nil {
		s.fail(c, err, connectorWhat(name))
		return
	}
	writeJSON(c, http.StatusOK, normalizeInfo(info).Config)
}

func (s *Server) putConnectorConfig(c *gin.Context) {
	name := c.Param("name")
	var raw rawConfig
	if err := s.decodeBody(c, &raw); err != nil {
		s.fail(c, err, connectorWhat(name))
		return
	}
	if raw == nil {
		s.fail(c, badRequest("the body must be a JSON object of config keys to values"), connectorWhat(name))
		return
	}
	cfg, err := connectorConfig(name, raw)
	if err != nil {
		s.fail(c, err, connectorWhat(name))
		return
	}
	ctx, cancel := s.requestContext(c)
	defer cancel()
	info, created, err := s.ctl.PutConnectorConfig(ctx, name, cfg)
	if err != nil {
		s.fail(c, err, connectorWhat(name))
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		c.Header("Location", connectorLocation(name))
	}
	writeJSON(c, status, normalizeInfo(info))
}

func (s *Server) getConnectorStatus(c *gin.Context) {
	name := c.Param("name")
	ctx, cancel := s.requestContext(c)
	defer cancel()
	st, err := s.ctl.ConnectorStatus(ctx, name)
	if err != nil {
		s.fail(c, err, connectorWhat(name))
		return
	}
	writeJSON(c, http.StatusOK, normalizeStatus(st))
}

// restartConnector restarts the connector alone (204, no body) or, with
// includeTasks or onlyFailed, the instances selected (202 with the status).
func (s *Server) restartConnector(c *gin.Context) {
	name := c.Param("name")
	includeTasks, err := boolQuery(c, "includeTasks", false)
	if err != nil {
		s.fail(c, err, connectorWhat(name))
		return
	}
	onlyFailed, err := boolQuery(c, "onlyFailed", false)
	if err != nil {
		s.fail(c, err, connectorWhat(name))
		return
	}
	ctx, cancel := s.requestContext(c)
	defer cancel()
	st, err := s.ctl.RestartConnector(ctx, name, includeTasks, onlyFailed)
	if err != nil {
		s.fail(c, err, connectorWhat(name))
		return
	}
	if !includeTasks && !onlyFailed {
		c.Status(http.StatusNoContent)
		return
	}
	writeJSON(c, http.StatusAccepted, normalizeStatus(st))
}

func (s *Server) pauseConnector(c *gin.Context) {
	s.changeTarget(c, s.ctl.PauseConnector, http.StatusAccepted)
}

func (s *Server) resumeConnector(c *gin.Context) {
	s.changeTarget(c, s.ctl.ResumeConnector, http.StatusAccepted)
}

func (s *Server) stopConnector(c *gin.Context) {
	s.changeTarget(c, s.ctl.StopConnector, http.StatusNoContent)
}

// changeTarget runs a pause, resume or stop and answers status without a body.
func (s *Server) changeTarget(c *gin.Context, change func(context.Context, string) error, status int) {
	name := c.Param("name")
	ctx, cancel := s.requestContext(c)
	defer cancel()
	if err := change(ctx, name); err != nil {
		s.fail(c, err, connectorWhat(name))
		return
	}
	c.Status(status)
}
