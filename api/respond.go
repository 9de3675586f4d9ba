package api

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"
)

// errorBody is Kafka Connect's error entity.
type errorBody struct {
	ErrorCode int    `json:"error_code"`
	Message   string `json:"message"`
}

// messageBody answers offset changes, as Kafka Connect's Message entity.
type messageBody struct {
	Message string `json:"message"`
}

// writeJSON answers v as JSON, without escaping <, > and & so configs read as
// they were written.
func writeJSON(c *gin.Context, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Values from the controller that JSON cannot carry (NaN in an offset).
		_ = c.Error(err)
		buf.Reset()
		_ = enc.Encode(errorBody{http.StatusInternalServerError, "cannot encode response: " + err.Error()})
		status = http.StatusInternalServerError
	}
	c.Data(status, "application/json; charset=utf-8", buf.Bytes())
}

// writeError answers an error entity and stops the handler chain.
func writeError(c *gin.Context, status int, msg string) {
	writeJSON(c, status, errorBody{ErrorCode: status, Message: msg})
	c.Abort()
}
