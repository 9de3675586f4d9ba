package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// APIError is a non-2xx answer of the server.
type APIError struct {
	// Status is the HTTP status code of the answer.
	Status int
	// Code is the "error_code" of the body; Status when the body had none.
	Code int
	// Message is the "message" of the body, or the body's text when it was
	// not the server's JSON error (a proxy's page), or the status text.
	Message string

	body []byte // the raw answer, for routes whose error answers are not error bodies
}

func (e *APIError) Error() string {
	return fmt.Sprintf("%s (HTTP %d)", e.Message, e.Status)
}

// IsNotFound reports whether err is an APIError with status 404.
func IsNotFound(err error) bool { return hasStatus(err, http.StatusNotFound) }

// IsConflict reports whether err is an APIError with status 409: the
// connector exists already, or the cluster is rebalancing.
func IsConflict(err error) bool { return hasStatus(err, http.StatusConflict) }

func hasStatus(err error, status int) bool {
	var apiErr *APIError
	return errors.As(err, &apiErr) && apiErr.Status == status
}

// maxErrorText bounds the text of a non-JSON error body kept in Message.
const maxErrorText = 512

// decodeAPIError builds the error of a non-2xx answer from its body.
func decodeAPIError(status int, body []byte) *APIError {
	e := &APIError{Status: status, Code: status, body: body}
	var wire struct {
		ErrorCode *int   `json:"error_code"`
		Message   string `json:"message"`
	}
	if err := json.Unmarshal(body, &wire); err == nil && (wire.ErrorCode != nil || wire.Message != "") {
		if wire.ErrorCode != nil {
			e.Code = *wire.ErrorCode
		}
		e.Message = wire.Message
	} else {
		e.Message = strings.TrimSpace(string(body))
		if len(e.Message) > maxErrorText {
			e.Message = e.Message[:maxErrorText] + "…"
		}
	}
	if e.Message == "" {
		e.Message = http.StatusText(status)
	}
	if e.Message == "" {
		e.Message = "unexpected status"
	}
	return e
}
