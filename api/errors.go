package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/tributarydata/tributary/bus/worker"
)

// httpError is an error api decides itself (bad path parameter, body, token).
type httpError struct {
	status int
	msg    string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(msg string) error { return &httpError{http.StatusBadRequest, msg} }

// fail answers err. what names the resource the request was about ("connector
// \"orders\""), so a bare sentinel from the controller still gives a useful
// message.
func (s *Server) fail(c *gin.Context, err error, what string) {
	status, msg := errorStatus(err, what)
	if status >= http.StatusInternalServerError {
		_ = c.Error(err) // logged with the access log line
	}
	writeError(c, status, msg)
}

// errorStatus maps an error to its status code and message.
func errorStatus(err error, what string) (int, string) {
	var he *httpError
	var ce *worker.ConfigError
	var be *worker.BadRequestError
	switch {
	case errors.As(err, &he):
		return he.status, he.msg
	case errors.Is(err, worker.ErrNotFound):
		return http.StatusNotFound, describe(err, worker.ErrNotFound, what+" not found")
	case errors.Is(err, worker.ErrConflict):
		return http.StatusConflict, describe(err, worker.ErrConflict,
			what+" is being changed concurrently or the cluster is rebalancing; retry")
	case errors.As(err, &ce):
		return http.StatusBadRequest, ce.Error()
	case errors.As(err, &be):
		return http.StatusBadRequest, be.Error()
	case errors.Is(err, context.DeadlineExceeded):
		// Kafka Connect answers a request that timed out with a 500 too.
		return http.StatusInternalServerError, "request timed out: " + err.Error()
	default:
		return http.StatusInternalServerError, err.Error()
	}
}

// describe is err's text, or fallback when err is the bare sentinel (whose
// text says nothing about what was not found).
func describe(err, sentinel error, fallback string) string {
	if err == sentinel { // the bare sentinel, deliberately not errors.Is
		return fallback
	}
	return err.Error()
}
